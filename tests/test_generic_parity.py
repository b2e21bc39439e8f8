"""word2vec's written answers through the generic, file-driven checker (sets.py on
derive/problems/word2vec.toml): small hand-written cases, in several students' styles, for
each mechanism that brings it to parity with word2vec's own checker. Each case names what the
file declares that makes it work, so nothing here is a word2vec name in verify/."""
from pathlib import Path

import pytest

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = load(ROOT / "derive" / "problems" / "word2vec.toml")


def _judged(text: str) -> dict:
    return {a.question: a.verdict for a in sets.answers_in(text, PROBLEM) if a.status == "judged"}


# -- a premise stated in the words around an answer ([reader.variable_words] "repeated") --------

SINGLE = r"\frac{\partial J_{neg}}{\partial u_k} = (1-\sigma(-u_k^T v_c))\, v_c"


@pytest.mark.parametrize("before", [
    "(g) When a negative word is drawn more than once:",               # a question's heading
    "If the same word is sampled several times, nothing changes:",      # a sentence
    "若负样本可以重复（同一个词被采到多次）：",                               # Chinese
    "Front: neg sampling, a word drawn several times<br>",              # an Anki card's front
])
def test_a_premise_stated_before_the_block_names_the_repeated_question(before):
    # the single-draw formula under "repeated": NOT_SUMMED for the repeated question, not a
    # correct answer to the distinct one
    got = _judged(f"{before}\n\n$${SINGLE}$$\n")
    assert got.get("neg.u_k_repeated") == "incorrect", got
    assert "neg.u_k" not in got


def test_the_premise_in_a_remark_after_the_formula():
    got = _judged(r"$$\frac{\partial J_{neg}}{\partial u_k} = (1-\sigma(-u_k^T v_c))v_c \quad \text{(repeated samples)}$$")
    assert got.get("neg.u_k_repeated") == "incorrect", got


@pytest.mark.parametrize("line", [
    r"(g) if repeat: $\frac{\partial J}{\partial u_k} = n_k(1-\sigma(-u_k^T v_c))v_c$",
    r"With repeated negatives the gradient is $\frac{\partial J}{\partial u_k} = n_k(1-\sigma(-u_k^T v_c))v_c$.",
])
def test_the_premise_inline_in_the_sentence_holding_the_formula(line):
    got = _judged(line)
    assert got.get("neg.u_k_repeated") == "correct", got
    assert "neg.u_k" not in got


def test_no_premise_words_leave_the_value_to_decide():
    # the same formula with nothing said about repeats: the distinct question, correct
    got = _judged(f"(f) negative sampling, the samples:\n\n$${SINGLE}$$\n")
    assert got.get("neg.u_k") == "correct", got
    assert "neg.u_k_repeated" not in got


# -- the loss over the whole window on the left-hand side (the file's window label w_{t+j}) -------

WHOLE = r"\frac{\partial{J(v_c, w_{t-m},...,w_{t+m}, U)}}{\partial{%s}}"


def test_a_loss_of_the_whole_window_names_the_windowed_questions_even_in_a_naive_section():
    # "用naive softmax:" names the base loss, yet J(v_c, w_{t-m}, …, w_{t+m}, U) is the window's loss
    text = ("用naive softmax:\n\n$$" + WHOLE % "U" + r"=\sum_{j}\frac{\partial{J(v_c, w_{t+j}, U)}}{\partial{U}}$$"
            "\n\n$$" + WHOLE % "v_c" + r"=\frac{\partial{J(v_c, w_{t+j}, U)}}{\partial{v_c}}$$" + "\n")
    got = _judged(text)
    assert got.get("sg.U") == "correct", got
    assert got.get("sg.v_c") == "incorrect", got      # one term of the window sum
    assert "naive.U" not in got and "naive.v_c" not in got


