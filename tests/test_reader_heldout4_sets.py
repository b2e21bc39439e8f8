"""Reader mechanisms the fourth held-out set corpus (tests/fixtures/corpus_sets_heldout4) found
missing, each on its own, in several authors' styles: the subscripted derivative operators of
lecture notes (∂_{W_2} L, ∂_S L, \\mathrm{D}_{b_1} L, ∂_{θ_k} J, ∂_{θ_k}∂_{θ_l} J) read like
∇_{W_2} L; a wrong answer in those forms stays incorrect."""
import pytest

from gradkey import derive
from gradkey.verify.check.sets import answers_in


def _verdicts(problem: str, text: str) -> dict:
    """question id -> the verdicts of the answers the checker gives it, in reading order."""
    out: dict = {}
    for a in answers_in(text, derive.problem_set(problem)):
        if a.question is not None:
            out.setdefault(a.question, []).append(a.verdict)
    return out


MLP_SETTING = ("$Z_1 = XW_1 + \\mathbf{1}b_1^\\top$, $H = \\operatorname{ReLU}(Z_1)$, $S = HW_2 + \\mathbf{1}b_2^\\top$, "
               "$P$ the row-wise softmax of $S$, $Y$ one-hot.\n\n")


@pytest.mark.parametrize("problem,text,want", [
    # a bulleted lecture supplement, ∂_A L throughout (right sides written through earlier ones)
    ("mlp", MLP_SETTING + "- $\\partial_S L = \\tfrac{1}{N}(P - Y)$\n"
                          "- $\\partial_{W_2} L = H^\\top \\partial_S L + 2\\lambda W_2$\n"
                          "- $\\partial_H L = \\partial_S L \\, W_2^\\top$\n",
     {"mlp.S": ["correct"], "mlp.W2": ["correct"], "mlp.H": ["correct"]}),
    # the same with the mistakes of the corpus: a transposed W_2 gradient, an unsummed bias in \mathrm{D}
    ("mlp", MLP_SETTING + "- $\\partial_S L = \\tfrac{1}{N}(P - Y)$\n"
                          "- $\\partial_{W_2} L = (\\partial_S L)^\\top H + 2\\lambda W_2$\n"
                          "- $\\mathrm{D}_{b_2} L = \\partial_S L$\n",
     {"mlp.S": ["correct"], "mlp.W2": ["incorrect"], "mlp.b2": ["incorrect"]}),
    # an upright D in a display, and \operatorname{D}: the derivative operator
    ("mlp", MLP_SETTING + "$$\\mathrm{D}_{b_2} L = \\frac{1}{N}(P - Y)^\\top \\mathbf{1}$$\n\n"
                          "$$\\operatorname{D}_{W_2} L = \\frac{1}{N}H^\\top (P - Y)$$\n",
     {"mlp.b2": ["correct"], "mlp.W2": ["incorrect"]}),
    # the ReLU's local derivative, ∂_z f(z)
    ("mlp", "$$\\partial_z \\max(0, z) = \\mathbb{1}[z > 0]$$\n", {"mlp.relu": ["correct"]}),
    ("mlp", "$$\\partial_z \\max(0, z) = \\max(0, z)$$\n", {"mlp.relu": ["incorrect"]}),
    # a matrix-calculus sheet: ∂_x of an expression in parentheses
    ("matcalc", "$$\\partial_x \\left(x^\\top A x\\right) = (A + A^\\top)x$$\n\n"
                "$$\\partial_{Q} \\left(\\log\\det Q\\right) = Q^{-1}$$\n",
     {"matcalc.quadratic": ["correct"], "matcalc.logdet": ["incorrect"]}),
    # an entry of the gradient under a declared Einstein convention
    ("logreg", "Repeated indices are summed (Einstein convention).\n\n"
               "$$\\partial_{\\theta_k} J = \\frac{1}{N}(\\sigma(X_{ij}\\theta_j) - y_i) X_{ik}$$\n",
     {"logreg.theta": ["correct"]}),
])
def test_subscripted_derivative_operators(problem, text, want):
    got = _verdicts(problem, text)
    assert {q: got.get(q) for q in want} == want, got


