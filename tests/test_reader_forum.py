"""Forum posts and revised write-ups (Ed, Piazza, Reddit, a README with an erratum): an answer
corrected later in the post, the regulariser's convention named only to be ruled out, and the
prose just before a formula naming which part it answers."""
from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.check.answers import check_submission

WRONG_REG = r"$$dW = \frac{1}{N}X^\top(P-Y) + \lambda W$$"
RIGHT_REG = r"$$dW = \frac{1}{N}X^\top(P-Y) + 2\lambda W$$"


def _question(tmp_path, text, qid):
    f = tmp_path / "post.md"
    f.write_text(text, encoding="utf-8")
    return check_submission(f, problem=derive.problem_set("linear"))["questions"][qid]


def test_an_edit_replaces_the_earlier_answer(tmp_path):
    for marker in ("**EDIT**:", "EDIT:", "Update:", "**Correction**", "更正："):
        text = f"My answer:\n\n{WRONG_REG}\n\n{marker} the regulariser gives 2λW, so\n\n{RIGHT_REG}\n"
        r = _question(tmp_path, text, "softmax.W")
        assert r["verdict"] == "correct" and "correction" in r["note"], (marker, r)


def test_without_a_correction_two_answers_that_disagree_are_for_review(tmp_path):
    text = f"My answer:\n\n{WRONG_REG}\n\nAlso:\n\n{RIGHT_REG}\n"
    assert _question(tmp_path, text, "softmax.W")["verdict"] == "review"


def test_a_correction_to_a_wrong_answer_is_incorrect(tmp_path):
    text = f"My answer:\n\n{RIGHT_REG}\n\nEDIT: I think it should be\n\n{WRONG_REG}\n"
    assert _question(tmp_path, text, "softmax.W")["verdict"] == "incorrect"


def test_half_lambda_ruled_out_declares_nothing():
    assert not sets._declares_half(r"the loss has $\lambda \sum W^2$, not $\frac{\lambda}{2}\sum W^2$")
    assert not sets._declares_half(r"instead of ½λ‖W‖²")
    assert sets._declares_half(r"we regularise with $\frac{\lambda}{2}\|W\|^2$")


def test_the_prose_just_before_names_the_part(tmp_path):
    text = ("Softmax, for every class $j$:\n\n$$\\nabla_{w_j} L_i = p_j x_i - \\mathbb{1}_{j = y_i}\\, x_i$$\n\n"
            "Follow-up on the SVM part, for $j \\ne y_i$:\n\n"
            "$$\\nabla_{w_j} L_i = \\mathbb{1}(s_j - s_{y_i} + 1 > 0)\\,x_i$$\n")
    f = tmp_path / "post.md"
    f.write_text(text, encoding="utf-8")
    qs = check_submission(f, problem=derive.problem_set("linear"))["questions"]
    assert qs["softmax.w_j"]["verdict"] == "correct" and qs["svm.w_j"]["verdict"] == "correct", qs


def test_two_columns_side_by_side_inside_diag_go_to_review(tmp_path):
    # no matrix product exists there: entrywise it is right, as written ill-typed — a grader settles it;
    # a product that exists (Xθ) or an entrywise reading that is wrong stays incorrect
    def hessian(inner):
        f = tmp_path / "h.md"
        f.write_text(f"$$\\nabla^2_\\theta J = \\frac{{1}}{{N}}X^\\top \\operatorname{{diag}}({inner})X$$\n")
        return check_submission(f, problem=derive.problem_set("logreg"))["questions"]["logreg.hessian"]
    assert hessian(r"\sigma(X\theta)\odot(1 - \sigma(X\theta))")["verdict"] == "correct"
    r = hessian(r"\sigma(X\theta)(1 - \sigma(X\theta))")
    assert r["verdict"] == "review" and "entrywise" in r["note"]
    assert hessian(r"X\theta")["verdict"] == "incorrect"
    assert hessian(r"\sigma(X\theta)\sigma(X\theta)")["verdict"] == "incorrect"


def test_a_quoted_question_is_not_the_answer(tmp_path):
    def quadratic(text):
        f = tmp_path / "q.md"
        f.write_text(text, encoding="utf-8")
        return check_submission(f, problem=derive.problem_set("matcalc"))["questions"]["matcalc.quadratic"]
    reply = "> I had $\\nabla_x (x^\\top A x) = 2Ax$, what is wrong?\n\nIn general\n\n" \
            "$$\\nabla_x (x^\\top A x) = (A + A^\\top)x$$\n"
    assert quadratic(reply)["verdict"] == "correct"
    # a final answer set in a blockquote for emphasis, after a draft, is still the final answer
    emphasis = "Draft: $$\\nabla_x (x^\\top A x) = (A + A^\\top)x$$\n\n> Final: $\\nabla_x (x^\\top A x) = 2Ax$\n"
    assert quadratic(emphasis)["verdict"] != "correct"
