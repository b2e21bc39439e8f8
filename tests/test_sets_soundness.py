"""A student's own definition of a name is what that name means in the student's answers,
even when the problem file defines the same name (δ_1, δ_S, H, S): the file's meaning never
stands in for it. A wrong definition makes the answers written through it wrong; a
definition that cannot be read makes them review, never correct.

The held-out corpus found the hole (``corpus_sets_heldout/mlp_h07``: δ_1 defined with 1/N
twice, and Xᵀδ_1 + 2λW_1 called correct through the file's δ_1); these tests pin it shut
for every file definition that a question's answer is also written with."""
import re

import pytest
from hypothesis import given, strategies as st

from gradkey import derive
from gradkey.verify.check import sets

SETS = ("linear", "mlp", "matcalc", "logreg")


def _verdicts(name: str, text: str) -> dict:
    """qid -> the verdicts `check --problem` gives the submission's answers to it."""
    out: dict = {}
    for a in sets.answers_in(text, derive.problem_set(name)):
        if a.question and a.status == "judged":
            out.setdefault(a.question, []).append(a.verdict)
    return out


def _doc(definition: str, lhs: str, answer: str) -> str:
    return f"Notation:\n\n$$ {definition} $$\n\nThen\n\n$$ {lhs} = {answer} $$\n"


# -- the held-out case, by hand ----------------------------------------------------------------

DELTA_S = r"\delta_S = \frac{1}{N}(P - Y)"
RIGHT_D1 = r"\delta_1 = \left(\delta_S W_2^\top\right) \odot \mathbb{1}[Z_1 > 0]"
WRONG_D1 = r"\delta_1 = \frac{1}{N}\left(\delta_S W_2^\top\right) \odot [\![Z_1 > 0]\!]"   # 1/N twice


@pytest.mark.parametrize("qid,lhs,answer", [
    ("mlp.Z1", r"\frac{\partial L}{\partial Z_1}", r"\delta_1"),
    ("mlp.W1", r"\frac{\partial L}{\partial W_1}", r"X^\top \delta_1 + 2\lambda W_1"),
    ("mlp.b1", r"\frac{\partial L}{\partial b_1}", r"\delta_1^\top \mathbf{1}"),
])
def test_a_file_named_symbol_means_the_students_definition(qid, lhs, answer):
    head = f"$$ {DELTA_S} $$\n\n"
    # the definition line δ_1 = … is itself an answer to ∂L/∂Z_1; the last answer is the verdict
    right = _verdicts("mlp", head + _doc(RIGHT_D1, lhs, answer))[qid]
    wrong = _verdicts("mlp", head + _doc(WRONG_D1, lhs, answer))[qid]
    assert set(right) == {"correct"}
    assert set(wrong) == {"incorrect"}


def test_an_unreadable_definition_makes_its_uses_review():
    unread = r"\delta_1 = \frac{1}{N}\left(\delta_S W_2^\top\right) \odot \mathcal{Q}\{Z_1 \gtrdot 0\}"
    got = _verdicts("mlp", f"$$ {DELTA_S} $$\n\n" + _doc(unread, r"\frac{\partial L}{\partial W_1}",
                                                          r"X^\top \delta_1 + 2\lambda W_1"))
    assert got["mlp.W1"] == ["review"]


def test_the_definition_in_force_is_the_latest_before_the_answer():
    lhs, answer = r"\frac{\partial L}{\partial W_1}", r"X^\top \delta_1 + 2\lambda W_1"
    text = f"$$ {DELTA_S} $$\n\n$$ {RIGHT_D1} $$\n\n$$ {lhs} = {answer} $$\n\n" \
           f"Later, for another part:\n\n$$ {WRONG_D1} $$\n"
    assert _verdicts("mlp", text)["mlp.W1"] == ["correct"]     # the later δ_1 is for another part
    text = f"$$ {DELTA_S} $$\n\n$$ {WRONG_D1} $$\n\n$$ {lhs} = {answer} $$\n"
    assert _verdicts("mlp", text)["mlp.W1"] == ["incorrect"]


