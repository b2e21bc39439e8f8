"""Unit tests of the comparison routine and numerical differentiation."""
import numpy as np
import pytest

from gradkey.verify.numerics.compare import ROUNDING, compare
from gradkey.verify.numerics.numdiff import EPS, central_difference, complex_step, mp_derivative


def test_compare_reports_shape_mismatch():
    c = compare(np.zeros(3), np.zeros((3, 1)))
    assert not c and c.reason == "shape" and "shape (3, 1)" in c.describe()


def test_compare_reports_non_finite():
    c = compare(np.ones(3), np.array([1.0, np.inf, 1.0]))
    assert not c and c.reason == "non-finite" and c.worst == (1,)


def test_compare_tolerance_scales_with_term_magnitude():
    # a result near 0 from terms near 1e3: rounding error ~ 1e3 * eps is fine...
    assert compare(np.array([0.0]), np.array([1e3 * EPS]), scale=1e3)
    # ...but not when the terms were small
    assert not compare(np.array([0.0]), np.array([1e3 * EPS]), scale=1.0)


def test_compare_finds_the_worst_entry():
    c = compare(np.zeros((2, 3)), np.array([[0, 0, 0], [0, 1e-3, 0]]))
    assert not c and c.worst == (1, 1) and c.max_error == pytest.approx(1e-3)


def test_complex_step_is_exact_to_rounding():
    x = np.array([0.3, -1.2, 2.0])
    f = lambda v: np.sum(np.exp(v) * np.sin(v))  # noqa: E731
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    assert np.all(np.abs(complex_step(f, x) - exact) <= 4 * EPS * np.abs(exact))


def test_central_difference_error_is_within_its_bound():
    x = np.array([0.5, -2.0, 3.0])
    f = lambda v: float(np.sum(np.log1p(np.exp(v))))  # noqa: E731  softplus: |f'''| <= 0.1
    exact = 1 / (1 + np.exp(-x))
    grad, bound = central_difference(f, x, f_scale=f(x) + 1, third_scale=0.1)
    assert np.all(np.abs(grad - exact) <= bound)
    assert np.all(bound < 1e-8)  # and the bound is tight enough to be useful


def test_mp_derivative_has_many_digits():
    import mpmath
    x = np.array([0.7])
    d = mp_derivative(lambda v: mpmath.exp(v[0]) * mpmath.sin(v[0]), x, (0,))
    with mpmath.workdps(50):
        exact = mpmath.exp(mpmath.mpf(0.7)) * (mpmath.sin(mpmath.mpf(0.7)) + mpmath.cos(mpmath.mpf(0.7)))
        assert abs(d - exact) < mpmath.mpf(10) ** -40


def test_rounding_allowance_is_a_few_dozen_ulps():
    assert ROUNDING == 64 * EPS
