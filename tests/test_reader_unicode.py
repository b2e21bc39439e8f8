"""Math typed or copied as Unicode, with no LaTeX at all (phone OCR of a notebook, a Word or
OneNote equation pasted as text, a formula copied from a rendered page): operators, Greek
letters and runs of super- and subscripts are read as their LaTeX, in every set's notation."""
import pytest

from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.read.latex import normalise


def _verdicts(text: str, problem: str) -> dict:
    return {a.question: a.verdict for a in sets.answers_in(text, derive.problem_set(problem))
            if a.status == "judged"}


@pytest.mark.parametrize("typed,latex", [
    ("2λW₂", r"2\lambda W_{2}"),
    ("Q⁻ᵀ", "Q^{-T}"),
    ("Q⁻¹", "Q^{-1}"),
    ("x⁽ⁱ⁾", "x^{(i)}"),
    ("yᵢ", "y_{i}"),
    ("W₁₂", "W_{12}"),
    ("a ⊙ b", r"a \odot  b"),
    ("‖W‖²", r"\| W\| ^{2}"),
    ("θᵀx", r"\theta ^Tx"),
])
def test_unicode_becomes_the_latex_it_stands_for(typed, latex):
    assert normalise(typed) == latex


MLP = """Backward pass (phone OCR)

Z₁ = XW₁ + b₁ ; H = ReLU(Z₁) ; S = HW₂ + b₂ ; P = softmax(S) by rows

ReLU′(z) = 1 if z > 0, else 0

∂L/∂S = (P − Y)/N
∂L/∂W₂ = Hᵀ(P − Y)/N + 2λW₂
∂L/∂Z₁ = ((P − Y)/N) W₂ᵀ ⊙ 𝟙[Z₁ > 0]
"""


def test_a_unicode_only_backward_pass_is_read_and_judged():
    got = _verdicts(MLP, "mlp")
    assert got == {"mlp.relu": "correct", "mlp.S": "correct", "mlp.W2": "correct", "mlp.Z1": "correct"}, got


@pytest.mark.parametrize("wrong,qid", [
    ("∂L/∂W₂ = Hᵀ(P − Y)/N + λW₂", "mlp.W2"),              # λ for 2λ
    ("∂L/∂W₂ = H(P − Y)/N + 2λW₂", "mlp.W2"),              # H for Hᵀ: a shape error
    ("∂L/∂Z₁ = ((P − Y)/N) W₂ᵀ ⊙ H", "mlp.Z1"),            # H as the ReLU mask
    ("ReLU′(z) = 0 if z > 0, else 1", "mlp.relu"),
])
def test_wrong_unicode_answers_are_incorrect(wrong, qid):
    text = MLP.split("∂L/∂S")[0] + wrong + "\n"
    assert _verdicts(text, "mlp")[qid] == "incorrect"


def test_a_definition_followed_by_words_is_read_without_them():
    # "P = softmax(S) by rows" restates the file's P; "by columns" would change it: review
    rows = _verdicts(MLP, "mlp")
    assert rows["mlp.S"] == "correct"
    cols = MLP.replace("softmax(S) by rows", "softmax(S) by columns")
    assert _verdicts(cols, "mlp")["mlp.S"] == "review"


def test_an_aside_in_parentheses_after_a_gap_is_a_remark():
    text = MLP.split("∂L/∂S")[0] + "∂L/∂b₂ = (1/N) Σᵢ (pᵢ − yᵢ)        (pᵢ, yᵢ rows of P, Y)\n"
    assert _verdicts(text, "mlp")["mlp.b2"] == "correct"


def test_matrix_calculus_in_unicode():
    text = "(a) ∇ₓ(aᵀx) = a\n\n(g) ∇_Q log det Q = Q⁻ᵀ\n"
    got = _verdicts(text, "matcalc")
    assert got.get("matcalc.logdet") == "correct", got
    wrong = _verdicts("(g) ∇_Q log det Q = Q⁻¹\n", "matcalc")
    assert wrong.get("matcalc.logdet") == "incorrect", wrong


LOGREG = """Logistic regression (recognised text)

gradient:  ∇J(θ) = (1/N) Xᵀ(σ(Xθ) − y)

Hessian:   ∇²J(θ) = (1/N) Xᵀ S X,   where S = diag(σ(Xθ) ⊙ (1 − σ(Xθ)))
"""


def test_word_labels_and_a_where_definition_on_a_plain_line():
    # "Hessian:   …" — the label's wide gap is no margin note; "where S = …" defines S for the line
    assert _verdicts(LOGREG, "logreg") == {"logreg.theta": "correct", "logreg.hessian": "correct"}
    wrong = LOGREG.replace("σ(Xθ) ⊙ (1 − σ(Xθ))", "σ(Xθ)")        # diag(h) for diag(h ⊙ (1 − h))
    assert _verdicts(wrong, "logreg")["logreg.hessian"] == "incorrect"
    undefined = LOGREG.replace(",   where S = diag(σ(Xθ) ⊙ (1 − σ(Xθ)))", "")
    assert _verdicts(undefined, "logreg")["logreg.hessian"] == "review"     # S is not the file's
