"""The typing vocabulary of the evaluation of read expressions (``arrays.py``).

Values are 2-D arrays (a scalar is 1×1, a vector a column n×1 or a row 1×n).
These are the errors an evaluation raises and the helpers that name shapes and
read ``u \\cdot v``.
"""
from __future__ import annotations

import numpy as np


class Unreadable(Exception):
    """The expression has no meaning in the notation (unknown name, free index, ...)."""


class ShapeError(Exception):
    """The expression is ill-typed: adding a vector to a scalar, u v, ..."""


def is_dot(a, b) -> bool:
    """u \\cdot v of two column vectors of one length: their plain product does not exist
    (an n×1 by an n×1), so the \\cdot is the dot product uᵀv. Anything whose product exists
    keeps the product, so a dot is never read where a product was meant."""
    return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and a.shape[1] == 1 and a.shape[0] > 1)


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.T @ b


def describe_shape(shape) -> str:
    r, c = shape
    if (r, c) == (1, 1):
        return "scalar"
    if c == 1:
        return f"column vector of size {r}"
    if r == 1:
        return f"row vector of size {c}"
    return f"{r}×{c} matrix"
