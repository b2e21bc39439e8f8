"""Proofs that a problem file's closed forms, key steps and mistakes are what
they claim to be, against the derived truth (``gradkey problems --check``).

* every closed form and every key step equals the derived answer at seeded
  instances of the proof dimensions and of every check-dimension tuple;
* every known mistake differs from it at one of those instances at least
  (a "mistake" that is always right would mark correct answers wrong);
* optionally, symbolically: ``simplify(closed − derived) == 0`` at the proof
  dimensions, each proof under a time bound (a proof that runs out of time
  is reported as not done, the numeric proof stands).

A failure raises ProblemFileError naming the file and the key, e.g.
``linear.toml: questions.softmax.W.closed_forms[0]: does not equal the derived
gradient …``.
"""
from __future__ import annotations

import contextlib
import signal
import threading

import numpy as np
import sympy as sp

from gradkey.derive.draw import InstanceError, seeded
from gradkey.derive.problemfile import GenericProblem, ProblemFileError
from gradkey.derive.truth import symbolic_truth

#: The same tolerance model as verify.numerics.compare (64 ulps of the terms'
#: magnitude, GenericInstance.error_scale); derive does not import verify.
ROUNDING = 64 * np.finfo(float).eps


def _agree(expected, got, scale: float) -> tuple[bool, str]:
    e, g = np.asarray(expected, dtype=float), np.asarray(got)
    if e.shape != g.shape:
        return False, f"shape {g.shape} where {e.shape} is expected"
    g = np.real(g).astype(float)
    if not np.all(np.isfinite(g)):
        return False, "a non-finite value"
    err = float(np.max(np.abs(e - g), initial=0.0))
    bound = ROUNDING * max(scale, float(np.max(np.abs(e), initial=0.0)))
    return err <= bound, f"differs by {err:.3g} (bound {bound:.1e})"


def instances_for(problem: GenericProblem, q, per_dims: int = 2, seed: int = 0) -> list:
    out = []
    for k, dims in enumerate((problem.proof_dims, *problem.check_dims)):
        try:
            out += seeded(problem, per_dims, seed + k, q, dims=(dims,))
        except InstanceError:
            continue       # e.g. j != y[i] cannot hold at C = 1
    if not out:
        raise ProblemFileError(problem.source.rsplit("/", 1)[-1], f"questions.{q.id}",
                               "no instance meets the question's premises at any check dimensions")
    return out


def prove(problem: GenericProblem, per_dims: int = 2, symbolic_seconds: float = 0.0) -> list[str]:
    """Check every question; raise ProblemFileError on the first false claim.
    Returns notes (symbolic proofs that ran out of time)."""
    file = problem.source.replace("\\", "/").rsplit("/", 1)[-1]
    notes = []
    for q in problem.questions:
        key = f"questions.{q.id}"
        insts = instances_for(problem, q, per_dims)
        truths = [q.truth(i) for i in insts]
        for kind, items in (("closed_forms", q.closed_forms), ("steps", q.steps)):
            for n, item in enumerate(items):
                for inst, t in zip(insts, truths):
                    ok, why = _agree(t, inst.evaluate(item.expr), inst.error_scale())
                    if not ok:
                        raise ProblemFileError(file, f"{key}.{kind}[{n}]",
                                               f"{item.expr.text!r} does not equal the derived answer "
                                               f"(sympy.diff of {q.loss} by {q.part_text}) at dims {inst.dims}: "
                                               f"{why}; fix the expression or the question's loss/wrt")
        for n, m in enumerate(q.mistakes):
            if all(_agree(t, inst.evaluate(m.expr), inst.error_scale())[0] for inst, t in zip(insts, truths)):
                raise ProblemFileError(file, f"{key}.mistakes[{n}]",
                                       f"{m.expr.text!r} equals the derived answer at every instance tried: "
                                       "it is not a mistake (a correct answer would be marked wrong); "
                                       "remove it or fix its value")
        if symbolic_seconds:
            for n, form in enumerate(q.closed_forms):
                try:
                    if not prove_symbolically(q, form.expr, insts[0], symbolic_seconds):
                        raise ProblemFileError(file, f"{key}.closed_forms[{n}]",
                                               "simplify(closed form − derived) is not 0 at the proof dimensions")
                except TimeoutError:
                    notes.append(f"{key}.closed_forms[{n}]: symbolic proof took over {symbolic_seconds:g} s "
                                 "(numeric proof only)")
    return notes


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise TimeoutError when the block runs longer (main thread, Unix); elsewhere no bound."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def residue(q, expr, inst) -> list:
    """simplify(closed − derived) entry by entry, in the instance's symbolic twin."""
    derived = symbolic_truth(q, inst)
    closed = np.asarray(inst.evaluate(expr, symbolic=True), dtype=object)
    if closed.shape != derived.shape:
        return [sp.nan]
    out = []
    for d, c in zip(np.ravel(derived), np.ravel(closed)):
        r = sp.simplify(sp.piecewise_fold(sp.sympify(c) - sp.sympify(d)))
        out.append(r)
    return out


def prove_symbolically(q, expr, inst, seconds: float) -> bool:
    with time_limit(seconds):
        return all(r == 0 for r in residue(q, expr, inst))
