"""Small cases for the reading gaps between word2vec's own checker and the file-driven one
(issue 9: word2vec's answers read by the generic checker on derive/problems/word2vec.toml).
Each mechanism is written here in several students' styles and run through the file-driven
checker only (word2vec's own checker, which read these already, is being retired), with a
wrong variant next to each right one, so a mechanism that accepts everything fails."""
from pathlib import Path

import pytest

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets
from gradkey.verify.check.answers import summarise as summarise_answers
from gradkey.verify.read import extract

PROBLEM = load(Path(__file__).resolve().parent.parent / "derive" / "problems" / "word2vec.toml")


def generic(doc):
    """The file-driven checker's verdict per question, summarised as `gradkey check` does
    (answers that disagree make a question review)."""
    return {q: r.verdict for q, r in summarise_answers(sets.answers_in(doc, PROBLEM), PROBLEM.ids).items()}


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


# -- 2. a prime transposes what is surely an array: u_x' (a column of U by the student's letter),
#       (ŷ − y)'; a bracket of scalars or of undeclared letters keeps its prime refused ---------------
def _read(latex):
    from gradkey.verify.read.latex import parse
    from gradkey.verify.read.notation import notation_for
    from gradkey.verify.read.show import show
    return show(parse(latex, notation_for(PROBLEM))[0])


@pytest.mark.parametrize("latex, shown", [
    ("u_x'v_c", "u_xᵀ v_c"),
    ("(\\hat y - y)'", "(ŷ − y)ᵀ"),
    ("\\vec{u}_w{}'\\vec{v}_c", "u_wᵀ v_c"),
    ("(1-\\sigma(x))'", "prime_{Add}"),           # scalars only: perhaps a derivative, not read
    ("(\\hat y - q)'", "prime_{Add}"),             # q is not the file's: not read
    ("(U - V)'", "prime_{Add}"),                     # a bracket of matrices: left to a grader
])
def test_a_prime_transposes_only_a_declared_array(latex, shown):
    assert _read(latex) == shown


PRIME_CASES = [
    ("$$\\frac{\\partial J}{\\partial U} = \\vec{v}_c\\,(\\hat{y} - y)'$$\n", {"naive.U": "correct"}),
    ("$$\\frac{\\partial J}{\\partial U} = (\\hat{y} - y)\\,\\vec{v}_c'$$\n", {"naive.U": "incorrect"}),
    ("$$\\frac{\\partial J_{sg}}{\\partial U} = \\sum_{j=-m,\\,j\\neq 0}^{m} v_c\\,(\\hat{y} - y_{t+j})'$$\n",
     {"sg.U": "correct"}),
    ("$$\\frac{\\partial J_{naive}}{\\partial v_c} = -u_o + \\sum_{w} \\frac{\\exp(u_w{}'v_c)}{\\sum_{x} \\exp(u_x{}'v_c)}"
     "\\, u_w$$\n", {"naive.v_c": "correct"}),
    ("$$\\frac{\\partial J_{naive}}{\\partial v_c} = -u_o + \\sum_{w} \\frac{\\exp(u_w{}'v_c)}{\\sum_{x} \\exp(u_x{}'v_c)}"
     "\\, u_o$$\n", {"naive.v_c": "incorrect"}),
]


@pytest.mark.parametrize("doc, expected", PRIME_CASES)
def test_prime_transposes_judged(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)


