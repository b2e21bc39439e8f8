"""Small cases for the notation the sixth held-out corpus (tests/fixtures/corpus_heldout6)
showed the shared LaTeX front end missing: ⟨a, b⟩ inner products, a ⊗ b outer products,
u \\cdot v dot products of two vectors, pandoc's {\\widehat{y}}_{w} and Anki's [$]…[/$] tags.
Each mechanism is run through both checkers (word2vec's own and the file-driven one) on text
written here, and a wrong variant sits next to each right one, so a mechanism that accepts
everything fails."""
from pathlib import Path

import numpy as np
import pytest

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets
from gradkey.verify.check.arrays import multiply
from gradkey.verify.check.shapes import ShapeError, dot, is_dot
from gradkey.verify.check.answers import answers_for as answers_in, summarise  # the default set (word2vec)
from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.extract import prepare
from gradkey.verify.read.latex import parse

PROBLEM = load(Path(__file__).resolve().parent.parent / "derive" / "problems" / "word2vec.toml")


def own(doc):
    return {q: r.verdict for q, r in summarise(answers_in(doc)).items()}


def generic(doc):
    return {a.question: a.verdict for a in sets.answers_in(doc, PROBLEM) if a.status == "judged"}


NGV = r"\frac{\partial J}{\partial v_c} = "
NGO = r"\frac{\partial J}{\partial u_o} = "
NGK = r"\frac{\partial J}{\partial u_k} = "
NU = r"\frac{\partial J}{\partial U} = "

CASES = [
    # -- 1. ⟨a, b⟩: the inner product aᵀb -----------------------------------------------------------
    (f"$${NGV}-\\sigma(-\\langle u_o, v_c\\rangle) u_o + \\sum_{{k=1}}^K \\sigma(\\langle u_k, v_c\\rangle) u_k$$\n",
     {"neg.v_c": "correct"}),
    (f"$${NGV}-\\sigma(\\langle u_o, v_c\\rangle) u_o + \\sum_{{k=1}}^K \\sigma(\\langle u_k, v_c\\rangle) u_k$$\n",
     {"neg.v_c": "incorrect"}),
    (f"$${NGO}-\\sigma(-⟨u_o, v_c⟩) v_c$$\n", {"neg.u_o": "correct"}),
    (f"$${NGO}-\\sigma(-⟨u_o, v_c⟩) u_o$$\n", {"neg.u_o": "incorrect"}),
    (f"$${NGO}\\left(\\sigma\\left(\\left\\langle u_o , v_c \\right\\rangle\\right) - 1\\right) v_c$$\n",
     {"neg.u_o": "correct"}),
    # -- 2. a ⊗ b = a bᵀ, and u · v of two columns the dot product -----------------------------------
    (f"$${NU}v_c \\otimes (\\hat y - y)$$\n", {"naive.U": "correct"}),
    (f"$${NU}(\\hat y - y) \\otimes v_c$$\n", {"naive.U": "incorrect"}),
    (f"$${NGO}-\\sigma(-u_o \\cdot v_c)\\, v_c$$\n", {"neg.u_o": "correct"}),
    (f"$${NGO}-\\sigma(u_o \\cdot v_c)\\, v_c$$\n", {"neg.u_o": "incorrect"}),
    (f"$${NGK}\\sigma(u_k \\cdot v_c)\\, v_c$$\n", {"neg.u_k": "correct"}),
    (f"$${NGK}\\sigma(u_k \\cdot v_c)\\, u_k$$\n", {"neg.u_k": "incorrect"}),
    # -- 3. pandoc's {\widehat{y}}_{w}: ŷ_w, in a section that names no loss in words --------------------
    ("**1(c)**\n\nFor $w \\neq o$: $\\frac{\\partial J}{\\partial\\mathbf{u}_{w}} = {\\widehat{y}}_{w}\\mathbf{v}_{c}$\n",
     {"naive.u_w": "correct"}),
    ("**1(c)**\n\nFor $w \\neq o$: $\\frac{\\partial J}{\\partial\\mathbf{u}_{w}} = - {\\widehat{y}}_{w}\\mathbf{v}_{c}$\n",
     {"naive.u_w": "incorrect"}),
    ("$$\\dfrac{\\partial J}{\\partial v_c} = U\\left( \\widehat{y} - y \\right)$$\n", {"naive.v_c": "correct"}),
    ("$$\\dfrac{\\partial J}{\\partial v_c} = U\\left( y - \\widehat{y} \\right)$$\n", {"naive.v_c": "incorrect"}),
    # \dfrac in inline math after a bold label: the derivative on its left makes it an answer
    ("**(a)** $\\dfrac{d\\sigma}{dx} = \\dfrac{e^{-x}}{(1+e^{-x})^2}$\n", {"sigmoid.grad": "correct"}),
    ("**(a)** $\\dfrac{d\\sigma}{dx} = \\dfrac{e^{x}}{(1+e^{-x})^2}$\n", {"sigmoid.grad": "incorrect"}),
    # -- 4. Anki's [$]…[/$] and [$$]…[/$$] tags --------------------------------------------------------
    ("Front: derivative of the sigmoid<br>\nBack: [$]\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))[/$]\n",
     {"sigmoid.grad": "correct"}),
    ("Front: derivative of the sigmoid<br>\nBack: [$]\\sigma'(x) = \\sigma(x)(1 + \\sigma(x))[/$]\n",
     {"sigmoid.grad": "incorrect"}),
    (f"Front: neg sampling, centre vector<br>\nBack: [$$]{NGV}(\\sigma(u_o^\\top v_c) - 1)u_o + "
     "\\sum_{k=1}^{K}\\sigma(u_k^\\top v_c)\\,u_k[/$$]\n", {"neg.v_c": "correct"}),
    (f"Front: neg sampling, centre vector<br>\nBack: [$$]{NGV}(\\sigma(u_o^\\top v_c) - 1)u_o - "
     "\\sum_{k=1}^{K}\\sigma(u_k^\\top v_c)\\,u_k[/$$]\n", {"neg.v_c": "incorrect"}),
]


