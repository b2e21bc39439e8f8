"""The bundled problem files (word2vec, linear, mlp, matcalc, logreg): for every question,
derived truth = each closed form = numerical differentiation on Hypothesis
instances; symbolic proofs at the smallest dims; mutants of the closed forms
are caught; every known mistake is caught."""
import numpy as np
import pytest
from hypothesis import Phase, find, given, settings, strategies as st
from hypothesis.errors import NoSuchExample

from gradkey import derive
from gradkey.derive.proofs import prove_symbolically, residue
from gradkey.derive.draw import seeded
from gradkey.verify import strategies as gst
from gradkey.verify.numerics.compare import compare
from gradkey.verify.numerics.consistency import check_question

SETS = ("word2vec", "linear", "mlp", "matcalc", "logreg")

# Each new dims tuple costs a derivation, so instances cycle through a fixed
# list per set: the file's check dims (pairwise distinct), equal dims, N = 1
# and C = 2 (labels then sit at 0 and C−1 and repeat).
EXTRA_DIMS = {
    # d = 1 (inner and outer products coincide), W = 2 with one sample, equal sizes
    "word2vec": [{"d": 1, "W": 2, "K": 1, "M": 1}, {"d": 3, "W": 3, "K": 2, "M": 3}],
    "linear": [{"N": 3, "D": 3, "C": 3}, {"N": 1, "D": 2, "C": 2}, {"N": 4, "D": 1, "C": 2}],
    "mlp": [{"N": 1, "D": 2, "Hn": 2, "C": 2}, {"N": 3, "D": 3, "Hn": 3, "C": 3}],
    "matcalc": [{"n": 3, "m": 3, "p": 3}, {"n": 1, "m": 2, "p": 1}],
    "logreg": [{"N": 1, "D": 2}, {"N": 3, "D": 3}],
}


def dims_for(ps):
    return gst.problem_dims(ps, [*ps.check_dims, *EXTRA_DIMS[ps.name]])


CASES = [(name, qid) for name in SETS for qid in derive.problem_set(name).ids]


def test_every_question_id_of_the_spec_table_is_there():
    assert {name: derive.problem_set(name).ids for name in SETS} == {
        "word2vec": ["sigmoid.grad", "naive.v_c", "naive.u_o", "naive.u_w", "naive.U", "neg.v_c", "neg.u_o",
                     "neg.u_k", "neg.u_k_repeated", "sg.U", "sg.v_c", "sg.v_w"],
        "linear": ["softmax.s", "softmax.w_j", "softmax.W", "svm.w_j", "svm.w_y", "svm.W"],
        "mlp": ["mlp.relu", "mlp.S", "mlp.W2", "mlp.b2", "mlp.H", "mlp.Z1", "mlp.W1", "mlp.b1"],
        "matcalc": ["matcalc.linear", "matcalc.quadratic", "matcalc.lstsq", "matcalc.trace",
                    "matcalc.trace_quad", "matcalc.frobenius", "matcalc.logdet"],
        "logreg": ["logreg.theta", "logreg.hessian"],
    }


@pytest.mark.parametrize("name,qid", CASES)
@settings(max_examples=12)
@given(data=st.data())
def test_truth_closed_forms_and_numerics_agree(name, qid, data):
    ps = derive.problem_set(name)
    q = ps.question(qid)
    inst = data.draw(gst.problem_instances(ps, q, dims=dims_for(ps)))
    assert q.suits(inst)
    truth = q.truth(inst)
    assert np.shape(truth) == q.concrete_shape(inst.dims) and np.all(np.isfinite(truth))
    for c in check_question(q, inst):
        assert c.comparison, f"{c.what}: {c.comparison.describe()} at {inst.describe()}"


@pytest.mark.parametrize("name,qid", CASES)
def test_every_known_mistake_is_caught(name, qid):
    ps = derive.problem_set(name)
    q = ps.question(qid)
    insts = seeded(ps, 6, 3, q)
    for m in q.mistakes:
        assert any(not compare(q.truth(i), i.evaluate(m.expr), scale=i.error_scale()) for i in insts), m.code


