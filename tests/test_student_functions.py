"""A function a student defines and then applies is read as that function, its argument
replacing its variable."""
from gradkey.derive import problem_set


def test_a_function_the_student_names_over_a_declared_variable():
    """'δ(x) = 1/(1 + e^{−x})' with the file's x: δ is the student's function (its argument
    replaces x), not δ times x."""
    from gradkey.verify.check.answers import Policy, answers_for, summarise
    text = ("I write $\\delta$ for the sigmoid: $\\delta(x) = \\frac{1}{1+e^{-x}}$.\n\n"
            "$$\\frac{\\partial \\delta(x)}{\\partial x} = \\delta(x)(1-\\delta(x))$$\n\n"
            "$$\\frac{\\partial J_{neg}}{\\partial u_o} = (\\delta(u_o^\\top v_c) - 1) v_c$$\n\n"
            "$$\\frac{\\partial J_{neg}}{\\partial v_c} = \\sum_{k=1}^{K} \\delta(u_k^\\top v_c) u_k$$\n")
    got = {q: r.verdict for q, r in summarise(answers_for(text, Policy(), problem_set("word2vec"))).items()}
    assert got == {"sigmoid.grad": "correct", "neg.u_o": "correct", "neg.v_c": "incorrect"}


def test_names_declared_in_prose_and_word_subscripts():
    """'$\\mathbf{v}_{\\text{center}}$ is the center word vector $v_c$' declares a spelling; a word
    subscripted to the file's matrix (U_{\\text{outside}}) names the matrix."""
    from gradkey.verify.check.answers import Policy, answers_for, summarise
    text = ("$\\mathbf{v}_{\\text{center}}$ is the center word vector $v_c$, and "
            "$U_{\\text{outside}}$ holds the outside vectors.\n\n## Naive softmax\n\n"
            "$$\\frac{\\partial J}{\\partial \\mathbf{v}_{\\text{center}}} = U_{\\text{outside}}(\\hat{y} - y)$$\n\n"
            "$$\\frac{\\partial J}{\\partial U_{\\text{outside}}} = (\\hat y - y)\\mathbf{v}_{\\text{center}}^\\top$$\n")
    got = {q: r.verdict for q, r in summarise(answers_for(text, Policy(), problem_set("word2vec"))).items()}
    assert got == {"naive.v_c": "correct", "naive.U": "incorrect"}
