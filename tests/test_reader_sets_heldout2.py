"""Reader mechanisms the second held-out set corpus (tests/fixtures/corpus_sets_heldout2) found
missing, each on its own: amsmath's \\intertext between aligned rows, a label subscripted by
a class (the entry of its one-hot vector), vectors of ones written 𝟏_N or as a matrix of ones,
NumPy/MATLAB row and column slices, misspelt commands (\\patial, \\lamda), inline answers named like
code (dW_1, db_2, dw), a comparison in bare square brackets (Iverson's), deeplearning.ai's layer
superscripts W^{[2]}, and layouts a file declares that the problem does not use (numerator layout,
examples as columns): what is wrong in the problem's layout is review there, not incorrect."""
import pytest

from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.read import extract
from gradkey.verify.read.latex import parse
from gradkey.verify.read.normalise import collect_macros, normalise_math
from gradkey.verify.read.notation import notation_for


def _judge(name: str, qid: str, latex: str) -> str:
    problem = derive.problem_set(name)
    node, _ = parse(normalise_math(latex).text, notation_for(problem))
    return sets.judge(node, sets.SetTarget(qid), sets.Context(problem, answered={})).verdict


@pytest.mark.parametrize("name,qid,latex,verdict", [
    # y_j with j a class is entry j of the example's one-hot label, 𝟙[j = y_i]
    ("linear", "softmax.w_j", r"(p_j - y_j)\,x_i", "correct"),
    ("linear", "softmax.w_j", r"(p_j + y_j)\,x_i", "incorrect"),
    ("linear", "softmax.w_j", r"p_j\,x_i", "incorrect"),
    # 𝟏_N: a vector of ones with its size written
    ("mlp", "mlp.b2", r"\delta_S^\top \mathbf{1}_N", "correct"),
    ("mlp", "mlp.b2", r"\mathbf{1}_N^\top (P - Y)", "incorrect"),
    # [1 1 ⋯ 1] as a matrix: a row of ones; a column of ones
    ("mlp", "mlp.b2", r"\begin{bmatrix} 1 & 1 & \cdots & 1 \end{bmatrix}\frac{1}{N}(P - Y)", "correct"),
    ("mlp", "mlp.b2", r"\frac{1}{N}(P - Y)^\top\begin{pmatrix} 1 \\ \vdots \\ 1 \end{pmatrix}", "correct"),
    ("mlp", "mlp.b2", r"\begin{bmatrix} 1 & 1 & \cdots & 1 \end{bmatrix}(P - Y)", "incorrect"),
    # P_{i,:} is row i (as a row), W_{:,j} column j
    ("mlp", "mlp.b2", r"\frac{1}{N}\sum_{i=1}^{N}(P_{i,:} - Y_{i,:})", "correct"),
    ("linear", "softmax.w_j", r"(P_{i,j} - Y_{i,j})\, X_{i,:}^\top", "correct"),
    ("linear", "softmax.W", r"\frac{1}{N}\sum_{i}X_{i,:}^\top(P_{i,:} - Y_{i,:}) + 2\lambda W", "correct"),
    ("linear", "softmax.W", r"\frac{1}{N}\sum_{i}X_{i,:}(P_{i,:} - Y_{i,:})^\top + 2\lambda W", "incorrect"),
    # typos a reader reads through
    ("mlp", "mlp.W2", r"H^\top(P - Y)/N + 2\lamda W_2", "correct"),
    ("mlp", "mlp.W2", r"H^\top(P - Y)/N + \lamda W_2", "incorrect"),
    # [Z_1 > 0] without \mathbb{1}: Iverson's bracket
    ("mlp", "mlp.Z1", r"(\delta_S W_2^\top) \odot [Z_1 > 0]", "correct"),
    ("mlp", "mlp.Z1", r"(\delta_S W_2^\top) \odot [Z_1 < 0]", "incorrect"),
])
def test_constructs(name, qid, latex, verdict):
    assert _judge(name, qid, latex) == verdict


def test_intertext_is_a_row_of_its_own_and_the_next_rows_context():
    text = ("\\begin{align*}\n"
            "\\frac{\\partial L_i}{\\partial s_k} &= -\\mathbb{1}\\{k = y_i\\} + p_k \\nonumber \\\\\n"
            "&= p_k - \\mathbb{1}\\{k = y_i\\}.\n"
            "\\intertext{Stacking the $C$ coordinates,}\n"
            "\\nabla_s L_i &= p - e_{y_i}.\n"
            "\\end{align*}\n")
    found = extract.chains(text)
    assert [c.lhs for c in found] == ["\\frac{\\partial L_i}{\\partial s_k}", "\\nabla_s L_i"]
    assert [s.text for s in found[0].steps][-1].startswith("p_k - ")
    assert [s.text for s in found[1].steps] == ["p - e_{y_i}"]
    assert "Stacking the $C$ coordinates," in found[1].context
    assert found[1].line == 5


