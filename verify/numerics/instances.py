"""Seeded instances of a problem file: dimensions, indices and values drawn from a NumPy RNG.

The Hypothesis strategies (``verify.strategies``) draw the same kinds of
instances for property tests; this module is for the CLI and for judging,
where the same seed must give the same instances on every run. Both defer to
``derive/draw.py``, which knows the file's premises (labels that must differ,
repeat, stay in range; symmetric or positive-definite matrices) and keeps
instances away from kinks.
"""
from __future__ import annotations

import numpy as np

#: Values are drawn in [-VALUE_RANGE, VALUE_RANGE] (derive.draw.VALUE_RANGE, repeated here so
#: that importing the Hypothesis strategies does not load SymPy): scores stay moderate, σ
#: and softmax unsaturated, and a wrong answer differs visibly.
VALUE_RANGE = 1.5


def _problem(problem):
    from gradkey import derive
    if problem is None:
        return derive.problem_set()
    return derive.problem_set(problem) if isinstance(problem, str) else problem


def _question(ps, question=None, needs: str = ""):
    """The question whose premises an instance must meet: ``question`` (an id or a
    question), or else the first question of the set whose premise on its labels is
    ``needs`` ("distinct" or "repeated"); None for no question's premise."""
    if question is not None:
        return ps.question(question) if isinstance(question, str) else question
    if not needs:
        return None
    for q in ps.questions:
        if q.needs == needs:
            return q
    raise ValueError(f"no question of {ps.name!r} asks for {needs!r} labels "
                     f"(its premises: {sorted({q.needs for q in ps.questions if q.needs}) or 'none'})")


def random_instance(rng: np.random.Generator, dims: dict | None = None, needs: str = "",
                    scale: float = VALUE_RANGE, problem=None, question=None):
    """An instance of ``problem`` (NAME|PATH, a loaded set, or None: the default set)
    with values in [-scale, scale], meeting the premises of ``question`` (an id or a
    question) or of a question that needs ``needs`` ("distinct"/"repeated") labels.
    ``dims`` maps dimension names to sizes (None: the file's first check dimensions)."""
    from gradkey.derive.draw import draw
    ps = _problem(problem)
    return draw(ps, rng, dims, _question(ps, question, needs), scale=scale)


def seeded_instances(n: int, seed: int = 0, needs: str = "", dims=None, problem=None, question=None) -> list:
    """n reproducible instances, cycling through ``dims`` (a sequence of dimension
    dicts; None: the file's check dimensions). ``problem``, ``question`` and ``needs``
    as in :func:`random_instance`."""
    from gradkey.derive.draw import seeded
    ps = _problem(problem)
    return seeded(ps, n, seed, _question(ps, question, needs), dims=tuple(dims) if dims else None)