# -- 3. ∂/∂v_c of an expression that is no question's loss (one term of it, log σ(x)) is a step of
#       the derivation, not an answer; the loss itself written out is still judged ---------------------
TERM = r"$$\frac{\partial}{\partial v_c}\bigl(-\log\sigma(u_o^T v_c)\bigr) = -(1-\sigma(u_o^T v_c))u_o$$" + "\n\n"
HINT = r"Hint: $\frac{d}{dx}\log\sigma(x) = 1-\sigma(x)$, not an answer." + "\n\n"
LOSS_OUT = r"\frac{\partial}{\partial v_c}\Bigl(-\log\sigma(u_o^\top v_c) - \sum_{k=1}^K \log\sigma(-u_k^\top v_c)\Bigr)"
TERM_CASES = [
    (TERM + r"$$\frac{\partial J_{neg}}{\partial v_c} = -(1-\sigma(u_o^T v_c))u_o + \sum_{k=1}^K (1-\sigma(-u_k^T v_c))u_k$$"
     + "\n", {"neg.v_c": "correct"}),
    (TERM + r"$$\frac{\partial J_{neg}}{\partial v_c} = -(1-\sigma(u_o^T v_c))u_o + \sum_{k=1}^K (1-\sigma(u_k^T v_c))u_k$$"
     + "\n", {"neg.v_c": "incorrect"}),
    (HINT + "### (a)\n$$\\frac{\\partial \\sigma}{\\partial x} = \\sigma(x)\\left[1-\\sigma(x)\\right]$$\n",
     {"sigmoid.grad": "correct"}),
    (HINT + "### (a)\n$$\\frac{\\partial \\sigma}{\\partial x} = \\sigma(x)\\left[1+\\sigma(x)\\right]$$\n",
     {"sigmoid.grad": "incorrect"}),
    # the whole loss differentiated: an answer, right or wrong
    (f"$${LOSS_OUT} = -(1-\\sigma(u_o^\\top v_c))u_o + \\sum_{{k=1}}^K (1-\\sigma(-u_k^\\top v_c))u_k$$\n",
     {"neg.v_c": "correct"}),
    (f"$${LOSS_OUT} = -(1-\\sigma(u_o^\\top v_c))u_o$$\n", {"neg.v_c": "incorrect"}),
]


@pytest.mark.parametrize("doc, expected", TERM_CASES)
def test_a_derivative_of_one_term_is_a_step_not_an_answer(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)
    for qid in got:
        assert qid in expected, (qid, got)     # the term's derivative answers no other question


# -- 4. a heading that names its loss only inside its math (a loss letter's subscript) sets the
#       section, so a bare "(iii) 0" below it is judged among that loss's questions -------------------
NEG_THEN = "(g) When a negative word is drawn more than once:\n\n$$\\frac{\\partial J_{neg}}{\\partial u_k} = \\sigma(u_k^T v_c) v_c$$\n\n"
SG_HEADING = "(h) $J_{skip\\_gram}(v_c, w_{t-m}, \\ldots, w_{t+m}, U) = \\sum_{j=-m, j\\neq 0}^{m} J(v_c, w_{t+j}, U)$\n\n"


@pytest.mark.parametrize("doc, verdict", [
    (NEG_THEN + SG_HEADING + "(iii) 0\n", "correct"),
    (NEG_THEN + "(h) $\\mathcal{L}_{\\text{sg}} = \\sum_j \\mathcal{L}(v_c, w_{t+j}, U)$\n\n(iii) 0\n", "correct"),
    (NEG_THEN + SG_HEADING + "(iii) 1\n", None),        # 1 answers no question of the section
    (NEG_THEN + "(iii) 0\n", None),                     # no sg heading: the neg section's questions
])
def test_a_loss_named_in_a_headings_math_sets_the_section(doc, verdict):
    assert generic(doc).get("sg.v_w") == verdict


# -- 5. a condition typed as a subscript of the whole derivative (∂J/∂v_w _{where w ≠ c}) is the
#       branch the answer holds for, not part of the left-hand side; 𝟙_{w=o} in an answer is math ----
@pytest.mark.parametrize("doc, expected", [
    ("$$\\frac{\\partial J_{skip-gram}}{\\partial v_w} _{\\text{ where } w \\ne c } = 0$$\n", {"sg.v_w": "correct"}),
    ("$$\\frac{\\partial J_{skip-gram}}{\\partial v_w} _{\\text{ where } w \\ne c } = U(\\hat y - y)$$\n",
     {"sg.v_w": "incorrect"}),
    ("$$\\frac{\\partial J}{\\partial u_w}_{w \\neq o} = \\hat y_w v_c$$\n", {"naive.u_w": "correct"}),
    ("$$\\frac{\\partial J}{\\partial u_w}_{w \\neq o} = -\\hat y_w v_c$$\n", {"naive.u_w": "incorrect"}),
    ("$$\\frac{\\partial J}{\\partial u_w}_{w = o} = (\\hat y_o - 1) v_c$$\n", {"naive.u_o": "correct"}),
    ("$$\\frac{\\partial J}{\\partial u_w} = v_c \\mathbb{1}_{w=o}$$\n", {"naive.u_w": "incorrect"}),
])
def test_a_condition_subscripted_to_the_derivative(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)


