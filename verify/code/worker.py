"""The sandboxed side of ``gradkey code``: runs inside a subprocess with time
and memory limits, imports the untrusted module, and answers calls sent as
JSON lines on stdin. Nothing here trusts the module: every call is wrapped,
inputs are compared with copies afterwards to find mutation, and the output
is reduced to plain data before it leaves the process."""
from __future__ import annotations

import importlib.util
import io
import json
import sys
import traceback

import numpy as np


class ControlledDataset:
    """A stand-in for the course's dataset: sampleTokenIdx() returns the
    queued word indices in order (so repeats can be forced), then cycles."""

    def __init__(self, queue):
        self.queue = list(queue) or [0]
        self.drawn = []

    def sampleTokenIdx(self):  # noqa: N802 - the course's name
        idx = self.queue[len(self.drawn) % len(self.queue)]
        self.drawn.append(idx)
        return idx


def plain(value):
    """Outputs as JSON-able data, keeping dtype and shape."""
    if isinstance(value, np.ndarray) or np.isscalar(value) and isinstance(value, np.generic):
        a = np.asarray(value)
        return {"array": np.where(np.isfinite(a), a, 0).tolist() if a.dtype.kind in "fc" else a.tolist(),
                "finite": np.isfinite(a).tolist() if a.dtype.kind in "fc" else True,
                "dtype": str(a.dtype), "shape": list(a.shape)}
    if isinstance(value, (int, float)):
        a = np.asarray(float(value))
        return {"array": float(value) if np.isfinite(a) else 0.0, "finite": bool(np.isfinite(a)),
                "dtype": "python-" + type(value).__name__, "shape": []}
    if isinstance(value, (tuple, list)):
        return {"tuple": [plain(v) for v in value]}
    return {"other": type(value).__name__, "repr": repr(value)[:200]}


def decode(arg):
    if isinstance(arg, dict) and "ndarray" in arg:
        return np.array(arg["ndarray"], dtype=float)
    return arg


def load(path):
    spec = importlib.util.spec_from_file_location("submitted_module", path)
    module = importlib.util.module_from_spec(spec)
    out, sys.stdout = sys.stdout, io.StringIO()   # the module's prints must not break the protocol
    try:
        spec.loader.exec_module(module)
    finally:
        sys.stdout = out
    return module


def reference_base(spec):
    """A truth-backed base loss for skipgram, so skipgram is judged on its own.
    ``spec`` is "naive:K" or "neg:K"."""
    kind, _, k = spec.partition(":")
    default_k = int(k or 10)
    from gradkey.derive.derivation import gradients
    from gradkey.derive.signature import Dims, Instance

    def loss_and_gradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=None):  # noqa: N803
        W, d = outsideVectors.shape
        U = outsideVectors.T
        samples = ()
        if kind == "neg":
            samples = tuple(int(dataset.sampleTokenIdx()) for _ in range(K or default_k))
        dims = Dims(d=d, W=W, K=max(len(samples), 1), m=1)
        o = int(outsideWordIdx)
        inst = Instance(dims, 0.0, np.tile(centerWordVec[:, None], (1, W)), U, 0, o, (o + 1) % W,
                        samples or ((o + 1) % W,), 0, (o, o), (samples or ((o + 1) % W,),) * 2, 1)
        g = gradients(kind, inst)
        return g.loss, g["v_c"], g["U"].T
    return loss_and_gradient


def call(module, request):
    fn = getattr(module, request["function"], None)
    if fn is None or not callable(fn):
        return {"ok": False, "kind": "missing", "error": f"no function {request['function']} in the module"}
    args = [decode(a) for a in request["args"]]
    kwargs = {k: decode(v) for k, v in request.get("kwargs", {}).items()}
    dataset = ControlledDataset(request.get("samples", []))
    def is_dataset(a):
        return isinstance(a, str) and a == "<dataset>"
    args = [dataset if is_dataset(a) else a for a in args]
    kwargs = {k: (dataset if is_dataset(v) else v) for k, v in kwargs.items()}
    if request.get("base"):
        kwargs["word2vecLossAndGradient"] = reference_base(request["base"])
    copies = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    out, sys.stdout = sys.stdout, io.StringIO()
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are findings too
        return {"ok": False, "kind": "raised", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-2000:]}
    finally:
        sys.stdout = out
    mutated = [i for i, (a, c) in enumerate(zip(args, copies)) if c is not None and not np.array_equal(a, c, equal_nan=True)]
    return {"ok": True, "result": plain(result), "mutated": mutated, "drawn": dataset.drawn}


def main(path):
    try:
        module = load(path)
        print(json.dumps({"ready": True}), flush=True)
    except BaseException as exc:
        print(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}",
                          "traceback": traceback.format_exc()[-2000:]}), flush=True)
        return
    for line in sys.stdin:
        try:
            reply = call(module, json.loads(line))
        except BaseException as exc:
            reply = {"ok": False, "kind": "raised", "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
