"""Small cases, in several variants each, for the constructs the held-out corpus
(tests/fixtures/corpus_heldout) showed the reader missing: each mechanism is
tested on text written here, not on the corpus's own strings, and wrong
variants sit next to right ones so a mechanism that accepts everything fails."""
import pytest

from gradkey.verify.check.submissions import answers_in, summarise
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse


def verdicts(doc):
    return {q: r.verdict for q, r in summarise(answers_in(doc)).items()}


CASES = [
    # -- the transpose typed before the subscript: u^T_k, u^\top_{o} -------------------------
    (r"$$\frac{\partial J}{\partial u_k} = -(\sigma(-u^T_{k}v_c) - 1)v_c$$", {"neg.u_k": "correct"}),
    (r"$$\frac{\partial J}{\partial u_k} = (1-\sigma(u^\top_k v_c))v_c$$", {"neg.u_k": "incorrect"}),
    (r"$$\frac{\partial J}{\partial u_o} = (\sigma(u^T_ov_c) - 1)v_c$$", {"neg.u_o": "correct"}),
    (r"$$\frac{\partial J}{\partial v_c} = (\sigma(u^{T}_{o}v_c)-1)u_o - \sum_{k=1}^K(\sigma(-u^T_k v_c)-1)u_k$$",
     {"neg.v_c": "correct"}),
    # -- braces around σ's argument group it: σ{(x)}, σ{u_oᵀv_c} ----------------------------
    (r"$$\frac{\partial J}{\partial u_o} = (\sigma{(u_o^Tv_c)} - 1)v_c$$", {"neg.u_o": "correct"}),
    (r"$$\frac{\partial J}{\partial u_o} = (\sigma{u_o^Tv_c} - 1)v_c$$", {"neg.u_o": "correct"}),
    (r"$$\frac{\partial J}{\partial u_o} = (1 - \sigma{(u_o^Tv_c)})v_c$$", {"neg.u_o": "incorrect"}),
    (r"$$\frac{\partial{\sigma{(x)}}}{\partial x}=\sigma{(x)}(1-\sigma(x))$$", {"sigmoid.grad": "correct"}),
    (r"$$\frac{\partial{\sigma{(x)}}}{\partial x}=\sigma{(x)}(1+\sigma{(x)})$$", {"sigmoid.grad": "incorrect"}),
    # -- a skip-gram Σ with no bounds runs over the window (−m ≤ j ≤ m, j ≠ 0) ------------------
    (r"$$\frac{\partial J_{sg}}{\partial U} = \sum_{j\neq 0}\frac{\partial J(v_c,w_{t+j},U)}{\partial U}$$",
     {"sg.U": "correct"}),
    (r"$$\frac{\partial J_{sg}}{\partial v_c} = \sum_{j}\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}$$",
     {"sg.v_c": "correct"}),
    (r"$$\frac{\partial J_{sg}}{\partial v_c} = -\sum_{j \ne 0} \frac{\partial J(w_{t+j}, v_c, U)}{\partial v_c}$$",
     {"sg.v_c": "incorrect"}),
    (r"$$\frac{\partial J_{sg}}{\partial U} = \sum_{j\neq 1}\frac{\partial J(v_c,w_{t+j},U)}{\partial U}$$",
     {"sg.U": "review"}),
]


@pytest.mark.parametrize("doc, expected", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_case(doc, expected):
    assert verdicts(doc) == expected