def test_the_subscript_condition_leaves_the_left_hand_side():
    from gradkey.verify.read.extract import _lhs_condition
    assert _lhs_condition(r"\frac{\partial J}{\partial v_w} _{\text{ where } w \ne c }", "") == (
        r"\frac{\partial J}{\partial v_w}", r"\text{ where } w \ne c")
    assert _lhs_condition(r"v_c \mathbb{1}_{w=o}", "") == (r"v_c \mathbb{1}_{w=o}", "")   # not a derivative


# -- 6. inline answers: an upright d (\mathrm{d}) starts a derivative like d; "= 0 for $w \ne c$"
#       followed by a parenthesis or the end of the clause is the answer for that branch ------------
@pytest.mark.parametrize("doc, expected", [
    ("$\\mathrm{d}\\sigma = \\sigma(1-\\sigma)\\,\\mathrm{d}x$, so $\\frac{\\mathrm{d}\\sigma}{\\mathrm{d}x} = "
     "\\sigma(x)(1-\\sigma(x))$.\n", {"sigmoid.grad": "correct"}),
    ("so $\\frac{\\mathrm{d}\\sigma(x)}{\\mathrm{d}x} = \\sigma(x)(1+\\sigma(x))$.\n", {"sigmoid.grad": "incorrect"}),
    ("so $\\frac{\\mathrm d \\sigma}{\\mathrm d x} = \\sigma(x)(1-\\sigma(x))$.\n", {"sigmoid.grad": "correct"}),
    ("so $\\frac{\\partial J_{sg}}{\\partial v_w} = 0$ for $w \\ne c$ (no $v_w$ appears in the differential).\n",
     {"sg.v_w": "correct"}),
    ("so $\\frac{\\partial J_{sg}}{\\partial v_w} = U(\\hat y - y)$ for $w \\ne c$ (no $v_w$ appears).\n",
     {"sg.v_w": "incorrect"}),
    ("so $\\frac{\\partial J_{sg}}{\\partial v_w} = 0$ for $w \\ne c$; it vanishes.\n", {"sg.v_w": "correct"}),
])
def test_inline_answers_with_upright_d_and_a_clause_condition(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)


def test_a_case_continued_in_prose_is_still_not_an_answer():
    # "= 1 for $z > 0$ and 0 otherwise": one case of a statement, not the answer (no such question)
    doc = "so $\\frac{\\partial J_{sg}}{\\partial v_w} = 0$ for $w \\ne c$ and $U\\hat y$ otherwise\n"
    assert "sg.v_w" not in generic(doc)


# -- 7. "If $w = o$ then $…$; otherwise $…$" inline: the second formula holds for the other branch ------
@pytest.mark.parametrize("doc, expected", [
    ("**1c.** If $w = o$ then $\\frac{\\partial J}{\\partial u_w} = (\\hat y_o - 1)\\,v_c$; otherwise "
     "$\\frac{\\partial J}{\\partial u_w} = \\hat y_w\\, v_c$.\n", {"naive.u_o": "correct", "naive.u_w": "correct"}),
    ("**1c.** If $w = o$ then $\\frac{\\partial J}{\\partial u_w} = (\\hat y_o - 1)\\,v_c$; otherwise "
     "$\\frac{\\partial J}{\\partial u_w} = -\\hat y_w\\, v_c$.\n", {"naive.u_o": "correct", "naive.u_w": "incorrect"}),
    ("(c) When $w \\neq o$, $\\frac{\\partial J}{\\partial u_w} = \\hat y_w v_c$, otherwise "
     "$\\frac{\\partial J}{\\partial u_w} = (\\hat y_o - 1) v_c$.\n", {"naive.u_w": "correct", "naive.u_o": "correct"}),
    ("(c) When $w \\neq o$, $\\frac{\\partial J}{\\partial u_w} = \\hat y_w v_c$, otherwise "
     "$\\frac{\\partial J}{\\partial u_w} = \\hat y_o v_c$.\n", {"naive.u_w": "correct", "naive.u_o": "incorrect"}),
])
def test_otherwise_inline_is_the_other_branch(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)


