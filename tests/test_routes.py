"""The scores route (the truth) agrees with the literal element-wise
derivation, and with an mpmath reference at 50 digits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradkey import derive
from word2vec_table import WORD2VEC
from gradkey.derive.derivation import LOSS_NAMES, elementwise, gradients
import old_core as gst   # strategies over word2vec's old Instance (tests/old_core.py)
from gradkey.verify.numerics.compare import ROUNDING, compare
from old_core import loss_of_parameter, reference_entry
from gradkey.verify.numerics.numdiff import complex_step
from old_core import seeded_instances

SMALL = gst.dims(d=st.integers(1, 3), W=st.integers(2, 4), K=st.integers(1, 3), m=st.integers(1, 2))


@pytest.mark.parametrize("loss", [name for name in LOSS_NAMES if name != "sigmoid"])
@settings(max_examples=15)
@given(data=st.data())
def test_scores_route_matches_elementwise(loss, data):
    inst = data.draw(gst.instances(dims=SMALL))
    fast, literal = gradients(loss, inst), elementwise(loss, inst).evaluate(inst)
    assert compare(literal.loss, fast.loss, scale=inst.error_scale())
    for name, value in literal.grads.items():
        c = compare(value, fast[name], scale=inst.error_scale())
        assert c, f"{name}: {c.describe()}"


def test_repeated_samples_are_summed_by_both_routes():
    inst = seeded_instances(1, needs="repeated")[0]
    assert inst.n_k >= 2
    w = inst.samples[inst.k]
    once = (1 / (1 + np.exp(-(inst.U[:, w] @ inst.v_c)))) * inst.v_c
    for grads in (gradients("neg", inst), elementwise("neg", inst).evaluate(inst)):
        assert compare(inst.n_k * once, grads["U"][:, w], scale=inst.error_scale())
        assert not compare(once, grads["U"][:, w], scale=inst.error_scale())


@pytest.mark.parametrize("qid,column", [("naive.u_o", "o"), ("neg.u_k_repeated", "sample"),
                                        ("sg.U", "window"), ("sigmoid.grad", None)])
def test_truth_and_complex_step_match_mpmath_reference(qid, column):
    q = WORD2VEC.question(qid)   # the scores route's own question set
    inst = seeded_instances(1, needs=q.needs)[0]
    loss = q.losses[-1]
    word = {"o": inst.o, "sample": inst.samples[inst.k], "window": inst.window[0], None: None}[column]
    index = () if word is None else (0, word)
    ref = float(reference_entry(q, inst, loss, index))
    truth = float(gradients(loss, inst)[q.wrt][index])
    f, x0 = loss_of_parameter(q, inst, loss)
    stepped = float(complex_step(f, x0)[index])
    tol = ROUNDING * inst.error_scale()
    assert abs(truth - ref) <= tol
    assert abs(stepped - ref) <= tol


def test_large_inputs_fall_back_to_mpmath_and_stay_finite():
    inst = seeded_instances(1)[0]
    big = inst.replace(U=inst.U * 500, V=inst.V * 500)
    g = gradients("naive", big)
    assert np.isfinite(g.loss) and np.all(np.isfinite(g["U"]))
    # softmax of huge scores is one-hot at the argmax: ∂J/∂v_c = u_argmax − u_o
    s = big.U.T @ big.v_c
    expected = big.U[:, int(np.argmax(s))] - big.u_o
    assert compare(expected, g["v_c"], scale=big.error_scale())
