"""OCR / plain-text repairs found by corpus_heldout6 (Adobe Scan lost subscripts, Samsung Notes and
Nebo letter swaps, "w=o:" prefixes): each mechanism with a right and a wrong answer, judged by
word2vec's own checker, and the readings that must not be guessed."""
from __future__ import annotations

from gradkey.verify.check.submissions import answers_in
from gradkey.verify.read import ocr
from gradkey.verify.read.plain import plain_as_math


def verdicts(text: str) -> dict[str, str]:
    return {a.question: a.verdict for a in answers_in(text) if a.question}


# --- Adobe Scan plain text: lost subscripts, ")T" transpose, " . " product, joined equations

def test_slash_denominator_gets_its_subscript_back():
    assert "dJ/dv_c" in ocr.repair_lines("dJ/dvc = -uo + Σ ŷw uw")


def test_trailing_T_after_parenthesis_is_a_transpose():
    right = verdicts("Q1 d\ndJ/dU = vc (ŷ - y)T\n")
    wrong = verdicts("Q1 d\ndJ/dU = vc (y - ŷ)T\n")
    assert right.get("naive.U") == "correct"
    assert wrong.get("naive.U") == "incorrect"


def test_T_glued_to_a_word_is_not_a_transpose():
    assert ocr.repair_lines("σ(x) (TOTAL)") == "σ(x) (TOTAL)"


def test_spaced_dot_is_a_product_in_a_sigmoid_derivative():
    right = verdicts("Q1 a\ndσ(x)/dx = σ(x) . (1-σ(x))\n")
    wrong = verdicts("Q1 a\ndσ(x)/dx = σ(x) . (1+σ(x))\n")
    assert right.get("sigmoid.grad") == "correct"
    assert wrong.get("sigmoid.grad") == "incorrect"


def test_sentence_full_stop_is_not_a_product():
    assert ocr.repair_lines("σ is smooth. Then") == "σ is smooth. Then"


def test_equations_joined_on_one_line_are_each_read():
    right = verdicts("Q1 c\ndJ/duw = (ŷw - yw) vc   so   dJ/duo = (ŷo - 1) vc   and   dJ/duw = ŷw vc  for w ≠ o\n")
    wrong = verdicts("Q1 c\ndJ/duw = (ŷw - yw) vc   so   dJ/duo = (ŷo + 1) vc   and   dJ/duw = ŷw vc  for w ≠ o\n")
    assert right.get("naive.u_o") == "correct" and right.get("naive.u_w") == "correct"
    assert wrong.get("naive.u_o") == "incorrect"


def test_joined_line_with_an_unreadable_piece_is_left_alone():
    line = "dJ/duw = ŷw vc   so   dJ/duo = (((("
    assert plain_as_math(line) == line


def test_lost_subscripts_in_negative_sampling():
    right = verdicts("Q1 f\ndJ/duo = (σ(uoT vc) - 1) vc\n")
    wrong = verdicts("Q1 f\ndJ/duo = (σ(uoT vc) + 1) vc\n")
    assert right.get("neg.u_o") == "correct"
    assert wrong.get("neg.u_o") == "incorrect"
