"""Does the derived truth agree with the closed forms and with numerical
differentiation? The checks behind ``gradkey derive`` and the property tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradkey.derive import Instance, Question, derivation
from gradkey.derive.problems import ClosedForm

from gradkey.verify.numerics.compare import EPS, Comparison, compare
from gradkey.verify.numerics.numdiff import (central_difference, central_difference_estimated, complex_step,
                                             mp_derivative)


@dataclass(frozen=True)
class Check:
    what: str          # "closed form 1", "complex step", "central difference"
    loss: str
    comparison: Comparison


def loss_of_parameter(q: Question, inst: Instance, loss: str):
    """(f, x0): the loss as a function of the parameter the question reads."""
    der = derivation(loss, inst.dims)
    if q.wrt == "x":
        return (lambda x: der.loss(inst.replace(x=x[()]))), np.array(float(inst.x))
    if q.wrt == "U":
        return (lambda U: der.loss(inst.replace(U=U))), np.asarray(inst.U, dtype=float)
    if q.wrt == "V":
        return (lambda V: der.loss(inst.replace(V=V))), np.asarray(inst.V, dtype=float)

    def of_v_c(v):
        V = np.asarray(inst.V).astype(np.result_type(inst.V, v))
        V[:, inst.c] = v
        return der.loss(inst.replace(V=V))
    return of_v_c, np.asarray(inst.v_c, dtype=float)


def loss_scales(inst: Instance, loss: str) -> tuple[float, float]:
    """(F, M3): evaluating J carries a rounding error of at most eps*F, and
    M3 bounds its third derivative along any one coordinate.

    J is a sum of terms (-s_o, a log-sum-exp or log sigma per window word and
    sample) that may cancel, so its rounding error scales with the magnitude
    of the terms, not of J: each term is at most d*big^2 + log W + 1 (a score
    plus the log of a sum of W exponentials), and a log-sum-exp of W terms
    takes about W + 10 rounded operations. J depends on each coordinate
    through scores that are linear in it with coefficients at most ``big``;
    log sigma and log-sum-exp have third derivatives at most 1 along one
    score, and (2 big)^3 bounds a log-sum-exp's directional third derivative.
    """
    big = max(float(np.max(np.abs(inst.U))), float(np.max(np.abs(inst.V))), abs(float(inst.x)), 1.0)
    if loss == "sigmoid":
        return 16.0, 1.0
    n_terms = (inst.dims.K + 2) * inst.dims.window + 1
    term = inst.dims.d * big * big + np.log(inst.dims.W) + 1.0
    return (inst.dims.W + 10) * n_terms * term, n_terms * (2 * big) ** 3


def numeric_gradient(q: Question, inst: Instance, loss: str, method: str = "complex"):
    """The question's answer by numerical differentiation: (value, extra error bound)."""
    f, x0 = loss_of_parameter(q, inst, loss)
    if method == "complex":
        return q.select(complex_step(f, x0), inst), 0.0
    f_scale, third = loss_scales(inst, loss)
    grad, bound = central_difference(lambda x: float(np.real(f(x))), x0, f_scale, third)
    return q.select(grad, inst), q.select(bound, inst)


def reference_entry(q: Question, inst: Instance, loss: str, index: tuple):
    """One entry of the parameter gradient at 50 digits (mpmath)."""
    der = derivation(loss, inst.dims)
    if q.wrt == "U":
        f = lambda U: der.loss_mp(inst.replace(U=U))  # noqa: E731
        return mp_derivative(f, inst.U, index)
    if q.wrt == "x":
        return mp_derivative(lambda x: der.loss_mp(inst.replace(x=x[()])), np.array(float(inst.x)), ())
    raise NotImplementedError("reference entries are implemented for U and x")


def check_closed_form(q: Question, form: ClosedForm, inst: Instance, loss: str) -> Comparison:
    return compare(q.truth(inst, loss), form.evaluate(inst, loss=loss), scale=inst.error_scale())


def check_question(q: Question, inst: Instance, central: bool = True) -> list[Check]:
    """Every closed form and numerical differentiation against the truth."""
    if hasattr(q, "problem") and q.problem is not None:      # a problem file's question
        return check_generic_question(q, inst, central)
    checks = []
    scale = inst.error_scale()
    for loss in q.losses:
        truth = q.truth(inst, loss)
        for n, form in enumerate(q.closed_forms, 1):
            checks.append(Check(f"closed form {n}", loss, check_closed_form(q, form, inst, loss)))
        value, _ = numeric_gradient(q, inst, loss, "complex")
        checks.append(Check("complex step", loss, compare(truth, value, scale=scale)))
        if central:
            value, bound = numeric_gradient(q, inst, loss, "central")
            checks.append(Check("central difference", loss, compare(truth, value, scale=scale, extra=bound)))
    return checks


# -- problem files ------------------------------------------------------------------------
# A question of a problem file (derive.problemfile.GenericQuestion) reads the
# gradient of its loss by one symbol or definition (or the Hessian), then a part
# of it. Complex step applies only where the loss is analytic at the instance
# (no relu/abs/max/indicator evaluated); central differences always, with an
# a-posteriori error estimate (no f''' bound is known for an arbitrary loss).

def _generic_loss(q, inst):
    """(f, x0): the loss as a function of the array the question differentiates."""
    loss = q.problem.loss(q.loss).expr
    x0 = np.asarray(inst.value(q.wrt), dtype=float)
    return (lambda x: inst.replace(**{q.wrt: x}).evaluate(loss)), x0


def generic_numeric(q, inst, method: str = "complex"):
    """The question's answer by numerical differentiation: (value, extra error
    bound), or (None, None) when complex step does not apply."""
    from gradkey.derive.draw import analytic
    from gradkey.derive.truth import select_part
    f, x0 = _generic_loss(q, inst)
    scale = inst.error_scale()
    is_analytic = analytic(inst, q.loss)
    if method == "complex" and not is_analytic:
        return None, None
    if q.order == 1:
        if method == "complex":
            return select_part(q, complex_step(f, x0), inst), 0.0
        grad, bound = central_difference_estimated(lambda x: float(np.real(f(x))), x0, scale)
        return select_part(q, grad, inst), select_part(q, bound, inst)
    # a Hessian: differences of the gradient (by complex step where analytic)
    # the outer differences see the inner gradient's own error as noise: its
    # bound (not ε times the loss) is the rounding scale of one evaluation
    if method == "complex":
        g = lambda x: complex_step(f, x)  # noqa: E731
        noise = EPS * scale * max(1.0, float(np.max(np.abs(x0))))
    else:
        inner = lambda x: central_difference_estimated(lambda z: float(np.real(f(z))), x, scale)  # noqa: E731
        g = lambda x: inner(x)[0]  # noqa: E731
        noise = 4 * float(np.max(inner(x0)[1]))
    return central_difference_estimated(g, x0, noise / EPS)


def check_generic_question(q, inst, central: bool = True) -> list[Check]:
    checks = []
    scale = inst.error_scale()
    truth = q.truth(inst)
    for n, form in enumerate(q.closed_forms, 1):
        checks.append(Check(f"closed form {n}", q.loss, compare(truth, form.evaluate(inst), scale=scale)))
    value, extra = generic_numeric(q, inst, "complex")
    if value is not None:
        checks.append(Check("complex step", q.loss, compare(truth, value, scale=scale, extra=extra)))
    if central or value is None:
        value, bound = generic_numeric(q, inst, "central")
        checks.append(Check("central difference", q.loss, compare(truth, value, scale=scale, extra=bound)))
    return checks
