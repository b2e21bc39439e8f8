"""Issue 13: extraction is linear and the parser never overflows the stack.
Each pathological input from the issue is fed whole, under a wall-clock bound
far below what the old quadratic/cubic regexes took (8.7 s, 28 s, 11.7 s)."""
import pytest

from helpers import time_limit
from gradkey.verify.check.answers import answers_for as answers_in, summarise  # the default set (word2vec)
from gradkey.verify.read import extract
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse

PATHOLOGICAL = {
    "dollars_then_spaces": ("$$1" + " " * 800) * 3,
    "8000_inline_on_one_line": "$a$" * 8000,
    "26k_unclosed_display": "\\[" * 26000,
    "26k_unclosed_inline_paren": "\\(" * 26000,
    "unclosed_env": "\\begin{aligned}" * 5000,
    "many_dollars": "$" * 50000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_extraction_is_linear_on_hostile_documents(name):
    with time_limit(3):
        extract.chains(PATHOLOGICAL[name])
        summarise(answers_in(PATHOLOGICAL[name]))


def test_extraction_scales_linearly():
    """Doubling the input at most roughly doubles the time (no quadratic term). CPU time, without
    the cyclic garbage collector, best of three: on CI one wall-clock run was 19× slower for 4×
    the input while the extractor is linear (0.046 / 0.184 s for 4000 / 16000 formulas alone)."""
    import gc
    import time

    def cost(n):
        best = float("inf")
        for _ in range(3):
            gc.collect()
            gc.disable()
            try:
                t = time.process_time()        # CPU time: other jobs on the machine do not count
                extract.chains("$a$ " * n)
                best = min(best, time.process_time() - t)
            finally:
                gc.enable()
        return best
    small, large = cost(4000), cost(16000)
    assert large < 12 * small + 0.05, (small, large)


DEEP = [
    "-" * 500 + "u_o",
    " - ".join(["u_o"] * 2) + "-" * 600 + "v_c",
    r"\log " * 1000 + "x",
    r"\exp " * 1000 + "x",
    r"\sigma(" * 400 + "x" + ")" * 400,
    "{" * 3000 + "x" + "}" * 3000,
    r"\sqrt{" * 100 + "x" + "}" * 100,
    r"\frac{1}{" * 400 + "x" + "}" * 400,
    "x^" * 2000 + "2",
]


@pytest.mark.parametrize("text", DEEP, ids=range(len(DEEP)))
def test_deep_input_is_refused_not_a_recursion_error(text):
    with time_limit(3):
        try:
            parse(text)
        except ReadError as exc:
            assert "could not read" in str(exc)


def test_a_deep_answer_costs_only_itself():
    """12 correct answers and one pathological one: the 12 keep their verdicts."""
    good = "\n\n".join([r"$$\frac{\partial J}{\partial v_c} = U(\hat y - y)$$",
                        r"$$\frac{d\sigma(x)}{dx} = \sigma(x)(1-\sigma(x))$$"] * 6)
    doc = good + "\n\n## Negative sampling\n\n$$\\frac{\\partial J}{\\partial u_o} = " + "-" * 500 + "u_o$$\n"
    with time_limit(10):
        result = summarise(answers_in(doc))
    assert result["naive.v_c"].verdict == "correct" and result["sigmoid.grad"].verdict == "correct"
    assert result["neg.u_o"].verdict in ("unparsed", "review")


def test_macro_expansion_is_bounded():
    with time_limit(3):
        doc = "$\\def\\x{\\x\\x}$\n\n$$\\frac{\\partial J}{\\partial v_c} = \\x$$"
        found = answers_in(doc)
    assert any(a.status == "unreadable" and "expand" in a.reason for a in found)