def test_an_intertext_after_the_last_row_is_not_part_of_the_answer_and_its_math_defines():
    text = ("\\begin{align*}\n"
            "\\nabla_W L &= \\frac{1}{N} X^\\top M + 2\\lambda W\n"
            "\\intertext{where $M_{ij} = \\mathbb{1}\\{s_{ij} > 0\\}$ for $j \\neq y_i$.}\n"
            "\\end{align*}\n")
    (chain,) = extract.chains(text)
    assert [s.text for s in chain.steps] == ["\\frac{1}{N} X^{\\top} M + 2\\lambda W"]
    rows = [r for _, r in extract.equation_rows(text)]
    assert any(r.startswith("M_{ij} =") for r in rows)
    assert not any("intertext" in r for r in rows)


def test_a_matrix_that_is_not_all_ones_stays_a_matrix():
    assert normalise_math(r"\begin{bmatrix} 1 & 2 \end{bmatrix}").text == r"\begin{bmatrix} 1 & 2 \end{bmatrix}"
    assert normalise_math(r"\textbf{1}_{w_k=w_s}").text.startswith(r"\indicator")    # a condition: an indicator


def test_a_misspelt_command_is_read_with_a_note_and_only_when_one_command_is_one_edit_away():
    n = normalise_math(r"\frac{\partial L}{\patial W_2} = \nabal_x")
    assert n.text == r"\frac{\partial L}{\partial W_2} = \nabla_x"
    assert any("\\patial read as \\partial" in note for note in n.notes)
    # a capital, a font, a short word and the file's own macro are never guessed
    assert normalise_math(r"\Lambda + \mathsf{x}").text.startswith(r"\Lambda")
    assert "\\alpa" in normalise_math(r"\alpa").text
    macros, _ = collect_macros(r"$\newcommand{\lamda}{\mu}$")
    assert "lambda" not in normalise_math(r"\lamda", macros).text


def test_an_inline_code_named_gradient_is_an_answer_and_a_differential_only_context():
    text = "**Q3** $db_2 = \\sum_i (P-Y)_i / N$ and $dx = 0$, so $f = 1$\n"
    assert [c.lhs for c in extract.chains(text)] == ["db_2", "dx"]
    from gradkey.verify.check.sets import answers_in
    (a,) = [a for a in answers_in("Then $df = 2(BX - C) : B\\,dX$ follows.\n", derive.problem_set("matcalc"))]
    assert a.status == "context" and a.question is None


def _check(problem: str, text: str) -> dict:
    from gradkey.verify.check.sets import answers_in
    return {(a.line, a.latex): a for a in answers_in(text, derive.problem_set(problem)) if a.status == "judged"}


NUMERATOR = ("In these notes we use the *numerator layout*: $\\frac{\\partial f}{\\partial X}$ is $p \\times n$.\n\n"
             "$$\\frac{\\partial \\log\\det Q}{\\partial Q} = Q^{-1}$$\n\n"
             "$$\\frac{\\partial\\, \\mathrm{tr}(AX)}{\\partial X} = A, \\qquad \\nabla_X \\mathrm{tr}(AX) = A^\\top$$\n\n"
             "$$\\nabla_X \\mathrm{tr}(X^\\top A X) = (A + A^\\top)X$$\n")


def test_a_declared_numerator_layout_makes_what_is_wrong_in_the_problems_layout_review():
    got = {a.latex: a for a in _check("matcalc", NUMERATOR).values()}
    assert got["Q^{-1}"].verdict == "review" and "numerator layout" in got["Q^{-1}"].note
    assert got["A"].verdict == "review"                        # ∂tr(AX)/∂X = A in the declared layout
    assert got["A^{\\top}"].verdict == "correct"                # right as written stays right
    assert got["(A + A^{\\top})X"].verdict == "correct"


def test_without_the_declaration_the_same_answers_are_incorrect():
    text = NUMERATOR.replace("we use the *numerator layout*", "in numerator layout one would write")
    got = {a.latex: a.verdict for a in _check("matcalc", text).values()}
    assert got["Q^{-1}"] == "incorrect" and got["A"] == "incorrect"


def test_examples_declared_as_columns_make_wrong_answers_review_in_a_problem_whose_rows_are_examples():
    body = "$$\\frac{\\partial L}{\\partial W_2} = (P - Y)^\\top H + 2\\lambda W_2$$\n"
    assert [a.verdict for a in _check("mlp", body).values()] == ["incorrect"]
    declared = "The $m$ training examples are the **columns** of $X$.\n\n" + body
    assert [a.verdict for a in _check("mlp", declared).values()] == ["review"]
    # one example written as a column vector is not a layout of the data matrix
    vector = "I write every example as a column vector.\n\n" + body
    assert [a.verdict for a in _check("mlp", vector).values()] == ["incorrect"]


