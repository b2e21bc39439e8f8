"""word2vec's questions as the Python table that word2vec's scores route
(``derive/derivation.py``: the loss as a function of the scores s = Uᵀv_c) was written
for, with its textbook closed forms as vectorised array code over ``xp`` (``derive/ops.py``).

Not part of gradkey: gradkey reads word2vec from ``derive/problems/word2vec.toml``. The
tests keep this table to prove the scores route equal to the element-wise route and to
the problem file's truth (tests/test_routes.py, test_word2vec_file.py, test_truth.py,
test_symbolic.py, test_mutations.py).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gradkey.derive.derivation import gradients
from gradkey.derive.ops import NUMERIC
from gradkey.derive.signature import Instance, Symbol


@dataclass(frozen=True)
class ClosedForm:
    """A hand-written closed form: vectorised code over an ``xp`` backend,
    and the same formula in the problem's LaTeX notation."""

    latex: str
    fn: Callable  # fn(xp, inst) or, for skip-gram, fn(xp, inst, base)
    text: str = ""

    def evaluate(self, inst: Instance, xp=NUMERIC, loss: str | None = None):
        """The closed form at an instance; ``loss`` names the base loss of a
        skip-gram question ("sg_naive" or "sg_neg")."""
        if loss and loss.startswith("sg_"):
            return self.fn(xp, inst, loss.removeprefix("sg_"))
        return self.fn(xp, inst)


@dataclass(frozen=True)
class Question:
    id: str
    asks: str                 # e.g. "∂J_naive/∂u_w for w = o"
    lhs: str                  # LaTeX of what is asked
    losses: tuple[str, ...]   # one loss, or the bases a skip-gram answer may use
    wrt: str                  # parameter gradient it reads: x, v_c, U or V
    select: Callable          # select(gradient array, inst) -> the asked part
    closed_forms: tuple[ClosedForm, ...]
    needs: str = ""           # "distinct" / "repeated" samples, or ""
    condition: str = ""       # branch condition in the notation, e.g. "w = o"
    steps: tuple = ()         # the derivation for the answer key, in LaTeX; the last is the answer

    def truth(self, inst: Instance, loss: str | None = None):
        """The derived answer at an instance (for the named base loss when the
        question has several)."""
        loss = loss or self.losses[0]
        if loss not in self.losses:
            raise ValueError(f"{self.id} is about {', '.join(self.losses)}, not {loss}")
        return self.select(gradients(loss, inst)[self.wrt], inst)

    def shape(self, inst: Instance) -> tuple:
        return np.shape(self.truth(inst))

    def suits(self, inst: Instance) -> bool:
        """Whether the instance meets the question's premise on the samples."""
        if self.needs == "distinct":
            return inst.distinct_samples
        if self.needs == "repeated":
            return inst.n_k > 1
        return True


@dataclass(frozen=True)
class ProblemSet:
    name: str
    title: str
    symbols: tuple[Symbol, ...]
    questions: tuple[Question, ...]
    aliases: dict = field(default_factory=dict)
    losses: tuple = ()        # (name, LaTeX definition) for the answer key

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        ids = [q.id for q in self.questions]
        close = difflib.get_close_matches(qid, ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown question id {qid!r} in problem set {self.name!r}{hint} "
                              f"(known: {', '.join(ids)})")

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]





# -- shared pieces of the closed forms ------------------------------------

def y_hat(xp, i):
    """ŷ = softmax(Uᵀv_c)."""
    return xp.softmax(i.U.T @ i.v_c)


def one_hot(xp, i, index):
    y = xp.zeros(i.dims.W)
    y[index] = 1
    return y


def u_k(i):
    return i.U[:, i.samples[i.k]]


