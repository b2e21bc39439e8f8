"""What a report prints as "understood": the reading in the student's notation, with
what changes its meaning kept (a \\cdot that may be a dot product, an accented letter)."""
import pytest

from gradkey.derive import problem_set
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for
from gradkey.verify.read.show import show

NT = notation_for(problem_set("word2vec"))


@pytest.mark.parametrize("latex, shown", [
    (r"u_o \cdot v_c", "u_o · v_c"),                      # not "u_o v_c", an outer product's spelling
    (r"\sigma(u_o \cdot v_c) \cdot u_o", "σ(u_o · v_c) · u_o"),
    (r"(\hat y_o - 1) v_c", "(ŷ_o − 1) v_c"),            # the file's y_hat shown as the letter written
    (r"U(\hat{y}-y)", "U (ŷ − y)"),
])
def test_understood_keeps_dots_and_accents(latex, shown):
    assert show(parse(latex, NT)[0]) == shown
    assert show(parse(latex)[0]) == shown                 # word2vec's own notation prints alike


def test_a_product_under_a_power_or_a_transpose_keeps_its_parentheses():
    # without them the reading shown is another expression: Xᵀ X^(−1), U v_cᵀ
    from gradkey import derive
    from gradkey.verify.read.latex import parse
    from gradkey.verify.read.notation import notation_for
    from gradkey.verify.read.show import show
    nt = notation_for(derive.problem_set("logreg"))
    assert show(parse(r"(X^\top X)^{-1} X^\top", nt)[0]) == "(Xᵀ X)^(−1) Xᵀ"
    assert show(parse(r"(X\theta)^\top", nt)[0]) == "(X θ)ᵀ"
    assert show(parse(r"X^\top X", nt)[0]) == "Xᵀ X"
    nt = notation_for(derive.problem_set())
    assert show(parse(r"(u_o^\top v_c)^2", nt)[0]) == "(u_oᵀ v_c)^2"