@pytest.mark.parametrize("doc,expected", CASES)
def test_word2vec_own_checker(doc, expected):
    got = own(doc)
    for q, verdict in expected.items():
        assert got.get(q) == verdict, (q, got)


@pytest.mark.parametrize("doc,expected", CASES)
def test_file_driven_checker(doc, expected):
    got = generic(doc)
    for q, verdict in expected.items():
        assert got.get(q) == verdict, (q, got)


def test_inner_product_reads_as_transpose_times():
    node, _ = parse(r"\langle u_o, v_c \rangle")
    assert node == ast.Mul((ast.Transpose(ast.Name("u", ast.Index("o"))), ast.Name("v", ast.Index("c"))))
    assert parse("⟨u_o, v_c⟩")[0] == node


@pytest.mark.parametrize("text", [r"\langle u_o v_c \rangle", r"\langle u_o, v_c", r"\langle u_o, v_c )"])
def test_unclosed_or_commaless_inner_product_is_refused(text):
    with pytest.raises(ReadError):
        parse(text)


def test_dot_only_where_the_plain_product_does_not_exist():
    u, v = np.ones((3, 1)), np.arange(3.0).reshape(3, 1)
    assert is_dot(u, v) and dot(u, v).shape == (1, 1) and dot(u, v)[0, 0] == 3.0
    with pytest.raises(ShapeError):
        multiply(u, v)
    # a product that exists (column times row, scalar times vector) keeps its meaning
    assert not is_dot(u, v.T) and multiply(u, v.T).shape == (3, 3)
    assert not is_dot(np.ones((1, 1)), np.ones((1, 1)))
    assert not is_dot(u, np.ones((4, 1)))            # different lengths: still a shape error


def test_dot_is_marked_only_after_cdot():
    assert parse(r"u_o \cdot v_c")[0].dots == (1,)
    assert parse(r"u_o v_c")[0].dots == ()
    assert parse(r"u_o \times v_c")[0].dots == ()


def test_wide_hat_is_the_hat():
    assert parse(r"{\widehat{y}}_{w}")[0] == parse(r"\hat{y}_w")[0]
    with pytest.raises(ReadError):
        parse(r"\widehatx")          # another command, not the accent


def test_anki_tags_become_delimiters_keeping_offsets():
    text = "Back: [$]a_b[/$] then [$$]c[/$$] end"
    out = prepare(text)
    assert len(out) == len(text)
    assert "$a_b$" in out and "$$c$$" in out
    assert prepare("[$] no closing tag") == "[$] no closing tag"