def neg_U(xp, i):
    """∂J_neg/∂U: (σ(u_oᵀv_c) − 1) v_c in column o, σ(u_{w_k}ᵀv_c) v_c added
    into column w_k once per draw (np.add.at accumulates repeats)."""
    G = np.zeros_like(i.U)  # same dtype as U: float, complex or object
    G[:, i.o] = (xp.sigmoid(i.u_o @ i.v_c) - 1) * i.v_c
    sig = xp.sigmoid(i.U[:, list(i.samples)].T @ i.v_c)
    np.add.at(G.T, list(i.samples), np.outer(sig, i.v_c))
    return G


def neg_v_c(xp, i):
    S = i.U[:, list(i.samples)]
    return -(1 - xp.sigmoid(i.u_o @ i.v_c)) * i.u_o + S @ (1 - xp.sigmoid(-(S.T @ i.v_c)))


def window_sum(form, i):
    """Σ_j over the window of a base closed form evaluated at context j."""
    terms = [form(i.context(j)) for j in range(len(i.window))]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def by_base(naive_form, neg_form):
    """A skip-gram closed form: Σ_j of the base loss's closed form, the base
    named by the caller ("naive" or "neg", see ClosedForm.evaluate)."""
    def fn(xp, i, base="naive"):
        form = naive_form if base == "naive" else neg_form
        return window_sum(lambda ctx: form(xp, ctx), i)
    return fn


# -- the notation -------------------------------------------------------------

SYMBOLS = (
    Symbol("d", "index", (), "d", "embedding size"),
    Symbol("W", "index", (), "W", "vocabulary size"),
    Symbol("v_c", "vector", ("d",), "v_c", "center word vector"),
    Symbol("u_w", "vector", ("d",), "u_w", "outside vector of word w (column w of U)"),
    Symbol("U", "matrix", ("d", "W"), "U", "outside vectors as columns u_1 … u_W"),
    Symbol("V", "matrix", ("d", "W"), "V", "center vectors as columns"),
    Symbol("o", "index", (), "o", "the true outside word"),
    Symbol("y", "vector", ("W",), "y", "one-hot vector of o"),
    Symbol("y_hat", "vector", ("W",), r"\hat{y}", "softmax(Uᵀv_c)"),
    Symbol("sigma", "function", (), r"\sigma", "logistic sigmoid 1/(1+e^{-x})"),
    Symbol("K", "index", (), "K", "number of negative samples w_1 … w_K (≠ o, may repeat)"),
    Symbol("m", "index", (), "m", "window size: context words w_{t+j}, −m ≤ j ≤ m, j ≠ 0"),
    Symbol("x", "scalar", (), "x", "argument of σ"),
)


# -- the derivations of the answer key ------------------------------------------
# Each list runs from the loss to the answer; every step is checked against the
# derived truth before a key is written (a step ∂/∂x(…) is differentiated by
# SymPy). Summation letters avoid the question's own index (k, w).

J_NAIVE = r"-u_o^\top v_c+\log\sum_{x=1}^{W}\exp(u_x^\top v_c)"
J_NEG = r"-\log\sigma(u_o^\top v_c)-\sum_{j=1}^{K}\log\sigma(-u_j^\top v_c)"
WINDOW = r"\sum_{-m\le j\le m,\,j\ne 0}"