def test_an_italic_D_with_a_subscript_stays_a_name():
    # D_{b_2} in italics is a matrix the student may have named: never the derivative operator
    got = _verdicts("mlp", MLP_SETTING + "$$D_{b_2} L = \\frac{1}{N}(P - Y)^\\top \\mathbf{1}$$\n")
    assert "mlp.b2" not in got


def test_a_subscripted_partial_with_nothing_after_it_is_not_an_answer():
    # "∂_k = Σ_j A_kj x_j + …": an index shorthand inside a proof, not an answer to any question
    got = _verdicts("matcalc", "$$\\partial_k = \\sum_j A_{kj} x_j + \\sum_i x_i A_{ik}$$\n")
    assert got == {}


@pytest.mark.parametrize("text,want", [
    # an optimisation course: f in a bold heading, "so ∇f(x) = …"
    ("**(1) $f(x) = a^\\top x$.** $\\mathrm{D}f(x)[h] = a^\\top h$, so $\\nabla f(x) = a$.\n\n"
     "**(2) $f(X) = \\operatorname{tr}(X^\\top A X)$.** So $\\nabla f(X) = AX + A^\\top X$.\n\n"
     "**(3) $f(Q) = \\log\\det Q$.** So $\\nabla f(Q) = Q^{-1}$.\n",
     {"matcalc.linear": ["correct"], "matcalc.trace_quad": ["correct"], "matcalc.logdet": ["incorrect"]}),
    # a Markdown heading, and the subscript written as well as the argument
    ("### Quadratic form $f(x) = x^\\top A x$\n\n$$\\nabla_x f(x) = 2Ax$$\n\n"
     "### Frobenius $f(X) = \\|BX - C\\|_F^2$\n\n$$\\nabla_X f(X) = 2B^\\top(BX - C)$$\n",
     {"matcalc.quadratic": ["incorrect"], "matcalc.frobenius": ["correct"]}),
])
def test_the_gradient_of_a_function_written_with_its_argument(text, want):
    got = _verdicts("matcalc", text)
    assert {q: got.get(q) for q in want} == want, got


def test_a_function_of_data_names_no_variable():
    # a is the file's data, not a variable of any question: ∇f(a) is not read as a gradient
    assert _verdicts("matcalc", "**$f(x) = a^\\top x$.** So $\\nabla f(a) = x$.\n") == {}


ENTRY_BRANCHES = [
    # UFLDL notes: evaluation bars naming the branch
    "$$\\left.\\frac{\\partial L_i}{\\partial s_j}\\right|_{j = y_i} = {A}, \\qquad "
    "\\left.\\frac{\\partial L_i}{\\partial s_j}\\right|_{j \\neq y_i} = {B}$$\n",
    # a blog: two displays, each with its condition after \quad
    "$$\\frac{\\partial L_i}{\\partial s_k} = {A} \\quad (k = y_i)$$\n\n"
    "$$\\frac{\\partial L_i}{\\partial s_k} = {B} \\quad (k \\neq y_i)$$\n",
]


@pytest.mark.parametrize("layout", ENTRY_BRANCHES)
@pytest.mark.parametrize("a,b,verdict", [
    ("p_{y_i} - 1", "p_j", "correct"),
    ("p_{y_i}", "p_j", "incorrect"),          # the −1 of the label's entry missing
    ("p_{y_i} - 1", "p_j - 1", "incorrect"),
])
def test_an_entry_given_in_two_branches_is_one_piecewise_answer(layout, a, b, verdict):
    if "s_k" in layout:
        a, b = a.replace("_{y_i}", "_k"), b.replace("_j", "_k")
    text = "Scores $s = W^\\top x_i$, $p = \\operatorname{softmax}(s)$.\n\n" + layout.replace("{A}", a).replace("{B}", b)
    assert _verdicts("linear", text) == {"softmax.s": [verdict]}


def test_one_branch_alone_is_not_called_wrong_where_it_does_not_claim_to_hold():
    text = ("Scores $s = W^\\top x_i$, $p = \\operatorname{softmax}(s)$.\n\n"
            "$$\\frac{\\partial L_i}{\\partial s_k} = p_k - 1 \\quad (k = y_i)$$\n")
    assert _verdicts("linear", text) == {"softmax.s": ["review"]}


