"""The word2vec losses, written once as SymPy scalars.

Each loss is written against a *score table* that answers two questions:
``at(ref)`` (the score u_refᵀ v_c of the word an index reference names) and
``every()`` (the scores of all W words, for the softmax normaliser). Two
tables instantiate the same definitions:

* :class:`LiteralScores`: explicit symbols for every entry of v_c and U and
  concrete integer indices, so the loss is the literal textbook formula at
  concrete dimensions (the element-wise reference);
* :class:`SlotScores`: one symbol per word score s_w and one per *index slot*
  (o, each sample, ...), so the loss is a function of a handful of scores and
  does not depend on d (the scores route, see ``derivation``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from gradkey.derive.signature import Dims, Instance


def sigma(x: sp.Expr) -> sp.Expr:
    """The logistic function, as the problem set defines it."""
    return 1 / (1 + sp.exp(-x))


# -- the losses, as in the problem set ----------------------------------------
# `r` holds index references: r.o, r.samples, r.window, r.window_samples and
# r.context(j). They are words for LiteralScores and slot numbers for SlotScores.

def naive(table, r) -> sp.Expr:
    """J_naive = -u_oᵀv_c + log Σ_w exp(u_wᵀv_c)."""
    return -table.at(r.o) + sp.log(sp.Add(*[sp.exp(s) for s in table.every()]))


def neg(table, r) -> sp.Expr:
    """J_neg = -log σ(u_oᵀv_c) - Σ_k log σ(-u_{w_k}ᵀv_c)."""
    return -sp.log(sigma(table.at(r.o))) - sp.Add(*[sp.log(sigma(-table.at(w))) for w in r.samples])


def sg_naive(table, r) -> sp.Expr:
    """J_sg = Σ_j J_naive(v_c, w_{t+j}, U)."""
    return sp.Add(*[naive(table, r.context(j)) for j in range(len(r.window))])


def sg_neg(table, r) -> sp.Expr:
    """J_sg = Σ_j J_neg(v_c, w_{t+j}, U), each term with its own samples."""
    return sp.Add(*[neg(table, r.context(j)) for j in range(len(r.window))])


@dataclass(frozen=True)
class LossSpec:
    """A loss of the problem set."""

    name: str
    title: str
    define: Callable
    center: str          # the center parameter: "v_c" (a vector) or "V" (whose column c is v_c)
    reads: tuple         # the index groups it reads: o, samples, window, window_samples


LOSSES: dict[str, LossSpec] = {
    "naive": LossSpec("naive", "naive softmax", naive, "v_c", ("o",)),
    "neg": LossSpec("neg", "negative sampling", neg, "v_c", ("o", "samples")),
    "sg_naive": LossSpec("sg_naive", "skip-gram with naive softmax", sg_naive, "V", ("window",)),
    "sg_neg": LossSpec("sg_neg", "skip-gram with negative sampling", sg_neg, "V", ("window", "window_samples")),
}


@dataclass(frozen=True)
class Slots:
    """The index slots of the scores route: one per index the loss reads, in
    the order o, the K samples, the 2m window words, then K samples for each
    window word (groups a loss does not read are left out)."""

    o: int | None
    samples: tuple
    window: tuple
    window_samples: tuple

    @classmethod
    def numbered(cls, dims: Dims, reads: tuple) -> "Slots":
        counter = iter(range(cls.count(dims, reads)))
        o = next(counter) if "o" in reads else None
        samples = tuple(next(counter) for _ in range(dims.K)) if "samples" in reads else ()
        window = tuple(next(counter) for _ in range(dims.window)) if "window" in reads else ()
        window_samples = (tuple(tuple(next(counter) for _ in range(dims.K)) for _ in range(dims.window))
                          if "window_samples" in reads else ())
        return cls(o, samples, window, window_samples)

    @staticmethod
    def count(dims: Dims, reads: tuple) -> int:
        sizes = {"o": 1, "samples": dims.K, "window": dims.window, "window_samples": dims.window * dims.K}
        return sum(sizes[g] for g in reads)

    @staticmethod
    def words(inst: Instance, reads: tuple) -> list[int]:
        """The word each slot refers to in this instance, in slot order."""
        groups = {"o": [inst.o], "samples": list(inst.samples), "window": list(inst.window),
                  "window_samples": [s for ws in inst.window_samples for s in ws]}
        return [w for g in reads for w in groups[g]]

    def context(self, j: int) -> "Slots":
        return Slots(self.window[j], self.window_samples[j] if self.window_samples else (), (), ())


# -- score tables ------------------------------------------------------------

@dataclass
class LiteralScores:
    """u_wᵀv_c as an explicit sum over symbols, indices as integers."""

    v: list
    U: sp.Matrix

    def at(self, ref: int) -> sp.Expr:
        return sp.Add(*[self.U[i, ref] * self.v[i] for i in range(len(self.v))])

    def every(self) -> list:
        return [self.at(w) for w in range(self.U.shape[1])]


@dataclass
class SlotScores:
    """Scores as symbols: s_w for every word, g_p for the p-th index slot."""

    s: list
    g: list = field(default_factory=list)

    def at(self, ref: int) -> sp.Expr:
        return self.g[ref]

    def every(self) -> list:
        return list(self.s)


def parameter_symbols(dims: Dims) -> tuple[sp.Matrix, sp.Matrix]:
    """Symbol matrices for V and U (both d x W), named as in the notation."""
    V = sp.Matrix(dims.d, dims.W, lambda i, w: sp.Symbol(f"V_{i}_{w}", real=True))
    U = sp.Matrix(dims.d, dims.W, lambda i, w: sp.Symbol(f"U_{i}_{w}", real=True))
    return V, U
