"""Run formula code in this process, for the pytest plugin: a course's own
test suite checking its own implementation (trusted code, so no sandbox),
through the same call protocol as the sandbox."""
from __future__ import annotations

from types import SimpleNamespace

from gradkey.verify.code import worker
from gradkey.verify.code.sandbox import _encode


class InProcess:
    def __init__(self, functions: dict):
        self.module = SimpleNamespace(**functions)

    def call(self, function, args, kwargs=None, samples=(), base=None) -> dict:
        request = {"function": function, "args": [_encode(a) for a in args],
                   "kwargs": {k: _encode(v) for k, v in (kwargs or {}).items()},
                   "samples": list(samples), "base": base}
        return worker.call(self.module, request)
