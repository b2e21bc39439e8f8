"""The search for problem-file layouts (CS231n's softmax, SVM and
``TwoLayerNet``, logreg's declared function, any instructor's file).

Inputs are instances of the problem file (``derive.draw``: premises kept,
kinks avoided) at its check dimensions, which are pairwise distinct so a
missing transpose is a shape error; values are unit scale and every array is
non-zero (biases included), the regulariser strength at least 0.05 so the two
conventions differ. A fixed derandomized set plus a few drawn with the
per-run secret seed go to the sandbox in one request.

A reply is right under a convention when every output (loss, each gradient)
equals the derived truth under that convention; a function is correct when
one convention holds at every input. The first input where none does is
shrunk with Hypothesis to a minimal counterexample, and the reason is
diagnosed at the generic input it was found at (``diagnose.py``, which also
runs the code once with the strength at 0).

Stability: for every parameter whose last axis is a label's range (a class
axis: W, W2, b2), the probe adds t·u1ᵀ (a vector: t) with |t| = 1000: each
row of the scores shifts uniformly, so the loss's data term and every
gradient are unchanged. A probe is used only where that invariance holds for
the derived truth and the course-standard formulation (the file's loss and
closed forms evaluated with max-shifted softmax and log-sum-exp) is finite and
accurate there; a function that fails a probe is ``unstable``.
"""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, HypothesisWarning, NoSuchExample

from gradkey.derive.draw import GenericInstance, draw
from gradkey.verify.code import diagnose
from gradkey.verify.code.filelayout import FileLayout, Part
from gradkey.verify.code.protocol import Handle, Other
from gradkey.verify.code.search import (ERROR_KINDS, FATAL, RTOL, FIXED_SEED, Finding, FunctionReport, _as_array,
                                         _kind, _same, _which, plain, reply_failure)
from gradkey.verify.numerics.compare import compare

#: The smallest regulariser strength drawn: the conventions must differ visibly.
MIN_REG = 0.05
PROBE_SHIFT = 1000.0


# -- instances ------------------------------------------------------------------------

def instances(layout: FileLayout, n: int, seed: int) -> list[GenericInstance]:
    rng = np.random.default_rng(seed)
    dims = layout.problem.check_dims
    return [_strong_reg(layout, draw(layout.problem, rng, dims[k % len(dims)]), rng) for k in range(n)]


def _strong_reg(layout: FileLayout, inst: GenericInstance, rng) -> GenericInstance:
    if not layout.reg_symbols:
        return inst
    return inst.replace(**{s: np.float64(MIN_REG + abs(float(inst.value(s)))) for s in layout.reg_symbols})


def strategy(layout: FileLayout):
    from gradkey.verify.strategies import problem_instances
    return problem_instances(layout.problem, dims=st.sampled_from(list(layout.problem.check_dims)))


# -- judging a reply ----------------------------------------------------------------------

def outputs(layout: FileLayout, inst: GenericInstance, value) -> dict | Finding:
    """The reply's outputs by part name, as float64 arrays of the right
    shapes, or the finding about them (arity, type, shape, non-finite)."""
    n = layout.returns
    if n == 1:
        values = [value]
    elif isinstance(value, (tuple, list)) and len(value) == n:
        values = list(value)
    else:
        got = f"{len(value)} value(s)" if isinstance(value, (tuple, list)) else _kind(value)
        return Finding("arity", None, f"returns {got}; expected {n} values: ({layout.returns_text()})")
    out = {}
    for part in layout.parts:
        got = values[part.position]
        if part.kind == "grads":
            if not isinstance(got, dict):
                return Finding("dtype", "grads", f"grads is {_kind(got)}, not a dict of gradients keyed like params")
            if part.key not in got:
                return Finding("missing-key", part.name, f"grads has no entry '{part.key}' (the gradient of "
                                                         f"params['{part.key}'])")
            got = got[part.key]
        converted = _as_array(part.name, got, integer_ok=False)
        if isinstance(converted, Finding):
            return converted
        a, _dtype = converted
        shape = layout.shape(part, inst)
        if a.shape != shape and not (a.size == 1 and int(np.prod(shape)) == 1):
            return Finding("shape", part.name, _shape_message(part, a.shape, shape), list(shape), list(a.shape))
        a = a.reshape(shape)
        if not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a)).tolist() if a.ndim else [[]]
            return Finding("non-finite", part.name, f"{part.name} has non-finite values ({_which(a)})",
                           None, plain(a), bad)
        out[part.name] = a
    return out


