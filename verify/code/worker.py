"""The program that runs inside the sandbox: it imports one module and answers
framed requests. Standalone on purpose: standard library and NumPy only, no
import of the host's package, so the sandbox holds nothing but this file,
the submission, the course helper modules, the Python runtime and NumPy.

The wire format (frames, values, requests, replies) is documented in the
host's protocol module, which also decodes and validates replies. Nothing
here is trusted by the host: the submission runs in this same process and
may replace any of it. The host therefore never relies on a check made here
(mutation, sample draws, base-loss calls are all sent back as data and
judged outside the sandbox). This file must not name the host package.

    python -I -S -B main.py MODULE_PATH REQUEST_FD REPLY_FD ARENA_FD [PATH ...]

ARENA_FD (-1: none) is a memory file the host created and sealed against
resizing: the arrays of a request are placed in it by the host and handed to
the submission as views of this shared mapping, so the host reads back
itself what a call left in them. A base loss replayed "by the host" asks the
host for each answer over the channel, and the host records the call.
"""
import base64
import importlib
import importlib.util
import io
import json
import mmap
import os
import struct
import sys
import traceback

HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024       # bytes of one frame's JSON, both ways
MAX_DEPTH = 16                     # nesting of lists/tuples/dicts in a value
PRINT_CAP = 4096                   # characters of the submission's prints kept

# The host's shared arena (an mmap of ARENA_FD) and the channel's fds, set by main().
_ARENA = None
_FDS = (None, None)


# -- frames ------------------------------------------------------------------------

