"""Soundness of judging: equivalent rewrites of a correct answer are correct;
mutations of it are never called correct, by the checker on
derive/problems/word2vec.toml.

Answers are generated as LaTeX text from correct forms by composable rewrite
rules (aliases, σ(x) ↔ 1 − σ(−x), σ as a fraction, reordered terms,
transposed scalars, brackets, TeX spellings) and then, for the mutation
property, one mutation (sign flip, dropped factor, σ argument negated,
u_o ↔ u_k, an extra outer product, index swap, the other branch's answer).
"""
import re

from hypothesis import assume, given, strategies as st

import pytest

from gradkey.derive import problem_set
from gradkey.verify.check import sets
from gradkey.verify.check.answers import Policy
from gradkey.verify.read.extract import _split_top
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for

WORD2VEC = problem_set("word2vec")

# question -> (target subjects, correct forms)
CORRECT = {
    "sigmoid.grad": ((), [r"\sigma(x)(1-\sigma(x))", r"\sigma(x)-\sigma(x)^2", r"\frac{e^{-x}}{(1+e^{-x})^2}"]),
    "naive.v_c": ((), [r"U(\hat{y}-y)", r"-u_o+\sum_{w=1}^{W}\hat{y}_w u_w", r"\sum_{w}\hat{y}_w(u_w-u_o)"]),
    "naive.u_o": ((), [r"(\hat{y}_o-1)v_c", r"-(1-\hat{y}_o)v_c", r"v_c(\hat{y}_o-1)"]),
    "naive.u_w": ((("w", "w"),), [r"\hat{y}_w v_c", r"v_c\hat{y}_w",
                                  r"\frac{\exp(u_w^T v_c)}{\sum_{x=1}^{W}\exp(u_x^T v_c)} v_c"]),
    "naive.U": ((), [r"v_c(\hat{y}-y)^T"]),
    "neg.v_c": ((), [r"-(1-\sigma(u_o^T v_c))u_o+\sum_{k=1}^{K}(1-\sigma(-u_k^T v_c))u_k",
                     r"(\sigma(u_o^T v_c)-1)u_o+\sum_{k=1}^{K}\sigma(u_k^T v_c)u_k"]),
    "neg.u_o": ((), [r"(\sigma(u_o^T v_c)-1)v_c", r"-(1-\sigma(u_o^T v_c))v_c"]),
    "neg.u_k": ((("k", "k"),), [r"\sigma(u_k^T v_c)v_c", r"(1-\sigma(-u_k^T v_c))v_c"]),
    "neg.u_k_repeated": ((("k", "k"),), [r"n_k\sigma(u_k^T v_c)v_c", r"n_k(1-\sigma(-u_k^T v_c))v_c"]),
}