@pytest.mark.parametrize("wrt, rhs, qid, verdict", [
    # 2017's F(w_{c+j}, v_c) under a Σ over the window: the sum of the terms is right, one term is not
    ("v_c", r"\sum_{-m \leq j \leq m, j \neq 0} \frac{\partial F(w_{c+j}, v_c)}{\partial v_c}", "sg.v_c", "correct"),
    ("U", r"\frac{\partial F(w_{c+j}, v_c)}{\partial U}", "sg.U", "incorrect"),
])
def test_a_window_sum_differentiated_on_the_left(wrt, rhs, qid, verdict):
    text = (r"$$\frac{\partial}{\partial %s} \sum_{-m \leq j \leq m, j \neq 0} F(w_{c+j}, v_c) = %s$$" % (wrt, rhs))
    assert _judged(text).get(qid) == verdict


def test_u_for_every_vector_reads_u_c_as_the_centre_vector_and_says_so():
    # the sample 004 style: u_{c+j}, u_c — u_c is no name of the file, v_c is (letter_readings v = "u",
    # reversed only for a name the file does not have); so read, a verdict is at most review
    text = (r"$$\frac{\partial}{\partial u_c} \sum_{-m \leq j \leq m, j \neq 0} F(u_{c+j}, u_c) = "
            r"\sum_{-m \leq j \leq m, j \neq 0} \frac{\partial F(u_{c+j}, u_c)}{\partial u_c}$$")
    got = [a for a in sets.answers_in(text, PROBLEM) if a.status == "judged"]
    assert [(a.question, a.verdict) for a in got] == [("sg.v_c", "review")]


@pytest.mark.parametrize("rhs", [
    r"\sum_j v_c(\hat y - y_{t+j})_w",                  # right for column w, not the matrix
    r"\frac{\partial F(u_k, u_c)}{\partial u_k}",       # not worked out
    r"v_c",                                             # a vector where sg.U's matrix is
])
def test_a_column_of_the_whole_matrix_is_never_judged_for_the_matrix(rhs):
    text = r"$$\frac{\partial}{\partial u_w} \sum_{-m \leq j \leq m, j \neq 0} F(w_{c+j}, v_c) = %s$$" % rhs
    got = [a for a in sets.answers_in(text, PROBLEM) if a.status == "judged"]
    assert [(a.question, a.verdict) for a in got] == [("sg.U", "review")]


# -- a sample's spelling (w_k) only where the loss named draws samples ------------------------

@pytest.mark.parametrize("loss, value, qid, verdict", [
    # J_CE, the naive softmax: it draws no samples, so u_{w_i} is the column of a word w
    ("CE", r"\hat{y}_w v_c", "naive.u_w", "correct"),
    ("CE", r"(\hat{y}_w - 1) v_c", "naive.u_w", "incorrect"),
    # J_neg draws the samples w_1 … w_K: u_{w_i} is the i-th sample's column, the student's letter for w_k
    ("neg", r"(1 - \sigma(-u_{w_i}^T v_c)) v_c", "neg.u_k", "correct"),
])
def test_a_subscripted_word_letter_is_a_sample_only_in_a_loss_that_draws_samples(loss, value, qid, verdict):
    got = _judged(r"$$\frac{\partial J_{%s}}{\partial u_{w_i}} = %s$$" % (loss, value))
    assert got.get(qid) == verdict, got


# -- the general formula after one case in the same sentence; a Σ over {1, …, K} -----------------

