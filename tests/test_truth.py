"""word2vec's scores route (the Python core ``derive/word2vec.py`` that the
word2vec checker and code checker still evaluate on): for every question, the
derived gradient, every closed form and numerical differentiation agree on
Hypothesis-generated instances. The problem file's own route is covered for
every bundled set, word2vec included, by test_sets.py."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from word2vec_table import WORD2VEC
import old_core as gst   # strategies over word2vec's old Instance (tests/old_core.py)
from gradkey.verify.numerics.compare import compare
from old_core import check_closed_form, numeric_gradient

QUESTIONS = WORD2VEC.questions
CASES = [(q.id, loss) for q in QUESTIONS for loss in q.losses]


@pytest.mark.parametrize("qid,loss", CASES)
@given(data=st.data())
def test_closed_forms_and_numerics_agree_with_derivation(qid, loss, data):
    q = WORD2VEC.question(qid)
    inst = data.draw(gst.instances(needs=q.needs))
    truth = q.truth(inst, loss)
    assert np.all(np.isfinite(truth))
    for n, form in enumerate(q.closed_forms, 1):
        c = check_closed_form(q, form, inst, loss)
        assert c, f"closed form {n} ({form.text}): {c.describe()}"
    value, _ = numeric_gradient(q, inst, loss, "complex")
    c = compare(truth, value, scale=inst.error_scale())
    assert c, f"complex step: {c.describe()}"
    value, bound = numeric_gradient(q, inst, loss, "central")
    c = compare(truth, value, scale=inst.error_scale(), extra=bound)
    assert c, f"central difference: {c.describe()}"


@given(gst.instances(dims=gst.dims(d=st.just(3), W=st.just(3))))
def test_d_equal_W_is_generated_and_works(inst):
    # the shapes alone cannot tell U from Uᵀ here; the values still must
    q = WORD2VEC.question("naive.v_c")
    assert compare(q.truth(inst), inst.U @ (np.exp(inst.U.T @ inst.v_c) / np.exp(inst.U.T @ inst.v_c).sum()
                                          - np.eye(3)[inst.o]), scale=inst.error_scale())


def test_shapes_are_those_of_the_parameters():
    from old_core import seeded_instances
    inst = seeded_instances(1)[0]
    d, W = inst.dims.d, inst.dims.W
    expected = {"sigmoid.grad": (), "naive.v_c": (d,), "naive.u_o": (d,), "naive.u_w": (d,), "naive.U": (d, W),
                "neg.v_c": (d,), "neg.u_o": (d,), "neg.u_k": (d,), "neg.u_k_repeated": (d,), "sg.U": (d, W),
                "sg.v_c": (d,), "sg.v_w": (d,)}
    assert {q.id: q.shape(inst) for q in QUESTIONS} == expected


def test_every_question_id_of_the_problem_set_table_is_known():
    assert WORD2VEC.ids == [
        "sigmoid.grad", "naive.v_c", "naive.u_o", "naive.u_w", "naive.U", "neg.v_c", "neg.u_o", "neg.u_k",
        "neg.u_k_repeated", "sg.U", "sg.v_c", "sg.v_w"]
