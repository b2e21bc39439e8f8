"""The framed channel between the grader and the sandboxed worker.

The worker (``worker.py``, standalone) runs the submission; this module is the
grader's side. Replies come from a process that runs untrusted code, so every
byte is treated as hostile: a read has a deadline, a frame has a size cap,
and a value is validated (tags, dtype, shape, byte count, nesting) before
anything looks at it. A violation is a :class:`ProtocolError` — a finding
about the submission, never a traceback of the grader's.

Channel
    Two pipes created by the grader and handed to the worker as file
    descriptors (never stdin/stdout: fds 1 and 2 of the sandbox are
    /dev/null, so ``print`` or ``os.system("echo …")`` cannot reach the
    grader). One carries requests, the other replies.

Frames
    A 4-byte big-endian length N, then N bytes of UTF-8 JSON (no NaN or
    Infinity literals). N ≤ ``MAX_FRAME`` (16 MiB); a longer announced length
    ends the channel.

Values (both ways)
    ``null``, booleans, strings, integers (|i| < 2⁶³) and finite floats are
    JSON natives. Everything else is an object with exactly one tag:

    - ``{"nd": [dtype, shape, base64]}`` an array (dtype a NumPy type string
      of a bool/int/uint/float/complex type, e.g. ``"<f8"``; shape a list of
      sizes; base64 of the C-order bytes, whose length must equal
      prod(shape) × itemsize); ``{"sc": [...]}`` the same for a NumPy scalar
    - ``{"f": "nan" | "inf" | "-inf" | repr}`` a non-finite Python float
    - ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}``
      (nesting at most 16 deep)
    - ``{"handle": NAME}`` an object of the call's environment: ``"dataset"``
      (``sampleTokenIdx()`` handing out the request's queue) or the name of
      a replay table (a callable; see below)
    - ``{"other": TYPENAME}`` (replies only) a value that is none of these

Requests (grader → worker)
    ``{"calls": [CALL, ...]}``; the worker answers each CALL with one reply
    frame, in order. A CALL is::

        {"id": n,
         "target": {"function": F}
                 | {"class": C, "init": {"args": [...], "kwargs": {...}},
                    "set": {attr: value, ...}, "method": M},
         "args": [value, ...], "kwargs": {name: value},
         "dataset": [word indices the dataset hands out, in order],
         "tables": {NAME: [{"o": w, "loss": x, "center": [...], "outside": [[...]]}, ...]},
         "stands_for": {NAME: F}}

    A table is a base loss answered by replay: the grader computes the
    derived loss and gradients for exactly the calls the function under test
    should make (skip-gram's window words), and the n-th call with outside
    word w returns the entry of w's n-th occurrence. Every call made to it is
    recorded in the reply, so the grader can check what was passed. With
    ``stands_for``, the table is handed over in the place of the module's own
    function F and compares equal to it (code may assert which base it got).

Replies (worker → grader)
    First ``{"type": "ready"}`` once the module is imported, or
    ``{"type": "import-error", "exception", "error", "traceback"[, "line",
    "text", "message"]}``. Then per CALL::

        {"type": "result", "id": n, "ok": true, "value": value,
         "after": [the arguments as the call left them], "drawn": [indices],
         "state": {attribute: value, ...} (class targets: what "set" set, after the call),
         "calls": [{"o": w, "center": value, "outside": value[, "unexpected": true]}]}
        {"type": "result", "id": n, "ok": false, "kind": "raised" | "missing" | ...,
         "error": text[, "exception": name, "traceback": text]}
"""
from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import select
import time
from dataclasses import dataclass

import numpy as np

from gradkey.verify.code.worker import HEADER, MAX_DEPTH, MAX_FRAME

MAX_NODES = 200_000          # values in one reply
MAX_STRING = 20_000          # characters of one string
MAX_NDIM = 8
DTYPE_KINDS = "biufc"
_FLOAT_TEXT = re.compile(r"^-?(nan|inf|\d+(\.\d*)?(e[-+]?\d+)?)$", re.IGNORECASE)


class ProtocolError(Exception):
    """A reply that breaks the format: forged, partial, oversized or garbage."""


class Timeout(Exception):
    """No complete frame before the deadline."""


class Closed(Exception):
    """The worker's end of the channel closed (the process ended)."""


@dataclass(frozen=True)
class Handle:
    """An object of the call's environment, named in a request (``dataset``
    or a replay table)."""
    name: str