def write_frame(fd, message):
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(data) > MAX_FRAME:
        data = json.dumps({"type": "result", "id": message.get("id"), "ok": False, "kind": "oversized",
                           "error": f"the reply is {len(data)} bytes, more than the limit of {MAX_FRAME}"}).encode()
    payload = HEADER.pack(len(data)) + data
    view = memoryview(payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    head = _read_exact(fd, HEADER.size)
    if head is None:
        return None
    (n,) = HEADER.unpack(head)
    if n > MAX_FRAME:
        raise ValueError("request frame too large")
    body = _read_exact(fd, n)
    return None if body is None else json.loads(body)


# -- values --------------------------------------------------------------------------

def _np():
    import numpy
    return numpy


class Unencodable(Exception):
    pass


def encode(value, depth=0):
    """A value as JSON-able data (see protocol.py); arrays keep dtype and shape."""
    np = _np()
    if depth > MAX_DEPTH:
        raise Unencodable(f"nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):   # before float: np.float64 is a float
        a = np.asarray(value)
        if a.dtype.kind not in "biufc":
            return {"other": f"array of {a.dtype}"}
        tag = "nd" if isinstance(value, np.ndarray) else "sc"
        return {tag: [a.dtype.str, list(a.shape), base64.b64encode(a.tobytes()).decode()]}
    if isinstance(value, int):
        return int(value) if -(1 << 63) <= value < (1 << 63) else {"f": repr(float(value))}
    if isinstance(value, float):
        v = float(value)
        return v if v == v and abs(v) != float("inf") else {"f": repr(v)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, Dataset):
        return {"handle": "dataset"}
    return {"other": type(value).__name__}


def decode(value, handles):
    """Request values (from the host: trusted) as Python objects."""
    np = _np()
    if isinstance(value, list):
        raise ValueError("bare JSON lists are not values; use {'list': [...]}")
    if not isinstance(value, dict):
        return value
    (tag, body), = value.items()
    if tag in ("nd", "sc"):
        dtype, shape, data = body
        a = np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
        return a if tag == "nd" else a[()]
    if tag == "shm":
        # an array the host placed in the shared arena: a writable view of it, so
        # an in-place change is what the host reads back after the call
        dtype, shape, offset = body
        return np.ndarray(tuple(shape), dtype=np.dtype(dtype), buffer=_ARENA, offset=int(offset))
    if tag == "f":
        return float(body)
    if tag == "list":
        return [decode(v, handles) for v in body]
    if tag == "tuple":
        return tuple(decode(v, handles) for v in body)
    if tag == "dict":
        return {decode(k, handles): decode(v, handles) for k, v in body}
    if tag == "handle":
        return handles[body]
    raise ValueError(f"unknown value tag {tag!r}")


# -- what a call may be handed ---------------------------------------------------------

class Dataset:
    """What the course's dataset offers a loss function: sampleTokenIdx()
    hands out the queued word indices in order (so repeats can be forced),
    then cycles; every draw is recorded."""

    def __init__(self, queue):
        self._queue = [int(i) for i in queue] or [0]
        self._drawn = []

    def sampleTokenIdx(self):  # noqa: N802 - the course's name
        idx = self._queue[len(self._drawn) % len(self._queue)]
        self._drawn.append(idx)
        return idx


def replay(table, calls):
    """A base loss function that answers from a table the host computed:
    the n-th call with outside word w gets the entry of w's n-th occurrence.
    Every call's arguments are recorded for the host to check."""
    np = _np()
    entries = {}
    for entry in table:
        entries.setdefault(int(entry["o"]), []).append(entry)
    used = {}

    def lossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset=None, K=None):  # noqa: N802,N803
        record = {}
        for key, arg in (("center", centerWordVec), ("outside", outsideVectors)):
            try:
                record[key] = encode(np.array(arg, dtype=float))
            except BaseException as exc:
                record[key] = {"other": type(exc).__name__}
        try:
            idx = int(outsideWordIdx)
        except (TypeError, ValueError):
            idx = None
        record["o"] = idx
        calls.append(record)
        n = used.get(idx, 0)
        used[idx] = n + 1
        options = entries.get(idx, [])
        if n >= len(options):
            record["unexpected"] = True
            return 0.0, np.zeros(np.shape(centerWordVec)), np.zeros(np.shape(outsideVectors))
        e = options[n]
        return decode(e["loss"], {}), decode(e["center"], {}), decode(e["outside"], {})
    return lossAndGradient


def remote(name, call_id, calls):
    """A base loss replayed by the host: each call sends its arguments to the
    host, which records them (the record the host judges is its own) and
    answers with the entry of that outside word's n-th occurrence, or None
    (then zeros). The table itself never enters the sandbox."""
    np = _np()

    def lossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset=None, K=None):  # noqa: N802,N803
        record = {"type": "base-call", "id": call_id, "table": name}
        for key, arg in (("center", centerWordVec), ("outside", outsideVectors)):
            try:
                record[key] = encode(np.array(arg, dtype=float))
            except BaseException as exc:
                record[key] = {"other": type(exc).__name__}
        try:
            record["o"] = int(outsideWordIdx)
        except (TypeError, ValueError, OverflowError):
            record["o"] = None
        calls.append({k: record[k] for k in ("o", "center", "outside")})
        request_fd, reply_fd = _FDS
        write_frame(reply_fd, record)
        answer = read_frame(request_fd)
        entry = answer.get("entry") if isinstance(answer, dict) else None
        if entry is None:
            return 0.0, np.zeros(np.shape(centerWordVec)), np.zeros(np.shape(outsideVectors))
        return decode(entry["loss"], {}), decode(entry["center"], {}), decode(entry["outside"], {})
    return lossAndGradient


class StandIn:
    """The replayed base loss in the place of the module's own function of that
    name: it answers from the table, and compares equal to the function it
    replaces, as the course's call (skipgram(..., naiveSoftmaxLossAndGradient))
    would — code may assert which base loss it was handed."""

    def __init__(self, replayed, own):
        self._replayed, self._own = replayed, own
        self.__name__ = getattr(own, "__name__", "lossAndGradient")

    def __call__(self, *args, **kwargs):
        return self._replayed(*args, **kwargs)

    def __eq__(self, other):
        return other is self or other is self._own

    def __hash__(self):
        return hash(self._own)


# -- running one call ---------------------------------------------------------------------

class CappedText(io.TextIOBase):
    """Where the submission's prints go: the first PRINT_CAP characters are
    kept, the rest dropped (a print loop must not fill the memory)."""

    def __init__(self):
        self.kept = []
        self.size = 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        if self.size < PRINT_CAP:
            self.kept.append(s[:PRINT_CAP - self.size])
        self.size += len(s)
        return len(s)

    def text(self):
        return "".join(self.kept)


