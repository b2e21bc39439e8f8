"""Proofs that a problem file's closed forms, key steps and mistakes are what
they claim to be, against the derived truth (``gradkey problems --check``).

* every closed form and every key step equals the derived answer at seeded
  instances of the proof dimensions and of every check-dimension tuple;
* every known mistake differs from it at one of those instances at least
  (a "mistake" that is always right would mark correct answers wrong);
* optionally, symbolically: closed − derived reduces to 0 at the proof
  dimensions on every kink region (:func:`reduce_residue`: kinks as 0/1 symbols, then
  expand / one fraction; ``simplify`` only as a last resort), each proof under
  a time bound (a proof that runs out of time is reported as not done, the
  numeric proof stands).

A failure raises ProblemFileError naming the file and the key, e.g.
``linear.toml: questions.softmax.W.closed_forms[0]: does not equal the derived
gradient …``.
"""
from __future__ import annotations

import contextlib
import random
import signal
import threading

import mpmath
import numpy as np
import sympy as sp

from gradkey.derive.arraylang import Step
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
        for loss in q.losses:          # every base loss of a skip-gram-like question
            notes += _prove_for(file, key, q, loss, insts, symbolic_seconds)
    return notes


def _prove_for(file: str, key: str, q, loss: str, insts: list, symbolic_seconds: float) -> list[str]:
    notes = []
    truths = [q.truth(i, loss) for i in insts]
    about = f" (base loss {loss})" if len(q.losses) > 1 else ""
    for kind, items in (("closed_forms", q.closed_forms), ("steps", q.steps)):
        for n, item in enumerate(items):
            expr = item.expr_for(loss)
            for inst, t in zip(insts, truths):
                ok, why = _agree(t, inst.evaluate(expr), inst.error_scale())
                if not ok:
                    raise ProblemFileError(file, f"{key}.{kind}[{n}]",
                                           f"{expr.text!r} does not equal the derived answer "
                                           f"(the derivative of {loss} by {q.part_text}) at dims {inst.dims}: "
                                           f"{why}; fix the expression or the question's loss/wrt")
    for n, m in enumerate(q.mistakes):
        expr = m.expr_for(loss)
        if all(_agree(t, inst.evaluate(expr), inst.error_scale())[0] for inst, t in zip(insts, truths)):
            raise ProblemFileError(file, f"{key}.mistakes[{n}]",
                                   f"{expr.text!r} equals the derived answer{about} at every instance tried: "
                                   "it is not a mistake (a correct answer would be marked wrong); "
                                   "remove it or fix its value")
    if symbolic_seconds:
        for n, form in enumerate(q.closed_forms):
            try:
                if not prove_symbolically(q, form.expr_for(loss), insts[0], symbolic_seconds, loss):
                    raise ProblemFileError(file, f"{key}.closed_forms[{n}]",
                                           f"closed form − derived{about} does not reduce to 0 at the proof dimensions")
            except TimeoutError:
                notes.append(f"{key}.closed_forms[{n}]{about}: symbolic proof took over {symbolic_seconds:g} s "
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


def residue(q, expr, inst, lazy: bool = False, loss: str | None = None):
    """closed − derived entry by entry, in the instance's symbolic twin,
    reduced to 0 where the two agree on every kink region (see
    :func:`reduce_residue`); a list, or a generator with ``lazy``."""
    derived = symbolic_truth(q, inst, loss)
    closed = np.asarray(inst.evaluate(expr, symbolic=True), dtype=object)
    if closed.shape != derived.shape:
        return iter([sp.nan]) if lazy else [sp.nan]
    regions = Regions()
    out = (reduce_residue(sp.sympify(c) - sp.sympify(d), regions) for c, d in zip(np.ravel(closed), np.ravel(derived)))
    return out if lazy else list(out)


class Regions:
    """Step atoms as 0/1 symbols, one per kink (an argument up to a positive
    factor), Step(−u) = 1 − Step(u) off the kink. A residue that is 0 as a
    function of these symbols is 0 on every kink region at once: relu, max
    and indicators make the loss piecewise smooth, and on each region the
    closed form and the derivative are the same rational function of
    exponentials."""

    def __init__(self):
        self.symbols: dict = {}

    def flag(self, arg):
        content, prim = sp.expand(arg).as_content_primitive()
        if content < 0:
            prim = -prim
        negative = prim.could_extract_minus_sign()
        if negative:
            prim = -prim
        if prim not in self.symbols:
            self.symbols[prim] = sp.Dummy(f"b{len(self.symbols)}")
        b = self.symbols[prim]
        return 1 - b if negative else b

    def substitute(self, expr):
        return expr.replace(lambda e: isinstance(e, Step), lambda e: self.flag(e.args[0]))

    def idempotent(self, expr):
        """b**n = b for a 0/1 symbol."""
        flags = set(self.symbols.values())
        return expr.replace(lambda e: e.is_Pow and e.base in flags and e.exp.is_Integer and e.exp > 0,
                            lambda e: e.base)


def reduce_residue(r, regions: Regions):
    """0 when the residue vanishes identically. The kinks become 0/1 symbols;
    a residue visibly non-zero at one point is returned as it is (a wrong
    form: no algebra can make it 0); otherwise it is made one fraction
    (softmax and σ are rational in exponentials) whose expanded numerator is
    checked with b**n = b, then the expanded residue itself; ``simplify`` only
    if neither shows 0 (a proof must not fail for want of trying; the caller
    bounds the time)."""
    r = regions.substitute(sp.piecewise_fold(r))
    if r == 0:
        return r
    if _nonzero_somewhere(r, set(regions.symbols.values())):
        return r
    num = regions.idempotent(sp.expand(sp.numer(sp.together(r))))
    if num == 0 or sp.expand(num) == 0:
        return sp.Integer(0)
    if regions.idempotent(sp.expand(r)) == 0:
        return sp.Integer(0)
    return sp.simplify(r)


def _nonzero_somewhere(r, flags: set) -> bool:
    """Whether r is visibly not 0 (|r| > 1e-20 in 30-digit arithmetic) at a
    rational point with the kink flags all 0, all 1, or mixed: then no
    simplification can make it 0."""
    rng = random.Random(0)
    values = {s: mpmath.mpf(rng.randint(-150, 150)) / 100 for s in r.free_symbols if s not in flags}
    for pattern in ("mixed", 0, 1):
        point = dict(values)
        for b in flags:
            point[b] = mpmath.mpf(rng.randint(0, 1) if pattern == "mixed" else pattern)
        try:
            with mpmath.workdps(30):
                v = _value(r, point, {})
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if mpmath.isfinite(v) and abs(v) > 1e-20:
            return True
    return False


def _value(e, point: dict, memo: dict):
    """e at a point in mpmath (once per shared node)."""
    if e in memo:
        return memo[e]
    if e.is_Symbol:
        out = point[e]
    elif e.is_Rational:
        out = mpmath.mpf(e.p) / e.q
    elif e.is_Number:
        out = mpmath.mpmathify(complex(e)) if not e.is_real else mpmath.mpf(float(e))
    elif e.is_Add:
        out = mpmath.fsum(_value(a, point, memo) for a in e.args)
    elif e.is_Mul:
        out = mpmath.fprod(_value(a, point, memo) for a in e.args)
    elif e.is_Pow:
        out = _value(e.base, point, memo) ** _value(e.exp, point, memo)
    elif isinstance(e, sp.exp):
        out = mpmath.exp(_value(e.args[0], point, memo))
    elif isinstance(e, sp.log):
        out = mpmath.log(_value(e.args[0], point, memo))
    else:
        out = mpmath.mpmathify(complex(sp.N(e.xreplace({k: sp.Float(v, 30) for k, v in point.items()}), 30)))
    memo[e] = out
    return out


def prove_symbolically(q, expr, inst, seconds: float, loss: str | None = None) -> bool:
    with time_limit(seconds):
        return all(r == 0 for r in residue(q, expr, inst, lazy=True, loss=loss))
