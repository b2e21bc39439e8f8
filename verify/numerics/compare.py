"""One comparison routine, with a tolerance model taken from the numerics.

Two arrays agree when they have the same shape, are finite where the
expected one is, and differ by no more than the error their evaluation can
carry. For two float64 evaluations of exact formulas that error is a small
multiple of ε times the magnitude of the *terms* that were summed, not of the
result (a gradient such as Σ_w ŷ_w u_w − u_o can be small while its terms are
not); an instance's ``error_scale()`` bounds that magnitude. Methods with their own
error (central differences) pass their bound in ``extra``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPS = np.finfo(float).eps
#: Relative rounding allowance for float64 formulas with a few dozen
#: operations per entry: 64 ulps of the term magnitude.
ROUNDING = 64 * EPS


@dataclass(frozen=True)
class Comparison:
    agree: bool
    reason: str            # "" when they agree, else "shape", "non-finite" or "value"
    expected_shape: tuple
    got_shape: tuple
    max_error: float = 0.0
    bound: float = 0.0
    worst: tuple | None = None  # index of the entry with the largest error

    def __bool__(self) -> bool:
        return self.agree

    def describe(self) -> str:
        if self.agree:
            return f"agree (max error {self.max_error:.2e} <= bound {self.bound:.2e})"
        if self.reason == "shape":
            return f"shape {self.got_shape} where {self.expected_shape} is expected"
        if self.reason == "non-finite":
            return f"non-finite value at entry {self.worst}"
        return f"differ by {self.max_error:.3g} at entry {self.worst} (bound {self.bound:.2e})"


def compare(expected, got, *, scale: float = 1.0, rtol: float = ROUNDING, extra=0.0) -> Comparison:
    """Compare ``got`` with ``expected``.

    ``scale`` bounds the magnitude of the terms that were summed (at least
    1); ``rtol`` is the relative error per unit of magnitude; ``extra`` is an
    additional absolute error bound (scalar or per entry) of a method such as
    finite differences.
    """
    e = np.asarray(expected)
    g = np.asarray(got)
    if e.shape != g.shape:
        return Comparison(False, "shape", e.shape, g.shape)
    # the same arithmetic as np.max/np.all, through the array methods and without copying
    # arrays that are already float: the checker compares every answer at every instance
    e = np.asarray(e, dtype=float)
    if np.iscomplexobj(g):
        g = np.real(g)
    g = np.asarray(g, dtype=float)
    if e.size and not isinstance(extra, np.ndarray):
        # the common case, an agreement within one scalar bound, in few array passes (the
        # checker compares every answer at every instance): g's largest magnitude is finite
        # only when every entry of g is
        g_max = float(np.abs(g).max())
        if math.isfinite(g_max):
            magnitude = max(float(scale), float(np.abs(e).max()), g_max)
            err = np.abs(g - e)
            flat = int(err.argmax())
            largest, bound = float(err.flat[flat]), rtol * magnitude + float(extra)
            if largest <= bound:
                worst = divmod(flat, e.shape[1]) if e.ndim == 2 else \
                    tuple(int(i) for i in np.unravel_index(flat, e.shape))
                return Comparison(True, "", e.shape, g.shape, largest, bound, worst)
    bad = np.isfinite(e) & ~np.isfinite(g)
    if bad.any():
        return Comparison(False, "non-finite", e.shape, g.shape, np.inf, 0.0,
                          tuple(int(i) for i in np.argwhere(bad)[0]))
    magnitude = max(float(scale), float(np.abs(e).max(initial=0.0)), float(np.abs(g).max(initial=0.0)))
    err = np.abs(g - e)
    bound = rtol * magnitude + np.asarray(extra, dtype=float)
    excess = err - bound
    worst = tuple(int(i) for i in np.unravel_index(excess.argmax(), e.shape)) if e.ndim else ()
    ok = bool((excess <= 0).all())
    return Comparison(ok, "" if ok else "value", e.shape, g.shape, float(err.max(initial=0.0)),
                      float(bound.max(initial=0.0)), worst)
