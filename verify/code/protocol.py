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


def reply(message: dict, expected_id: int) -> Reply:
    """Validate a result frame for call ``expected_id``."""
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
    after = message.get("after", [])
    drawn = message.get("drawn", [])
    calls = message.get("calls", [])
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
    for c in calls[:10_000]:
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
