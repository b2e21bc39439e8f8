"""A subprocess that runs untrusted formula code with limits.

The module is imported in a separate Python process with an address-space
limit and a CPU-time limit (``resource.setrlimit``), and every call has a
wall-clock timeout. A call that hangs, crashes the interpreter, exits, or
exhausts memory ends that process; the sandbox reports it and starts a new
one for the next call. The grader's own process never imports the module.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Limits:
    seconds_per_call: float = 5.0
    memory_mb: int = 1024
    cpu_seconds: int = 120          # for the whole worker process


class SandboxFailure(Exception):
    """The worker died or hung: ``kind`` is timeout, crashed or exited."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Sandbox:
    def __init__(self, path: str | Path, limits: Limits = Limits()):
        self.path = str(Path(path).resolve())
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.load_error: str | None = None

    def _limit(self):
        mem = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (self.limits.cpu_seconds, self.limits.cpu_seconds + 5))
        os.setsid()

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                           str(Path(self.path).parent)])}
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-m", "verify.code.worker", self.path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=self._limit, env=env, cwd=str(Path(self.path).parent))
        ready = self._read(timeout=max(30.0, self.limits.seconds_per_call))
        if not ready.get("ready"):
            self.load_error = ready.get("error", "the module could not be loaded")
            self.stop()

    def _read(self, timeout: float) -> dict:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            self.stop()
            raise SandboxFailure("timeout", f"no answer within {timeout:g} s (an endless loop?)")
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=5)
            self.stop()
            kind = "exited" if code in (0, 1, 2) else "crashed"
            raise SandboxFailure(kind, f"the process ended (exit status {code}); "
                                       "out of memory, sys.exit or a crash in the module")
        return json.loads(line)

    def call(self, function: str, args: list, kwargs: dict | None = None, samples=(), base: str | None = None) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
            if self.load_error:
                return {"ok": False, "kind": "load", "error": self.load_error}
        request = {"function": function, "args": [_encode(a) for a in args],
                   "kwargs": {k: _encode(v) for k, v in (kwargs or {}).items()},
                   "samples": list(samples), "base": base}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            raise SandboxFailure("crashed", "the process ended before the call")
        return self._read(self.limits.seconds_per_call)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _encode(a):
    if isinstance(a, np.ndarray):
        return {"ndarray": a.tolist()}
    return a
