"""Gradients by sympy.diff, lambdified, cached per dimension tuple.

Two routes derive the same gradients; tests prove they agree.

* The **scores route** (the truth gradkey uses): every word2vec loss reads the
  parameters only through the scores s = Uᵀv_c. The loss is built as a SymPy
  function F(s, g) of the W scores and of the scores g gathered at its index
  slots (o, the samples, the window; see ``losses.Slots``); SymPy
  differentiates F by s and g; the chain rule through the gather (a
  scatter-add, which is what sums repeated samples) and through s = Uᵀv_c
  gives ∂J/∂v_c = U ∂J/∂s and ∂J/∂U = v_c (∂J/∂s)ᵀ. F depends on W, K and m
  but not on d, and not on which words the indices name, so one derivation
  per (loss, W, K, m) serves every instance.
* The **element-wise route** (the reference): the literal loss with a symbol
  for every entry of V and U and concrete indices, differentiated entry by
  entry. It is slow (quadratic in d*W) and used to check the scores route.

SymPy's MatrixSymbol/ArraySymbol ``.diff`` is not used: in SymPy 1.14 it
silently returns wrong gradients for these losses.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from gradkey.derive.losses import LOSSES, LiteralScores, Slots, SlotScores, parameter_symbols, sigma
from gradkey.derive.signature import Dims, Instance

#: Loss names: the four losses of the problem set plus the sigmoid itself.
LOSS_NAMES = ("sigmoid", *LOSSES)


@dataclass(frozen=True)
class Gradients:
    """A loss value and its gradients by parameter name (x, v_c, U, V)."""

    loss: float
    grads: dict

    def __getitem__(self, name: str) -> np.ndarray:
        return self.grads[name]


class UnknownLoss(KeyError):
    pass


def _spec(loss: str):
    if loss not in LOSSES:
        raise UnknownLoss(f"unknown loss {loss!r}; known: {', '.join(LOSS_NAMES)}")
    return LOSSES[loss]


def _key_dims(loss: str, dims: Dims) -> Dims:
    """The dimensions a scores-route derivation depends on: d never does,
    K only where samples are read, m only for skip-gram."""
    reads = LOSSES[loss].reads
    uses_k = "samples" in reads or "window_samples" in reads
    return Dims(d=1, W=dims.W, K=dims.K if uses_k else 1, m=dims.m if loss.startswith("sg") else 1)


def _float_trouble(exc: Exception) -> bool:
    """Overflow or a math domain error of float arithmetic, which mpmath's
    unbounded exponent range does not have."""
    return isinstance(exc, (OverflowError, ZeroDivisionError)) or "math domain error" in str(exc)


# -- the scores route ---------------------------------------------------------

class ScoresDerivation:
    """F(s, g) for one loss at (W, K, m), its derivatives, lambdified (cse)."""

    def __init__(self, loss: str, dims: Dims):
        spec = _spec(loss)
        self.loss_name, self.dims, self.center, self.reads = loss, dims, spec.center, spec.reads
        self.s = sp.symbols(f"s_0:{dims.W}", real=True)
        self.g = sp.symbols(f"g_0:{Slots.count(dims, spec.reads)}", real=True)
        self.F = spec.define(SlotScores(list(self.s), list(self.g)), Slots.numbered(dims, spec.reads))

    # Built on first use: the gradient costs O(W^2) to derive, the loss alone
    # (all numerical differentiation needs) O(W).
    @functools.cached_property
    def dF_ds(self) -> list:
        return [sp.diff(self.F, x) for x in self.s]

    @functools.cached_property
    def dF_dg(self) -> list:
        return [sp.diff(self.F, x) for x in self.g]

    def _lambdify(self, outputs, module):
        return sp.lambdify([self.s, self.g], outputs, module, cse=True)

    # math: fastest for scalars; mpmath: the fallback when floats overflow and
    # the high-precision reference; numpy: the complex-step capable loss.
    @functools.cached_property
    def _fast(self):
        return self._lambdify([self.F, self.dF_ds, self.dF_dg], "math")

    @functools.cached_property
    def _precise(self):
        return self._lambdify([self.F, self.dF_ds, self.dF_dg], "mpmath")

    @functools.cached_property
    def _loss_np(self):
        return self._lambdify(self.F, "numpy")

    @functools.cached_property
    def _loss_mp(self):
        return self._lambdify(self.F, "mpmath")

    def prepare(self) -> "ScoresDerivation":
        """Derive and lambdify everything now (for timing and warm caches)."""
        self._fast, self._loss_np  # noqa: B018
        return self

    # The chain rule from (s, g) to the parameters.
    def _scores(self, inst: Instance, U, v_c):
        s = U.T @ v_c
        words = Slots.words(inst, self.reads)
        return s, words, s[words]

    def evaluate(self, inst: Instance) -> Gradients:
        U = np.asarray(inst.U, dtype=float)
        v_c = np.asarray(inst.v_c, dtype=float)
        s, words, g = self._scores(inst, U, v_c)
        try:
            F, dF_ds, dF_dg = self._fast(s.tolist(), g.tolist())
        except (OverflowError, ValueError, ZeroDivisionError) as exc:
            if not _float_trouble(exc):
                raise
            with mpmath.workdps(40):
                F, dF_ds, dF_dg = self._precise([mpmath.mpf(x) for x in s], [mpmath.mpf(x) for x in g])
            F, dF_ds, dF_dg = float(F), [float(x) for x in dF_ds], [float(x) for x in dF_dg]
        dJ_ds = np.asarray(dF_ds, dtype=float) + np.bincount(words, weights=dF_dg, minlength=self.dims.W)
        grads = {"v_c": U @ dJ_ds, "U": np.outer(v_c, dJ_ds)}
        if self.center == "V":
            dV = np.zeros_like(U)
            dV[:, inst.c] = grads["v_c"]
            grads["V"] = dV
        return Gradients(float(F), grads)

    def loss(self, inst: Instance):
        """J at the instance, with whatever dtype its arrays hold (complex too)."""
        s, _, g = self._scores(inst, np.asarray(inst.U), np.asarray(inst.v_c))
        return self._loss_np(list(s), list(g))

    def loss_mp(self, inst: Instance):
        """J in mpmath arithmetic; the instance's arrays may hold mpf values."""
        U, v_c = np.asarray(inst.U, dtype=object), np.asarray(inst.v_c, dtype=object)
        s = [mpmath.fsum(U[i, w] * v_c[i] for i in range(len(v_c))) for w in range(U.shape[1])]
        words = Slots.words(inst, self.reads)
        return self._loss_mp(s, [s[w] for w in words])


