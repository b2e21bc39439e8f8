"""Search for inputs where formula code disagrees with the derived truth.

For each function of the layout the grader draws instances of its problem
file (``derive.draw``: premises kept) at the file's code dimensions
(``[code] dims``; word2vec's: d ≠ W and d = W, d = 1, W from 2), with the
label the function is handed moved to 0 and to the end of its range in turn:
a fixed, derandomized set, plus a few drawn with a secret per-run seed so
that a file cannot be tuned to the fixed inputs. They go to the sandbox in one request and the replies
stream back; each is judged here, on the grader's side (shape, dtype,
finiteness, value with float64 tolerances, mutated arguments, the samples
drawn, the base-loss calls). The first disagreement is then shrunk to a
minimal counterexample with Hypothesis (derandomized). A function that
agrees everywhere is run on the file's large-magnitude probes
(``[code.probes]``), kept only where the file's own textbook formulation is
finite and right (``standard.py``): failing one makes it ``unstable``.
"""
from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, NoSuchExample

from gradkey.derive.draw import GenericInstance, InstanceError, draw
from gradkey.verify.code import standard
from gradkey.verify.code.layout import Adapter, default_adapters, default_helpers, module_function, truth
from gradkey.verify.code.protocol import Handle, Other, Reply, encode
from gradkey.verify.code.sandbox import Limits, Sandbox, SandboxFailure
from gradkey.verify.numerics.compare import compare

DEFAULT_EXAMPLES = 100
ERROR_KINDS = {"raised", "missing", "load", "timeout", "crashed", "exited", "signature", "protocol", "budget",
               "unencodable", "oversized"}
FATAL = {"timeout", "crashed", "exited", "protocol", "budget"}
#: float64 is what the problem promises: the tolerance never follows the
#: dtype the code returns (float32 rounding would hide real errors).
RTOL = 64 * np.finfo(np.float64).eps


@dataclass
class Finding:
    kind: str                    # value | shape | dtype | non-finite | mutated | arity | raised | ...
    output: str | None
    message: str
    expected: object = None
    got: object = None
    entries: list = field(default_factory=list)


@dataclass
class FunctionReport:
    name: str
    verdict: str                 # correct | incorrect | unstable | error
    output: str | None = None
    counterexample: dict | None = None
    note: str = ""
    examples: int = 0
    convention: str | None = None   # problem-file layouts: the regulariser convention followed (or judged against)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# -- judging one reply ------------------------------------------------------------

def judge(adapter: Adapter, inst: GenericInstance, call, reply) -> Finding | None:
    """A finding about one call's reply (or None: it agrees with the truth)."""
    failed = reply_failure(reply)
    if failed:
        return failed
    if call.base_window:
        # what was passed to the base loss explains a wrong sum best
        finding = _base_calls(inst, call, reply, adapter)
        if finding:
            return finding
    expected = adapter.expected(inst)
    results = _outputs(reply.value, len(expected))
    if isinstance(results, Finding):
        results.message = results.message.replace("OUTPUTS", ", ".join(adapter.outputs))
        return results
    for name, got, exp in zip(adapter.outputs, results, expected):
        finding = _compare_output(name, got, np.asarray(exp, dtype=float), inst, adapter)
        if finding:
            return finding
    mutated = [n for n, (sent, after) in enumerate(zip(call.args, reply.after or []))
               if isinstance(sent, np.ndarray) and not _same(sent, after)]
    if mutated:
        names = [adapter.arguments[i] if i < len(adapter.arguments) else f"argument {i}" for i in mutated]
        return Finding("mutated", None, f"modifies its input {', '.join(names)} in place")
    if call.samples and adapter.checks_draws:
        n = int(np.size(adapter.values(inst).value(adapter.draws)))
        if reply.drawn[:n] != list(call.samples[:n]):
            return Finding("samples", None, "does not use the negative samples drawn from dataset.sampleTokenIdx()")
    return None