def test_deeplearning_ai_layer_superscripts_and_code_names():
    got = _check("mlp", "$$dW^{[2]} = A^{[1]\\top} \\frac{1}{N}(A^{[2]} - Y) + 2\\lambda W^{[2]}$$\n")
    assert [(a.question, a.verdict) for a in got.values()] == [("mlp.W2", "correct")]
    got = _check("logreg", "- $dw = \\frac{1}{m} X^T(\\sigma(X w) - y)$\n")
    assert [(a.question, a.verdict) for a in got.values()] == [("logreg.theta", "correct")]


def test_a_question_line_ending_in_a_derivative_and_the_answer_alone_on_the_next_line():
    text = ("> [!question] Ridge: $\\nabla_x f$\n"
            "> $2(B^\\top B + \\lambda I)x - 2B^\\top b$\n\n"
            "Take $\\nabla_x f$\n"
            "and then $a + b$ later\n")          # not alone on its line: no equation
    found = extract.chains(text)
    assert [(c.lhs, [s.text for s in c.steps]) for c in found] == [
        ("\\nabla_x f", ["2(B^{\\top} B + \\lambda I)x - 2B^{\\top} b"])]


EINSTEIN = "Summation over repeated indices is implied (Einstein).\n\n"


@pytest.mark.parametrize("problem,body,want", [
    ("linear", r"\frac{\partial L}{\partial W_{dc}} = \frac{1}{N}X_{nd}(P_{nc} - Y_{nc}) + 2\lambda W_{dc}",
     ("softmax.W", "correct")),
    ("linear", r"\frac{\partial L}{\partial W_{dc}} = X_{nd}(P_{nc} - Y_{nc}) + 2\lambda W_{dc}", ("softmax.W", "incorrect")),
    ("matcalc", r"\frac{\partial (x_i A_{ij} x_j)}{\partial x_k} = A_{kj}x_j + x_i A_{ik}", ("matcalc.quadratic", "correct")),
    ("matcalc", r"\frac{\partial\, \mathrm{tr}(AX)}{\partial X_{kl}} = A_{lk}", ("matcalc.trace", "correct")),
    ("matcalc", r"\frac{\partial\, \mathrm{tr}(X^\top A X)}{\partial X_{ab}} = 2A_{ak}X_{kb}", ("matcalc.trace_quad", "incorrect")),
    ("matcalc", r"\frac{\partial \log\det Q}{\partial Q_{ij}} = (Q^{-1})_{ji}", ("matcalc.logdet", "correct")),
    ("matcalc", r"\frac{\partial \log\det Q}{\partial Q_{ij}} = (Q^{-1})_{ij}", ("matcalc.logdet", "incorrect")),
    # an entry of the example's row (s) and of a column (w_j): the file's index and a letter of the student's
    ("linear", r"\frac{\partial L_i}{\partial S_{ic}} = P_{ic} - Y_{ic}", ("softmax.s", "correct")),
    ("linear", r"\frac{\partial L_i}{\partial S_{ic}} = Y_{ic} - P_{ic}", ("softmax.s", "incorrect")),
    ("linear", r"\frac{\partial L_i}{\partial W_{dj}} = (P_{ij} - \delta_{j y_i})\, X_{id}", ("softmax.w_j", "correct")),
    ("linear", r"\frac{\partial L_i}{\partial W_{dj}} = P_{ij} X_{id}", ("softmax.w_j", "incorrect")),
])
def test_entrywise_answers_under_a_declared_summation_convention(problem, body, want):
    got = [(a.question, a.verdict) for a in _check(problem, EINSTEIN + "$$" + body + "$$\n").values()]
    assert got == [want]


def test_without_the_declaration_a_repeated_index_is_not_summed():
    body = r"$$\frac{\partial L}{\partial W_{dc}} = \frac{1}{N}X_{nd}(P_{nc} - Y_{nc}) + 2\lambda W_{dc}$$" + "\n"
    assert [a.verdict for a in _check("linear", body).values()] != ["correct"]
    explicit = r"$$\frac{\partial L}{\partial W_{dc}} = \frac{1}{N}\sum_n X_{nd}(P_{nc} - Y_{nc}) + 2\lambda W_{dc}$$" + "\n"
    assert [a.verdict for a in _check("linear", explicit).values()] == ["correct"]


def test_an_entrywise_step_before_the_matrix_answer_is_part_of_the_derivation():
    text = ("$\\frac{\\partial}{\\partial X_{kl}}\\sum_{i,j} A_{ij}X_{ji} = A_{lk}$, so\n"
            "$$\\nabla_X \\operatorname{tr}(AX) = A$$\n")
    from gradkey.verify.check.sets import answers_in
    found = answers_in(text, derive.problem_set("matcalc"))
    assert [(a.status, a.verdict) for a in found if a.question == "matcalc.trace"] == [
        ("context", "correct"), ("judged", "incorrect")]
