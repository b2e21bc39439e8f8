"""OCR / plain-text repairs found by corpus_heldout6 (Adobe Scan lost subscripts, Samsung Notes and
Nebo letter swaps, "w=o:" prefixes): each mechanism with a right and a wrong answer, judged by
word2vec's own checker, and the readings that must not be guessed."""
from __future__ import annotations

from gradkey.verify.check.answers import answers_for as answers_in  # the default set (word2vec)
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


# --- Samsung Notes / Nebo letter swaps: 0/6 for σ, I/l for 1, Z for Σ, Uo/Vc for u_o/v_c

def test_zero_before_a_transpose_product_is_sigma_and_I_is_one():
    right = verdicts("f) dJ/dUo = -[I - 0(UoᵀVc)] Vc\n")
    wrong = verdicts("f) dJ/dUo = [I - 0(UoᵀVc)] Vc\n")
    assert right.get("neg.u_o") == "correct"
    assert wrong.get("neg.u_o") == "incorrect"


def test_six_and_l_in_a_nebo_export():
    right = verdicts("(e) ∂J/∂u_{0} = -(l - 6(u_{0}^{T} v_{c})) v_{c}\n")
    wrong = verdicts("(e) ∂J/∂u_{0} = -(l - 6(u_{0}^{T} v_{c})) u_{0}\n")
    assert right.get("neg.u_o") == "correct"
    assert wrong.get("neg.u_o") == "incorrect"


def test_sigmoid_identity_written_with_six():
    assert ocr.letter_swaps("(a) 6'(x) = 6(x)(1 - 6(x))") == "(a) σ'(x) = σ(x)(1 - σ(x))"
    assert verdicts("(a) 6'(x) = 6(x)(1 - 6(x))\n").get("sigmoid.grad") == "correct"
    assert verdicts("(a) 6'(x) = 6(x)(1 + 6(x))\n").get("sigmoid.grad") != "correct"


def test_Z_is_a_sum_before_an_index_or_a_repeated_index():
    assert ocr.letter_swaps("= -Uo + Z ŷw Uw") == "= -uo + Σ_w ŷw uw"
    assert ocr.letter_swaps("Z_k [I - 0(-UkᵀVc)] Uk").startswith("Σ_k [ 1 - σ(")


def test_swaps_are_not_guessed_without_their_context():
    # a digit before a parenthesis with no transpose product and no sigmoid identity stays
    assert ocr.letter_swaps("J = 0(x + 1)") == "J = 0(x + 1)"
    # I and l that are not "1 - σ(" or "ŷ_o - 1" stay letters
    assert ocr.letter_swaps("(I - A) x, ŷ_o - l") == "(I - A) x, ŷ_o - l"
    # Z with no index after it is a name; capitals with no OCR context are names
    assert ocr.letter_swaps("Z ŷw Uk and Z = WX").startswith("Z ŷw")
    assert ocr.letter_swaps("Z = WX") == "Z = WX"
    assert ocr.letter_swaps("Uo and Vc are matrices") == "Uo and Vc are matrices"
    # LaTeX lines are never rewritten
    assert ocr.letter_swaps(r"$0(u_o^T v_c)$") == r"$0(u_o^T v_c)$"


# --- "w=o: $…$" and org-mode "- w = o :: \(…\)": the condition, then the answer

def _file_driven(text: str) -> dict[str, str]:
    from pathlib import Path

    from gradkey.derive.problemfile import load
    from gradkey.verify.check import sets
    problem = load(Path(__file__).resolve().parents[1] / "derive" / "problems" / "word2vec.toml")
    return {a.question: a.verdict for a in sets.answers_in(text, problem) if a.question}


CASE_RIGHT = "2(c) w=o: $\\frac{\\partial J}{\\partial u_{w}}=(\\hat{y}_{o}-1) v_{c}$\n"
CASE_WRONG = "2(c) w=o: $\\frac{\\partial J}{\\partial u_{w}}=(\\hat{y}_{o}+1) v_{c}$\n"
ORG_RIGHT = "* Problem (c)\n  - w = o :: \\(\\frac{\\partial J}{\\partial u_o} = -(1-\\hat y_o) v_c\\)\n"
ORG_WRONG = "* Problem (c)\n  - w = o :: \\(\\frac{\\partial J}{\\partial u_o} = (1-\\hat y_o) v_c\\)\n"


def test_case_prefix_is_a_condition_in_the_own_checker():
    assert verdicts(CASE_RIGHT).get("naive.u_o") == "correct"
    assert verdicts(CASE_WRONG).get("naive.u_o") == "incorrect"
    assert verdicts(ORG_RIGHT).get("naive.u_o") == "correct"
    assert verdicts(ORG_WRONG).get("naive.u_o") == "incorrect"


def test_case_prefix_is_a_condition_in_the_file_driven_checker():
    assert _file_driven(CASE_RIGHT).get("naive.u_o") == "correct"
    assert _file_driven(CASE_WRONG).get("naive.u_o") == "incorrect"
    assert _file_driven(ORG_RIGHT).get("naive.u_o") == "correct"
    assert _file_driven(ORG_WRONG).get("naive.u_o") == "incorrect"


def test_case_prefix_only_when_nothing_else_is_on_the_line():
    assert ocr.only_case_prefix("2(c) w=o: $x$", "2(c) w=o: ")
    assert ocr.only_case_prefix("  - w = o :: \\(x\\)", "  - w = o :: ")
    # OCR text after the math, or a formula in the prefix, keeps the line flagged
    assert not ocr.only_case_prefix("w=o: $x$ = ŷo - 1", "w=o: ")
    assert not ocr.only_case_prefix("J = 2x: $x$", "J = 2x: ")