@pytest.mark.parametrize("problem,text,want", [
    # an evaluation bar at the variable itself, or with no condition, is the derivative
    ("matcalc", "$$\\left.\\frac{\\partial}{\\partial X}\\operatorname{tr}(X^\\top A X)\\right|_{X} = A^\\top X + AX$$\n",
     {"matcalc.trace_quad": ["correct"]}),
    ("matcalc", "$$\\left.\\nabla_x (x^\\top A x)\\right\\vert_{x} = 2Ax$$\n", {"matcalc.quadratic": ["incorrect"]}),
    # a condition in the bar that is not about an entry: the ReLU's z ≠ 0
    ("mlp", "$$\\left.\\frac{d}{dz}\\max(0, z)\\right|_{z \\neq 0} = \\mathbb{1}[z > 0]$$\n", {"mlp.relu": ["correct"]}),
])
def test_evaluation_bars(problem, text, want):
    got = _verdicts(problem, text)
    assert {q: got.get(q) for q in want} == want, got


@pytest.mark.parametrize("text,want", [
    # a differential derivation in align*, the last row opened by \Rightarrow with the gradient
    ("\\begin{align*}\ndf &= dx^T A x + x^T A\\, dx = x^T (A^T + A)\\, dx \\\\\n"
     "\\Rightarrow \\frac{\\partial f}{\\partial x} &= (A + A^T) x\n\\end{align*}\n",
     {"matcalc.quadratic": ["correct"]}),
    ("$$\\begin{aligned}\ndf &= 2(Bx - b)^\\top B\\, dx + 2\\lambda x^\\top dx \\\\\n"
     "\\implies \\nabla_x f &= 2B^\\top(Bx - b) + \\lambda x\n\\end{aligned}$$\n",
     {"matcalc.lstsq": ["incorrect"]}),
])
def test_a_row_an_arrow_opens_with_a_derivative_is_a_new_equation(text, want):
    got = _verdicts("matcalc", "Let $f(x) = x^\\top A x$.\n\n" + text if "quadratic" in str(want)
                    else "Let $f(x) = \\|Bx - b\\|^2 + \\lambda\\|x\\|^2$.\n\n" + text)
    assert {q: got.get(q) for q in want} == want, got


@pytest.mark.parametrize("text,want", [
    # a cheat-sheet table: the operator in front of an unparenthesised product
    ("| # | Derivative | Result |\n|---|---|---|\n"
     "| 1 | $\\frac{\\partial}{\\partial x}\\, a^\\top x$ | $a$ |\n"
     "| 2 | $\\frac{\\partial}{\\partial x}\\, x^\\top A x$ | $2Ax$ |\n",
     {"matcalc.linear": ["correct"], "matcalc.quadratic": ["incorrect"]}),
    # inline, with ∇ and with a product whose first factor is not the variable
    ("$$\\nabla_x\\, a^\\top x = a$$\n\n$$\\frac{\\partial}{\\partial X} \\operatorname{tr}(X^\\top A X) = (A + A^\\top)X$$\n",
     {"matcalc.linear": ["correct"], "matcalc.trace_quad": ["correct"]}),
])
def test_an_operator_in_front_of_a_product_applies_to_the_product(text, want):
    got = _verdicts("matcalc", text)
    assert {q: got.get(q) for q in want} == want, got


def test_an_operator_result_times_a_factor_without_the_variable_stays_a_product():
    # ∇_S L W_2^T: the derivative times W_2^T (nothing after ∇_S mentions S), right for mlp.H
    text = MLP_SETTING + "$$\\nabla_S L = \\frac{1}{N}(P - Y)$$\n\n$$\\nabla_H L = \\nabla_S L\\, W_2^\\top$$\n"
    got = _verdicts("mlp", text)
    assert got.get("mlp.H") == ["correct"], got


