"""Array backends for the closed forms.

A closed form is written once, as vectorised NumPy code over an ``xp``
namespace. With :data:`NUMERIC` it runs on float (or complex) arrays; with
:data:`SYMBOLIC` it runs on NumPy object arrays of SymPy expressions, which is
how the symbolic proofs compare a closed form with the derived gradient.
"""
from __future__ import annotations

import numpy as np
import sympy as sp


class Numeric:
    name = "numeric"
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)

    @staticmethod
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    @staticmethod
    def softmax(s):
        e = np.exp(s - np.max(np.real(s)))  # shift: same value, no overflow
        return e / np.sum(e)

    zeros = staticmethod(np.zeros)


def _elementwise(f):
    vf = np.vectorize(f, otypes=[object])

    def apply(x):
        out = vf(x)
        return out.item() if out.ndim == 0 else out
    return apply


class Symbolic:
    name = "symbolic"
    exp = staticmethod(_elementwise(sp.exp))
    log = staticmethod(_elementwise(sp.log))

    @staticmethod
    def sigmoid(x):
        return _elementwise(lambda t: 1 / (1 + sp.exp(-t)))(x)

    @staticmethod
    def softmax(s):
        e = Symbolic.exp(s)
        return e / sp.Add(*e)

    @staticmethod
    def zeros(shape):
        out = np.empty(shape, dtype=object)
        out[...] = sp.Integer(0)
        return out


NUMERIC = Numeric()
SYMBOLIC = Symbolic()