def _shape_message(part: Part, got: tuple, shape: tuple) -> str:
    text = f"{part.name} has shape {got} where {shape} is expected (the shape of {part.symbol or 'a scalar'})"
    if part.kind == "grads" and int(np.prod(got)) == int(np.prod(shape)):
        text += (f": the course's in-place update params['{part.key}'] -= learning_rate * grads['{part.key}'] "
                 "then fails")
    elif part.kind == "grads" and len(got) == len(shape) + 1:
        text += f": sum it over the examples ({part.symbol} is added to every row)"
    elif len(got) == 2 and got == shape[::-1]:
        text += " — it looks transposed"
    return text


def _mutated(layout: FileLayout, call, reply) -> Finding | None:
    names = []
    for name, (sent, after) in zip(layout.arguments, zip(call.args, reply.after or [])):
        if isinstance(sent, np.ndarray) and not _same(sent, after):
            names.append(name)
    state = reply.state or {}
    if layout.is_method:
        params = state.get("params")
        for k, v in next(iter(_sent_state(layout, call).values()), {}).items():
            after = params.get(k) if isinstance(params, dict) else None
            if not _same(v, after):
                names.append(f"params['{k}']")
    if names:
        return Finding("mutated", None, f"modifies its input {', '.join(names)} in place (work on a copy)")
    return None


def _sent_state(layout, call) -> dict:
    from gradkey.verify.code.worker import decode
    sent = call.target.get("set", {}) if call.target else {}
    return {k: decode(v, {}) for k, v in sent.items()}


class Judged:
    """One reply: a finding, or the conventions it is right under."""

    def __init__(self, finding: Finding | None = None, conventions: set | None = None, got: dict | None = None):
        self.finding, self.conventions, self.got = finding, conventions or set(), got


def judge(layout: FileLayout, inst: GenericInstance, call, reply, truths: dict | None = None) -> Judged:
    failed = reply_failure(reply)
    if failed:
        return Judged(failed)
    got = outputs(layout, inst, reply.value)
    if isinstance(got, Finding):
        return Judged(got)
    truths = truths or {c: layout.truth(inst, c) for c in layout.conventions}
    scale = inst.error_scale()
    right = {c for c, t in truths.items()
             if all(compare(t[p.name], got[p.name], scale=scale, rtol=RTOL) for p in layout.parts)}
    if not right:
        return Judged(Finding("value", None, "wrong"), set(), got)
    mutated = _mutated(layout, call, reply)
    if mutated:
        return Judged(mutated, right, got)
    return Judged(None, right, got)


def run_batch(runner, layout: FileLayout, insts: list, stop_on_finding: bool = True):
    calls = [layout.call(i) for i in insts]
    for inst, call, reply in zip(insts, calls, runner.run([c.request(layout.function) for c in calls])):
        yield inst, call, judge(layout, inst, call, reply)


# -- the check ---------------------------------------------------------------------------------