STEPS = {
    "sigmoid.grad": [
        r"\frac{d}{dx}\left(\frac{1}{1+e^{-x}}\right)",
        r"\frac{e^{-x}}{(1+e^{-x})^2}",
        r"\frac{1}{1+e^{-x}}\cdot\frac{e^{-x}}{1+e^{-x}}",
        r"\sigma(x)\,(1-\sigma(x))",
    ],
    "naive.v_c": [
        rf"\frac{{\partial}}{{\partial v_c}}\left({J_NAIVE}\right)",
        r"-u_o+\frac{\sum_{w=1}^{W}\exp(u_w^\top v_c)\,u_w}{\sum_{x=1}^{W}\exp(u_x^\top v_c)}",
        r"-u_o+\sum_{w=1}^{W}\hat{y}_w\,u_w",
        r"U(\hat{y}-y)",
    ],
    "naive.u_o": [
        rf"\frac{{\partial}}{{\partial u_o}}\left({J_NAIVE}\right)",
        r"-v_c+\frac{\exp(u_o^\top v_c)}{\sum_{x=1}^{W}\exp(u_x^\top v_c)}\,v_c",
        r"(\hat{y}_o-1)\,v_c",
    ],
    "naive.u_w": [
        rf"\frac{{\partial}}{{\partial u_w}}\left({J_NAIVE}\right)",
        r"\frac{\exp(u_w^\top v_c)}{\sum_{x=1}^{W}\exp(u_x^\top v_c)}\,v_c",
        r"\hat{y}_w\,v_c",
    ],
    "naive.U": [
        rf"\frac{{\partial}}{{\partial U}}\left({J_NAIVE}\right)",
        r"v_c(\hat{y}-y)^\top",
    ],
    "neg.v_c": [
        rf"\frac{{\partial}}{{\partial v_c}}\left({J_NEG}\right)",
        r"-\frac{\sigma(u_o^\top v_c)(1-\sigma(u_o^\top v_c))}{\sigma(u_o^\top v_c)}\,u_o"
        r"+\sum_{k=1}^{K}\frac{\sigma(-u_k^\top v_c)(1-\sigma(-u_k^\top v_c))}{\sigma(-u_k^\top v_c)}\,u_k",
        r"-(1-\sigma(u_o^\top v_c))\,u_o+\sum_{k=1}^{K}(1-\sigma(-u_k^\top v_c))\,u_k",
    ],
    "neg.u_o": [
        rf"\frac{{\partial}}{{\partial u_o}}\left({J_NEG}\right)",
        r"-\frac{\sigma(u_o^\top v_c)(1-\sigma(u_o^\top v_c))}{\sigma(u_o^\top v_c)}\,v_c",
        r"(\sigma(u_o^\top v_c)-1)\,v_c",
    ],
    "neg.u_k": [
        rf"\frac{{\partial}}{{\partial u_k}}\left({J_NEG}\right)",
        r"\frac{\sigma(-u_k^\top v_c)(1-\sigma(-u_k^\top v_c))}{\sigma(-u_k^\top v_c)}\,v_c",
        r"(1-\sigma(-u_k^\top v_c))\,v_c",
        r"\sigma(u_k^\top v_c)\,v_c",
    ],
    "neg.u_k_repeated": [
        rf"\frac{{\partial}}{{\partial u_k}}\left({J_NEG}\right)",
        r"n_k\,(1-\sigma(-u_k^\top v_c))\,v_c",
        r"n_k\,\sigma(u_k^\top v_c)\,v_c",
    ],
    "sg.U": [rf"{WINDOW}\frac{{\partial J(v_c,w_{{t+j}},U)}}{{\partial U}}"],
    "sg.v_c": [rf"{WINDOW}\frac{{\partial J(v_c,w_{{t+j}},U)}}{{\partial v_c}}"],
    "sg.v_w": ["0"],
}

LOSS_DEFINITIONS = (
    (r"J_{\text{naive}}", r"-\log\hat{y}_o = -u_o^\top v_c+\log\sum_{w=1}^{W}\exp(u_w^\top v_c)"),
    (r"J_{\text{neg}}", r"-\log\sigma(u_o^\top v_c)-\sum_{k=1}^{K}\log\sigma(-u_{w_k}^\top v_c)"),
    (r"J_{\text{sg}}", rf"{WINDOW} J(v_c, w_{{t+j}}, U)"),
)


# -- the questions ------------------------------------------------------------

def _q(id, asks, lhs, losses, wrt, select, forms, **kw):
    return Question(id, asks, lhs, tuple(losses), wrt, select,
                    tuple(ClosedForm(latex, fn, text) for latex, text, fn in forms), steps=tuple(STEPS[id]), **kw)


def _col(attr):
    return lambda G, i: G[:, getattr(i, attr)]


