"""Small cases, in several variants each, for the constructs the third held-out
corpus (tests/fixtures/corpus_heldout3) showed the reader missing or misjudging.
Each mechanism is tested on text written here, not on the corpus's strings, and
wrong variants sit next to right ones so a mechanism that accepts everything fails."""
import pytest

from gradkey.verify.check.submissions import answers_in, summarise


def results(doc):
    return summarise(answers_in(doc))


def verdicts(doc):
    return {q: r.verdict for q, r in results(doc).items()}


SG_U = r"\sum_{j}\frac{\partial J(v_c, w_{t+j}, U)}{\partial U}"
SG_VC = r"\sum_{j}\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}"

CASES = [
    # -- 10. relabelling by shape is the typo hypothesis: only when the file gives the
    #        shape-fit question no answer of its own ------------------------------------------
    # the sg.U value copied under ∂J_sg/∂v_c, sg.U answered above: v_c is wrong, not relabelled
    (f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial U}} = {SG_U}$$\n\n"
     f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_c}} = {SG_U}$$\n", {"sg.U": "correct", "sg.v_c": "incorrect"}),
    # the same with the copy first, and in inline bullets with / instead of \frac
    ("* $\\partial J_{sg}/\\partial v_c = \\sum_j \\partial J(v_c,w_{t+j},U)/\\partial U$\n"
     "* $\\partial J_{sg}/\\partial U = \\sum_j \\partial J(v_c,w_{t+j},U)/\\partial U$\n",
     {"sg.U": "correct", "sg.v_c": "incorrect"}),
    # the copy under v_c while the file's own sg.U is wrong: both incorrect, neither relabelled
    (f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial U}} = -{SG_U}$$\n\n"
     f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_c}} = {SG_U}$$\n", {"sg.U": "incorrect", "sg.v_c": "incorrect"}),
    # naive softmax: (ŷ − y)v_cᵀ under ∂J/∂v_c and again under ∂J/∂U
    ("$$\\frac{\\partial J}{\\partial U} = v_c(\\hat y - y)^T$$\n\n"
     "$$\\frac{\\partial J}{\\partial v_c} = v_c(\\hat y - y)^T$$\n", {"naive.U": "correct", "naive.v_c": "incorrect"}),
]


@pytest.mark.parametrize("doc,expected", CASES)
def test_case(doc, expected):
    got = verdicts(doc)
    assert {q: got.get(q, "missing") for q in expected} == expected, got


def test_relabelling_stays_when_the_file_has_no_answer_of_its_own():
    """The typo hypothesis: ∂J_sg/∂v_c written where ∂J_sg/∂U was meant, and the
    file answers sg.U nowhere else — judged as sg.U, and the verdict says so."""
    r = results(f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_c}} = {SG_U}$$\n\n"
                f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_w}} = 0$$\n")
    assert r["sg.U"].verdict == "correct"
    assert "label is wrong" in r["sg.U"].note
    assert "sg.v_c" not in r


def test_relabelled_correct_verdict_always_carries_the_note():
    """A correct verdict whose only evidence is a relabelled answer says so."""
    for doc in ("$$\\frac{\\partial J}{\\partial v_c} = v_c(\\hat y - y)^T$$\n",
                f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_c}} = {SG_U}$$\n"):
        for q, r in results(doc).items():
            if r.verdict == "correct":
                assert "label is wrong" in r.note, (q, r.note)


def test_kept_label_explains_itself():
    r = results(f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial U}} = {SG_U}$$\n\n"
                f"$$\\frac{{\\partial J_{{sg}}}}{{\\partial v_c}} = {SG_U}$$\n")
    assert "answers sg.U on line 1" in r["sg.v_c"].note
