"""word2vec's written answers through the generic, file-driven checker (sets.py on
derive/problems/word2vec.toml): small hand-written cases, in several students' styles, for
each mechanism that brings it to parity with word2vec's own checker. Each case names what the
file declares that makes it work, so nothing here is a word2vec name in verify/."""
from pathlib import Path

import pytest

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = load(ROOT / "derive" / "problems" / "word2vec.toml")


def _judged(text: str) -> dict:
    return {a.question: a.verdict for a in sets.answers_in(text, PROBLEM) if a.status == "judged"}


# -- a premise stated in the words around an answer ([reader.variable_words] "repeated") --------

SINGLE = r"\frac{\partial J_{neg}}{\partial u_k} = (1-\sigma(-u_k^T v_c))\, v_c"


@pytest.mark.parametrize("before", [
    "(g) When a negative word is drawn more than once:",               # a question's heading
    "If the same word is sampled several times, nothing changes:",      # a sentence
    "若负样本可以重复（同一个词被采到多次）：",                               # Chinese
    "Front: neg sampling, a word drawn several times<br>",              # an Anki card's front
])
def test_a_premise_stated_before_the_block_names_the_repeated_question(before):
    # the single-draw formula under "repeated": NOT_SUMMED for the repeated question, not a
    # correct answer to the distinct one
    got = _judged(f"{before}\n\n$${SINGLE}$$\n")
    assert got.get("neg.u_k_repeated") == "incorrect", got
    assert "neg.u_k" not in got


def test_the_premise_in_a_remark_after_the_formula():
    got = _judged(r"$$\frac{\partial J_{neg}}{\partial u_k} = (1-\sigma(-u_k^T v_c))v_c \quad \text{(repeated samples)}$$")
    assert got.get("neg.u_k_repeated") == "incorrect", got


@pytest.mark.parametrize("line", [
    r"(g) if repeat: $\frac{\partial J}{\partial u_k} = n_k(1-\sigma(-u_k^T v_c))v_c$",
    r"With repeated negatives the gradient is $\frac{\partial J}{\partial u_k} = n_k(1-\sigma(-u_k^T v_c))v_c$.",
])
def test_the_premise_inline_in_the_sentence_holding_the_formula(line):
    got = _judged(line)
    assert got.get("neg.u_k_repeated") == "correct", got
    assert "neg.u_k" not in got


def test_no_premise_words_leave_the_value_to_decide():
    # the same formula with nothing said about repeats: the distinct question, correct
    got = _judged(f"(f) negative sampling, the samples:\n\n$${SINGLE}$$\n")
    assert got.get("neg.u_k") == "correct", got
    assert "neg.u_k_repeated" not in got