@pytest.mark.parametrize("text,want", [
    # an Overleaf macro for the bold 1, used as the indicator before a bracketed comparison
    ("\\newcommand{\\one}{\\mathbf{1}}\n\n" + MLP_SETTING +
     "$$\\nabla_{Z_1} L = \\frac{1}{N}(P - Y)W_2^\\top \\odot \\one[Z_1 > 0]$$\n\n"
     "$$\\nabla_{b_2} L = \\frac{1}{N}(P - Y)^\\top \\one$$\n",
     {"mlp.Z1": ["correct"], "mlp.b2": ["correct"]}),
    # \mathbf{1} written directly, with braces, and a wrong mask
    (MLP_SETTING + "$$\\frac{\\partial L}{\\partial Z_1} = \\frac{1}{N}(P - Y)W_2^\\top \\odot \\mathbf{1}\\{Z_1 < 0\\}$$\n",
     {"mlp.Z1": ["incorrect"]}),
])
def test_a_bold_one_before_a_bracketed_comparison_is_the_indicator(text, want):
    got = _verdicts("mlp", text)
    assert {q: got.get(q) for q in want} == want, got


@pytest.mark.parametrize("label", [
    "\\item \\textbf{SVM, an incorrect class ($j \\neq y_i$).}",
    "\\subsection*{Multiclass SVM}",
    "\\paragraph{SVM loss.}",
])
def test_latex_sectioning_names_the_loss_of_what_follows(label):
    # ∇_{w_j} L_i is asked of both losses: the .tex label before it decides which
    text = ("\\begin{enumerate}\n\\item \\textbf{Softmax.} $\\nabla_{w_j} L_i = (p_j - \\mathbb{1}\\{j = y_i\\})\\, x_i$\n"
            + label + "\n$\\nabla_{w_j} L_i = \\mathbb{1}(s_j - s_{y_i} + 1 > 0)\\, x_i$\n\\end{enumerate}\n")
    got = _verdicts("linear", text)
    assert got.get("softmax.w_j") == ["correct"] and got.get("svm.w_j") == ["correct"], got


@pytest.mark.parametrize("point,grad,verdict", [
    ("\\theta_t", "\\frac{1}{N}X^\\top(\\mu_t - y)", "correct"),
    ("\\theta_t", "X^\\top(\\mu_t - y)", "incorrect"),
    ("\\theta^{(k)}", "\\frac{1}{N}X^\\top(\\sigma(X\\theta^{(k)}) - y)", "correct"),
    ("\\theta^{(k)}", "\\frac{1}{N}X^\\top(y - \\sigma(X\\theta^{(k)}))", "incorrect"),
])
def test_a_gradient_stated_at_a_named_point_of_its_variable(point, grad, verdict):
    # a Newton's-method handout: the iterate's name is the variable wherever the file writes it
    text = (f"Write $\\mu_t = \\sigma(X{point})$.\n\n"
            f"$$\\left.\\nabla J(\\theta)\\right|_{{\\theta = {point}}} = {grad}$$\n\n"
            f"The step is $\\theta_{{t+1}} = \\theta_t - H^{{-1}} g$.\n")
    assert _verdicts("logreg", text).get("logreg.theta") == [verdict]


@pytest.mark.parametrize("lhs", ["\\partial_{\\theta_k}\\partial_{\\theta_l} J",
                                 "\\frac{\\partial^2 J}{\\partial \\theta_k \\partial \\theta_l}"])
@pytest.mark.parametrize("rhs,verdict", [
    ("\\frac{1}{N}\\sigma_i(1 - \\sigma_i) X_{ik} X_{il}", "correct"),
    ("\\frac{1}{N}\\sigma_i X_{ik} X_{il}", "incorrect"),
])
def test_an_entry_of_the_hessian_under_the_einstein_convention(lhs, rhs, verdict):
    text = ("Repeated indices are summed (Einstein convention). Write $z_i = X_{ij}\\theta_j$ and "
            "$\\sigma_i = \\sigma(z_i)$. Since $\\partial_{\\theta_k} z_i = X_{ik}$:\n\n"
            f"$${lhs} = {rhs}$$\n")
    assert _verdicts("logreg", text) == {"logreg.hessian": [verdict]}


def test_a_per_example_loss_letter_is_still_a_loss():
    # ∂l_i/∂w_j: l_i is the example's loss (not a chain-rule factor like ∂z_i/∂θ_k)
    text = "Scores $s = W^\\top x_i$, $p = \\operatorname{softmax}(s)$.\n\n$$\\frac{\\partial l_i}{\\partial w_j} = (p_j - \\mathbb{1}[j = y_i])\\,x_i$$\n"
    assert _verdicts("linear", text) == {"softmax.w_j": ["correct"]}
