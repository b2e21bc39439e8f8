"""Reader mechanisms the second held-out set corpus (tests/fixtures/corpus_sets_heldout2) found
missing, each on its own: amsmath's \\intertext between aligned rows, a label subscripted by
a class (the entry of its one-hot vector), …"""
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
