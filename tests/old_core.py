"""Test helpers for word2vec's old Python core — the scores route (derive/derivation.py,
derive/losses.py) over the fixed ``Instance`` (derive/signature.py) and the Python
question table (derive/word2vec.py) — which retires with word2vec's own checker.

Moved here from verify/strategies.py (the old ``instances``/``dims`` strategies),
verify/numerics/consistency.py (numerics over the old ``Instance``) and
tests/helpers.py (``symbolic_instance``), so that nothing in gradkey imports the old
core; only the tests of that core do, through this module. Delete it with them.
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradkey.derive.derivation import derivation
from gradkey.derive.losses import parameter_symbols
# re-exported for the old core's tests: seeded instances over the old Instance
from gradkey.derive.signature import CHECK_DIMS, Dims, Instance, random_instance, seeded_instances  # noqa: F401
from gradkey.verify.numerics.compare import Comparison, compare
from gradkey.verify.numerics.consistency import Check
from gradkey.verify.numerics.numdiff import central_difference, complex_step, mp_derivative
from gradkey.verify.strategies import values


# -- Hypothesis strategies over the old Instance ---------------------------------------

def dims(d=st.integers(1, 5), W=st.integers(2, 7), K=st.integers(1, 4), m=st.integers(1, 3)) -> st.SearchStrategy[Dims]:
    """Dimension tuples; d = W and d != W both occur, d = 1 included."""
    return st.builds(Dims, d=d, W=W, K=K, m=m)


def _word_other_than(W: int, avoid: int) -> st.SearchStrategy[int]:
    return st.integers(0, W - 2).map(lambda w: w + (w >= avoid))


@st.composite
def _samples(draw, W: int, K: int, avoid: int, needs: str = ""):
    word = _word_other_than(W, avoid)
    if needs == "distinct":
        return tuple(draw(st.lists(word, min_size=K, max_size=K, unique=True)))
    drawn = draw(st.lists(word, min_size=K, max_size=K))
    if needs == "repeated":
        # force the word at position 0 to be drawn again somewhere else
        j = draw(st.integers(1, K - 1))
        drawn[j] = drawn[0]
    return tuple(drawn)


def _dims_for(needs: str, base: st.SearchStrategy[Dims]) -> st.SearchStrategy[Dims]:
    if needs == "distinct":
        return base.filter(lambda d: d.K <= d.W - 1)
    if needs == "repeated":
        return base.filter(lambda d: d.K >= 2)
    return base


@st.composite
def instances(draw, dims: st.SearchStrategy[Dims] | None = None, needs: str = "",
              elements: st.SearchStrategy[float] | None = None) -> Instance:
    """Instances: indices anywhere (0 and W-1 included), negative samples
    with repeats unless ``needs="distinct"``, a repeat forced at k when
    ``needs="repeated"``, windows whose words may repeat."""
    dm = draw(_dims_for(needs, dims if dims is not None else globals()["dims"]()))
    elements = elements if elements is not None else values()
    d, W, K = dm.d, dm.W, dm.K
    matrix = hnp.arrays(float, (d, W), elements=elements)
    V, U = draw(matrix), draw(matrix)
    c, o = draw(st.integers(0, W - 1)), draw(st.integers(0, W - 1))
    samples = draw(_samples(W, K, o, needs))
    window = tuple(draw(st.lists(st.integers(0, W - 1), min_size=dm.window, max_size=dm.window)))
    return Instance(
        dims=dm, x=draw(st.floats(-6, 6)), V=V, U=U, c=c, o=o, w=draw(_word_other_than(W, o)),
        samples=samples, k=0 if needs == "repeated" else draw(st.integers(0, K - 1)), window=window,
        window_samples=tuple(draw(_samples(W, K, j)) for j in window), v=draw(_word_other_than(W, c)),
    )


# -- numerics over the old Instance ----------------------------------------------------

def loss_of_parameter(q, inst: Instance, loss: str):
    """(f, x0): the loss as a function of the parameter the question reads."""
    der = derivation(loss, inst.dims)
    if q.wrt == "x":
        return (lambda x: der.loss(inst.replace(x=x[()]))), np.array(float(inst.x))
    if q.wrt == "U":
        return (lambda U: der.loss(inst.replace(U=U))), np.asarray(inst.U, dtype=float)
    if q.wrt == "V":
        return (lambda V: der.loss(inst.replace(V=V))), np.asarray(inst.V, dtype=float)

    def of_v_c(v):
        V = np.asarray(inst.V).astype(np.result_type(inst.V, v))
        V[:, inst.c] = v
        return der.loss(inst.replace(V=V))
    return of_v_c, np.asarray(inst.v_c, dtype=float)


def loss_scales(inst: Instance, loss: str) -> tuple[float, float]:
    """(F, M3): evaluating J carries a rounding error of at most eps*F, and
    M3 bounds its third derivative along any one coordinate.

    J is a sum of terms (-s_o, a log-sum-exp or log sigma per window word and
    sample) that may cancel, so its rounding error scales with the magnitude
    of the terms, not of J: each term is at most d*big^2 + log W + 1 (a score
    plus the log of a sum of W exponentials), and a log-sum-exp of W terms
    takes about W + 10 rounded operations. J depends on each coordinate
    through scores that are linear in it with coefficients at most ``big``;
    log sigma and log-sum-exp have third derivatives at most 1 along one
    score, and (2 big)^3 bounds a log-sum-exp's directional third derivative.
    """
    big = max(float(np.max(np.abs(inst.U))), float(np.max(np.abs(inst.V))), abs(float(inst.x)), 1.0)
    if loss == "sigmoid":
        return 16.0, 1.0
    n_terms = (inst.dims.K + 2) * inst.dims.window + 1
    term = inst.dims.d * big * big + np.log(inst.dims.W) + 1.0
    return (inst.dims.W + 10) * n_terms * term, n_terms * (2 * big) ** 3


def numeric_gradient(q, inst: Instance, loss: str, method: str = "complex"):
    """The question's answer by numerical differentiation: (value, extra error bound)."""
    f, x0 = loss_of_parameter(q, inst, loss)
    if method == "complex":
        return q.select(complex_step(f, x0), inst), 0.0
    f_scale, third = loss_scales(inst, loss)
    grad, bound = central_difference(lambda x: float(np.real(f(x))), x0, f_scale, third)
    return q.select(grad, inst), q.select(bound, inst)


