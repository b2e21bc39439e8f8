"""Shared test helpers: a wall-clock bound and symbolic instances."""
from __future__ import annotations

import contextlib
import signal

import numpy as np
import sympy as sp

from gradkey.derive.losses import parameter_symbols
from gradkey.derive.signature import Dims, Instance


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


def symbolic_instance(dims: Dims = Dims(2, 3, 2, 1), repeated: bool = False) -> Instance:
    """An instance whose values are SymPy symbols (indices concrete)."""
    V, U = parameter_symbols(dims)
    as_array = lambda M: np.array(M.tolist(), dtype=object)  # noqa: E731
    inst = Instance(dims, sp.Symbol("x", real=True), as_array(V), as_array(U), c=0, o=1, w=2,
                    samples=(0, 2), k=0, window=(1, 2), window_samples=((0, 2), (0, 1)), v=1)
    return inst.replace(samples=(0, 0)) if repeated else inst
