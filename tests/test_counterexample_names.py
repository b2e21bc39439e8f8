"""Counterexamples name their inputs as the problem file does, for every problem set.

A student reasons with v_c, not with the matrix V and the label c it is read from: an
instance describes the parts a file defines by selection (v_c = V[:, c], x_i = X[i]) and
which file it is from, and the report shows the inputs the question's loss reads, a part
instead of its matrix unless the loss reads the matrix whole (Uᵀv_c: U and o, not u_o).
Feedback and answers shown to students come from the set graded, not from word2vec."""
import re

from gradkey import derive
from gradkey.verify.check.answers import check_submission
from gradkey.verify.grade.exports import answer_md, counterexample_text, student_feedback
from gradkey.verify.grade.gradebook import Question
from gradkey.verify.grade.rubric import Rubric


def _result(tmp_path, text, qid, problem=None):
    f = tmp_path / "s.md"
    f.write_text(text, encoding="utf-8")
    row = check_submission(f, problem=derive.problem_set(problem) if problem else None)
    return row["questions"][qid]


def _inputs(text: str) -> set:
    """The names a counterexample text gives values to."""
    head = text.split(", your answer gives")[0]
    return set(re.findall(r"(?:^at |, )([A-Za-z_]+) = ", head))


def test_a_column_of_a_matrix_is_shown_as_the_column(tmp_path):
    r = _result(tmp_path, "## (b)\n$$\\frac{\\partial J}{\\partial v_c} = U(\\hat y + y)$$\n", "naive.v_c")
    assert r["verdict"] == "incorrect"
    ce = r["counterexample"]
    assert ce["problem"].endswith("word2vec.toml") and len(ce["v_c"]) == ce["dims"]["d"]
    shown = _inputs(counterexample_text(ce, "naive.v_c"))
    # the loss reads U whole and v_c: U, o and v_c with their sizes; not V, c nor u_o
    assert {"U", "o", "v_c", "d", "W"} <= shown and not shown & {"V", "c", "u_o"}, shown


def test_the_index_a_question_is_about_is_shown(tmp_path):
    r = _result(tmp_path, "## (c)\n$$\\frac{\\partial J}{\\partial u_w} = \\hat y_w u_w$$\n", "naive.u_w")
    assert r["verdict"] == "incorrect"
    shown = _inputs(counterexample_text(r["counterexample"], "naive.u_w"))
    assert {"U", "o", "w", "v_c"} <= shown and "V" not in shown, shown


def test_another_sets_counterexample_uses_its_own_names(tmp_path):
    r = _result(tmp_path, "$$\\nabla_W L = \\frac{1}{N}X^\\top(P-Y)$$\n", "softmax.W", "linear")
    assert r["verdict"] == "incorrect"
    ce = r["counterexample"]
    assert ce["problem"].endswith("linear.toml")
    shown = _inputs(counterexample_text(ce, "softmax.W"))
    assert {"X", "W", "y", "reg", "N", "D", "C"} <= shown, shown


def test_answers_and_feedback_come_from_the_set_graded(tmp_path):
    r = _result(tmp_path, "$$\\nabla_W L = \\frac{1}{N}X^\\top(P-Y)$$\n", "softmax.W", "linear")
    r["file"] = "s.md"
    closed = derive.problem_set("linear").question("softmax.W").closed_forms[0]
    shown = answer_md("softmax.W", Question("incorrect", 0.0, r), Rubric(questions=("softmax.W",), show_answer=True,
                                                                         problem="linear"))
    assert "**Answer:** $$" + closed.latex + "$$" in shown
    hidden = answer_md("softmax.W", Question("incorrect", 0.0, r), Rubric(questions=("softmax.W",), problem="linear"))
    assert "**Answer:**" not in hidden and "**Where it goes wrong:**" in hidden
    # a feedback that spells out the set's closed form has it cut when answers are not shown
    fb = f"The gradient is {closed.text}."
    cut = student_feedback("softmax.W", fb, False, derive.problem_set("linear"))
    assert closed.text not in cut
    assert student_feedback("softmax.W", fb, True, derive.problem_set("linear")) == fb


def test_the_review_site_shows_the_same_inputs(tmp_path):
    from gradkey.verify.grade.html.model import counterexample_view
    r = _result(tmp_path, "$$\\nabla_W L = \\frac{1}{N}X^\\top(P-Y)$$\n", "softmax.W", "linear")
    ce = r["counterexample"]
    assert {"i", "j"} <= set(ce)                      # the instance has them ...
    shown = {k for k, _ in counterexample_view(ce, "softmax.W")["inputs"]}
    assert shown == {"X", "W", "y", "reg"}            # ... the loss of softmax.W reads neither
    assert {k for k, _ in counterexample_view(ce)["inputs"]} >= {"i", "j"}   # no question: everything


def test_the_readers_own_commands_are_shown_as_written():
    from gradkey.verify.grade.html.mathml import to_mathml
    html = str(to_mathml(r"\indicator(x_i^\top w_j > 0) x_i + \ones"))
    assert "indicator" not in html and "ones" not in html
    assert 'mathvariant="double-struck">1<' in html and 'mathvariant="bold">1<' in html