def reply_failure(reply) -> Finding | None:
    """The finding of a call that did not return (raised, hung, crashed), or None."""
    if isinstance(reply, SandboxFailure):
        return Finding(reply.kind, None, str(reply))
    if not reply.ok:
        kind = reply.kind if reply.kind in ERROR_KINDS else "raised"
        error = reply.error or "failed"
        if kind == "raised" and reply.exception == "TypeError" and "argument" in error:
            kind = "signature"
        if reply.exception == "NameError" and re.search(r"'(xrange|unicode|basestring|raw_input|iteritems)'", error):
            error += " — a Python 2 name; gradkey runs Python 3 (range, str, input, items)"
        return Finding(kind, None, error)
    return None


def _same(sent: np.ndarray, after) -> bool:
    """Bitwise equality, decided here: the sandbox's NumPy may be patched."""
    return (isinstance(after, np.ndarray) and after.shape == sent.shape and after.dtype == sent.dtype
            and after.tobytes() == sent.tobytes())


def _base_calls(inst: GenericInstance, call, reply: Reply, adapter: Adapter) -> Finding | None:
    """The replayed base loss's calls: one per label of the window, each handed
    the arguments the replayed function's own layout gives it (call.base_args)."""
    calls = reply.calls or []
    names = _replayed_names(adapter)
    for n, c in enumerate(calls):
        if c["unexpected"]:
            return Finding("base-call", None, f"calls the base loss with {names['label']} = {c['o']}, which is not "
                                              "in the window (or more often than it occurs there)")
        for key, what in (("center", f"a {names['center']} other than {names['center value']}"),
                          ("outside", f"a {names['outside']} other than {names['outside value']}")):
            got, (_, expected) = c[key], call.base_args[key]
            if not (isinstance(got, np.ndarray) and np.array_equal(got, expected)):
                return Finding("base-call", None, f"passes the base loss {what}")
    if len(calls) != len(call.base_window):
        return Finding("base-call", None, f"calls the base loss {len(calls)} time(s) for a window of "
                                          f"{len(call.base_window)} position(s); once per window position is expected")
    return None


def _replayed_names(adapter: Adapter) -> dict:
    """The replayed function's argument names and values, for messages."""
    decl = adapter.declaration
    spec = next(s for s in decl.arg_specs if s.kind == "function")
    inner = next(d for d in adapter.problem.code if d.name == spec.replays)
    kinds = [s.kind or "array" for s in inner.arg_specs]
    vec = kinds.index("array")
    mat = next(n for n, k in enumerate(kinds) if k in ("rows", "array") and n != vec)
    lab = next(s for s in inner.arg_specs if s.kind == "int" and s.value == spec.label)
    rows = " (as rows)" if kinds[mat] == "rows" else ""
    return {"label": lab.name, "center": inner.arg_specs[vec].name, "center value": inner.arg_specs[vec].value,
            "outside": inner.arg_specs[mat].name, "outside value": inner.arg_specs[mat].value + rows}


def _outputs(value, n: int):
    if n == 1:
        return [value]
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            return Finding("arity", None, f"returns {len(value)} value(s); expected {n}: (OUTPUTS)")
        return list(value)
    return Finding("arity", None, f"returns {_kind(value)}; expected {n} values: (OUTPUTS)")


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, Other):
        return f"a {value}"
    if isinstance(value, Handle):
        return "the dataset"
    return "None" if value is None else f"a {type(value).__name__}"