# -- 8. a plain heading names the loss of ∂J/∂… below it when J names several of the file's losses
#       (naive and neg): under "skip-gram", ∂J/∂U is the skip-gram question; J_{naive} still decides --
KEEP = "naive softmax\n  ∂J/∂vc = U(ŷ-y)\n  ∂J/∂U = vc(ŷ-y)ᵀ\nskip-gram\n"


@pytest.mark.parametrize("doc, expected", [
    (KEEP + "  ∂J/∂U = Σj vc(ŷ-y_{t+j})ᵀ\n", {"naive.U": "correct", "sg.U": "correct"}),
    (KEEP + "  ∂J/∂U = Σj (ŷ-y_{t+j}) vcᵀ\n", {"naive.U": "correct", "sg.U": "incorrect"}),
    ("## Skip-gram\n\n$$\\frac{\\partial J}{\\partial U} = \\sum_{j} v_c(\\hat y - y_{t+j})^\\top$$\n", {"sg.U": "correct"}),
    # a name of one loss alone is not overridden by the heading: J_{naive} is the naive question
    ("## Skip-gram\n\n$$\\frac{\\partial J_{naive}}{\\partial U} = v_c(\\hat y - y)^\\top$$\n", {"naive.U": "correct"}),
])
def test_a_heading_names_the_loss_of_a_shared_loss_letter(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) == verdict, (qid, got)


# -- 9. a condition on a row of its own inside the display, above the formula it is for ----------------
SPLIT = ("$$\n\\begin{split}\n(w\\neq o)\\\\\n\\frac{\\partial J}{\\partial u_w} &= %s\\\\\n(w=o)\\\\\n"
         "\\frac{\\partial J}{\\partial u_w} &= %s\\\\\n\\end{split}\n$$\n")


@pytest.mark.parametrize("doc, expected", [
    (SPLIT % ("\\hat{y}_w v_c", "(\\hat{y}_w-1)v_c"), {"naive.u_w": "correct", "naive.u_o": "correct"}),
    # swapped: wrong for u_w; for u_o the w ≠ o row, which holds at w = o too, makes it review at best
    (SPLIT % ("(\\hat{y}_w-1)v_c", "\\hat{y}_w v_c"), {"naive.u_w": "incorrect", "naive.u_o": ("incorrect", "review")}),
    ("$$\n\\begin{aligned}\nw = o:\\\\\n\\frac{\\partial J}{\\partial u_w} &= (\\hat{y}_o-1)v_c\n\\end{aligned}\n$$\n",
     {"naive.u_o": "correct"}),
])
def test_a_condition_row_above_the_formula(doc, expected):
    got = generic(doc)
    for qid, verdict in expected.items():
        assert got.get(qid) in ((verdict,) if isinstance(verdict, str) else verdict), (qid, got)


# -- 10. ∂J/∂Uᵀ is (∂J/∂U)ᵀ: its value is judged transposed, for U's question ------------------------
@pytest.mark.parametrize("doc, verdict", [
    ("$$\\frac{\\partial J}{\\partial U^T}=(\\hat{y}-y)\\cdot v_c^T$$\n", "correct"),
    ("$$\\frac{\\partial J}{\\partial U^{\\top}} = (\\hat{y}-y) v_c^{\\top}$$\n", "correct"),
    ("$$\\frac{\\partial J}{\\partial U^T}=v_c(\\hat{y}-y)^T$$\n", "incorrect"),      # U's answer under Uᵀ
    ("$$\\frac{\\partial J}{\\partial U^T}=(y-\\hat{y}) v_c^T$$\n", "incorrect"),
])
def test_a_derivative_with_respect_to_a_transpose(doc, verdict):
    assert generic(doc).get("naive.U") == verdict