def sigma_spans(text):
    """(start, end) of each \\sigma( … ) with balanced parentheses."""
    spans = []
    for m in re.finditer(r"\\sigma\(", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += text[i] == "("
            depth -= text[i] == ")"
            i += 1
        spans.append((m.start(), i))
    return spans


def rewrite_sigma(text, which, how):
    spans = sigma_spans(text)
    if not spans:
        return text
    s, e = spans[which % len(spans)]
    arg = text[s + len(r"\sigma("):e - 1]
    new = {"complement": rf"(1-\sigma(-({arg})))", "fraction": rf"\frac{{1}}{{1+e^{{-({arg})}}}}"}[how]
    return text[:s] + new + text[e:]


def reorder(text):
    parts = _split_top(text, "+")
    if len(parts) < 2 or not all(p.strip() for p in parts):
        return text
    return "+".join(parts[1:] + parts[:1])


REWRITES = {
    "u_o alias": lambda t, r: t.replace("u_o", r.choice(["u_0", "u_O", "u_{o}", r"\mathbf{u}_o"])),
    "v_c alias": lambda t, r: t.replace("v_c", r.choice([r"\nu_c", "v_{c}", r"\boldsymbol{v}_c"])),
    "transpose spelling": lambda t, r: t.replace("^T", r.choice([r"^\top", "^{T}", r"^{\top}", r"^\intercal"])),
    "sigma complement": lambda t, r: rewrite_sigma(t, r.randint(0, 3), "complement"),
    "sigma fraction": lambda t, r: rewrite_sigma(t, r.randint(0, 3), "fraction"),
    "reorder terms": lambda t, r: reorder(t),
    "scalar transposed": lambda t, r: re.sub(r"u_([ok])\^T v_c", r"v_c^T u_\1", t),
    "times one": lambda t, r: r"1\cdot\left(" + t + r"\right)",
    "hat spelling": lambda t, r: t.replace(r"\hat{y}", r"\widehat{y}"),
    "cdot": lambda t, r: t.replace(")v_c", r")\cdot v_c"),
}


SCALAR_QUESTIONS = {"sigmoid.grad"}


def brackets(t, r):
    opener = r.choice([r"\left(", "[", r"\left["])
    closer = {r"\left(": r"\right)", "[": "]", r"\left[": r"\right]"}[opener]
    return opener + t + closer


REWRITES["brackets"] = brackets
REWRITES["plus zero"] = lambda t, r: t + "+0"


MUTATIONS = {
    "sign flip": lambda t, q: "-(" + t + ")",
    "dropped v_c": lambda t, q: _drop_last(t, "v_c") if q not in ("sigmoid.grad", "naive.v_c", "neg.v_c") else None,
    "sigma negated": lambda t, q: t.replace(r"\sigma(", r"\sigma(-", 1) if r"\sigma(" in t else None,
    "u_o to u_k": lambda t, q: t.replace("u_o", "u_k") if "u_o" in t and q.startswith("neg") else None,
    "u_k to u_o": lambda t, q: t.replace("u_k", "u_o") if "u_k" in t else None,
    "extra outer product": lambda t, q: "(" + t + r")v_c^T" if q != "sigmoid.grad" else None,
    "index swap": lambda t, q: (t.replace(r"\hat{y}_o", r"\hat{y}_w") if r"\hat{y}_o" in t
                                else t.replace(r"\hat{y}_w", r"\hat{y}_o") if q == "naive.u_w" else None),
    "dropped -1": lambda t, q: t.replace("-1)", ")", 1) if "-1)" in t else None,
    "repeats dropped": lambda t, q: t.replace("n_k", "", 1) if "n_k" in t else None,
}

BRANCH_SWAP = {"naive.u_o": "naive.u_w", "naive.u_w": "naive.u_o", "neg.u_o": "neg.u_k", "neg.u_k": "neg.u_o"}


def _drop_last(t, factor):
    i = t.rfind(factor)
    return None if i < 0 else t[:i] + t[i + len(factor):]


@st.composite
def rewritten(draw):
    qid = draw(st.sampled_from(sorted(CORRECT)))
    subjects, forms = CORRECT[qid]
    text = draw(st.sampled_from(forms))
    rnd = draw(st.randoms(use_true_random=False))
    names = draw(st.lists(st.sampled_from(sorted(REWRITES)), max_size=4))
    for name in names:
        if name == "plus zero" and qid not in SCALAR_QUESTIONS:
            continue
        text = REWRITES[name](text, rnd)
    return qid, subjects, text, names


def _file_driven(qid, subjects, text):
    # the question's own letters (w, k) are the file's: the target needs no subjects
    node, _ = parse(text, notation_for(WORD2VEC))
    return sets.judge(node, sets.SetTarget(qid), sets.Context(WORD2VEC, answered={}), Policy()).verdict


CHECKERS = {"file-driven": _file_driven}
checker = pytest.mark.parametrize("verdict", list(CHECKERS.values()), ids=list(CHECKERS))


@checker
@given(rewritten())
def test_equivalent_rewrites_are_correct(verdict, case):
    qid, subjects, text, names = case
    assert verdict(qid, subjects, text) == "correct", (qid, text, names)


@checker
@given(rewritten(), st.sampled_from(sorted(MUTATIONS)))
def test_mutations_are_never_correct(verdict, case, mutation):
    qid, subjects, text, names = case
    mutated = MUTATIONS[mutation](text, qid)
    assume(mutated is not None and mutated != text)
    try:
        got = verdict(qid, subjects, mutated)
    except Exception as exc:  # a mutation may not even parse: that is not "correct" either
        assert type(exc).__name__ == "ReadError", exc
        return
    assert got != "correct", (qid, mutated, mutation, names)


@checker
@given(rewritten())
def test_the_other_branch_answer_is_not_correct(verdict, case):
    qid, subjects, text, names = case
    assume(qid in BRANCH_SWAP)
    other = BRANCH_SWAP[qid]
    other_subjects = CORRECT[other][0] or subjects
    # the answer for w = o judged as the answer for w != o (and vice versa)
    text_for_other = text.replace("_w", "_o") if qid == "naive.u_w" else text
    assert verdict(other, other_subjects, text_for_other) != "correct", (qid, other, text_for_other)