@functools.lru_cache(maxsize=256)
def _scores_derivation(loss: str, key: Dims) -> ScoresDerivation:
    return ScoresDerivation(loss, key)


def derivation(loss: str, dims: Dims) -> "ScoresDerivation | SigmoidDerivation":
    """The cached derivation of ``loss`` at ``dims`` (the truth)."""
    if loss == "sigmoid":
        return sigmoid_derivation()
    _spec(loss)
    return _scores_derivation(loss, _key_dims(loss, dims))


def gradients(loss: str, inst: Instance) -> Gradients:
    """The derived loss value and gradients at an instance."""
    return derivation(loss, inst.dims).evaluate(inst)


# -- the sigmoid --------------------------------------------------------------

class SigmoidDerivation:
    def __init__(self):
        x = sp.Symbol("x", real=True)
        self.F = sigma(x)
        self.dF = sp.diff(self.F, x)
        self._fast = sp.lambdify([x], [self.F, self.dF], "math", cse=True)
        self._precise = sp.lambdify([x], [self.F, self.dF], "mpmath", cse=True)
        self._loss_np = sp.lambdify([x], self.F, "numpy")
        self._loss_mp = sp.lambdify([x], self.F, "mpmath")

    def evaluate(self, inst: Instance) -> Gradients:
        try:
            F, dF = self._fast(float(inst.x))
        except (OverflowError, ValueError, ZeroDivisionError) as exc:
            if not _float_trouble(exc):
                raise
            with mpmath.workdps(40):
                F, dF = (float(v) for v in self._precise(mpmath.mpf(float(inst.x))))
        return Gradients(float(F), {"x": np.float64(dF)})

    def loss(self, inst: Instance):
        return self._loss_np(inst.x)

    def loss_mp(self, inst: Instance):
        return self._loss_mp(inst.x)


@functools.lru_cache(maxsize=1)
def sigmoid_derivation() -> SigmoidDerivation:
    return SigmoidDerivation()


# -- the element-wise route (reference) ---------------------------------------

@dataclass(eq=False)
class ElementwiseDerivation:
    """The literal loss at one instance's dimensions and indices, and the
    derivative of J by every parameter entry, as SymPy expressions."""

    J: sp.Expr
    V: sp.Matrix
    U: sp.Matrix
    grads: dict  # parameter name -> sp.Matrix of derivatives

    @functools.cached_property
    def _fn(self):
        outputs = [self.J, *[list(m) for m in self.grads.values()]]
        return sp.lambdify([list(self.V), list(self.U)], outputs, "math", cse=True)

    def evaluate(self, inst: Instance) -> Gradients:
        out = self._fn(np.asarray(inst.V, dtype=float).ravel().tolist(), np.asarray(inst.U, dtype=float).ravel().tolist())
        F, rest = out[0], out[1:]
        grads = {}
        for (name, mat), values in zip(self.grads.items(), rest):
            grads[name] = np.asarray(values, dtype=float).reshape(mat.shape)
        if "v_c" in grads:
            grads["v_c"] = grads["v_c"].ravel()
        return Gradients(float(F), grads)


def elementwise(loss: str, inst: Instance) -> ElementwiseDerivation:
    """Differentiate the literal loss entry by entry at this instance's
    dimensions and indices (values are not used)."""
    if loss == "sigmoid":
        raise UnknownLoss("the sigmoid has no element-wise route; it is already a scalar function")
    return _elementwise(loss, inst.dims, _index_key(inst))


def _index_key(inst: Instance) -> tuple:
    return (inst.c, inst.o, inst.w, inst.samples, inst.k, inst.window, inst.window_samples, inst.v)


@functools.lru_cache(maxsize=128)
def _elementwise(loss: str, dims: Dims, key: tuple) -> ElementwiseDerivation:
    spec = _spec(loss)
    V, U = parameter_symbols(dims)
    c, o, w, samples, k, window, window_samples, v = key
    refs = Instance(dims, 0, V, U, c, o, w, samples, k, window, window_samples, v)
    v_c = list(V[:, c])
    J = spec.define(LiteralScores(v_c, U), refs)
    grads = {}
    if spec.center == "V":
        grads["V"] = V.applyfunc(lambda e: sp.diff(J, e))
    else:
        grads["v_c"] = sp.Matrix([sp.diff(J, e) for e in v_c])
    grads["U"] = U.applyfunc(lambda e: sp.diff(J, e))
    return ElementwiseDerivation(J, V, U, grads)