@pytest.mark.parametrize("name,definition,lhs,answer,verdict", [
    # H without its ReLU: Hᵀδ_S is then (XW_1 + 𝟏b_1ᵀ)ᵀδ_S
    ("mlp", r"H = XW_1 + \mathbf{1}b_1^\top", r"\frac{\partial L}{\partial W_2}",
     r"H^\top \frac{1}{N}(P - Y) + 2\lambda W_2", "incorrect"),
    ("mlp", r"H = \max(0, XW_1 + \mathbf{1}b_1^\top)", r"\frac{\partial L}{\partial W_2}",
     r"H^\top \frac{1}{N}(P - Y) + 2\lambda W_2", "correct"),
    # a name the file does not declare (S in logreg), right and wrong
    ("logreg", r"S = \operatorname{diag}(\sigma(X\theta) \odot (1 - \sigma(X\theta)))",
     r"\nabla^2_\theta J", r"\frac{1}{N} X^\top S X", "correct"),
    ("logreg", r"S = \operatorname{diag}(\sigma(X\theta))", r"\nabla^2_\theta J", r"\frac{1}{N} X^\top S X",
     "incorrect"),
    # a lower-case letter the reader would take as a row of its capital (p of P): the student's p
    ("linear", r"p = \operatorname{softmax}(s), \quad s = W^\top x_i", r"\frac{\partial L_i}{\partial s}", r"p - y",
     "correct"),
    ("linear", r"p = \sigma(s), \quad s = W^\top x_i", r"\frac{\partial L_i}{\partial s}", r"p - y", "incorrect"),
    ("linear", r"p = \operatorname{softmax}(2 s), \quad s = W^\top x_i", r"\frac{\partial L}{\partial W}",
     r"\frac{1}{N}\sum_{i=1}^N x_i (p_i - y_i)^\top + 2\lambda W", "incorrect"),
    ("linear", r"p = \operatorname{softmax}(s), \quad s = W^\top x_i", r"\frac{\partial L}{\partial W}",
     r"\frac{1}{N}\sum_{i=1}^N x_i (p_i - y_i)^\top + 2\lambda W", "correct"),
    # h spelled by its own file spelling inside the definition (h = σ(Xθ)) is not circular
    ("logreg", r"h = \sigma(X\theta)", r"\nabla_\theta J", r"\frac{1}{N} X^\top (h - y)", "correct"),
    ("logreg", r"h = \sigma(X\theta) - y", r"\nabla_\theta J", r"\frac{1}{N} X^\top (h - y)", "incorrect"),
])
def test_other_definitions(name, definition, lhs, answer, verdict):
    heading = "## Softmax\n\n" if name == "linear" else ""     # ∂L/∂W alone could be softmax or SVM
    got = _verdicts(name, heading + _doc(definition, lhs, answer))
    assert len(got) == 1 and list(got.values())[0] == [verdict], got


# -- the property: every file definition a question's answer is written with -------------------

def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def _definition_cases():
    """(set, the definition's spelling, a correct right-hand side for it, question, its answer
    written with the spelling): a file definition whose value is also a question's closed form
    (δ_S = ∂L/∂S, δ_1 = ∂L/∂Z_1) and a closed form of another question that uses it."""
    out = []
    for name in SETS:
        problem = derive.problem_set(name)
        for d in problem.definitions:
            rhs = next((f.latex for q in problem.questions for f in q.closed_forms
                        if _same(f.expr.text, d.expr.text) and not any(sp in f.latex for sp in d.latex)), None)
            if rhs is None:
                continue
            spelled = d.latex[0]
            for q in problem.questions:
                for f in q.closed_forms:
                    if re.search(re.escape(spelled) + r"(?![A-Za-z])", f.latex) and q.lhs:
                        out.append((name, spelled, rhs, q.id, q.lhs[0], f.latex))
    return out


CASES = _definition_cases()
MUTATE = {
    "doubled": lambda t: f"2\\left({t}\\right)",
    "negated": lambda t: f"-\\left({t}\\right)",
    "times N": lambda t: f"N\\left({t}\\right)",
    "1/N again": lambda t: f"\\frac{{1}}{{N}}\\left({t}\\right)",
}


def test_the_property_has_cases():
    assert {(c[0], c[1], c[3]) for c in CASES} >= {("mlp", "\\delta_S", "mlp.W2"), ("mlp", "\\delta_S", "mlp.W1")}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[3]}:{c[1]}")
def test_a_correct_definition_keeps_the_answer_correct(case):
    name, spelled, rhs, qid, lhs, answer = case
    assert "correct" in _verdicts(name, _doc(f"{spelled} = {rhs}", lhs, answer))[qid]