def _as_array(name: str, got, integer_ok: bool):
    """The returned output as (array, dtype text), or a Finding."""
    if isinstance(got, np.ndarray):
        if got.dtype.kind == "c":
            return Finding("dtype", name, f"{name} is complex ({got.dtype}); a real gradient is expected")
        if got.dtype.kind in "biu" and not integer_ok:
            return Finding("dtype", name, f"{name} has dtype {got.dtype}; a gradient must be floating point")
        return got.astype(float), str(got.dtype)
    if isinstance(got, bool) or got is None or isinstance(got, (Other, Handle, str, dict)):
        return Finding("dtype", name, f"{name} is {_kind(got)}, not a number or an array of numbers")
    if isinstance(got, (int, float)):
        return np.asarray(float(got)), f"python-{type(got).__name__}"
    if isinstance(got, (list, tuple)):
        flat = list(got)
        if any(v is None for v in flat):
            return Finding("dtype", name, f"{name} holds None (was every entry filled in?)")
        if not all(isinstance(v, (int, float, np.ndarray)) and not isinstance(v, bool) for v in flat):
            return Finding("dtype", name, f"{name} holds something other than numbers")
        try:
            return np.asarray([np.asarray(v, dtype=float) for v in flat], dtype=float), "list"
        except ValueError:
            return Finding("shape", name, f"{name} is a ragged list")
    return Finding("dtype", name, f"{name} is {_kind(got)}")


def _compare_output(name, got, expected, inst, adapter) -> Finding | None:
    converted = _as_array(name, got, integer_ok=name in adapter.label_outputs)
    if isinstance(converted, Finding):
        return converted
    value, dtype = converted
    if value.shape != expected.shape and not (value.size == 1 and expected.size == 1):
        rows = f" (one row per word, like {_rows_argument(adapter)})" if name in adapter.rows else ""
        transposed = " — it looks transposed" if value.shape == expected.shape[::-1] else ""
        return Finding("shape", name, f"{name} has shape {value.shape} where {expected.shape} is expected{rows}{transposed}",
                       list(expected.shape), list(value.shape))
    value = value.reshape(expected.shape)
    if not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(value)).tolist() if value.ndim else [[]]
        return Finding("non-finite", name, f"{name} has non-finite values ({_which(value)})", plain(expected),
                       plain(value), bad)
    c = compare(expected, value, scale=inst.error_scale(), rtol=RTOL)
    if c:
        return None
    wrong = np.argwhere(np.abs(value - expected) > c.bound).tolist() if expected.ndim else [[]]
    message = _value_message(name, wrong, inst, adapter, expected)
    if dtype in ("float32", "float16"):
        message += (f"; it is {dtype}: the problem promises float64, and {dtype} rounding (about "
                    f"{np.finfo(np.dtype(dtype)).eps:.0e} relative) cannot be told apart from a wrong formula — "
                    "compute in float64")
    return Finding("value", name, message, plain(expected), plain(value), wrong)


def _which(a) -> str:
    kinds = [k for k, m in (("nan", np.isnan(a)), ("inf", np.isposinf(a)), ("-inf", np.isneginf(a))) if np.any(m)]
    return ", ".join(kinds)


def plain(a):
    """Rounded nested lists for reports, with inf/-inf/nan spelled out (JSON has no such numbers)."""
    a = np.round(np.asarray(a, dtype=float), 6)
    if a.ndim == 0:
        v = float(a)
        return v if np.isfinite(v) else str(v)
    return [plain(x) for x in a]


def _rows_argument(adapter: Adapter) -> str:
    """The argument handed over as rows, named in shape messages."""
    decl = adapter.declaration
    return next((s.name for s in reversed(decl.arg_specs) if s.kind == "rows"), "the arguments") if decl else \
        "the arguments"


