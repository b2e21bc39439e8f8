"""Small cases for the reading gaps between word2vec's own checker and the file-driven one
(issue 9: word2vec's answers read by the generic checker on derive/problems/word2vec.toml).
Each mechanism is written here in several students' styles and run through the file-driven
checker (and word2vec's own where it reads the same text), with a wrong variant next to each
right one, so a mechanism that accepts everything fails."""
from pathlib import Path

import pytest

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets
from gradkey.verify.check.submissions import answers_in, summarise
from gradkey.verify.read import extract

PROBLEM = load(Path(__file__).resolve().parent.parent / "derive" / "problems" / "word2vec.toml")


def own(doc):
    return {q: r.verdict for q, r in summarise(answers_in(doc)).items()}


def generic(doc):
    return {a.question: a.verdict for a in sets.answers_in(doc, PROBLEM) if a.status == "judged"}


# -- 1. \intercal is not "\in": a call's bracket holding a transpose is mathematics, not a remark ----
def test_a_bracket_with_intercal_is_not_a_membership_remark():
    assert extract.clean_step(r"\operatorname{softmax}(U^{\intercal} v_c)") == (
        r"\operatorname{softmax}(U^{\intercal} v_c)", "")
    # a real membership in brackets is still a remark
    assert extract.clean_step(r"u_w (w \in V)") == ("u_w", r"(w \in V)")


SETUP = "> [!info] Setup\n> $\\hat{y} = \\mathrm{softmax}(U^{\\intercal} v_c)$, $U$ is $d \\times V$.\n\n"

CASES = [
    # the student's ŷ defined with \intercal: read, so the answers that use ŷ are judged
    (SETUP + "> [!tip] Answer\n> $$\n> \\frac{\\partial J}{\\partial v_c} = \\sum_{w=1}^{V} \\hat{y}_w (u_w - u_o)\n> $$\n",
     {"naive.v_c": "correct"}),
    (SETUP + "> [!tip] Answer\n> $$\n> \\frac{\\partial J}{\\partial v_c} = \\sum_{w=1}^{V} \\hat{y}_w (u_o - u_w)\n> $$\n",
     {"naive.v_c": "incorrect"}),
    (SETUP + "$$\\frac{\\partial J}{\\partial U} = v_c (\\hat{y} - y)^{\\intercal}$$\n", {"naive.U": "correct"}),
    (SETUP + "$$\\frac{\\partial J}{\\partial U} = (\\hat{y} - y) v_c^{\\intercal}$$\n", {"naive.U": "incorrect"}),
]


@pytest.mark.parametrize("doc, expected", CASES)
def test_generic_reads_like_own(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)
