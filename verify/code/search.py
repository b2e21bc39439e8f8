"""Search for inputs where formula code disagrees with the derived truth.

For each function of the layout the grader draws instances (d ≠ W and
d = W, d = 1, W from 2, o anywhere including 0 and W−1, negative samples
with repeats, windows with repeated words): a fixed, derandomized set, plus
a few drawn with a secret per-run seed so that a file cannot be tuned to
the fixed inputs. They go to the sandbox in one request and the replies
stream back; each is judged here, on the grader's side (shape, dtype,
finiteness, value with float64 tolerances, mutated arguments, the samples
drawn, the base-loss calls). The first disagreement is then shrunk to a
minimal counterexample with Hypothesis (derandomized). A function that
agrees everywhere is run on targeted large-magnitude probes, kept only
where the course-standard formulation is finite and right
(``standard.py``): failing one makes it ``unstable``.
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

from gradkey.derive import Dims, Instance, gradients
from gradkey.verify.code import standard
from gradkey.verify.code.layout import Adapter, default_adapters, default_helpers, module_function
from gradkey.verify.code.protocol import Handle, Other, Reply, encode
from gradkey.verify.code.sandbox import Limits, Sandbox, SandboxFailure
from gradkey.verify.numerics.compare import compare
from gradkey.verify.numerics.instances import random_instance
from gradkey.verify.strategies import dims as dims_strategy
from gradkey.verify.strategies import instances

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

def judge(adapter: Adapter, inst: Instance, call, reply) -> Finding | None:
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


def _base_calls(inst: Instance, call, reply: Reply, adapter: Adapter) -> Finding | None:
    """The replayed base loss's calls: one per label of the window, each handed
    the arguments the replayed function's own layout gives it (call.base_args)."""
    calls = reply.calls or []
    names = _replayed_names(adapter)
    for n, c in enumerate(calls):
        if c["unexpected"]:
            return Finding("base-call", None, f"calls the base loss with {names['label']} = {c['o']}, which is not "
                                              "one of the window's outside words (or more often than it occurs)")
        for key, what in (("center", f"a {names['center']} other than {names['center value']}"),
                          ("outside", f"a {names['outside']} other than {names['outside value']}")):
            got, (_, expected) = c[key], call.base_args[key]
            if not (isinstance(got, np.ndarray) and np.array_equal(got, expected)):
                return Finding("base-call", None, f"passes the base loss {what}")
    if len(calls) != len(call.base_window):
        return Finding("base-call", None, f"calls the base loss {len(calls)} time(s) for a window of "
                                          f"{len(call.base_window)} outside word(s); once per outside word is expected")
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


def _value_message(name: str, wrong: list, inst: Instance, adapter: Adapter, expected=None) -> str:
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

def run_many(runner, adapter: Adapter, insts: list[Instance]):
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


def run(runner, adapter: Adapter, inst: Instance) -> Finding | None:
    """Judge one instance."""
    _, finding, _ = run_many(runner, adapter, [inst])
    return finding


def relabel(inst: Instance, a: int, b: int) -> Instance:
    """The same instance with words a and b swapped: the same mathematics,
    other indices. A finding that disappears under it depends on an index."""
    perm = list(range(inst.dims.W))
    perm[a], perm[b] = perm[b], perm[a]
    p = lambda w: perm[w]  # noqa: E731
    cols = np.argsort(perm)
    return inst.replace(U=inst.U[:, cols], V=inst.V[:, cols], c=p(inst.c), o=p(inst.o), w=p(inst.w), v=p(inst.v),
                        samples=tuple(map(p, inst.samples)), window=tuple(map(p, inst.window)),
                        window_samples=tuple(tuple(map(p, ws)) for ws in inst.window_samples))


