"""Hypothesis strategies for instances (model: hypothesis.extra.numpy).

Strategies are values: compose them, or pass your own element strategy.

    from hypothesis import given
    from gradkey.verify import strategies as gst

    @given(gst.instances(needs="repeated"))
    def test_my_gradient(inst): ...
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradkey.derive.signature import Dims, Instance

from gradkey.verify.numerics.instances import VALUE_RANGE

#: Well-conditioned values: scores stay moderate, σ and softmax unsaturated.
def values(scale: float = VALUE_RANGE) -> st.SearchStrategy[float]:
    return st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def dims(d=st.integers(1, 5), W=st.integers(2, 7), K=st.integers(1, 4), m=st.integers(1, 3)) -> st.SearchStrategy[Dims]:
    """Dimension tuples; d = W and d != W both occur, d = 1 included."""
    return st.builds(Dims, d=d, W=W, K=K, m=m)


def _word_other_than(W: int, avoid: int) -> st.SearchStrategy[int]:
    return st.integers(0, W - 2).map(lambda w: w + (w >= avoid))


@st.composite
def _samples(draw, W: int, K: int, avoid: int, needs: str = ""):
    word = _word_other_than(W, avoid)
    if needs == "distinct":
        return tuple(draw(st.lists(word, min_size=K, max_size=K, unique=True)))
    drawn = draw(st.lists(word, min_size=K, max_size=K))
    if needs == "repeated":
        # force the word at position 0 to be drawn again somewhere else
        j = draw(st.integers(1, K - 1))
        drawn[j] = drawn[0]
    return tuple(drawn)


def _dims_for(needs: str, base: st.SearchStrategy[Dims]) -> st.SearchStrategy[Dims]:
    if needs == "distinct":
        return base.filter(lambda d: d.K <= d.W - 1)
    if needs == "repeated":
        return base.filter(lambda d: d.K >= 2)
    return base


@st.composite
def instances(draw, dims: st.SearchStrategy[Dims] | None = None, needs: str = "",
              elements: st.SearchStrategy[float] | None = None) -> Instance:
    """Instances: indices anywhere (0 and W-1 included), negative samples
    with repeats unless ``needs="distinct"``, a repeat forced at k when
    ``needs="repeated"``, windows whose words may repeat."""
    dm = draw(_dims_for(needs, dims if dims is not None else globals()["dims"]()))
    elements = elements if elements is not None else values()
    d, W, K = dm.d, dm.W, dm.K
    matrix = hnp.arrays(float, (d, W), elements=elements)
    V, U = draw(matrix), draw(matrix)
    c, o = draw(st.integers(0, W - 1)), draw(st.integers(0, W - 1))
    samples = draw(_samples(W, K, o, needs))
    window = tuple(draw(st.lists(st.integers(0, W - 1), min_size=dm.window, max_size=dm.window)))
    return Instance(
        dims=dm, x=draw(st.floats(-6, 6)), V=V, U=U, c=c, o=o, w=draw(_word_other_than(W, o)),
        samples=samples, k=0 if needs == "repeated" else draw(st.integers(0, K - 1)), window=window,
        window_samples=tuple(draw(_samples(W, K, j)) for j in window), v=draw(_word_other_than(W, c)),
    )


# -- problem files -------------------------------------------------------------------

def problem_dims(problem, choices: list | None = None) -> st.SearchStrategy[dict]:
    """Dimension tuples of a problem file: any sizes within each dimension's
    [min, max], or one of ``choices`` (each new tuple costs one derivation)."""
    if choices:
        return st.sampled_from([dict(c) for c in choices])
    return st.fixed_dictionaries({d.name: st.integers(d.min, d.max) for d in problem.dims})


def _premise_fits(problem, question, dm: dict) -> bool:
    from gradkey.derive import draw as dr
    try:
        dr.draw(problem, np.random.default_rng(0), dm, question)
    except dr.InstanceError:
        return False
    return True


@st.composite
def _problem_labels(draw, s, dm: dict, vals: dict, question=None):
    """A label array in range(s.range_) that avoids what ``distinct_from``
    names: a scalar label everywhere, a label array row by row
    (window_samples[j, :] avoids window[j]), as derive.draw does."""
    shape = tuple(dm[d] for d in s.shape)
    everywhere = {int(vals[o]) for o in s.distinct_from if o in vals and np.ndim(vals[o]) == 0}
    rowwise = [np.asarray(vals[o]) for o in s.distinct_from if o in vals and np.ndim(vals[o]) > 0]
    lead = max((a.ndim for a in rowwise), default=0)
    out = np.zeros(shape, dtype=int)
    for block in np.ndindex(shape[:lead]):
        avoid = everywhere | {int(a[block[:a.ndim]]) for a in rowwise}
        allowed = [k for k in range(dm[s.range_]) if k not in avoid] or [0]
        size = int(np.prod(shape[lead:])) if shape[lead:] else 1
        labels = draw(st.lists(st.sampled_from(allowed), min_size=size, max_size=size))
        if question is not None and s.name in question.repeated and size >= 2:
            labels[1] = labels[0]
        out[block] = np.asarray(labels, dtype=int).reshape(shape[lead:])
    return out


@st.composite
def problem_instances(draw, problem, question=None, dims: st.SearchStrategy[dict] | None = None,
                      elements: st.SearchStrategy[float] | None = None):
    """Instances of a problem file meeting its premises and the question's
    (branch condition, distinct/repeated labels), away from kinks. Values come
    from Hypothesis; when they fall near a kink or miss a premise that a
    redraw cannot fix, the instance is redrawn from a NumPy generator seeded
    by Hypothesis (so runs stay reproducible and no examples are filtered)."""
    from gradkey.derive import draw as dr
    dims = dims if dims is not None else problem_dims(problem)
    if question is not None:   # a repeated sample needs K >= 2: only dims where the premise can hold
        dims = dims.filter(lambda dm: _premise_fits(problem, question, dm))
    dm = draw(dims)
    elements = elements if elements is not None else values()
    seed = draw(st.integers(0, 2 ** 32 - 1))
    vals = {}
    for v in problem.indices:
        vals[v.name] = draw(st.integers(0, dm[v.dim] - 1))
    for s in problem.symbols:
        if s.role == "label":
            continue
        shape = tuple(dm[d] for d in s.shape)
        raw = draw(hnp.arrays(float, shape, elements=elements))
        vals[s.name] = dr.shape_premise(raw, s.premises, VALUE_RANGE)
    for s in problem.symbols:
        if s.role != "label":
            continue
        vals[s.name] = draw(_problem_labels(s, dm, vals, question))
    inst = dr.GenericInstance(problem, dm, vals)
    rng = np.random.default_rng(seed)
    if question is not None and question.where is not None:
        inst = dr._meet_where(rng, question, inst) or inst
    losses = [question.loss] if question is not None else [l.name for l in problem.loss_decls]
    ok = (question is None or dr.satisfies(question, inst)) and all(
        not dr.may_kink(problem, l) or inst.kink_margin(l) >= dr.KINK_MARGIN for l in losses)
    return inst if ok else dr.draw(problem, rng, dm, question)