@pytest.mark.parametrize("line, verdict", [
    (r"**(g) repeated negatives** $\partial J/\partial u_k = 2\sigma(u_k^\top v_c)v_c$ when $w_k$ appears twice, "
     r"and in general $\sum_{i=1}^{K} \mathbb{1}[w_i = w_k]\,\sigma(u_k^\top v_c)\,v_c$", "correct"),
    (r"$\frac{\partial J}{\partial u_k} = 2\sigma(u_k^T v_c) v_c$ if $w_k$ is drawn twice, "
     r"$n_k\,\sigma(-u_k^T v_c)\,v_c$ in general.", "incorrect"),
])
def test_the_general_formula_after_one_case_is_the_answer(line, verdict):
    answers = sets.answers_in(line, PROBLEM)
    judged = [(a.question, a.verdict) for a in answers if a.status == "judged"]
    assert judged == [("neg.u_k_repeated", verdict)], judged
    # the case itself (n_k = 2) stays a case, never judged as the general answer
    assert any(a.status == "context" and "2" in (a.latex or "") for a in answers)


@pytest.mark.parametrize("over, verdict", [
    (r"\{1, ..., K\}", "correct"), (r"\{1, \dots, K\}", "correct"), (r"\{0, \ldots, K-1\}", "correct"),
    (r"\{2, \ldots, K\}", "review"), (r"\{1, \ldots, K-1\}", "review"),     # not the whole range: not read
])
def test_a_sum_over_an_enumerated_range(over, verdict):
    text = (r"$$\frac{\partial J_{neg}}{\partial u_k} = \sum_{i \in %s : w_i = w_k} (1 - \sigma(-u_k^T v_c)) v_c"
            r"\quad\text{(repeated samples)}$$" % over)
    assert _judged(text).get("neg.u_k_repeated") == verdict


# -- the student's own subscripted shorthands (s_o = σ(u_oᵀv_c), δ_j = ŷ − y_{t+j}) --------------

@pytest.mark.parametrize("defs, answers", [
    # Zhihu style: the shorthand is σ itself, defined inline in the prose before the block
    (r"记 $s_o = \sigma(u_o^T v_c)$，$s_k = \sigma(-u_k^T v_c)$：",
     {"neg.v_c": (r"-(1-s_o)\,u_o + \sum_{k=1}^K (1-s_k)\, u_k", "correct"),
      "neg.u_o": (r"(1-s_o)\, v_c", "incorrect"),
      "neg.u_k": (r"(1-s_k)\, v_c", "correct")}),
    # the shorthand is the score, σ applied in the answer; defined in a display block
    (r"$$s_o = u_o^\top v_c, \quad s_k = u_{w_k}^\top v_c$$",
     {"neg.u_o": (r"-(1-\sigma(s_o))\,v_c", "correct"),
      "neg.u_k": (r"\sigma(-s_k)\,v_c", "incorrect")}),
])
def test_a_shorthand_defined_before_the_answers(defs, answers):
    text = defs + "\n\n" + "\n\n".join(
        "$$\\frac{\\partial J_{neg}}{\\partial %s} = %s$$" % (q.split(".")[1], v) for q, (v, _) in answers.items())
    got = _judged(text)
    assert got == {q: verdict for q, (_, verdict) in answers.items()}, got


def test_a_shorthand_defined_after_its_use():
    got = _judged("$$\\frac{\\partial J_{neg}}{\\partial u_o} = (\\sigma(s_o) - 1)v_c$$\n\n"
                  "where $s_o = u_o^T v_c$.\n")
    assert got.get("neg.u_o") == "correct", got


@pytest.mark.parametrize("delta, verdict", [
    (r"\hat y - y_{t+j}", "correct"),       # the window's word at j: Σ_j is the window sum
    (r"\hat y - y", "incorrect"),           # ignores j: 2m copies of one term
])
def test_a_shorthand_indexed_by_the_window_variable(delta, verdict):
    text = (r"For the window, with $\delta_j = %s$:" % delta + "\n\n"
            r"$$\frac{\partial J_{\text{sg}}}{\partial v_c} = \sum_{j \ne 0} U \delta_j$$" + "\n")
    assert _judged(text).get("sg.v_c") == verdict


