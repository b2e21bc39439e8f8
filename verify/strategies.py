"""Hypothesis strategies for instances of a problem file (model: hypothesis.extra.numpy).

Strategies are values: compose them, or pass your own element strategy.

    from hypothesis import given
    from gradkey.verify import strategies as gst

    @given(gst.instances(needs="repeated"))              # the default problem set
    def test_my_gradient(inst): ...

    @given(gst.problem_instances(derive.problem_set("logreg"), dims=gst.problem_dims(ps, ps.check_dims)))

An instance is a ``derive.draw.GenericInstance``: ``inst.value(name)`` is a
symbol's, label's or definition's value, ``inst.dims`` the dimension sizes.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradkey.verify.numerics.instances import VALUE_RANGE


#: Well-conditioned values: scores stay moderate, σ and softmax unsaturated.
def values(scale: float = VALUE_RANGE) -> st.SearchStrategy[float]:
    return st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _default_problem(problem):
    from gradkey import derive      # SymPy loads when a strategy is built, not on import
    if problem is None:
        return derive.problem_set()
    return derive.problem_set(problem) if isinstance(problem, str) else problem


def dims(problem=None, **sizes) -> st.SearchStrategy[dict]:
    """Dimension dicts of ``problem`` (NAME|PATH, a loaded set, or None: the default
    set): each dimension any size within the file's [min, max], or drawn from the
    strategy given by its name (``dims(d=st.integers(1, 3), W=st.just(4))``). Each new
    tuple costs one derivation of the truth (disk-cached): keep the ranges small."""
    ps = _default_problem(problem)
    known = {d.name for d in ps.dims}
    unknown = sorted(set(sizes) - known)
    if unknown:
        raise ValueError(f"{ps.name!r} has no dimension {', '.join(unknown)} (its dimensions: {', '.join(sorted(known))})")
    return st.fixed_dictionaries({d.name: sizes.get(d.name, st.integers(d.min, d.max)) for d in ps.dims})


def instances(dims: st.SearchStrategy[dict] | None = None, needs: str = "",
              elements: st.SearchStrategy[float] | None = None, problem=None, question=None):
    """Instances of ``problem`` (None: the default set) meeting the premises of
    ``question`` (an id or a question), or of the first question whose labels
    must be ``needs`` ("distinct" or "repeated"); indices anywhere, away from kinks.
    ``dims``: a strategy of dimension dicts (:func:`dims`); None: the file's check
    dimensions (each new tuple costs a derivation)."""
    from gradkey.verify.numerics.instances import _question
    ps = _default_problem(problem)
    q = _question(ps, question, needs)
    if dims is None:
        dims = problem_dims(ps, ps.check_dims)
    return problem_instances(ps, q, dims=dims, elements=elements)


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
