"""Reader mechanisms the second held-out set corpus (tests/fixtures/corpus_sets_heldout2) found
missing, each on its own: amsmath's \\intertext between aligned rows, a label subscripted by
a class (the entry of its one-hot vector), vectors of ones written 𝟏_N or as a matrix of ones,
NumPy/MATLAB row and column slices, …"""
import pytest

from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.read import extract
from gradkey.verify.read.latex import parse
from gradkey.verify.read.normalise import normalise_math
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