# -- symbolic proofs at the smallest dims ---------------------------------------------

# Every closed form, the hinge and ReLU ones included: the kinks are Step
# factors, which the proof treats as 0/1 flags (one proof for every region).
SYMBOLIC = [(name, qid, n) for name, qid in CASES for n in range(len(derive.problem_set(name).question(qid).closed_forms))]


@pytest.mark.parametrize("name,qid,n", SYMBOLIC)
def test_closed_form_equals_derivation_symbolically(name, qid, n):
    ps = derive.problem_set(name)
    q = ps.question(qid)
    inst = seeded(ps, 1, 0, q, dims=(ps.proof_dims,))[0]
    assert prove_symbolically(q, q.closed_forms[n].expr, inst, seconds=60)


@pytest.mark.parametrize("name,qid,text", [
    ("matcalc", "matcalc.quadratic", "2 * A @ x"),
    # kinked questions: a wrong form must not vanish on the regions either
    ("linear", "svm.W", "X.T @ Mpos / N + 2 * reg * W"),          # the y_i column left out
    ("linear", "svm.w_y", "-X[i, :]"),                             # once, not once per positive margin
    ("linear", "svm.w_j", "ind(S[i, j] - S[i, y[i]] > 0) * X[i, :]"),   # the margin's + 1 dropped
    ("mlp", "mlp.W1", "X.T @ (dS @ W2.T) + 2 * reg * W1"),         # the ReLU mask missing
    ("mlp", "mlp.Z1", "(dS @ W2.T) * ind(Z1 < 0)"),                # the mask inverted
    ("logreg", "logreg.hessian", "X.T @ X / N"),
])
def test_a_wrong_form_leaves_a_nonzero_residue(name, qid, text):
    ps = derive.problem_set(name)
    q = ps.question(qid)
    inst = seeded(ps, 1, 0, q, dims=(ps.proof_dims,))[0]
    assert any(r != 0 for r in residue(q, ps.parse(text), inst))
    assert not prove_symbolically(q, ps.parse(text), inst, seconds=60)


# -- mutation tests: wrong closed forms fail the same property ------------------------

MUTANTS = {
    "2Ax for (A+Aᵀ)x": ("matcalc", "matcalc.quadratic", "2 * A @ x"),
    "A for Aᵀ": ("matcalc", "matcalc.trace_quad", "A @ X + A @ X"),
    "Q⁻¹ for Q⁻ᵀ": ("matcalc", "matcalc.logdet", "inv(Q)"),
    "missing 1/N (softmax)": ("linear", "softmax.W", "X.T @ (P - Y) + 2 * reg * W"),
    "missing 1/N (logreg)": ("logreg", "logreg.theta", "X.T @ (h - y)"),
    "missing ReLU mask": ("mlp", "mlp.W1", "X.T @ (dS @ W2.T) + 2 * reg * W1"),
    "bias gradient not summed": ("mlp", "mlp.b2", "dS[0, :]"),
    "half the regulariser": ("linear", "svm.W", "X.T @ M / N + reg * W"),
    "hinge indicator dropped": ("linear", "svm.w_j", "X[i, :]"),
    "Hessian without σ'": ("logreg", "logreg.hessian", "X.T @ X / N"),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_closed_form_is_caught(mutant):
    name, qid, text = MUTANTS[mutant]
    ps = derive.problem_set(name)
    q = ps.question(qid)
    wrong = ps.parse(text)

    def agrees(inst):
        got = inst.evaluate(wrong)
        return np.shape(got) == np.shape(q.truth(inst)) and bool(compare(q.truth(inst), got, scale=inst.error_scale()))
    try:
        inst = find(gst.problem_instances(ps, q, dims=dims_for(ps)), lambda i: not agrees(i),
                    settings=settings(max_examples=100, database=None, derandomize=True, phases=[Phase.generate]))
    except NoSuchExample:  # pragma: no cover - the failure we test for
        pytest.fail(f"mutant {mutant!r} of {qid} was never caught")
    assert not agrees(inst)