@dataclass(frozen=True)
class Other:
    """A returned value that is not data (a function, None inside an array, …)."""
    type_name: str

    def __str__(self):
        return self.type_name


# -- values -------------------------------------------------------------------------

def encode(value):
    """A request value (trusted: built by the grader) in the wire format."""
    if isinstance(value, Handle):
        return {"handle": value.name}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)) and not isinstance(value, np.ndarray):
        v = float(value)
        return v if np.isfinite(v) else {"f": repr(v)}
    if isinstance(value, np.ndarray):
        a = np.asarray(value)   # tobytes() is C order; ascontiguousarray would make 0-d arrays 1-d
        return {"nd": [a.dtype.str, list(a.shape), base64.b64encode(a.tobytes()).decode()]}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot send a {type(value).__name__}")


class _Budget:
    def __init__(self):
        self.nodes = 0

    def tick(self):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ProtocolError(f"the reply holds more than {MAX_NODES} values")


def decode(value, budget: _Budget | None = None, depth: int = 0):
    """A reply value, validated: arrays (with their dtype), Python scalars,
    lists, tuples, dicts, :class:`Handle` and :class:`Other`. Anything
    malformed raises :class:`ProtocolError`."""
    budget = budget or _Budget()
    budget.tick()
    if depth > MAX_DEPTH + 1:
        raise ProtocolError(f"a value nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 63):
            raise ProtocolError("an integer out of range")
        return value
    if isinstance(value, float):
        if not np.isfinite(value):
            raise ProtocolError("a bare non-finite float")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ProtocolError("a string too long")
        return value
    if not isinstance(value, dict) or len(value) != 1:
        raise ProtocolError(f"not a value: {type(value).__name__}")
    (tag, body), = value.items()
    if tag in ("nd", "sc"):
        return _array(body, scalar=(tag == "sc"))
    if tag == "f":
        if not isinstance(body, str) or not _FLOAT_TEXT.match(body.strip()):
            raise ProtocolError("a malformed float")
        return float(body)
    if tag in ("list", "tuple"):
        if not isinstance(body, list):
            raise ProtocolError(f"a malformed {tag}")
        items = [decode(v, budget, depth + 1) for v in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
            raise ProtocolError("a malformed dict")
        out = {}
        for k, v in body:
            key = decode(k, budget, depth + 1)
            if not isinstance(key, (str, int)):
                raise ProtocolError("a dict key that is not a string or integer")
            out[key] = decode(v, budget, depth + 1)
        return out
    if tag == "handle":
        if not isinstance(body, str) or len(body) > 100:
            raise ProtocolError("a malformed handle")
        return Handle(body)
    if tag == "other":
        if not isinstance(body, str):
            raise ProtocolError("a malformed type name")
        return Other(body[:100])
    raise ProtocolError(f"an unknown value tag {tag[:40]!r}")


def _array(body, scalar: bool):
    if not (isinstance(body, list) and len(body) == 3 and isinstance(body[0], str) and isinstance(body[1], list)
            and isinstance(body[2], str)):
        raise ProtocolError("a malformed array")
    dtype_text, shape, data = body
    try:
        dtype = np.dtype(dtype_text)
    except TypeError:
        raise ProtocolError(f"an unknown dtype {dtype_text[:20]!r}") from None
    if dtype.kind not in DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"an array of dtype {dtype_text[:20]!r}")
    if len(shape) > MAX_NDIM or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < (1 << 31)
                                        for n in shape):
        raise ProtocolError("a malformed shape")
    if scalar and shape:
        raise ProtocolError("a scalar with a shape")
    size = 1
    for n in shape:
        size *= n
    if size * dtype.itemsize > MAX_FRAME:
        raise ProtocolError("an array larger than a frame")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("array data that is not base64") from None
    if len(raw) != size * dtype.itemsize:
        raise ProtocolError(f"array data of {len(raw)} bytes for shape {shape} of {dtype}")
    a = np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=True)
    return a


# -- frames ---------------------------------------------------------------------------

def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


