"""Handwriting OCR (Mathpix) writes \\mu and \\nu for u and v: a problem file's notation reads
them as the Latin letters where the file spells nothing with the Greek one there, and keeps
a Greek symbol a file declares."""
import pytest

from gradkey.derive import problem_set
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for
from gradkey.verify.read.show import show


@pytest.mark.parametrize("latex, shown", [
    (r"\mu_{o}", "u_o"), (r"\sigma(\mu_{o}^{\top} \nu_{c}) \nu_{c}", "σ(u_oᵀ v_c) v_c"),
    (r"\sum_{\omega} \hat{y}_{\omega} \mu_{\omega}", "Σ_{ω} ŷ_ω u_ω"),
    (r"\mu", "μ"),                       # no subscript: not a vector of the file
])
def test_greek_lookalikes_in_word2vec(latex, shown):
    assert show(parse(latex, notation_for(problem_set("word2vec")))[0]) == shown


def test_a_declared_greek_symbol_is_kept(tmp_path):
    text = (problem_set("logreg").source and open(problem_set("logreg").source, encoding="utf-8").read())
    # logreg's θ is spelled \theta: a file whose parameter is \mu_k keeps μ
    f = tmp_path / "means.toml"
    f.write_text(text.replace('latex = ["\\\\theta", "\\\\boldsymbol{\\\\theta}", "w"]',
                              'latex = ["\\\\mu_k", "u"]'), encoding="utf-8")
    from gradkey.derive.problemfile import load
    nt = notation_for(load(f))
    assert show(parse(r"\mu_k", nt)[0]) == "θ"        # the file's symbol, not u_k

