"""Does the derived truth agree with the closed forms and with numerical
differentiation? The checks behind ``gradkey derive`` and the property tests.

A question of a problem file (derive.problemfile.GenericQuestion) reads the
gradient of its loss by one symbol or definition (or the Hessian), then a part
of it. Complex step applies only where the loss is analytic at the instance
(no relu/abs/max/indicator evaluated); central differences always, with an
a-posteriori error estimate (no f''' bound is known for an arbitrary loss).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradkey.verify.numerics.compare import EPS, Comparison, compare
from gradkey.verify.numerics.numdiff import central_difference_estimated, complex_step


@dataclass(frozen=True)
class Check:
    what: str          # "closed form 1", "complex step", "central difference"
    loss: str
    comparison: Comparison


def check_question(q, inst, central: bool = True) -> list[Check]:
    """Every closed form and numerical differentiation against the truth, at one
    instance of the question's problem file (``derive.draw``)."""
    return check_generic_question(q, inst, central)


def numeric_gradient(q, inst, loss: str | None = None, method: str = "complex"):
    """The question's answer by numerical differentiation: (value, extra error
    bound), or (None, None) when complex step does not apply (a kinked loss).
    ``loss``, if given, must be the question's."""
    if loss is not None and loss != q.loss:
        raise ValueError(f"{q.id} is about {q.loss}, not {loss}")
    return generic_numeric(q, inst, method)


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