class Channel:
    """The grader's ends of the two pipes: frames out with :meth:`send`, in
    with :meth:`receive`; both with a deadline."""

    def __init__(self, request_fd: int, reply_fd: int):
        self.request_fd, self.reply_fd = request_fd, reply_fd
        os.set_blocking(request_fd, False)
        os.set_blocking(reply_fd, False)
        self.buffer = bytearray()

    def send(self, message: dict, deadline: float) -> None:
        data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        view = memoryview(HEADER.pack(len(data)) + data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("the worker did not read its request")
            _, ready, _ = select.select([], [self.request_fd], [], left)
            if not ready:
                continue
            try:
                n = os.write(self.request_fd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise Closed("the worker's end of the channel is closed") from None
            view = view[n:]

    def receive(self, deadline: float) -> dict:
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no reply before the deadline")
            ready, _, _ = select.select([self.reply_fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.reply_fd, 1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                if self.buffer:
                    raise ProtocolError(f"the reply stream ended inside a frame ({len(self.buffer)} bytes pending)")
                raise Closed("the worker's end of the channel closed")
            self.buffer += chunk

    def _frame(self):
        if len(self.buffer) < HEADER.size:
            return None
        (n,) = HEADER.unpack(self.buffer[:HEADER.size])
        if n > MAX_FRAME:
            raise ProtocolError(f"a reply frame announced {n} bytes, more than the limit of {MAX_FRAME}")
        if len(self.buffer) < HEADER.size + n:
            return None
        body = bytes(self.buffer[HEADER.size:HEADER.size + n])
        del self.buffer[:HEADER.size + n]
        try:
            message = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ProtocolError(f"a reply frame that is not JSON ({type(exc).__name__})") from None
        if not isinstance(message, dict):
            raise ProtocolError("a reply frame that is not an object")
        return message


# -- the shared arena: input arrays the host reads back itself ---------------------------

ARENA_BYTES = 32 * 1024 * 1024      # a request's arrays (a request frame held at most ~12 MB of them)
_ALIGN = 64


class Arena:
    """A memory file (memfd) the host creates, sized once and sealed against
    growing, shrinking and further seals, then maps into the worker
    (``ARENA_FD``). A request's arrays are written here and sent as
    ``{"shm": [dtype, shape, offset]}``; the worker hands the submission
    views of this shared memory, and after the reply the host reads the bytes
    back with ``pread`` on its own descriptor. What a call left in its inputs
    is thus the host's observation, not a report from the sandbox, where the
    submission can rewrite the worker. The seals keep the worker from
    resizing the file (a shrink would make the host's reads short, a growth
    would be memory outside its address-space budget)."""

    def __init__(self, size: int = ARENA_BYTES):
        self.size = size
        self.fd = os.memfd_create("gradkey-arena", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(self.fd, size)
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
        self.used = 0

    def reset(self) -> None:
        """A new request: its arrays start again at offset 0 (the replies of
        the previous one have all been read)."""
        self.used = 0

    def fits(self, request: dict) -> bool:
        return self.used + _arrays_bytes(request) <= self.size

    def place(self, request: dict) -> tuple[dict, list]:
        """The request with each array moved into the arena, and where each
        went: a list of (path, dtype, shape, offset, bytes sent) with path
        the keys from the request's root to the array."""
        placed: list = []

        def walk(value, path):
            if isinstance(value, dict) and len(value) == 1 and "nd" in value:
                dtype, shape, data = value["nd"]
                raw = base64.b64decode(data)
                offset = self.used
                if offset + len(raw) > self.size:
                    raise ValueError(f"a request's arrays exceed the arena of {self.size} bytes")
                os.pwrite(self.fd, raw, offset)
                self.used = offset + max(len(raw) + _ALIGN - 1, _ALIGN) // _ALIGN * _ALIGN
                placed.append((path, dtype, tuple(shape), offset, raw))
                return {"shm": [dtype, list(shape), offset]}
            if isinstance(value, dict):
                return {k: walk(v, path + (k,)) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, path + (n,)) for n, v in enumerate(value)]
            return value

        out = dict(request)
        for key in ("args", "kwargs"):
            if key in out:
                out[key] = walk(out[key], (key,))
        if "target" in out:
            out["target"] = walk(out["target"], ("target",))
        return out, placed

    def read(self, dtype: str, shape: tuple, offset: int) -> tuple[bytes, np.ndarray]:
        """The bytes at an array's place now, and the array they make."""
        dt = np.dtype(dtype)
        n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        raw = os.pread(self.fd, n, offset) if n else b""
        if len(raw) != n:              # cannot happen with the seals; a finding, not a crash, if it does
            raise ProtocolError("the shared input arrays could not be read back")
        return raw, np.frombuffer(raw, dtype=dt).reshape(shape).astype(dt.newbyteorder("="), copy=True)

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None


def _arrays_bytes(value) -> int:
    if isinstance(value, dict):
        if len(value) == 1 and "nd" in value:
            return len(value["nd"][2]) * 3 // 4 + _ALIGN
        return sum(_arrays_bytes(v) for k, v in value.items() if k != "tables")
    if isinstance(value, list):
        return sum(_arrays_bytes(v) for v in value)
    return 0


def read_back(request: dict, placed: list, arena: Arena) -> tuple[list, dict, set]:
    """What the call left in its inputs, read from the arena: the positional
    arguments (None where no array was sent), the values the target's
    ``set`` gave the object rebuilt with their arrays as they are now, and
    the names of those values with an array changed in place."""
    now, changed = {}, set()
    for path, dtype, shape, offset, sent in placed:
        raw, now[path] = arena.read(dtype, shape, offset)
        if raw != sent and path[:2] == ("target", "set"):
            changed.add(path[2])

    def rebuild(value, path):
        if path in now:
            return now[path]
        if isinstance(value, dict) and len(value) == 1:
            (tag, body), = value.items()
            if tag == "dict":
                return {decode(k): rebuild(v, path + ("dict", n, 1)) for n, (k, v) in enumerate(body)}
            if tag in ("list", "tuple"):
                items = [rebuild(v, path + (tag, n)) for n, v in enumerate(body)]
                return items if tag == "list" else tuple(items)
        return None

    after = [now.get(("args", n)) for n in range(len(request.get("args", [])))]
    sets = (request.get("target") or {}).get("set", {})
    state = {name: rebuild(v, ("target", "set", name)) for name, v in sets.items()}
    return after, state, changed


# -- the base loss replayed by the host ---------------------------------------------------------

MAX_BASE_CALLS = 10_000             # calls of a replayed base loss within one call


class HostReplay:
    """The replay tables of one call, kept by the host: the worker's base-loss
    stand-in asks for each answer (a ``base-call`` frame with the arguments
    it was handed) and the host answers with the entry of that outside
    word's n-th occurrence — only when the arguments are the ones the base
    loss must be handed (``base_args``); otherwise with zeros. So the
    answers a function gets agree with the arguments the host recorded: a
    worker rewritten to report other arguments than the function passed
    gets the answers for what it reported, and a function that passes the
    wrong vector cannot be rescued by a table that ignores it. The derived
    answers for the window are never in the sandbox to be read."""

    def __init__(self, tables: dict, base_args: dict | None = None):
        self.tables = {name: {} for name in tables}
        for name, table in tables.items():
            for entry in table:
                self.tables[name].setdefault(entry.get("o"), []).append(entry)
        self.expected = {k: decode(v) for k, v in (base_args or {}).items()}
        self.used: dict = {}
        self.calls: list = []
        self.budget = _Budget()

    def serve(self, frame: dict):
        """The entry to answer a ``base-call`` frame with (None: zeros), after
        recording the call; a malformed frame is a :class:`ProtocolError`."""
        name, o = frame.get("table"), frame.get("o")
        if name not in self.tables:
            raise ProtocolError("a base-loss call for a table the call does not have")
        if not (o is None or (isinstance(o, int) and not isinstance(o, bool))):
            raise ProtocolError("a malformed base-loss call")
        if len(self.calls) >= MAX_BASE_CALLS:
            raise ProtocolError(f"more than {MAX_BASE_CALLS} calls of the base loss in one call")
        record = {"o": o, "center": decode(frame.get("center"), self.budget),
                  "outside": decode(frame.get("outside"), self.budget), "unexpected": False}
        self.calls.append(record)
        n = self.used.get((name, o), 0)
        self.used[(name, o)] = n + 1
        options = self.tables[name].get(o, [])
        if n >= len(options):
            record["unexpected"] = True
            return None
        for key, want in self.expected.items():
            got = record.get(key)
            if not (isinstance(got, np.ndarray) and isinstance(want, np.ndarray) and np.array_equal(got, want)):
                return None         # the judge names the argument from the record (search._base_calls)
        return options[n]


# -- replies ------------------------------------------------------------------------------

@dataclass
class Reply:
    """One validated reply to a call."""
    ok: bool
    value: object = None
    after: list | None = None
    state: dict | None = None
    drawn: list | None = None
    calls: list | None = None
    kind: str = ""
    error: str = ""
    exception: str = ""


def _text(message: dict, key: str, limit: int = 2000) -> str:
    v = message.get(key, "")
    return v[:limit] if isinstance(v, str) else ""


# What the judge trusts of a reply, and why a forgery gains nothing. The worker
# shares its process with the submission, which can rewrite any of it (wrap
# __main__.call, patch encode/json): every field below is written by code the
# student controls unless it says "host". (search.judge, filesearch.judge_call)
#
#   type, id, ok      framing. A wrong type or id is a ProtocolError, i.e. an
#                     error finding for that call, never a verdict of correct.
#   ok=false, kind, error, exception
#                     the call failed: an error/incorrect verdict for the
#                     student's own function; text is capped here and escaped
#                     where it is shown (report.safe).
#   value             the function's output, i.e. the thing being judged: the
#                     submission produces it by definition. It is validated
#                     here (dtype kinds, shapes, sizes, nesting) and compared
#                     with a truth the host computes outside the sandbox, on
#                     inputs drawn with a secret per-run seed.
#   after             host: the arrays of the arguments are read back from the
#                     Arena after the reply (Sandbox.run); the worker's "after"
#                     is ignored (observed=True). An in-place change is seen
#                     whatever the worker reports.
#   calls             host: the record HostReplay keeps of the base-call frames
#                     it answered; the worker's "calls" is ignored. The derived
#                     table never enters the sandbox.
#   state             host where an array set on the object (params) was
#                     changed in place (the Arena). Otherwise the worker's
#                     report, needed to see an attribute rebound (self.params =
#                     ...): no host-visible memory holds a Python binding, so a
#                     forged state can hide a rebinding, and only that.
#   drawn             the worker's report. The truth is computed from the queue
#                     the host fixed in advance (Call.samples, never from
#                     "drawn"), so a forged draw list cannot change what is
#                     correct; it only decides the extra "does not use the
#                     negative samples" finding for outputs that already match
#                     that truth on every instance.
#
# What no design of the channel can exclude: code that rewrites the worker so
# that its function runs differently under grading (hands it private copies of
# the inputs, say). That changes what the code does, not what the host
# observes, and it still has to compute the right outputs itself.

def reply(message: dict, expected_id: int, observed: bool = False) -> Reply:
    """Validate a result frame for call ``expected_id``. ``observed``: the
    host observes the inputs and base-loss calls itself (the sandbox), so
    the reply's own "after" and "calls" are ignored, not even decoded."""
    if message.get("type") != "result":
        raise ProtocolError(f"a frame of type {str(message.get('type'))[:40]!r} where a result was expected")
    if message.get("id") != expected_id:
        raise ProtocolError(f"a reply for call {str(message.get('id'))[:20]} where call {expected_id} was expected")
    ok = message.get("ok")
    if ok is False:
        return Reply(False, kind=_text(message, "kind", 40) or "raised", error=_text(message, "error"),
                     exception=_text(message, "exception", 100))
    if ok is not True:
        raise ProtocolError("a result that is neither ok nor failed")
    budget = _Budget()
    value = decode(message.get("value"), budget)
    after = [] if observed else message.get("after", [])
    drawn = message.get("drawn", [])
    calls = [] if observed else message.get("calls", [])
    if not isinstance(after, list) or not isinstance(drawn, list) or not isinstance(calls, list):
        raise ProtocolError("a malformed result")
    after = [decode(a, budget) for a in after]
    state = message.get("state", {})
    if not isinstance(state, dict) or len(state) > 100 or not all(isinstance(k, str) for k in state):
        raise ProtocolError("a malformed object state")
    state = {k[:100]: decode(v, budget) for k, v in state.items()}
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in drawn) or len(drawn) > MAX_NODES:
        raise ProtocolError("malformed sample draws")
    checked = []
    for c in calls[:MAX_BASE_CALLS]:
        if not isinstance(c, dict) or not (c.get("o") is None or isinstance(c.get("o"), int)):
            raise ProtocolError("a malformed record of a base-loss call")
        checked.append({"o": c.get("o"), "center": decode(c.get("center"), budget),
                        "outside": decode(c.get("outside"), budget), "unexpected": bool(c.get("unexpected"))})
    return Reply(True, value=value, after=after, state=state, drawn=drawn, calls=checked)


def import_status(message: dict) -> dict | None:
    """None when the worker imported the module; else the import error's
    fields (strings and a line number only)."""
    if message.get("type") == "ready":
        return None
    if message.get("type") != "import-error":
        raise ProtocolError("the first frame is neither ready nor an import error")
    out = {k: _text(message, k) for k in ("exception", "error", "traceback", "text", "message")}
    line = message.get("line")
    out["line"] = line if isinstance(line, int) and not isinstance(line, bool) else None
    return out
