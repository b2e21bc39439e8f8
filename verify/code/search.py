"""Search for inputs where formula code disagrees with the derived truth.

For each function of the layout, Hypothesis draws instances (d ≠ W and d = W,
d = 1, W from 2, o anywhere, negative samples with repeats, windows with
repeated words) and the sandbox runs the code on them; the first
disagreement is shrunk to a minimal counterexample (``hypothesis.find``,
derandomized, so the same file gives the same verdict and counterexample).
A function that agrees on moderate inputs is then run on large-magnitude
inputs whose true outputs are finite: failing there makes it ``unstable``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from gradkey.derive import Instance

from gradkey.verify.numerics.compare import compare
from gradkey.verify.numerics.instances import seeded_instances
from gradkey.verify.strategies import dims as dims_strategy
from gradkey.verify.strategies import instances
from gradkey.verify.code.layout import CS224N, ROW_OUTPUTS, Adapter, module_function
from gradkey.verify.code.sandbox import Limits, Sandbox, SandboxFailure

DEFAULT_EXAMPLES = 100
ERROR_KINDS = {"raised", "missing", "load", "timeout", "crashed", "exited", "signature"}


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

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Stop(Exception):
    """A finding that ends the search at once (the process died or hung)."""

    def __init__(self, inst, finding):
        self.inst, self.finding = inst, finding


# -- running one instance ---------------------------------------------------------

def run(sandbox: Sandbox, adapter: Adapter, inst: Instance) -> Finding | None:
    call = adapter.call(inst)
    try:
        reply = sandbox.call(module_function(adapter), call.args, call.kwargs, call.samples, call.base)
    except SandboxFailure as exc:
        return Finding(exc.kind, None, str(exc))
    if not reply.get("ok"):
        kind = reply.get("kind", "raised")
        if kind == "raised" and "TypeError" in reply.get("error", "") and "argument" in reply.get("error", ""):
            kind = "signature"
        return Finding(kind, None, reply.get("error", "failed"))
    result = reply["result"]
    if len(adapter.outputs) == 1 and "tuple" in result:   # one list output, e.g. sample indices
        items = result["tuple"]
        ok = all("array" in it and it["finite"] is not False for it in items)
        result = {"array": [it.get("array", 0) for it in items], "finite": ok,
                  "dtype": items[0]["dtype"] if items else "float64", "shape": [len(items)]}
    results = _unpack(result)
    expected = adapter.expected(inst)
    if len(results) != len(expected):
        return Finding("arity", None, f"returns {len(results)} value(s); expected {len(expected)}: "
                                      f"({', '.join(adapter.outputs)})")
    for name, (value, dtype, finite), exp in zip(adapter.outputs, results, expected):
        finding = _compare_output(name, value, dtype, finite, np.asarray(exp, dtype=float), inst, adapter)
        if finding:
            return finding
    if reply.get("mutated"):
        names = [adapter.arguments[i] if i < len(adapter.arguments) else f"argument {i}" for i in reply["mutated"]]
        return Finding("mutated", None, f"modifies its input {', '.join(names)} in place")
    if call.samples and adapter.function.startswith("neg") and reply["drawn"][:inst.dims.K] != list(call.samples[:inst.dims.K]):
        return Finding("samples", None, "does not use the negative samples drawn from dataset.sampleTokenIdx()")
    return None


def _unpack(plain) -> list:
    items = plain["tuple"] if "tuple" in plain else [plain]
    out = []
    for item in items:
        if "array" not in item:
            out.append((None, item.get("other", "?"), False))
            continue
        out.append((np.asarray(item["array"], dtype=float) if item["dtype"] != "object" else None,
                    item["dtype"], np.asarray(item["finite"])))
    return out


def _compare_output(name, value, dtype, finite, expected, inst, adapter) -> Finding | None:
    if value is None:
        return Finding("dtype", name, f"{name} is a {dtype}, not an array of numbers")
    if not (dtype.startswith("float") or dtype.startswith("python-")) and adapter.function != "getNegativeSamples":
        return Finding("dtype", name, f"{name} has dtype {dtype}; a gradient must be floating point")
    if value.shape != expected.shape and not (value.size == 1 and expected.size == 1):
        rows = " (one row per word, like outsideVectors)" if name in ROW_OUTPUTS else ""
        transposed = " — it looks transposed" if value.shape == expected.shape[::-1] else ""
        return Finding("shape", name, f"{name} has shape {value.shape} where {expected.shape} is expected{rows}{transposed}",
                       list(expected.shape), list(value.shape))
    value = value.reshape(expected.shape)
    if not np.all(finite):
        bad = np.argwhere(~np.asarray(finite).reshape(expected.shape)).tolist()
        return Finding("non-finite", name, f"{name} has non-finite values (nan or inf)", _round(expected), None, bad)
    eps = np.finfo(np.float32).eps if dtype in ("float32", "float16") else np.finfo(float).eps
    c = compare(expected, value, scale=inst.error_scale(), rtol=64 * eps)
    if c:
        return None
    wrong = np.argwhere(np.abs(value - expected) > c.bound).tolist() if expected.ndim else [[]]
    return Finding("value", name, _value_message(name, wrong, inst, adapter), _round(expected), _round(value), wrong)


def _round(a):
    return np.round(np.asarray(a, dtype=float), 6).tolist()


def _value_message(name: str, wrong: list, inst: Instance, adapter: Adapter) -> str:
    if name not in ROW_OUTPUTS or not wrong or not wrong[0]:
        hint = ""
        if name == "loss":
            hint = " (the loss value; compare your formula with J in the problem set)"
        return f"{name} is wrong{hint}"
    rows = sorted({w[0] for w in wrong})
    text = f"{name} row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))} {'are' if len(rows) > 1 else 'is'} wrong"
    hints = []
    if adapter.function.startswith("neg"):
        repeated = {w for w in inst.samples if inst.samples.count(w) > 1}
        if repeated and set(rows) <= repeated:
            hints.append("when a negative sample is drawn more than once: each draw adds its own term, "
                         "so repeated samples must be summed")
        elif inst.o in rows and len(rows) == 1:
            hints.append("in the row of the outside word o")
    if adapter.function.startswith("skipgram") and name == "gradOutsideVectors":
        hints.append("each context word's gradient must be added (+=) into the window's sum")
    if adapter.function.startswith("skipgram") and name == "gradCenterVecs" and rows != [inst.c]:
        hints.append(f"only the center word's row ({inst.c}) should be non-zero")
    return text + (": " + "; ".join(hints) if hints else "")


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


def _index_zero_hint(sandbox: Sandbox, adapter: Adapter, inst: Instance, finding: Finding) -> None:
    if inst.o == 0 and inst.dims.W > 1 and finding.kind == "value":
        if run(sandbox, adapter, relabel(inst, 0, inst.dims.W - 1)) is None:
            finding.message += ("; it is right when the same words are numbered so that o ≠ 0: "
                                "is outsideWordIdx = 0 treated as False?")


# -- the search -------------------------------------------------------------------

def _strategy(adapter: Adapter):
    return instances(dims=dims_strategy(d=st.integers(1, 5), W=st.integers(2, 7), K=st.integers(1, 4),
                                        m=st.integers(1, 3)), needs=adapter.needs)


def _inputs(adapter: Adapter, inst: Instance) -> dict:
    call = adapter.call(inst)
    names = adapter.arguments
    shown = {}
    for n, a in zip(names, call.args):
        shown[n] = "(controlled: samples below)" if isinstance(a, str) and a == "<dataset>" else (_round(a) if isinstance(a, np.ndarray) else a)
    shown.update({k: v for k, v in call.kwargs.items()})
    if call.samples:
        shown["samples drawn"] = list(call.samples)
    return shown


def _report(adapter: Adapter, inst: Instance, finding: Finding, examples: int, verdict: str | None = None) -> FunctionReport:
    verdict = verdict or ("error" if finding.kind in ERROR_KINDS else "incorrect")
    counterexample = {"inputs": _inputs(adapter, inst), "dims": dataclasses.asdict(inst.dims),
                      "output": finding.output, "expected": finding.expected, "got": finding.got,
                      "entries": finding.entries[:10]}
    return FunctionReport(adapter.function, verdict, finding.output, counterexample, finding.message, examples)


def check_function(sandbox: Sandbox, adapter: Adapter, examples: int = DEFAULT_EXAMPLES) -> FunctionReport:
    probe = seeded_instances(1, seed=1, needs=adapter.needs)[0]
    first = run(sandbox, adapter, probe)
    if first and first.kind in ("missing", "load", "signature"):
        return FunctionReport(adapter.function, "error", None, None, first.message, 1)
    count = 0

    def disagrees(inst):
        nonlocal count
        count += 1
        finding = run(sandbox, adapter, inst)
        if finding and finding.kind in ("timeout", "crashed", "exited"):
            raise _Stop(inst, finding)
        return finding is not None

    try:
        minimal = find(_strategy(adapter), disagrees, settings=settings(
            max_examples=examples, derandomize=True, database=None, deadline=None,
            phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck)))
    except _Stop as stop:
        return _report(adapter, stop.inst, stop.finding, count, "error")
    except NoSuchExample:
        return _stability(sandbox, adapter, count)
    finding = run(sandbox, adapter, minimal)
    _index_zero_hint(sandbox, adapter, minimal, finding)
    return _report(adapter, minimal, finding, count)


#: Large-magnitude inputs: scores of several hundred, where exp overflows
#: unless the code shifts by the maximum, and σ saturates.
LARGE_SCALE = 300.0


def _stability(sandbox: Sandbox, adapter: Adapter, count: int) -> FunctionReport:
    for inst in seeded_instances(3, seed=7, needs=adapter.needs):
        big = inst.replace(U=inst.U * LARGE_SCALE, V=inst.V * LARGE_SCALE, x=inst.x * LARGE_SCALE)
        finding = run(sandbox, adapter, big)
        if finding is not None:
            if finding.kind in ("timeout", "crashed", "exited", "raised"):
                return _report(adapter, big, finding, count + 1, "error")
            report = _report(adapter, big, finding, count + 1, "unstable")
            report.note = (f"right on moderate inputs, but on large-magnitude inputs (values ×{LARGE_SCALE:g}) "
                           f"where the true outputs are finite: {finding.message}. Shift scores by their "
                           "maximum before exp, and compute log σ stably.")
            return report
    return FunctionReport(adapter.function, "correct", None, None,
                          f"agrees with the derived truth on {count} generated inputs and on large-magnitude inputs",
                          count + 3)


def check_file(path: str | Path, examples: int = DEFAULT_EXAMPLES, adapters=CS224N,
               limits: Limits = Limits(), progress=None) -> dict:
    """Check every function of the layout found in a module file."""
    with Sandbox(path, limits) as sandbox:
        reports = []
        for adapter in adapters:
            if progress:
                progress(adapter.function)
            reports.append(check_function(sandbox, adapter, examples))
    return {"file": str(path), "functions": [r.as_dict() for r in reports]}