@given(st.sampled_from(CASES), st.sampled_from(sorted(MUTATE)))
def test_an_answer_through_a_wrong_definition_is_never_correct(case, how):
    name, spelled, rhs, qid, lhs, answer = case
    got = _verdicts(name, _doc(f"{spelled} = {MUTATE[how](rhs)}", lhs, answer))[qid]
    assert "correct" not in got, (qid, spelled, how, got)


@pytest.mark.parametrize("forward,verdict", [
    ("forward:  Z1 = X W1 + b1 ,  H = max(0, Z1)", "correct"),
    ("forward:  Z1 = X W1 + b1 ,  H = Z1", "incorrect"),          # no ReLU: H' is (XW_1 + b_1)ᵀ
])
def test_definitions_typed_without_delimiters_count_too(forward, verdict):
    text = f"{forward}\n\ndL/dW2 = H'(P - Y)/N + 2 \\lambda W2\n"
    assert _verdicts("mlp", text)["mlp.W2"] == [verdict]


@pytest.mark.parametrize("statement", [
    r"The gradient is zero only when $\delta_S = P$.",
    "When\n$$\\delta_S = P,$$\nthe gradient vanishes.",
    r"$\delta_S = P$ is sufficient for that.",
])
def test_a_condition_is_not_a_definition(statement):
    """"when $X = Y$", "$X = Y$ is sufficient": a case being discussed, not what X means."""
    text = f"{statement}\n\n$$\\frac{{\\partial L}}{{\\partial W_2}} = H^\\top \\delta_S + 2\\lambda W_2$$\n"
    assert _verdicts("mlp", text)["mlp.W2"] == ["correct"]
    assert _verdicts("mlp", f"Let $\\delta_S = P$.\n\n" + text.split("\n\n", 1)[1])["mlp.W2"] == ["incorrect"]


def test_a_definition_with_an_unknown_word_is_unread_not_misread():
    """CE(y, P) read letter by letter would be C·E·(…): the definition is unread (review)."""
    text = ("$$\\delta_S = \\frac{1}{N} CEgrad(P, Y)$$\n\n"
            "$$\\frac{\\partial L}{\\partial W_2} = H^\\top \\delta_S + 2\\lambda W_2$$\n")
    assert _verdicts("mlp", text)["mlp.W2"] == ["review"]
    text = ("$$\\delta_S = \\frac{1}{N}(softmax(S) - Y)$$\n\n"
            "$$\\frac{\\partial L}{\\partial W_2} = H^\\top \\delta_S + 2\\lambda W_2$$\n")
    assert _verdicts("mlp", text)["mlp.W2"] == ["correct"]          # softmax(…) without a backslash


def test_hostile_towers_of_definitions_and_functions_get_an_outcome():
    """α = β + β, β = γ + γ, … twenty deep (2^20 evaluations if each use re-evaluated its
    definition) and g(t) = g(t)g(t)…, k(t) = h(t)h(t)…: every answer still gets a verdict."""
    names = [r"\alpha", r"\beta", r"\gamma", r"\mu", r"\nu", r"\xi", r"\rho", r"\tau", r"\phi", r"\chi", r"\psi",
             r"\omega", r"\kappa", r"\eta", r"\zeta", r"\iota", r"\epsilon", r"\pi", r"\upsilon", r"\Gamma", r"\Phi"]
    tower = "\n\n".join(f"$${a} = {b} + {b}$$" for a, b in zip(names, names[1:])) + "\n\n$$\\Phi = 0$$\n\n"
    answer = "$$\\frac{\\partial L}{\\partial W_2} = H^\\top \\frac{1}{N}(P - Y) + 2\\lambda W_2 + \\alpha W_2$$\n"
    assert _verdicts("mlp", tower + answer)["mlp.W2"] == ["correct"]       # α = 2²⁰·Φ = 0
    funcs = ("$$g(t) = g(t) g(t) g(t) g(t) g(t) g(t)$$ $$h(t) = g(t) g(t) g(t) g(t) g(t)$$ "
             "$$k(t) = h(t) h(t) h(t) h(t)$$\n\n")
    answer = "$$\\frac{\\partial L}{\\partial W_2} = H^\\top \\frac{1}{N}(P - Y) + 2\\lambda W_2 + k(t) W_2$$\n"
    assert _verdicts("mlp", funcs + answer)["mlp.W2"] == ["review"]          # g never reads: review
