"""The course-standard formulation, as the yardstick for stability.

A function is called ``unstable`` only at an input where the textbook
formulation is finite and agrees with the derived truth, but the student's
code is not or does not. The textbook formulation is the problem file's own:
its loss and, for each gradient the function returns, the first closed form
of the question asking for that whole gradient, evaluated in float64 by the
array language (softmax shifted by its maximum, log-sum-exp shifted,
σ(x) = 1/(1 + e^{−x})). Inputs where that formulation itself overflows are
not held against anyone. Nothing here names a problem set: the probes are
the file's ``[code.probes]`` (``search.probes``).
"""
from __future__ import annotations

import numpy as np

from gradkey.verify.numerics.compare import compare

#: float64 is what the problem promises (search.RTOL)
RTOL = 64 * np.finfo(np.float64).eps

#: What to do about a failed probe when neither the probe nor the file says (``[code] advice``)
GENERAL_ADVICE = ("compute it as the textbook formulation does: shift the scores by their maximum before exp, "
                  "take logs of probabilities from the shifted scores (log-sum-exp)")


def form(problem, loss: str, symbol: str):
    """The textbook closed form of the whole gradient of ``loss`` by
    ``symbol``: the first closed form of the first question asking for it
    (no part, first order), or None."""
    for q in problem.questions:
        if loss in q.losses and q.wrt == symbol and not q.part and q.order == 1 and q.closed_forms:
            return q.closed_forms[0].expr_for(loss)
    return None


def holds(problem, loss: str, symbols, inst, truth) -> bool:
    """The textbook formulation of ``loss`` (its value, and the gradients by
    ``symbols`` that have a closed form) is finite and right at ``inst``;
    ``truth`` is the derived truth there (``.loss``, ``[symbol]``)."""
    pairs = [(truth.loss, problem.loss(loss).expr)]
    for s in symbols:
        e = form(problem, loss, s)
        if e is not None:
            pairs.append((truth[s], e))
    scale = inst.error_scale()
    with np.errstate(all="ignore"):
        for t, e in pairs:
            t = np.asarray(t, dtype=float)
            value = np.asarray(inst.evaluate(e), dtype=float)
            if value.size != t.size or not np.all(np.isfinite(value)):
                return False
            if not compare(t, value.reshape(t.shape), scale=scale, rtol=RTOL):
                return False
    return True


def advice(problem, probe, loss: str) -> str:
    """What to do about a failed probe: the probe's own advice for the loss,
    else the file's general advice, else :data:`GENERAL_ADVICE`."""
    return probe.advice.get(loss) or problem.code_advice or GENERAL_ADVICE