def _value_message(name: str, wrong: list, inst: GenericInstance, adapter: Adapter, expected=None) -> str:
    if name not in adapter.rows or not wrong or not wrong[0]:
        hint = ""
        if name == "loss":
            hint = " (the loss value; compare your formula with J in the problem set)"
        return f"{name} is wrong{hint}"
    rows = sorted({w[0] for w in wrong})
    text = f"{name} row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))} {'are' if len(rows) > 1 else 'is'} wrong"
    hints = []
    if adapter.checks_draws:
        g = adapter.values(inst)
        drawn = [int(w) for w in np.asarray(g.value(adapter.draws)).ravel()]
        repeated = {w for w in drawn if drawn.count(w) > 1}
        rejected = int(g.value(adapter.rejects)) if adapter.rejects else None
        if repeated and set(rows) <= repeated:
            hints.append("when a negative sample is drawn more than once: each draw adds its own term, "
                         "so repeated samples must be summed")
        elif rejected in rows and len(rows) == 1:
            s = adapter.problem.symbol(adapter.rejects)
            hints.append(f"in the row of {s.name} ({s.meaning})" if s.meaning else f"in the row of {s.name}")
    if name in adapter.replays:
        hints.append("each context word's gradient must be added (+=) into the window's sum")
    elif adapter.replays and expected is not None and expected.ndim == 2:
        # a gradient the replayed loss does not return: only the rows it reaches are non-zero
        live = [r for r in range(expected.shape[0]) if np.any(expected[r] != 0)]
        if len(live) == 1 and rows != live:
            hints.append(f"only {_row_owner(adapter, inst, live[0])}'s row ({live[0]}) should be non-zero")
    return text + (": " + "; ".join(hints) if hints else "")


# -- running instances ------------------------------------------------------------------

def run_many(runner, adapter: Adapter, insts: list[GenericInstance]):
    """Judge ``insts`` in one request; returns (the first instance with a
    finding, the finding, how many were judged) or (None, None, count)."""
    calls = [adapter.call(i) for i in insts]
    function = module_function(adapter)
    count = 0
    for inst, call, reply in zip(insts, calls, runner.run([_request(c, function) for c in calls])):
        count += 1
        finding = judge(adapter, inst, call, reply)
        if finding is not None:
            return inst, finding, count
    return None, None, count


def _request(call, function: str) -> dict:
    """The call's request, with the arguments a replayed base loss must be
    handed: the sandbox's host answers a base-loss call only for those
    (protocol.HostReplay), so the answers agree with what it recorded."""
    request = call.request(function)
    if call.base_args:
        request["base_args"] = {k: encode(v) for k, (_, v) in call.base_args.items()}
    return request


def run(runner, adapter: Adapter, inst: GenericInstance) -> Finding | None:
    """Judge one instance."""
    _, finding, _ = run_many(runner, adapter, [inst])
    return finding


def relabel(inst: GenericInstance, a: int, b: int, axis: str) -> GenericInstance:
    """The same instance with entries a and b of dimension ``axis`` swapped
    (word2vec: two words): every label in range(axis) and index variable of
    that dimension renumbered, every array's axes of that dimension permuted.
    The same mathematics, other indices: a finding that disappears under it
    depends on an index."""
    perm = np.arange(inst.dims[axis])
    perm[a], perm[b] = perm[b], perm[a]
    back = np.argsort(perm)
    values = dict(inst.values)
    for s in inst.problem.symbols:
        v = np.asarray(inst.values[s.name])
        if s.role == "label":
            if s.range_ == axis:
                values[s.name] = perm[v]
            continue
        for n, name in enumerate(s.shape):
            if name == axis:
                v = np.take(v, back, axis=n)
        values[s.name] = v
    for i in inst.problem.indices:
        if i.dim == axis:
            values[i.name] = int(perm[inst.values[i.name]])
    return GenericInstance(inst.problem, inst.dims, values, inst.overrides)


def _handed_label(adapter: Adapter):
    """The single label the function is handed (an int, a token), as the
    file's symbol, or None: the one moved to 0 and to the end of its range."""
    decl = adapter.declaration
    for spec in decl.arg_specs if decl else ():
        s = adapter.problem.symbol(spec.value) if spec.value else None
        if s is not None and s.role == "label" and not s.shape and spec.kind in ("", "int", "token"):
            return s
    return None