@pytest.mark.parametrize("text", [
    # s_k defined, s_o not: s_o is not guessed from its sibling
    r"Let $s_k = \sigma(-u_k^T v_c)$." + "\n\n" + r"$$\frac{\partial J_{neg}}{\partial u_o} = (s_o - 1)v_c$$",
    # a shorthand defined by something unreadable: its uses are not the file's guess
    r"Let $s_o = \mathfrak{Q}\{\{u_o$." + "\n\n" + r"$$\frac{\partial J_{neg}}{\partial u_o} = (\sigma(s_o) - 1)v_c$$",
])
def test_an_undefined_shorthand_stays_for_review(text):
    got = {a.question or a.guess: a.verdict for a in sets.answers_in(text, PROBLEM) if a.status in ("judged", "unmatched")}
    assert got.get("neg.u_o") == "review", got


# -- one window term, a summand that ignores the window variable, the half-width m --------------

def _sg(qid: str, value: str) -> str:
    return sets.judge(parse(value, notation_for(PROBLEM))[0], sets.SetTarget(qid),
                      sets.Context(PROBLEM, answered={})).verdict


@pytest.mark.parametrize("qid, value, verdict", [
    # the window's word at one fixed position: wrong whichever position was meant
    ("sg.v_c", r"\frac{\partial J(v_c,w_{t+1},U)}{\partial v_c}", "incorrect"),
    ("sg.v_c", r"\nabla_{v_c} J(v_c, w_{t+m}, U)", "incorrect"),
    ("sg.v_c", r"U(\hat y - y_{t-1})", "incorrect"),
    # a Σ over the window whose summand ignores j: 2m copies of one term
    ("sg.U", r"\sum_{j \ne 0} v_c (\hat y - y)^T", "incorrect"),
    ("sg.v_c", r"\sum_{j} U(\hat{y} - y)", "incorrect"),
    # m is the half-width of the window the file spells 2m
    ("sg.v_c", r"U\Big(2m\,\hat y - \sum_j y_{t+j}\Big)", "correct"),
    ("sg.v_c", r"U(2m\hat y - y)", "incorrect"),
    ("sg.U", r"2m\, v_c(\hat y - y)^\top", "incorrect"),
    # the window sum itself, its limits written with m, stays right
    ("sg.v_c", r"\sum_{j=-m, j\ne 0}^{m} U(\hat y - y_{t+j})", "correct"),
    ("sg.U", r"\sum_{-m\le j\le m, j\ne 0} \nabla_U J(v_c, w_{t+j}, U)", "correct"),
])
def test_window_sums(qid, value, verdict):
    assert _sg(qid, value) == verdict


@pytest.mark.parametrize("qid, value", [
    # Σ_j ŷ − y_{t+j} in one bracket: the window word outside the Σ beside it — the bracket was
    # probably meant around both; not decided by this reading
    ("sg.v_c", r"U\Bigl(\sum_j \hat y - y_{t+j}\Bigr)"),
    # m (the window's half-width) outside a windowed question has no meaning
    ("naive.v_c", r"m\, U(\hat y - y)"),
])
def test_window_readings_that_stay_for_review(qid, value):
    assert _sg(qid, value) == "review"


def test_the_operator_written_before_the_loss_inside_a_window_sum():
    text = (r"$$\frac{\partial J_{\text{skip-gram}}(v_c,w_{t-m},\dots, w_{t+m}, U)}{\partial U} = "
            r"\sum_{-m\le j\le m, j\ne 0} \frac{\partial}{\partial U}J(v_c, w_{t+j}, U)$$")
    assert _judged(text) == {"sg.U": "correct"}


def test_a_loss_named_on_the_left_that_asks_nothing_of_the_variable_is_no_answer():
    # ∇_U J_neg: negative sampling has no ∂/∂U question; not judged as skip-gram's or naive's ∂J/∂U
    answers = sets.answers_in(r"$$\nabla_U J_{\text{neg-sample}} = -v_c(1 - \sigma(U^Tv_c))^T$$", PROBLEM)
    assert [a.status for a in answers] == ["context"], [(a.status, a.question, a.guess) for a in answers]