def _target(module, target, handles):
    if "function" in target:
        fn = getattr(module, target["function"], None)
        if fn is None or not callable(fn):
            raise LookupError(f"no function {target['function']} in the module")
        return fn, None
    cls = getattr(module, target["class"], None)
    if cls is None or not isinstance(cls, type):
        raise LookupError(f"no class {target['class']} in the module")
    init = target.get("init", {})
    obj = cls(*[decode(a, handles) for a in init.get("args", [])],
              **{k: decode(v, handles) for k, v in init.get("kwargs", {}).items()})
    for name, value in target.get("set", {}).items():
        setattr(obj, name, decode(value, handles))
    method = getattr(obj, target["method"], None)
    if method is None or not callable(method):
        raise LookupError(f"no method {target['method']} on {target['class']}")
    return method, obj


def call(module, request):
    """Run one call; every outcome is a reply (the submission may raise
    anything, including SystemExit)."""
    base = {"type": "result", "id": request.get("id")}
    dataset = Dataset(request.get("dataset", ()))
    calls = []
    handles = {"dataset": dataset}
    for name, table in request.get("tables", {}).items():
        handles[name] = remote(name, request.get("id"), calls) if table == "host" else replay(table, calls)
        own = getattr(module, str(request.get("stands_for", {}).get(name, "")), None)
        if callable(own):
            handles[name] = StandIn(handles[name], own)
    try:
        args = [decode(a, handles) for a in request.get("args", [])]
        kwargs = {k: decode(v, handles) for k, v in request.get("kwargs", {}).items()}
        fn, obj = _target(module, request["target"], handles)
    except LookupError as exc:
        return {**base, "ok": False, "kind": "missing", "error": str(exc)}
    except BaseException as exc:
        return {**base, "ok": False, "kind": "raised", "exception": type(exc).__name__,
                "error": f"{type(exc).__name__}: {str(exc)[:500]}", "traceback": _tail()}
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are findings too
        return {**base, "ok": False, "kind": "raised", "exception": type(exc).__name__,
                "error": f"{type(exc).__name__}: {str(exc)[:500]}", "traceback": _tail()}
    try:
        value = encode(result)
        # the arguments as the call left them; with an arena the host reads them itself
        after = [encode(a) for a in args] if _ARENA is None else []
        # the attributes the request set (a model's params), as the call left them
        state = {name: encode(getattr(obj, name, None)) for name in request["target"].get("set", {})} if obj is not None else {}
    except BaseException as exc:
        return {**base, "ok": False, "kind": "unencodable",
                "error": f"the returned value could not be sent back: {type(exc).__name__}: {str(exc)[:200]}"}
    return {**base, "ok": True, "value": value, "after": after, "state": state, "drawn": list(dataset._drawn), "calls": calls}


def _tail():
    return traceback.format_exc()[-2000:]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module        # `from word2vec import ...` in a helper finds it
    spec.loader.exec_module(module)
    return module


def _import_error(exc):
    error = {"type": "import-error", "exception": type(exc).__name__, "error": f"{type(exc).__name__}: {str(exc)[:500]}",
             "traceback": _tail()}
    if isinstance(exc, SyntaxError):
        error.update(line=exc.lineno, text=(exc.text or "").strip()[:200], message=str(exc.msg)[:300])
    return error


def _compat():
    """The course helpers' ``course_compat.py``, when they have one, runs
    before the submission: it provides what the course's era of code expects
    of its interpreter (CS231n: a bare ``xrange``, ``np.float``)."""
    if importlib.util.find_spec("course_compat") is not None:
        importlib.import_module("course_compat")


def main(argv):
    global _ARENA, _FDS
    path, request_fd, reply_fd, arena_fd = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    sys.path[:0] = argv[5:]
    _FDS = (request_fd, reply_fd)
    if arena_fd >= 0:
        _ARENA = mmap.mmap(arena_fd, os.fstat(arena_fd).st_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    # fds 1 and 2 are /dev/null; Python-level prints go to a capped buffer
    sys.stdout = sys.stderr = CappedText()
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        import resource
        # No process of its own: the kernel counts this one (uid 0 is exempt;
        # the sandbox's seccomp filter holds there).
        resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
    except (ImportError, ValueError, OSError):
        pass
    try:
        _np()                      # NumPy's import is not the submission's time
        _compat()
        module = load(path, name if name.isidentifier() else "submission")
        write_frame(reply_fd, {"type": "ready"})
    except BaseException as exc:
        write_frame(reply_fd, _import_error(exc))
        return
    while True:
        request = read_frame(request_fd)
        if request is None:
            return
        for one in request.get("calls", []):
            write_frame(reply_fd, call(module, one))


if __name__ == "__main__":
    main(sys.argv)
