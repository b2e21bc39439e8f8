"""word2vec as a problem file (derive/problems/word2vec.toml): for every
question and every base loss, the generic element-wise truth derived from the
file equals today's truth (derive/derivation.py's scores route, through
the Python core ``derive/word2vec.py``) at seeded and Hypothesis instances of today's
``Instance``, mapped to the file's generic instance. The file carries every
question, closed form and step of derive/word2vec.py and the known mistakes
(each reported with its code when given as an answer), and its own proofs hold."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradkey import derive
from word2vec_table import WORD2VEC
from gradkey.derive.draw import GenericInstance, seeded
from gradkey.derive.problemfile import bundled, load
from gradkey.derive.proofs import prove, prove_symbolically
from gradkey.derive.signature import Dims, Instance
import old_core as gst   # strategies over word2vec's old Instance (tests/old_core.py)
from old_core import CHECK_DIMS, seeded_instances

FILE = load(bundled()["word2vec"])
TODAY = WORD2VEC
NEEDS = {q.id: q.needs for q in TODAY.questions}
CASES = [(q.id, loss) for q in TODAY.questions for loss in q.losses]


def generic(inst: Instance) -> GenericInstance:
    """Today's instance as an instance of the file: dims d, W, K and M = 2m;
    arrays, labels (c, o, samples, window, window_samples) and index variables
    (w, k, v) by the file's names."""
    dims = {"d": inst.dims.d, "W": inst.dims.W, "K": inst.dims.K, "M": inst.dims.window}
    values = {
        "x": np.asarray(float(inst.x)), "V": np.asarray(inst.V, dtype=float), "U": np.asarray(inst.U, dtype=float),
        "c": np.asarray(inst.c), "o": np.asarray(inst.o), "samples": np.asarray(inst.samples, dtype=int),
        "window": np.asarray(inst.window, dtype=int),
        "window_samples": np.asarray(inst.window_samples, dtype=int).reshape(dims["M"], dims["K"]),
        "w": int(inst.w), "k": int(inst.k), "v": int(inst.v),
    }
    return GenericInstance(FILE, dims, values)


def same_truth(qid: str, loss: str, inst: Instance):
    q_file, q_today = FILE.question(qid), TODAY.question(qid)
    g = generic(inst)
    assert q_file.suits(g) == q_today.suits(inst)
    today = np.asarray(WORD2VEC.question(qid).truth(inst, loss), dtype=float)
    got = q_file.truth(g, loss)
    assert got.shape == today.shape, (qid, loss)
    scale = max(inst.error_scale(), g.error_scale())
    np.testing.assert_allclose(got, today, rtol=1e-11, atol=1e-13 * scale, err_msg=f"{qid} ({loss})")


def test_the_file_has_every_question_with_its_losses():
    assert FILE.ids == TODAY.ids
    for q in TODAY.questions:
        f = FILE.question(q.id)
        assert f.losses == q.losses and f.needs == q.needs and f.condition == q.condition
        assert len(f.closed_forms) == len(q.closed_forms) and len(f.steps) == len(q.steps)
        assert [c.latex for c in f.closed_forms] == [c.latex for c in q.closed_forms]
        assert [s.latex for s in f.steps] == list(q.steps)
        assert q.lhs in f.lhs


MISTAKE_CASES = [(q.id, m.code) for q in FILE.questions for m in q.mistakes]


def _mistake_doc(q, m) -> str:
    cond = rf"\quad \text{{for }} {q.condition}" if q.condition else ""
    doc = f"$${q.lhs[0]} = {m.latex}{cond}$$"
    if q.needs == "repeated":
        doc = "When $w_k$ is drawn $n_k$ times (samples repeat):\n\n" + doc
    return doc


def test_the_file_keeps_every_known_mistake():
    # the 27 mistakes word2vec's checker reported before they moved into the file
    assert len(MISTAKE_CASES) == 27 and all(code.startswith(qid + ".") for qid, code in MISTAKE_CASES)
    assert {q.id for q in FILE.questions if q.mistakes} == set(FILE.ids)


@pytest.mark.parametrize("qid,code", MISTAKE_CASES)
def test_every_mistake_of_the_file_is_reported_with_its_code(qid, code):
    """The mistake's printed LaTeX, given as an answer, is judged incorrect with the
    mistake's code and feedback."""
    from gradkey.verify.check import sets
    from gradkey.verify.check.answers import summarise
    q = FILE.question(qid)
    m = next(m for m in q.mistakes if m.code == code)
    r = summarise(sets.answers_in(_mistake_doc(q, m), FILE))[qid]
    assert (r.verdict, r.code, r.feedback) == ("incorrect", code, m.feedback)


@pytest.mark.parametrize("qid,loss", CASES)
def test_generic_truth_equals_todays_truth_at_seeded_instances(qid, loss):
    for inst in seeded_instances(6, seed=11, needs=NEEDS[qid]):
        same_truth(qid, loss, inst)


# A few dimension tuples (each costs one derivation per loss): today's check
# dims, d = 1, W = 2 with K = 1, equal dims, a wider window.
HYPOTHESIS_DIMS = st.sampled_from([*CHECK_DIMS, Dims(1, 2, 1, 1), Dims(3, 3, 2, 1), Dims(2, 4, 2, 2)])


@pytest.mark.parametrize("qid,loss", CASES)
@settings(max_examples=15)
@given(data=st.data())
def test_generic_truth_equals_todays_truth_at_hypothesis_instances(qid, loss, data):
    needs = NEEDS[qid]
    dims = HYPOTHESIS_DIMS.filter(lambda d: d.K >= 2) if needs == "repeated" else HYPOTHESIS_DIMS
    inst = data.draw(gst.instances(dims=dims, needs=needs))
    same_truth(qid, loss, inst)


def test_the_files_own_proofs_hold():
    assert prove(FILE) == []


@pytest.mark.parametrize("qid,loss", CASES)
def test_closed_forms_are_proven_symbolically(qid, loss):
    q = FILE.question(qid)
    inst = seeded(FILE, 1, 0, q, dims=(FILE.proof_dims,))[0]
    for form in q.closed_forms:
        assert prove_symbolically(q, form.expr_for(loss), inst, seconds=60, loss=loss), form.latex


def test_repeated_premise_points_k_at_a_repeated_sample():
    q = FILE.question("neg.u_k_repeated")
    for inst in seeded(FILE, 8, 5, q):
        s = list(inst.values["samples"])
        assert s.count(s[inst.values["k"]]) >= 2 and q.suits(inst)
    bad = inst.replace(samples=np.arange(1, 1 + inst.dims["K"]) % inst.dims["W"])
    assert not q.suits(bad)


def test_window_samples_differ_from_their_context_word():
    for inst in seeded(FILE, 10, 2):
        ws, window = inst.values["window_samples"], inst.values["window"]
        assert all(window[j] not in ws[j] for j in range(len(window)))
        assert inst.values["o"] not in inst.values["samples"]
