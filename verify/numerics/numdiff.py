"""Numerical differentiation of a scalar function of an array.

Three methods, each with its own error model:

* :func:`complex_step`: Im f(x + ih e_j) / h. No subtraction, so no
  cancellation: with h = 1e-20 the truncation error (h² f'''/6) is far below
  rounding and the result is as accurate as an analytic derivative. Needs f
  to be real-analytic and written with complex-safe operations.
* :func:`central_difference`: (f(x+h) - f(x-h)) / 2h with h chosen to
  balance truncation (h^2 |f'''| / 6) against rounding (eps F / h, where
  eps F bounds the error of one evaluation of f): h = (3 eps F / |f'''|)^(1/3).
  Returns the error bound along with the value.
* :func:`mp_derivative`: one coordinate at high precision with mpmath, the
  reference the other two are measured against.
"""
from __future__ import annotations

from typing import Callable

import mpmath
import numpy as np

EPS = np.finfo(float).eps


def complex_step(f: Callable, x: np.ndarray, h: float = 1e-20) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    xc = x.astype(complex)
    for j in np.ndindex(x.shape):
        xc[j] = complex(x[j], h)
        grad[j] = np.imag(f(xc)) / h
        xc[j] = x[j]
    return grad


def central_step(f_scale: float, third_scale: float, x: float) -> float:
    """The step minimising h^2 M3/6 + eps F/h (eps F bounds the rounding
    error of one evaluation of f, M3 its third derivative), made exactly
    representable relative to x so that (x+h) - (x-h) = 2h."""
    h = (3 * EPS * max(f_scale, 1e-300) / max(third_scale, 1e-300)) ** (1 / 3)
    h = max(h, EPS ** (1 / 3) * 1e-3)
    return (x + h) - x


def central_difference(f: Callable, x: np.ndarray, f_scale: float = 1.0,
                       third_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of f at x by central differences, and a bound on its error per
    entry. ``EPS * f_scale`` bounds the rounding error of one evaluation of
    f near x and ``third_scale`` its third derivative along each coordinate;
    both come from the caller's knowledge of f (``consistency.loss_scales``)."""
    x = np.asarray(x, dtype=float)
    grad, bound = np.empty_like(x), np.empty_like(x)
    xp = x.copy()
    for j in np.ndindex(x.shape):
        h = central_step(f_scale, third_scale, x[j])
        xp[j] = x[j] + h
        f_plus = f(xp)
        xp[j] = x[j] - h
        f_minus = f(xp)
        xp[j] = x[j]
        grad[j] = (f_plus - f_minus) / (2 * h)
        # truncation + the rounding errors of the two evaluations (eps F each)
        bound[j] = h * h * third_scale / 6 + EPS * f_scale / h   # |δf₊ − δf₋| / 2h ≤ 2εF / 2h
    return grad, bound


def mp_derivative(f_mp: Callable, x: np.ndarray, index: tuple, dps: int = 50):
    """∂f/∂x[index] at x in mpmath arithmetic with ``dps`` digits; f_mp takes
    an object array of mpf values."""
    with mpmath.workdps(dps):
        base = np.array([mpmath.mpf(float(v)) for v in np.asarray(x, dtype=float).ravel()],
                        dtype=object).reshape(np.shape(x))

        def along(t):
            y = base.copy()
            y[index] = base[index] + t
            return f_mp(y)
        return mpmath.diff(along, 0)


def central_difference_estimated(f: Callable, x: np.ndarray, f_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of f (scalar- or array-valued) at x when no bound
    on f''' is known (problem files): the step is ε^(1/3)·max(1, |x_j|), the
    truncation error is estimated a posteriori from the steps h and 2h
    (D(2h) − D(h) ≈ 3ch², so |D(2h) − D(h)|/3 estimates D(h)'s error; twice
    that is allowed), plus the rounding of two evaluations, 2εF/2h, where
    ``EPS * f_scale`` bounds one evaluation's rounding error. Returns the
    derivative (shape x.shape + f's shape) and the error bound per entry.
    Valid away from kinks (instances keep a margin much larger than 2h)."""
    x = np.asarray(x, dtype=float)
    f0 = np.asarray(f(x), dtype=float)
    grad = np.empty(x.shape + f0.shape)
    bound = np.empty(x.shape + f0.shape)
    xp = x.copy()

    def diff(j, h):
        xp[j] = x[j] + h
        plus = np.asarray(f(xp), dtype=float)
        xp[j] = x[j] - h
        minus = np.asarray(f(xp), dtype=float)
        xp[j] = x[j]
        return (plus - minus) / (2 * h)
    for j in np.ndindex(x.shape):
        h = (x[j] + EPS ** (1 / 3) * max(1.0, abs(x[j]))) - x[j]
        d1, d2 = diff(j, h), diff(j, 2 * h)
        grad[j] = d1
        bound[j] = 2 * np.abs(d2 - d1) / 3 + 2 * EPS * f_scale / h
    return grad, bound
