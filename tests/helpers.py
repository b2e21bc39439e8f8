"""Shared test helpers: a wall-clock bound. (``symbolic_instance``, over word2vec's old
``Instance``, moved to tests/old_core.py with the rest of the old core's helpers.)"""
from __future__ import annotations

import contextlib
import signal


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise TimeoutError if the block runs longer than ``seconds`` (Unix)."""
    def expire(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
