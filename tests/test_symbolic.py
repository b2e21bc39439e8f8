"""Symbolic proof at small fixed dimensions: simplify(closed − derived) is 0
for every closed form of every question, each proof under a time bound."""
import numpy as np
import pytest
import sympy as sp

from word2vec_table import WORD2VEC   # the Python core the scores route serves (retiring)
from gradkey.derive.derivation import elementwise, sigmoid_derivation
from gradkey.derive.ops import SYMBOLIC
from helpers import time_limit
from old_core import symbolic_instance

CASES = [(q.id, loss, n) for q in WORD2VEC.questions for loss in q.losses
         for n in range(len(q.closed_forms))]


def derived_symbolic(q, inst, loss):
    if loss == "sigmoid":
        return np.array(sigmoid_derivation().dF, dtype=object)
    grad = np.array(elementwise(loss, inst).grads[q.wrt].tolist(), dtype=object)
    if q.wrt == "v_c":
        grad = grad[:, 0]
    return q.select(grad, inst)


@pytest.mark.parametrize("qid,loss,n", CASES)
def test_closed_form_equals_derivation_symbolically(qid, loss, n):
    q = WORD2VEC.question(qid)
    inst = symbolic_instance(repeated=q.needs == "repeated")
    with time_limit(30):
        derived = derived_symbolic(q, inst, loss)
        closed = np.asarray(q.closed_forms[n].evaluate(inst, SYMBOLIC, loss), dtype=object)
        assert closed.shape == derived.shape
        residue = [sp.simplify(sp.expand(e)) for e in np.ravel(closed - derived)]
    assert all(r == 0 for r in residue), residue


def test_a_wrong_form_leaves_a_nonzero_residue():
    # the proof can fail: σ(u_kᵀv_c) v_c is not ∂J_neg/∂u_o
    q = WORD2VEC.question("neg.u_o")
    inst = symbolic_instance()
    derived = derived_symbolic(q, inst, "neg")
    wrong = WORD2VEC.question("neg.u_k").closed_forms[1].evaluate(inst, SYMBOLIC)
    with time_limit(30):
        residue = [sp.simplify(sp.expand(e)) for e in np.ravel(wrong - derived)]
    assert any(r != 0 for r in residue)