def test_numbered_shorthands_typed_together():
    # s1, s2 typed without an underscore: defined together on one row, used inside σ(…)
    text = ("**(e)**\n$$\ns1 = u_o^{\\intercal}v_c, s2 = u_k^{\\intercal}v_c\n$$\n\n"
            "$$\n\\frac{\\partial J}{\\partial u_o} = (\\sigma(s1)-1)v_c\n$$\n\n"
            "$$\n\\frac{\\partial J}{\\partial u_k} = (1-\\sigma(s2)) v_c\n$$\n")
    assert _judged(text) == {"neg.u_o": "correct", "neg.u_k": "incorrect"}


def test_a_bare_loss_letter_is_placed_by_the_loss_its_formulas_hold():
    # "**(f)**" names nothing and J is every loss's letter: w_{t+j} says skip-gram, σ says negative sampling
    text = ("**(f)**\n\n(i)\n$$\n\\frac{\\partial J}{\\partial U} = \\sum_j\\frac{\\partial J(v_c,w_{t+j},U)}{\\partial U}\n$$\n"
            "(ii)\n$$\n\\frac{\\partial J}{\\partial v_c} = -(1-\\sigma(u_o^T v_c))u_o + \\sum_k (1-\\sigma(-u_k^T v_c)) u_k\n$$\n")
    assert _judged(text) == {"sg.U": "correct", "neg.v_c": "correct"}


# -- the file's definition restated with an undefined letter; a value of another question's shape ---

CHAIN_THETA = ("$$\n\\because J = CE(y, \\hat{y}) \\\\\n\\hat{y} = softmax(\\theta)\\\\\n"
               "\\therefore \\frac{\\partial J}{\\partial \\theta} = (\\hat{y} - y)^T\n$$\n\n")


def test_a_definition_restating_the_files_with_an_undefined_letter_keeps_the_files_meaning():
    # ŷ = softmax(θ), θ defined nowhere: the file's ŷ = softmax(Uᵀv_c) stands; U^T(ŷ − y)^T is ill-typed
    got = _judged(CHAIN_THETA + "$$\\frac{\\partial J}{\\partial v_c} = U^T(\\hat{y} - y)^T$$\n")
    assert got == {"naive.v_c": "incorrect"}


def test_a_definition_by_another_function_is_the_students_own():
    # ŷ = σ(θ) is not the file's softmax: it is the student's ŷ, unreadable (θ) — never the file's guess
    text = CHAIN_THETA.replace("softmax", "\\sigma") + "$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n"
    assert _judged(text) == {"naive.v_c": "review"}


@pytest.mark.parametrize("lhs, value, expected", [
    # a d×W matrix under ∂J/∂v_c: only naive.U has that shape — the label's slip, judged for naive.U
    ("v_c", r"v_c(\hat{y} - y)^T", {"naive.U": "correct"}),
    ("v_c", r"(\hat{y} - y)v_c^T", {"naive.v_c": "incorrect"}),   # W×d fits no question: stays wrong
    ("v_c", r"v_c(y - \hat{y})^T", {"naive.v_c": "incorrect"}),   # naive.U's shape but wrong: no slip
])
def test_a_value_with_the_shape_of_one_other_question(lhs, value, expected):
    assert _judged(r"**(c)** $$\frac{\partial J_{naive}}{\partial %s} = %s$$" % (lhs, value)) == expected


def test_a_vector_under_the_matrix_fitting_two_questions_stays_incorrect():
    # Σ_j ∂J(v_c, w_{t+j}, U)/∂v_c under ∂J_sg/∂U: a d-vector fits sg.v_c and sg.v_w — no slip is read
    text = r"$$\frac{\partial J_{sg}}{\partial U} = \sum_{j \neq 0} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}$$"
    assert _judged(text) == {"sg.U": "incorrect"}