# -- 11. [∂J/∂u_1, …, ∂J/∂u_|V|] after (or before) the answer restates the definition: not its final step --
@pytest.mark.parametrize("doc, verdict", [
    ("$\\frac{\\partial J}{\\partial U}=v_c(\\hat{y}-y)^T=[\\frac{\\partial J}{\\partial u_1}, \\frac{\\partial J}"
     "{\\partial u_2},..., \\frac{\\partial J}{\\partial u_{|V|}}]$\n", "correct"),
    ("$\\frac{\\partial J}{\\partial U}=(\\hat{y}-y)^Tv_c=[\\frac{\\partial J}{\\partial u_1}, \\frac{\\partial J}"
     "{\\partial u_2},..., \\frac{\\partial J}{\\partial u_{|V|}}]$\n", "incorrect"),
    ("$$\\frac{\\partial J}{\\partial U}=[\\frac{\\partial J}{\\partial u_1}, \\ldots, \\frac{\\partial J}"
     "{\\partial u_{W}}] = v_c(\\hat{y}-y)^T$$\n", "correct"),
])
def test_a_list_of_the_columns_is_not_the_answer(doc, verdict):
    assert generic(doc).get("naive.U") == verdict


def test_a_list_of_the_columns_alone_is_kept():
    from gradkey.verify.read.extract import without_column_lists
    only = [(1, "[\\frac{\\partial J}{\\partial u_1}, \\frac{\\partial J}{\\partial u_2}]")]
    assert without_column_lists(only) == only
    assert without_column_lists([(1, "v_c"), *only]) == [(1, "v_c")]


# -- 12. the file's own array illustrated with elided entries (y = [0 … 1 … 0]ᵀ) is not a definition the
#        answers must be read through; an unreadable definition of anything else still makes them review --
@pytest.mark.parametrize("doc, verdict", [
    ("$$\\begin{aligned} y&=\\left[\\begin{matrix}0&0&...&1&...&0\\end{matrix}\\right]^\\top \\end{aligned}$$\n\n"
     "$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$$\n", "correct"),
    ("$$y = [0, \\ldots, 1, \\ldots, 0]^T$$\n\n$$\\frac{\\partial J}{\\partial v_c} = U(y - \\hat y)$$\n", "incorrect"),
    # not elided, just unreadable: the student's own y cannot be replaced by the file's
    ("$$y = \\operatorname{onehot}(o)$$\n\n$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$$\n", "review"),
])
def test_an_elided_illustration_of_the_files_array(doc, verdict):
    assert generic(doc).get("naive.v_c") == verdict


# -- 13. a number and a letter spelling one of the file's dimensions (2m, the window's size) read as it --
def test_a_numbered_dimension_reads_as_the_dimension():
    assert _read("U(2m\\hat{y} - y)") == "U (2m ŷ − y)"
    assert _read("2 \\cdot m") == "2 · m"        # a product written out stays a product of the letters


@pytest.mark.parametrize("doc, verdict", [
    ("skip-gram\n  ∂J/∂vc = U(2mŷ - Σj y_{t+j})\n", "correct"),
    ("skip-gram\n  ∂J/∂vc = U(2mŷ - y)\n", "incorrect"),            # one y where Σ_j y_{t+j} belongs
    ("## Skip-gram\n\n$$\\frac{\\partial J_{sg}}{\\partial v_c} = U(2m\\hat y - \\sum_{j} y_{t+j})$$\n", "correct"),
    # m alone is half the window (the file's 2m): m ŷ is half the ŷ terms
    ("## Skip-gram\n\n$$\\frac{\\partial J_{sg}}{\\partial v_c} = U(m\\hat y - \\sum_{j} y_{t+j})$$\n", "incorrect"),
])
def test_the_window_size_in_an_answer(doc, verdict):
    assert generic(doc).get("sg.v_c") == verdict