def check_function(runner, layout: FileLayout, examples: int = 100, secret: int | None = None) -> FunctionReport:
    fixed = instances(layout, examples, FIXED_SEED)
    extra = instances(layout, max(2, examples // 5), secret) if secret is not None else []
    consistent = set(layout.conventions)
    count = 0
    failing = None
    for inst, call, j in run_batch(runner, layout, fixed + extra):
        count += 1
        if j.finding is None:
            consistent &= j.conventions
            if consistent:
                continue
            # right under one convention here, another elsewhere
            j = Judged(Finding("value", None, "wrong"), set(), j.got)
        failing = (inst, j)
        break
    if failing is None:
        convention = next(c for c in layout.conventions if c in consistent)
        return _stability(runner, layout, fixed[0], convention, count)
    inst, j = failing
    f = j.finding
    if f.kind in ("missing", "load", "signature") and count == 1:
        return FunctionReport(layout.function, "error", None, None, f.message, 1)
    if f.kind in FATAL:
        if f.kind == "budget":
            f.message += f" after {count - 1} input(s) agreed"
        return _report(layout, inst, f, count, "error")
    convention = None
    if f.kind == "value":
        got0 = _student_without_reg(runner, layout, inst)
        convention, part, message = diagnose.diagnose(layout, inst, j.got, got0)
        f = Finding("value", part.name if part else None, message or "wrong")
    minimal = _shrink(runner, layout, examples, inst, f.kind)
    shown = minimal if minimal is not None else inst
    if f.kind == "value" and f.output:
        again = _rerun(runner, layout, shown)
        part = next(p for p in layout.parts if p.name == f.output)
        if again is not None and again.got is not None and part.name in again.got:
            f.expected = plain(layout.truth(shown, convention)[part.name])
            f.got = plain(again.got[part.name])
        else:
            shown = inst
            f.expected = plain(layout.truth(inst, convention)[part.name])
            f.got = plain(j.got[part.name])
    elif minimal is not None:
        again = _rerun(runner, layout, shown)
        if again is not None and again.finding is not None and again.finding.kind == f.kind:
            f = again.finding
        else:
            shown = inst
    report = _report(layout, shown, f, count)
    report.convention = convention
    return report


def _rerun(runner, layout, inst) -> Judged | None:
    for _, _, j in run_batch(runner, layout, [inst]):
        return j
    return None


def _student_without_reg(runner, layout: FileLayout, inst: GenericInstance) -> dict | None:
    if not layout.reg_symbols:
        return None
    j = _rerun(runner, layout, layout.without_reg(inst))
    return j.got if j is not None and j.got is not None else None


def _shrink(runner, layout: FileLayout, examples: int, found: GenericInstance, kind: str) -> GenericInstance | None:
    """A minimal failing instance of the same kind (Hypothesis, derandomized,
    at the file's check dimensions so the truth's derivation is reused)."""
    stopped = []

    def fails(inst):
        if stopped or (hasattr(runner, "remaining") and runner.remaining() <= 1.0):
            stopped.append(True)
            return False
        j = _rerun(runner, layout, inst)
        if j is None or (j.finding and j.finding.kind in FATAL):
            stopped.append(True)
            return False
        return j.finding is not None and j.finding.kind == kind
    try:
        with warnings.catch_warnings():    # Hypothesis warns about the size of an instance's repr
            warnings.simplefilter("ignore", HypothesisWarning)
            return find(strategy(layout), fails, settings=settings(
                max_examples=examples, derandomize=True, database=None, deadline=None,
                phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck)))
    except (NoSuchExample, Flaky):
        # Flaky: the code answers one input differently from call to call
        # (state kept between calls); the failure already found stands
        return None


def _report(layout: FileLayout, inst: GenericInstance, finding: Finding, examples: int,
            verdict: str | None = None) -> FunctionReport:
    verdict = verdict or ("error" if finding.kind in ERROR_KINDS else "incorrect")
    counterexample = {"inputs": layout.shown_inputs(inst), "dims": dict(inst.dims), "output": finding.output,
                      "expected": finding.expected, "got": finding.got, "entries": finding.entries[:10]}
    return FunctionReport(layout.function, verdict, finding.output, counterexample, finding.message, examples)


# -- stability ----------------------------------------------------------------------------------

def _class_axes(layout: FileLayout) -> set:
    return {s.range_ for s in layout.problem.symbols if s.role == "label"}


def probes(layout: FileLayout, base: GenericInstance, convention: str) -> list[tuple[str, GenericInstance]]:
    """Uniform score shifts that leave the truth's data term unchanged and
    where the course-standard formulation is finite and accurate."""
    if not layout.stability:
        return []
    axes = _class_axes(layout)
    scores = _score_tables(layout, base, axes)
    out = []
    for sym in layout.parameters:
        s = layout.problem.symbol(sym)
        if s is None or not s.shape or s.shape[-1] not in axes:
            continue
        value = np.asarray(base.value(sym), dtype=float)
        u = _level_direction(base, sym, value, scores)
        if u is None:
            continue
        direction = np.multiply.outer(u, np.ones(value.shape[-1])) if value.ndim > 1 else np.ones(value.shape)
        for sign in (1.0, -1.0):
            shifted = base.replace(**{sym: value + sign * PROBE_SHIFT * direction})
            what = (f"{sym} + t·u1ᵀ" if value.ndim > 1 else f"{sym} + t") + f" with t = {sign * PROBE_SHIFT:+g}"
            if (_shifts_evenly(base, shifted, scores) and _invariant(layout, base, shifted)
                    and _standard_holds(layout, shifted, convention)):
                out.append((what, shifted))
    return out


# Every score of the batch must move by the same amount. A shift that moves
# each example's row by a different amount (x_i·u for W + t·u1ᵀ) leaves the
# probabilities unchanged too, but then the rows differ by ~1000 and code that
# subtracts the batch's global maximum (np.max(scores), common in correct real
# solutions) underflows in the lower rows: that is not the instability the
# probe is for (exp overflowing without any shift), and real scores never
# spread that far between examples.

def _score_tables(layout: FileLayout, base: GenericInstance, axes: set) -> list[str]:
    """The definitions laid out as examples × classes (the scores, the
    probabilities, …): where a probe's evenness is measured."""
    sizes = {base.dims[a] for a in axes if a in base.dims}
    names = []
    for d in layout.problem.definitions:
        try:
            v = np.asarray(base.value(d.name), dtype=float)
        except Exception:  # a definition that needs an override (an intermediate) is not a table
            continue
        if v.ndim == 2 and v.shape[-1] in sizes:
            names.append(d.name)
    return names


def _level_direction(base: GenericInstance, sym: str, value: np.ndarray, scores: list[str]):
    """u such that adding t·u1ᵀ to ``sym`` moves every score by exactly t, or
    None when no such u exists (then the parameter gets no probe)."""
    if value.ndim == 1:
        return np.ones(())
    if not scores:
        return None
    name = scores[0]
    s0 = np.asarray(base.value(name), dtype=float)
    columns = []
    for k in np.ndindex(value.shape[:-1]):
        e = np.zeros(value.shape)
        e[k] = 1.0
        moved = np.asarray(base.replace(**{sym: value + e}).value(name), dtype=float) - s0
        columns.append(moved.mean(axis=-1))
    A = np.stack(columns, axis=-1)                       # examples × rows of the parameter
    u, *_ = np.linalg.lstsq(A, np.ones(A.shape[0]), rcond=None)
    if not np.allclose(A @ u, 1.0, atol=1e-9) or not np.all(np.isfinite(u)):
        return None
    return u.reshape(value.shape[:-1])


def _shifts_evenly(base: GenericInstance, shifted: GenericInstance, scores: list[str]) -> bool:
    for name in scores[:1]:
        delta = np.asarray(shifted.value(name), dtype=float) - np.asarray(base.value(name), dtype=float)
        if not np.allclose(delta, delta.flat[0], atol=1e-6 * PROBE_SHIFT):
            return False
    return True


def _invariant(layout, base, shifted) -> bool:
    a = layout.truth(layout.without_reg(base))
    b = layout.truth(layout.without_reg(shifted))
    return all(diagnose.close(a[p.name], b[p.name], base, 1e-7) for p in layout.parts)


def _standard_holds(layout: FileLayout, inst: GenericInstance, convention: str) -> bool:
    """The file's loss and closed forms, evaluated in float64 with the array
    language's max-shifted softmax and log-sum-exp, are finite and agree
    with the derived truth here."""
    at = layout.under(inst, convention)
    truth = layout.truth(inst, convention)
    scale = inst.error_scale()
    with np.errstate(all="ignore"):
        for p in layout.parts:
            if p.kind == "loss":
                value = at.evaluate(layout.problem.loss(layout.loss).expr)
            else:
                form = next((q.closed_forms[0] for q in layout.problem.questions if q.loss == layout.loss
                             and q.wrt == p.symbol and not q.part and q.order == 1), None)
                if form is None:
                    continue
                value = at.evaluate(form.expr)
            value = np.asarray(value, dtype=float)
            if not np.all(np.isfinite(value)) or not compare(truth[p.name], value.reshape(np.shape(truth[p.name])),
                                                             scale=scale, rtol=1e-9):
                return False
    return True


def _stability(runner, layout: FileLayout, base: GenericInstance, convention: str, count: int) -> FunctionReport:
    conv = diagnose.convention_text(layout, base, convention)
    checked = probes(layout, base, convention)
    for what, inst in checked:
        j = _rerun(runner, layout, inst)
        if j is None:
            continue
        finding = j.finding
        if finding is None and convention not in j.conventions:
            finding = Finding("value", None, "it follows another regulariser convention there")
        if finding is None:
            continue
        if finding.kind in ERROR_KINDS:
            report = _report(layout, inst, finding, count + 1, "error")
            report.note = (f"right on moderate inputs, but fails when every row of the scores is shifted by the same "
                           f"large amount ({what}): {finding.message}")
            return report
        if finding.kind == "value" and j.got is not None:
            truth = layout.truth(inst, convention)
            bad = [p.name for p in layout.parts if not compare(truth[p.name], j.got[p.name],
                                                                 scale=inst.error_scale(), rtol=RTOL)]
            finding = Finding("value", bad[0] if bad else None, f"{', '.join(bad) or 'the outputs'} wrong",
                              plain(truth[bad[0]]) if bad else None, plain(j.got[bad[0]]) if bad else None)
        report = _report(layout, inst, finding, count + 1, "unstable")
        shown = "non-finite" if finding.kind == "non-finite" else "wrong"
        report.note = (f"right on moderate inputs, but {shown} when every row of the scores is shifted by the "
                       f"same large amount ({what}), which changes neither the probabilities nor the gradient; "
                       f"the course-standard formulation is finite and right there: {finding.message}. Shift each "
                       f"row of the scores by its maximum before exp (softmax(s) = softmax(s − max s)) and take "
                       f"−log p from the shifted scores (log-sum-exp).")
        report.convention = convention or None
        return report
    probes_text = f" and on {len(checked)} large uniform score shift(s)" if checked else ""
    note = f"agrees with the derived truth on {count} generated inputs{probes_text}"
    if conv:
        note += f"; regulariser convention {conv}"
    report = FunctionReport(layout.function, "correct", None, None, note, count + len(checked))
    report.convention = convention or None
    return report
