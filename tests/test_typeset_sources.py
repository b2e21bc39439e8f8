"""Math a submission typesets without Markdown's $ delimiters is found: GitHub's
$`…`$ inline math, and a notebook's code cells that typeset (the %%latex / %%markdown
cell magics, IPython's Math/Latex/Markdown display calls), read and never run."""
import json

import pytest

from gradkey.derive import problem_set
from gradkey.verify.check.answers import Policy, answers_for, summarise
from gradkey.verify.grade.batch import _typeset_in_code, notebook_text

WORD2VEC = problem_set("word2vec")


def verdicts(text):
    return {q: r.verdict for q, r in summarise(answers_for(text, Policy(), WORD2VEC)).items()}


def test_github_inline_math():
    text = ("## Naive softmax\n\n**2.** Center vector: $`\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)`$.\n\n"
            "**3.** $`\\frac{\\partial J}{\\partial u_o} = (1 - \\hat{y}_o)v_c`$ for the true word.\n")
    assert verdicts(text) == {"naive.v_c": "correct", "naive.u_o": "incorrect"}


def notebook(*cells):
    return json.dumps({"cells": [{"cell_type": kind, "source": src} for kind, src in cells]}).encode()


def test_latex_magic_and_display_calls_in_code_cells():
    nb = notebook(("markdown", "## (b)"),
                  ("code", "%%latex\n\\begin{align}\n\\frac{\\partial J}{\\partial v_c} &= U(\\hat{y} - y)\n\\end{align}\n"),
                  ("code", "from IPython.display import Math, display\n"
                           "display(Math(r'\\frac{\\partial J}{\\partial U} = (\\hat{y} - y) v_c^\\top'))\n"),
                  ("code", "import numpy as np\nx = np.zeros(3)  # $not math$ in a comment"))
    text = notebook_text(nb)
    assert "not math" not in text
    assert verdicts(text) == {"naive.v_c": "correct", "naive.U": "incorrect"}


@pytest.mark.parametrize("src", [
    "(" * 500 + ")" * 500 + "\nMath('x')",                        # too deep for Python's parser
    "Math(f'{x}')", "Math(x)", "def f(:\n  Math('a')",          # no literal, not Python
    "%%bash\necho '$x$'",
])
def test_code_that_typesets_nothing_gives_nothing(src):
    assert _typeset_in_code(src) == []


def test_display_calls_in_their_order_and_math_wrapped():
    got = _typeset_in_code("Latex('$a$')\ndisplay(Math('b = c'))\nIPython.display.Markdown('**d** $e$')")
    assert got == ["$a$", "$$\nb = c\n$$", "**d** $e$"]


def test_a_summary_table_typeset_as_an_array():
    table = ("## Summary\n\n$$\n\\begin{array}{|l|l|}\n\\hline\n\\text{quantity} & \\text{gradient} \\\\\n\\hline\n"
             "\\dfrac{\\partial J}{\\partial v_c} & U(\\hat y - y) \\\\\n"
             "\\dfrac{\\partial J}{\\partial U} & v_c\\, \\hat y^\\top \\\\\n\\hline\n\\end{array}\n$$\n")
    assert verdicts(table) == {"naive.v_c": "correct", "naive.U": "incorrect"}
    # a matrix, and a cases table inside \left\{, are not answer tables
    from gradkey.verify.read.extract import _answer_tables
    for math in ("$$\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}$$",
                 "$$\\left\\{\\begin{array}{ll} \\frac{\\partial J}{\\partial u} & w = o \\\\ 0 & w \\ne o \\end{array}\\right.$$"):
        assert _answer_tables(math) == math


def test_full_width_punctuation_typed_inside_math():
    """A Chinese IME left on: （ ） ， inside the math are ( ) , (U+FF08 …)."""
    text = ("## 朴素 softmax\n\n$$\\frac{\\partial J}{\\partial v_c} = U（\\hat{y} - y）$$\n\n"
            "$$\\frac{\\partial J}{\\partial u_w} = \\begin{cases} （\\hat{y}_o - 1）v_c，& w = o \\\\ "
            "\\hat{y}_w v_c，& w \\neq o \\end{cases}$$\n")
    assert verdicts(text) == {"naive.v_c": "correct", "naive.u_o": "correct", "naive.u_w": "correct"}


def test_layout_html_around_math_is_not_ocr_text():
    text = ("## Naive softmax\n\nThe loss is cross-entropy.<span class=\"marginnote\">**Answer.** "
            "$\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)$</span> More prose.\n")
    assert verdicts(text) == {"naive.v_c": "correct"}
    from gradkey.verify.read.extract import HTML_TAG
    assert not HTML_TAG.search("$a<b and c>d$") and not HTML_TAG.search("x<sub>2</sub>")


def test_restructuredtext_math():
    """Sphinx: the :math:`…` role is inline math, the .. math:: directive's indented body a display."""
    text = ("Trace\n-----\n\n:math:`\\nabla_X \\operatorname{tr}(AX) = A^T`\n\nQuadratic\n---------\n\n"
            ".. math::\n   :label: eq-quad\n\n   \\nabla_x (x^T A x) = 2 A x\n\nMore prose.\n")
    got = {q: r.verdict for q, r in summarise(answers_for(text, Policy(), problem_set("matcalc"))).items()}
    assert got == {"matcalc.trace": "correct", "matcalc.quadratic": "incorrect"}
    from gradkey.verify.read.extract import _rst_math_blocks
    assert _rst_math_blocks(text).count("\n") == text.count("\n")       # lines stay