def _index_zero_hint(runner, adapter: Adapter, inst: GenericInstance, finding: Finding) -> None:
    s = _handed_label(adapter)
    if s is None or finding.kind != "value" or inst.dims[s.range_] < 2 or int(inst.value(s.name)) != 0:
        return
    if run(runner, adapter, relabel(inst, 0, inst.dims[s.range_] - 1, s.range_)) is None:
        finding.message += (f"; it is right when the same words are numbered so that {s.name} ≠ 0: "
                            f"is {_label_argument(adapter)} = 0 treated as False?")


def _row_owner(adapter: Adapter, inst, row: int) -> str:
    """What the one live row of a gradient belongs to: the single label of that
    value (not the replayed loss's own label, which changes from call to call),
    by its meaning ("the center word")."""
    g = adapter.values(inst)
    replayed = {s.label for s in adapter.declaration.arg_specs if s.kind == "function"}
    for s in adapter.problem.symbols:
        if s.role == "label" and not s.shape and s.name not in replayed and int(g.value(s.name)) == row:
            return s.meaning or s.name
    return "one word"


def _label_argument(adapter: Adapter) -> str:
    """The argument that hands over a single label as an int."""
    decl = adapter.declaration
    for spec in decl.arg_specs if decl else ():
        s = adapter.problem.symbol(spec.value)
        if spec.kind == "int" and s is not None and s.role == "label":
            return spec.name
    return "the label"


# -- the inputs ---------------------------------------------------------------------------

_FITTING: dict = {}     # id(problem) -> (problem, its code dims where instances exist)


def code_dims(adapter: Adapter) -> list[dict]:
    """The problem file's code dimensions (``[code] dims``, else its check
    dimensions) at which instances meeting its premises exist."""
    problem = adapter.problem
    hit = _FITTING.get(id(problem))
    if hit is None or hit[0] is not problem:
        fitting = []
        for dm in problem.code_dims or problem.check_dims:
            try:
                draw(problem, np.random.default_rng(0), dm)
            except InstanceError:
                continue
            fitting.append(dict(dm))
        if not fitting:
            from gradkey.derive.problemfile import ProblemFileError
            raise ProblemFileError(problem.source, "code.dims" if problem.code_dims else "check.dims",
                                   "no instance meets the file's premises at any of these dimensions (labels "
                                   "distinct from others need a range larger than their count): add a larger tuple")
        hit = _FITTING[id(problem)] = (problem, fitting)
    return hit[1]


def _strategy(adapter: Adapter):
    """Hypothesis instances for shrinking a counterexample: the file's own
    (premises kept) at its code dimensions, smallest first (Hypothesis
    shrinks towards the first). Few tuples on purpose: each new one costs a
    derivation (SymPy), which dominates the time of a fresh process."""
    from gradkey.verify.strategies import problem_instances
    dims = sorted(code_dims(adapter), key=lambda dm: (sum(dm.values()), list(dm.values())))
    return problem_instances(adapter.problem, dims=st.sampled_from(dims))