QUESTIONS = (
    _q("sigmoid.grad", "dσ/dx", r"\frac{d\sigma(x)}{dx}", ["sigmoid"], "x", lambda g, i: g, [
        (r"\sigma(x)\,(1-\sigma(x))", "σ(x)(1 − σ(x))", lambda xp, i: xp.sigmoid(i.x) * (1 - xp.sigmoid(i.x))),
        (r"\sigma(x)-\sigma(x)^2", "σ(x) − σ(x)²", lambda xp, i: xp.sigmoid(i.x) - xp.sigmoid(i.x) ** 2),
        (r"\frac{e^{-x}}{(1+e^{-x})^2}", "e^{−x}/(1 + e^{−x})²", lambda xp, i: xp.exp(-i.x) / (1 + xp.exp(-i.x)) ** 2),
    ]),
    _q("naive.v_c", "∂J_naive/∂v_c", r"\frac{\partial J_{\text{naive}}}{\partial v_c}", ["naive"], "v_c",
       lambda g, i: g, [
        (r"U(\hat{y}-y)", "U(ŷ − y)", lambda xp, i: i.U @ (y_hat(xp, i) - one_hot(xp, i, i.o))),
        (r"-u_o+\sum_{w=1}^{W}\hat{y}_w u_w", "−u_o + Σ_w ŷ_w u_w", lambda xp, i: -i.u_o + i.U @ y_hat(xp, i)),
    ]),
    _q("naive.u_o", "∂J_naive/∂u_w for w = o", r"\frac{\partial J_{\text{naive}}}{\partial u_o}", ["naive"], "U",
       _col("o"), [
        (r"(\hat{y}_o-1)\,v_c", "(ŷ_o − 1) v_c", lambda xp, i: (y_hat(xp, i)[i.o] - 1) * i.v_c),
    ], condition="w = o"),
    _q("naive.u_w", "∂J_naive/∂u_w for w ≠ o", r"\frac{\partial J_{\text{naive}}}{\partial u_w}", ["naive"], "U",
       _col("w"), [
        (r"\hat{y}_w\,v_c", "ŷ_w v_c", lambda xp, i: y_hat(xp, i)[i.w] * i.v_c),
    ], condition=r"w \neq o"),
    _q("naive.U", "∂J_naive/∂U", r"\frac{\partial J_{\text{naive}}}{\partial U}", ["naive"], "U",
       lambda g, i: g, [
        (r"v_c(\hat{y}-y)^\top", "v_c (ŷ − y)ᵀ",
         lambda xp, i: np.outer(i.v_c, y_hat(xp, i) - one_hot(xp, i, i.o))),
    ]),
    _q("neg.v_c", "∂J_neg/∂v_c", r"\frac{\partial J_{\text{neg}}}{\partial v_c}", ["neg"], "v_c",
       lambda g, i: g, [
        (r"-(1-\sigma(u_o^\top v_c))\,u_o+\sum_{k=1}^{K}(1-\sigma(-u_k^\top v_c))\,u_k",
         "−(1 − σ(u_oᵀv_c)) u_o + Σ_k (1 − σ(−u_kᵀv_c)) u_k", neg_v_c),
        (r"(\sigma(u_o^\top v_c)-1)\,u_o+\sum_{k=1}^{K}\sigma(u_k^\top v_c)\,u_k",
         "(σ(u_oᵀv_c) − 1) u_o + Σ_k σ(u_kᵀv_c) u_k",
         lambda xp, i: (xp.sigmoid(i.u_o @ i.v_c) - 1) * i.u_o
         + i.U[:, list(i.samples)] @ xp.sigmoid(i.U[:, list(i.samples)].T @ i.v_c)),
    ]),
    _q("neg.u_o", "∂J_neg/∂u_o", r"\frac{\partial J_{\text{neg}}}{\partial u_o}", ["neg"], "U", _col("o"), [
        (r"-(1-\sigma(u_o^\top v_c))\,v_c", "−(1 − σ(u_oᵀv_c)) v_c",
         lambda xp, i: -(1 - xp.sigmoid(i.u_o @ i.v_c)) * i.v_c),
        (r"(\sigma(u_o^\top v_c)-1)\,v_c", "(σ(u_oᵀv_c) − 1) v_c",
         lambda xp, i: (xp.sigmoid(i.u_o @ i.v_c) - 1) * i.v_c),
    ]),
    _q("neg.u_k", "∂J_neg/∂u_k, samples distinct", r"\frac{\partial J_{\text{neg}}}{\partial u_k}", ["neg"], "U",
       lambda G, i: G[:, i.samples[i.k]], [
        (r"(1-\sigma(-u_k^\top v_c))\,v_c", "(1 − σ(−u_kᵀv_c)) v_c",
         lambda xp, i: (1 - xp.sigmoid(-(u_k(i) @ i.v_c))) * i.v_c),
        (r"\sigma(u_k^\top v_c)\,v_c", "σ(u_kᵀv_c) v_c", lambda xp, i: xp.sigmoid(u_k(i) @ i.v_c) * i.v_c),
    ], needs="distinct"),
    _q("neg.u_k_repeated", "∂J_neg/∂u_k when w_k is drawn n_k times",
       r"\frac{\partial J_{\text{neg}}}{\partial u_k}", ["neg"], "U",
       lambda G, i: G[:, i.samples[i.k]], [
        (r"n_k(1-\sigma(-u_k^\top v_c))\,v_c", "n_k (1 − σ(−u_kᵀv_c)) v_c",
         lambda xp, i: i.n_k * (1 - xp.sigmoid(-(u_k(i) @ i.v_c))) * i.v_c),
        (r"\sum_{j:\,w_j=w_k}\sigma(u_{w_j}^\top v_c)\,v_c", "Σ over the draws of w_k of σ(u_kᵀv_c) v_c",
         lambda xp, i: neg_U(xp, i)[:, i.samples[i.k]]),
    ], needs="repeated"),
    _q("sg.U", "∂J_sg/∂U", r"\frac{\partial J_{\text{sg}}}{\partial U}", ["sg_naive", "sg_neg"], "U",
       lambda g, i: g, [
        (r"\sum_{-m\le j\le m,\,j\ne 0}\frac{\partial J(v_c,w_{t+j},U)}{\partial U}", "Σ_j ∂J(v_c, w_{t+j}, U)/∂U",
         by_base(lambda xp, i: np.outer(i.v_c, y_hat(xp, i) - one_hot(xp, i, i.o)), neg_U)),
    ]),
    _q("sg.v_c", "∂J_sg/∂v_c", r"\frac{\partial J_{\text{sg}}}{\partial v_c}", ["sg_naive", "sg_neg"], "V",
       lambda G, i: G[:, i.c], [
        (r"\sum_{-m\le j\le m,\,j\ne 0}\frac{\partial J(v_c,w_{t+j},U)}{\partial v_c}", "Σ_j ∂J(v_c, w_{t+j}, U)/∂v_c",
         by_base(lambda xp, i: i.U @ (y_hat(xp, i) - one_hot(xp, i, i.o)), neg_v_c)),
    ]),
    _q("sg.v_w", "∂J_sg/∂v_w for w ≠ c", r"\frac{\partial J_{\text{sg}}}{\partial v_w}", ["sg_naive", "sg_neg"], "V",
       lambda G, i: G[:, i.v], [
        (r"0", "0", lambda xp, i, base="naive": np.zeros_like(i.v_c)),
    ], condition=r"w \neq c"),
)


WORD2VEC = ProblemSet(
    name="word2vec",
    title="Word vectors: sigmoid, naive softmax, negative sampling, skip-gram",
    symbols=SYMBOLS,
    questions=QUESTIONS,
    losses=LOSS_DEFINITIONS,
)