def reference_entry(q, inst: Instance, loss: str, index: tuple):
    """One entry of the parameter gradient at 50 digits (mpmath)."""
    der = derivation(loss, inst.dims)
    if q.wrt == "U":
        f = lambda U: der.loss_mp(inst.replace(U=U))  # noqa: E731
        return mp_derivative(f, inst.U, index)
    if q.wrt == "x":
        return mp_derivative(lambda x: der.loss_mp(inst.replace(x=x[()])), np.array(float(inst.x)), ())
    raise NotImplementedError("reference entries are implemented for U and x")


def check_closed_form(q, form, inst: Instance, loss: str) -> Comparison:
    return compare(q.truth(inst, loss), form.evaluate(inst, loss=loss), scale=inst.error_scale())


def check_question(q, inst: Instance, central: bool = True) -> list[Check]:
    """Every closed form and numerical differentiation against the truth (a question
    of derive/word2vec.py's table at an old Instance)."""
    checks = []
    scale = inst.error_scale()
    for loss in q.losses:
        truth = q.truth(inst, loss)
        for n, form in enumerate(q.closed_forms, 1):
            checks.append(Check(f"closed form {n}", loss, check_closed_form(q, form, inst, loss)))
        value, _ = numeric_gradient(q, inst, loss, "complex")
        checks.append(Check("complex step", loss, compare(truth, value, scale=scale)))
        if central:
            value, bound = numeric_gradient(q, inst, loss, "central")
            checks.append(Check("central difference", loss, compare(truth, value, scale=scale, extra=bound)))
    return checks


# -- symbolic instances ------------------------------------------------------------------

def symbolic_instance(dims: Dims = Dims(2, 3, 2, 1), repeated: bool = False) -> Instance:
    """An instance whose values are SymPy symbols (indices concrete)."""
    V, U = parameter_symbols(dims)
    as_array = lambda M: np.array(M.tolist(), dtype=object)  # noqa: E731
    inst = Instance(dims, sp.Symbol("x", real=True), as_array(V), as_array(U), c=0, o=1, w=2,
                    samples=(0, 2), k=0, window=(1, 2), window_samples=((0, 2), (0, 1)), v=1)
    return inst.replace(samples=(0, 0)) if repeated else inst