def drawn_instances(adapter: Adapter, n: int, seed: int) -> list[GenericInstance]:
    """n instances from a NumPy generator, cycling through the code
    dimensions, with the label the function is handed moved to 0 and to the
    end of its range in turn. Consecutive instances share their dims in
    pairs: a function that hands back its previous call's answer when the
    shapes fit (memoised, or a global it forgot to reset) is then wrong on
    the second of each pair, not only under a stability probe."""
    rng = np.random.default_rng(seed)
    dims = code_dims(adapter)
    label = _handed_label(adapter)
    out = []
    for j in range(n):
        inst = draw(adapter.problem, rng, dims[(j // 2) % len(dims)])
        if label is not None:
            at, last = int(inst.value(label.name)), inst.dims[label.range_] - 1
            if j % 3 == 1 and at != 0:
                inst = relabel(inst, at, 0, label.range_)
            elif j % 3 == 2 and at != last:
                inst = relabel(inst, at, last, label.range_)
        out.append(inst)
    return out


FIXED_SEED = 20240607


# -- stability probes -----------------------------------------------------------------------

def _probe(problem, probe, rng) -> GenericInstance | None:
    """The instance of a probe (``problemfile.CodeProbe``): drawn at the first
    code dimensions, ``set`` assigned, then the least-norm change of ``by``
    that makes ``value`` equal ``equals``; None when that value is not
    reached (``value`` is not linear in ``by``)."""
    from gradkey.verify.code.layout import _parsed
    base = draw(problem, rng, (problem.code_dims or problem.check_dims)[0])
    inst = base
    if probe.set:
        inst = base.replace(**{sym: np.asarray(base.evaluate(_parsed(problem, text)), dtype=float)
                               for sym, text in probe.set})
    if not probe.value:
        return inst
    value = _parsed(problem, probe.value)
    target = np.asarray(base.evaluate(_parsed(problem, probe.equals)), dtype=float)
    X = np.asarray(inst.value(probe.by), dtype=float)
    f0 = np.asarray(inst.evaluate(value), dtype=float)
    columns = []
    for k in range(X.size):       # value is linear in X: its change per entry of X, exactly
        step = np.zeros(X.size)
        step[k] = 1.0
        moved = np.asarray(inst.replace(**{probe.by: X + step.reshape(X.shape)}).evaluate(value), dtype=float)
        columns.append((moved - f0).ravel())
    delta, *_ = np.linalg.lstsq(np.stack(columns, axis=1), (target - f0).ravel(), rcond=None)
    out = inst.replace(**{probe.by: X + delta.reshape(X.shape)})
    reached = np.asarray(out.evaluate(value), dtype=float)
    if not np.allclose(reached, target, rtol=1e-9, atol=1e-9 * (1 + float(np.max(np.abs(target))))):
        return None
    return out


def _gradient_symbols(adapter: Adapter) -> list[str]:
    return [o.what[5:] for o in adapter.declaration.output_specs if o.what.startswith("grad:")]


def probes(adapter: Adapter) -> list[tuple[object, GenericInstance]]:
    """The problem file's large-magnitude probes of this function's loss
    (``[code.probes]``), each with its instance, where the file's textbook
    formulation is finite and right (``standard.holds``)."""
    problem = adapter.problem
    if not adapter.stability or not problem.code_probes:
        return []
    rng = np.random.default_rng(7)
    out = []
    for probe in problem.code_probes:
        inst = _probe(problem, probe, rng)
        if inst is None or adapter.loss not in probe.losses:
            continue
        symbols = _gradient_symbols(adapter)
        if standard.holds(problem, adapter.loss, symbols, inst, truth(problem, adapter.loss, inst, "".join(symbols[:1]))):
            out.append((probe, inst))
    return out


def _stability(runner, adapter: Adapter, count: int) -> FunctionReport:
    checked = probes(adapter)
    for probe, inst in checked:
        finding = run(runner, adapter, inst)
        if finding is None:
            continue
        if finding.kind in ERROR_KINDS:
            return _report(adapter, inst, finding, count + 1, "error")
        report = _report(adapter, inst, finding, count + 1, "unstable")
        advice = standard.advice(adapter.problem, probe, adapter.loss)
        shown = "non-finite" if finding.kind == "non-finite" else "wrong"
        report.note = (f"right on moderate inputs, but {shown} on large-magnitude inputs ({probe.what}) where the "
                       f"course-standard formulation is finite and right: {finding.message}. {advice}.")
        return report
    probes_text = f" and on {len(checked)} large-magnitude probe(s)" if checked else ""
    return FunctionReport(adapter.function, "correct", None, None,
                          f"agrees with the derived truth on {count} generated inputs{probes_text}",
                          count + len(checked))


# -- the search -------------------------------------------------------------------------------

def _inputs(adapter: Adapter, inst: GenericInstance) -> dict:
    call = adapter.call(inst)
    shown = {}
    for n, a in zip(adapter.arguments, call.args):
        if isinstance(a, Handle):
            shown[n] = "(controlled: samples below)" if a.name == "dataset" else "(the derived base loss)"
        else:
            shown[n] = plain(a) if isinstance(a, np.ndarray) else a
    shown.update({k: v for k, v in call.kwargs.items()})
    if call.samples:
        drawn = [int(s) for s in np.asarray(adapter.values(inst).value(adapter.draws)).ravel()]
        shown["samples drawn"] = drawn
        if list(call.samples) != drawn:
            shown["dataset.sampleTokenIdx() hands out"] = list(call.samples)
    return shown


def _report(adapter: Adapter, inst: GenericInstance, finding: Finding, examples: int, verdict: str | None = None) -> FunctionReport:
    verdict = verdict or ("error" if finding.kind in ERROR_KINDS else "incorrect")
    counterexample = {"inputs": _inputs(adapter, inst), "dims": dict(inst.dims),
                      "output": finding.output, "expected": finding.expected, "got": finding.got,
                      "entries": finding.entries[:10]}
    return FunctionReport(adapter.function, verdict, finding.output, counterexample, finding.message, examples)


def check_function(runner, adapter: Adapter, examples: int = DEFAULT_EXAMPLES, secret: int | None = None) -> FunctionReport:
    """Judge one function: the fixed inputs, then ``examples // 5`` drawn with
    the secret seed, then (if it agrees) the stability probes."""
    fixed = drawn_instances(adapter, examples, FIXED_SEED)
    extra = drawn_instances(adapter, max(2, examples // 5), secret) if secret is not None else []
    first = run(runner, adapter, fixed[0])
    if first and first.kind in ("missing", "load", "signature"):
        return FunctionReport(adapter.function, "error", None, None, first.message, 1)
    if first and first.kind in FATAL:
        return _report(adapter, fixed[0], first, 1, "error")
    inst, finding, count = (fixed[0], first, 1) if first else run_many(runner, adapter, fixed[1:] + extra)
    count += 0 if first else 1
    if finding is None:
        return _stability(runner, adapter, count)
    if finding.kind in FATAL:
        if finding.kind == "budget":
            finding.message += f" after {count - 1} input(s) agreed"
        return _report(adapter, inst, finding, count, "error")
    minimal = _shrink(runner, adapter, examples, inst, finding)
    if minimal is not inst:
        inst, finding = minimal, run(runner, adapter, minimal) or finding
    _index_zero_hint(runner, adapter, inst, finding)
    return _report(adapter, inst, finding, count)


def _shrink(runner, adapter, examples, found, finding):
    """A minimal failing instance (Hypothesis, derandomized), or ``found``
    when the search does not meet a failure of the same kind, or the
    process dies or the file's budget is nearly used (then every later
    example answers "agrees" at once: Hypothesis reports an exception raised
    in the condition only after shrinking it)."""
    stopped = []

    def disagrees(inst):
        if stopped or (hasattr(runner, "remaining") and runner.remaining() <= 1.0):
            stopped.append(True)
            return False
        f = run(runner, adapter, inst)
        if f and f.kind in FATAL:
            stopped.append(True)
            return False
        return f is not None and f.kind == finding.kind
    try:
        return find(_strategy(adapter), disagrees, settings=settings(
            max_examples=examples, derandomize=True, database=None, deadline=None,
            phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck)))
    except NoSuchExample:
        return found
    except Flaky:
        # the function answers the same input differently from call to call
        # (state kept between calls): no smaller case is reliable, the one
        # found stands
        return found


# -- a file ---------------------------------------------------------------------------------------

from gradkey.verify.code.preflight import import_message  # noqa: E402,F401 - re-exported


def resolve(path: Path, adapters, problem, helpers):
    """(adapters, helpers, problem name) for a file. ``problem``: None (the
    given adapters: the default problem set's by default), ``"auto"`` (the
    bundled problem file whose declared functions the file defines, else the
    given adapters; the default set is checked whole, as when none is found),
    or a problem set (name, path or loaded file): its layouts that the file
    defines, all of them when it defines none."""
    if problem is None:
        return adapters, helpers, None
    from gradkey.verify.code import filelayout
    from gradkey.verify.code.layout import default_problem
    if problem == "auto":
        found = filelayout.detect(path, filelayout.bundled_with_code())
        if found is None or found[0].source == default_problem().source:
            return adapters, helpers, None
        p, layouts = found
    else:
        p = problem if hasattr(problem, "code") else filelayout.load_problem(problem)
        found = filelayout.detect(path, [p])
        layouts = found[1] if found else filelayout.layouts(p)
    return layouts, (p.helpers[0] if p.helpers else None), p.name


def _present_api(path: Path, adapters) -> list:
    """The functions to check (preflight.present_api's rule, the one place): a
    function declared ``instead_of`` another (an older assignment's name for it)
    is checked when the module defines it, and then the one it stands in for is
    not asked for. The module's names come from its text (``def NAME``)."""
    from gradkey.verify.code.preflight import defined_names, present_api
    decls = {a.function: getattr(a, "declaration", None) for a in adapters}
    if not any(getattr(d, "instead_of", "") for d in decls.values()):
        return list(adapters)
    table = {"functions": {name: {"instead_of": getattr(d, "instead_of", "")} for name, d in decls.items()}}
    keep = set(present_api(table, defined_names(path)))
    return [a for a in adapters if a.function in keep]


def check_file(path: str | Path, examples: int = DEFAULT_EXAMPLES, adapters=None,
               limits: Limits = Limits(), progress=None, isolation: bool = True, helpers: str | None = "",
               secret: int | None = None, problem=None, own: Path | None = None, sandbox: Sandbox | None = None) -> dict:
    """Check every function of the layout found in a module file. Raises
    :class:`~gradkey.verify.code.sandbox.IsolationUnavailable` when the
    sandbox cannot be created here and ``isolation`` is true. ``own``: the
    folder holding the submission's own copies of course helpers (default:
    the file's folder). ``sandbox``: one already launched for this file
    (used when its helpers are the ones the layout needs, closed either way)."""
    path = Path(path)
    secret = secrets.randbits(63) if secret is None else secret
    adapters = default_adapters() if adapters is None else adapters   # the default problem set's [code]
    helpers = default_helpers() if helpers == "" else helpers            # and the course modules it provides
    adapters, helpers, problem_name = resolve(path, adapters, problem, helpers)
    report = {"file": str(path), "isolation": "bubblewrap" if isolation else "none (--no-isolation)"}
    if problem_name:
        report["problem"] = problem_name
    if sandbox is not None and (sandbox.helpers != helpers or sandbox.isolation != isolation):
        sandbox.close()
        sandbox = None
    with sandbox or Sandbox(path, limits, helpers=helpers, isolation=isolation, own=own) as sandbox:
        sandbox.start()
        if sandbox.import_error:
            message = import_message(sandbox.import_error)
            report["error"] = message
            report["functions"] = [FunctionReport(a.function, "error", note="not checked: the module does not "
                                                  "import (see the file's error)").as_dict()
                                   for a in _present_api(path, adapters)]
            return report
        reports = []
        for adapter in _present_api(path, adapters):
            if progress:
                progress(adapter.function)
            if sandbox.remaining() <= 0:
                reports.append(FunctionReport(adapter.function, "error", note=f"not checked: the file's budget of "
                                              f"{limits.file_seconds:g} s ran out before this function"))
                continue
            if not isinstance(adapter, Adapter):   # a problem-file layout checked on the file's own instances
                from gradkey.verify.code import filesearch
                reports.append(filesearch.check_function(sandbox, adapter, examples, secret))
            else:
                reports.append(check_function(sandbox, adapter, examples, secret))
        report["functions"] = [r.as_dict() for r in reports]
        report["sandbox"] = {"starts": sandbox.starts, "start_seconds": [round(s, 3) for s in sandbox.start_seconds]}
    return report
