"""The names of a student's code in written answers: CS231n write-ups name the gradients as
their variables (\\texttt{dW2}, \\texttt{dscores}, dhidden), typed as words, in \\texttt or
\\mathtt, and use them in later answers; a problem file spells them in its notation."""
import pytest

from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.read.normalise import normalise_math

HEAD = "Forward: $Z_1 = XW_1 + b_1$, $H = \\max(0, Z_1)$, $S = HW_2 + b_2$.\n\n"


def _verdicts(body: str) -> dict:
    return {a.question: a.verdict for a in sets.answers_in(HEAD + body, derive.problem_set("mlp"))
            if a.status == "judged"}


@pytest.mark.parametrize("font", ["\\texttt{%s}", "\\mathtt{%s}", "%s"])
def test_code_names_as_left_sides_and_inside_later_answers(font):
    n = lambda name: font % name      # noqa: E731
    body = (f"$${n('dscores')} = \\frac{{P - Y}}{{N}}$$\n\n"
            f"$${n('dW2')} = H^\\top\\,{n('dscores')} + 2\\lambda W_2$$\n\n"
            f"$${n('db2')} = \\sum_i {n('dscores')}_i$$\n\n"
            f"$${n('dhidden')} = {n('dscores')}\\, W_2^\\top$$\n\n"
            f"$${n('dW1')} = X^\\top ({n('dhidden')} \\odot \\mathbb{{1}}[Z_1 > 0]) + 2\\lambda W_1$$\n")
    assert _verdicts(body) == {"mlp.S": "correct", "mlp.W2": "correct", "mlp.b2": "correct",
                               "mlp.H": "correct", "mlp.W1": "correct"}


def test_a_wrong_code_name_definition_carries_into_the_answers_that_use_it():
    body = ("$$\\texttt{dscores} = P - Y$$\n\n"                         # 1/N forgotten
            "$$\\texttt{dW2} = H^\\top\\,\\texttt{dscores} + 2\\lambda W_2$$\n")
    assert _verdicts(body) == {"mlp.S": "incorrect", "mlp.W2": "incorrect"}


def test_a_mask_forgotten_after_a_code_name_is_incorrect():
    body = ("$$\\texttt{dscores} = \\frac{P - Y}{N}$$\n\n$$\\texttt{dhidden} = \\texttt{dscores}\\, W_2^\\top$$\n\n"
            "$$\\texttt{db1} = \\sum_i \\texttt{dhidden}_i$$\n")
    assert _verdicts(body)["mlp.b1"] == "incorrect"


def test_texttt_of_prose_stays_prose():
    assert "dW2" in normalise_math(r"\texttt{dW2} = x").text
    assert r"\text{see the code}" in normalise_math(r"x \texttt{see the code}").text


def test_a_word_spelling_typed_with_a_space_before_a_letter_is_the_word():
    # "dscores W_2": the tokenizer drops the space; the word is still the word, then W
    got = _verdicts("$$dscores = \\frac{P - Y}{N}$$\n\n$$dhidden = dscores W_2^\\top$$\n")
    assert got == {"mlp.S": "correct", "mlp.H": "correct"}


def test_a_hat_over_the_files_y_is_the_students_own_name():
    # logistic regression's y is the labels: ŷ is whatever the student declares it to be
    def hessian(text):
        return {a.question: a.verdict for a in sets.answers_in(text, derive.problem_set("logreg"))
                if a.status == "judged"}.get("logreg.hessian")
    right = r"$\nabla^2_\theta J = \frac{1}{N}X^\top \operatorname{diag}(\hat y \odot (1 - \hat y)) X$"
    assert hessian(f"with $\\hat y = \\sigma(X\\theta)$:\n\n$${right[1:-1]}$$\n") == "correct"
    assert hessian(f"with $\\hat y = X\\theta$:\n\n$${right[1:-1]}$$\n") == "incorrect"
    assert hessian(f"$${right[1:-1]}$$\n") == "review"          # ŷ never declared
