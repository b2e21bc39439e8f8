"""The reader never crashes, never executes anything, and always finishes:
random and hostile strings give a parse or a ReadError within a time bound,
and whole documents give a report."""
import pytest
from hypothesis import given, strategies as st

from helpers import time_limit
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse
from gradkey.verify.check.answers import answers_for as answers_in, summarise  # the default set (word2vec)

LATEXISH = st.lists(st.sampled_from(list("\\{}()[]^_+-=*/,.&|$ 0123456789abcoukvwxyTUVWJLFσΣ∂ŷᵀ−") + [
    r"\frac", r"\sum", r"\sigma", r"\hat{y}", r"\left(", r"\right)", r"\partial", r"\begin{cases}",
    r"\end{cases}", r"\\", r"\boxed{", r"\text{", "u_o", "v_c", "^T", r"\log", r"\exp"]), max_size=80).map("".join)

HOSTILE = [
    "(" * 5000 + ")" * 5000,
    r"\frac{" * 300 + "1" + "}{2}" * 300,
    r"\sum_{k=1}^{10^{12}} u_k",
    r"\sum_{w}\sum_{x}\sum_{y}\sum_{z}\sum_{q}\sum_{r} u_w",
    r"e^{e^{e^{e^{e^{e^{1000}}}}}}",
    r"10^{10^{10^{10}}}",
    "__import__('os').system('echo pwned')",
    "eval(compile('1','x','eval'))",
    r"\input{/etc/passwd}",
    r"\def\x{\x}\x",
    "x" * 30000,
    "$$" * 1000,
    r"\sigma(" * 200,
    "\x00\x01\x02",
    "u_" * 500,
]


@given(LATEXISH)
def test_parse_returns_or_refuses(text):
    with time_limit(2):
        try:
            parse(text)
        except ReadError:
            pass


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_expressions_are_refused_or_read_quickly(text):
    with time_limit(2):
        try:
            parse(text)
        except ReadError as exc:
            assert "could not read" in str(exc)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_documents_are_judged_quickly(text):
    doc = f"2(b) naive softmax\n\n$$\\frac{{\\partial J}}{{\\partial v_c}} = {text}$$\n"
    with time_limit(10):
        result = summarise(answers_in(doc))
    assert all(r.verdict != "correct" for r in result.values())


@given(st.lists(LATEXISH, max_size=5))
def test_random_documents_never_crash_the_checker(parts):
    doc = "\n\n".join(f"$$\\frac{{\\partial J}}{{\\partial u_o}} = {p}$$" for p in parts)
    with time_limit(10):
        summarise(answers_in(doc))


def test_the_reader_does_not_execute_text(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(ReadError):
        parse(text)
    summarise(answers_in(f"$$\\frac{{\\partial J}}{{\\partial v_c}} = {text}$$"))
    assert not marker.exists()
