"""Mutation sanity: deliberately wrong closed forms fail the same property
check that the right ones pass, so the check is shown to be able to fail."""
import numpy as np
import pytest
from hypothesis import Phase, find, settings
from hypothesis.errors import NoSuchExample

from word2vec_table import WORD2VEC   # the Python core the scores route serves (retiring)
from gradkey.derive.ops import NUMERIC as xp
from word2vec_table import ClosedForm
from word2vec_table import neg_v_c, one_hot, y_hat
import old_core as gst   # strategies over word2vec's old Instance (tests/old_core.py)
from old_core import check_closed_form


def sig(z):
    return xp.sigmoid(z)


MUTANTS = {
    "sign flip": ("naive.v_c", lambda _, i: -(i.U @ (y_hat(xp, i) - one_hot(xp, i, i.o)))),
    "ŷ_o in place of ŷ_w": ("naive.u_w", lambda _, i: y_hat(xp, i)[i.o] * i.v_c),
    "dropped v_c factor": ("naive.u_w", lambda _, i: y_hat(xp, i)[i.w] * np.ones(i.dims.d)),
    "dropped -1": ("naive.u_o", lambda _, i: y_hat(xp, i)[i.o] * i.v_c),
    "σ argument negated": ("neg.u_k", lambda _, i: sig(-(i.U[:, i.samples[i.k]] @ i.v_c)) * i.v_c),
    "u_o where u_k belongs": ("neg.u_k", lambda _, i: sig(i.u_o @ i.v_c) * i.v_c),
    "repeats not summed": ("neg.u_k_repeated", lambda _, i: sig(i.U[:, i.samples[i.k]] @ i.v_c) * i.v_c),
    "missing sample sum": ("neg.v_c", lambda _, i: (sig(i.u_o @ i.v_c) - 1) * i.u_o),
    "outer product reversed": ("naive.U", lambda _, i: np.outer(y_hat(xp, i) - one_hot(xp, i, i.o), i.v_c)),
    "sigmoid squared wrong": ("sigmoid.grad", lambda _, i: sig(i.x) * (1 + sig(i.x))),
    "one window term": ("sg.v_c", lambda _, i, base: neg_v_c(xp, i.context(0))),
    "window averaged": ("sg.v_c", lambda _, i, base: sum(neg_v_c(xp, i.context(j)) for j in range(len(i.window)))
                        / len(i.window)),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_closed_form_is_caught(name):
    qid, fn = MUTANTS[name]
    q = WORD2VEC.question(qid)
    loss = q.losses[-1]
    mutant = ClosedForm("", fn)
    # the same property the true forms satisfy must have a counterexample
    try:
        inst = find(gst.instances(needs=q.needs), lambda i: not check_closed_form(q, mutant, i, loss),
                    settings=settings(max_examples=200, database=None, derandomize=True,
                                       phases=[Phase.generate]))
    except NoSuchExample:  # pragma: no cover - this is the failure we test for
        pytest.fail(f"mutant {name!r} of {qid} was never caught")
    assert not check_closed_form(q, mutant, inst, loss)