def _index_zero_hint(runner, adapter: Adapter, inst: Instance, finding: Finding) -> None:
    if inst.o == 0 and inst.dims.W > 1 and finding.kind == "value":
        if run(runner, adapter, relabel(inst, 0, inst.dims.W - 1)) is None:
            finding.message += ("; it is right when the same words are numbered so that o ≠ 0: "
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

def _strategy(adapter: Adapter):
    return instances(dims=dims_strategy(d=st.integers(1, 5), W=st.integers(2, 7), K=st.integers(1, 4),
                                        m=st.integers(1, 3)), needs=adapter.needs)


#: The dimension tuples the generated inputs cycle through: d ≠ W, d = W,
#: d = 1, the smallest W and K, and a larger window. Few tuples on purpose:
#: the truth is derived once per tuple (SymPy), which dominates the time of
#: a fresh process; the shrinking search explores other tuples when needed.
CODE_DIMS = (Dims(3, 5, 3, 1), Dims(4, 4, 2, 2), Dims(1, 3, 2, 1), Dims(2, 2, 1, 1), Dims(5, 7, 4, 3))


def _fits(dims: Dims, needs: str) -> bool:
    return not (needs == "repeated" and dims.K < 2 or needs == "distinct" and dims.W < dims.K + 1)


def drawn_instances(adapter: Adapter, n: int, seed: int) -> list[Instance]:
    """n instances from a NumPy generator, cycling through ``CODE_DIMS``,
    with o moved to 0 and to W−1 in turn. Consecutive instances share their
    dims in pairs: a function that hands back its previous call's answer when
    the shapes fit (memoised, or a global it forgot to reset) is then wrong on
    the second of each pair, not only under a stability probe."""
    rng = np.random.default_rng(seed)
    dims = [d for d in CODE_DIMS if _fits(d, adapter.needs)]
    out = []
    for j in range(n):
        inst = random_instance(rng, dims[(j // 2) % len(dims)], adapter.needs)
        if j % 3 == 1 and inst.o != 0:
            inst = relabel(inst, inst.o, 0)
        elif j % 3 == 2 and inst.o != inst.dims.W - 1:
            inst = relabel(inst, inst.o, inst.dims.W - 1)
        out.append(inst)
    return out


FIXED_SEED = 20240607


# -- stability probes -----------------------------------------------------------------------

#: (name, what it is, scores of o / of the other words or samples)
PROBES = (
    ("scores≈50", "scores near 50", 50.0, 50.0),
    ("scores≈780", "every score near 780, where exp overflows", 780.0, 780.0),
    ("confident", "a confident model: u_oᵀv_c = +800, every other score −800", 800.0, -800.0),
)


def _probe(adapter: Adapter, so: float, sw: float, rng) -> Instance:
    dims = CODE_DIMS[0]
    inst = random_instance(rng, dims, adapter.needs)
    a = 20.0
    v = np.array([a, 0.0, 0.0])
    V = np.tile(v[:, None], (1, dims.W)) + np.vstack([np.zeros(dims.W), rng.uniform(-0.5, 0.5, (2, dims.W))])
    V[:, inst.c] = v
    U = rng.uniform(-0.5, 0.5, (3, dims.W))
    U[0, :] = (sw + rng.uniform(-1, 1, dims.W)) / a
    U[0, inst.o] = (so + rng.uniform(-1, 1)) / a
    # a function applied elementwise is probed at the scores themselves
    return inst.replace(V=V, U=U, **({adapter.points: so} if adapter.points else {}))


def _standard_ok(loss: str, inst: Instance) -> bool:
    """The course-standard formulation is finite and right here."""
    formulation = standard.FORMULATIONS.get(loss)
    if formulation is None:
        return False
    with np.errstate(all="ignore"):
        value, grads = formulation(inst)
    truth = gradients(loss, inst)
    pairs = [(truth.loss, value)] + [(truth[k], g) for k, g in grads.items()]
    return all(np.all(np.isfinite(g)) and compare(np.asarray(t, dtype=float), np.asarray(g, dtype=float),
                                                  scale=inst.error_scale(), rtol=RTOL) for t, g in pairs)


def probes(adapter: Adapter) -> list[tuple[str, str, Instance]]:
    """The targeted large-magnitude inputs at which this function is judged
    for stability: those where the course-standard formulation holds."""
    if adapter.loss not in standard.FORMULATIONS or not adapter.stability:
        return []
    rng = np.random.default_rng(7)
    out = []
    for name, what, so, sw in PROBES:
        if adapter.points:
            so = sw if name != "confident" else -800.0
        inst = _probe(adapter, so, sw, rng)
        if _standard_ok(adapter.loss, inst):
            out.append((name, what, inst))
    return out


def _stability(runner, adapter: Adapter, count: int) -> FunctionReport:
    checked = probes(adapter)
    for name, what, inst in checked:
        finding = run(runner, adapter, inst)
        if finding is None:
            continue
        if finding.kind in ERROR_KINDS:
            return _report(adapter, inst, finding, count + 1, "error")
        report = _report(adapter, inst, finding, count + 1, "unstable")
        advice = standard.ADVICE.get((adapter.loss, name), standard.GENERAL_ADVICE)
        shown = "non-finite" if finding.kind == "non-finite" else "wrong"
        report.note = (f"right on moderate inputs, but {shown} on large-magnitude inputs ({what}) where the "
                       f"course-standard formulation is finite and right: {finding.message}. {advice}.")
        return report
    probes_text = f" and on {len(checked)} large-magnitude probe(s)" if checked else ""
    return FunctionReport(adapter.function, "correct", None, None,
                          f"agrees with the derived truth on {count} generated inputs{probes_text}",
                          count + len(checked))


# -- the search -------------------------------------------------------------------------------

def _inputs(adapter: Adapter, inst: Instance) -> dict:
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


def _report(adapter: Adapter, inst: Instance, finding: Finding, examples: int, verdict: str | None = None) -> FunctionReport:
    verdict = verdict or ("error" if finding.kind in ERROR_KINDS else "incorrect")
    counterexample = {"inputs": _inputs(adapter, inst), "dims": dataclasses.asdict(inst.dims),
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
