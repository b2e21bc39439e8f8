"""gradkey key: every step checked, the key round-trips through gradkey check,
and the LaTeX compiles."""
import dataclasses
import shutil
import subprocess
import sys

import pytest

from gradkey import derive
from gradkey.verify.key.answer_key import StepFailed, check_steps, key
from gradkey.verify.check.answers import check_submission


def gradkey(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_round_trip_every_question_is_correct(fmt, tmp_path):
    out = tmp_path / f"key.{fmt}"
    assert gradkey("key", "--format", fmt, "-o", str(out)).returncode == 0
    questions = check_submission(out)["questions"]
    assert {q: r["verdict"] for q, r in questions.items()} == {q: "correct" for q in derive.problem_set().ids}


def test_every_question_has_steps_that_check():
    for q in derive.problem_set().questions:
        assert q.steps, q.id
        check_steps(q)


def _with_step(qid, n, latex, problem="word2vec"):
    """The problem set with the LaTeX of one step replaced; its array-language
    value stays right, so only reading the printed LaTeX can catch it."""
    ps = derive.problem_set(problem)

    def broken(q):
        steps = list(q.steps)
        steps[n - 1] = dataclasses.replace(steps[n - 1], latex=latex)
        return dataclasses.replace(q, steps=tuple(steps))
    return dataclasses.replace(ps, questions=tuple(broken(q) if q.id == qid else q for q in ps.questions))


@pytest.mark.parametrize("problem,qid,n,latex", [
    ("word2vec", "naive.u_o", 2, r"-v_c+\frac{\exp(u_o^\top v_c)}{\sum_{x=1}^{W}\exp(u_x^\top v_c)}\,u_o"),  # u_o for v_c
    ("word2vec", "neg.v_c", 1, r"\frac{\partial}{\partial v_c}\left(-\log\sigma(u_o^\top v_c)\right)"),  # samples dropped
    ("word2vec", "sigmoid.grad", 3, r"\frac{1}{1+e^{-x}}\cdot\frac{e^{x}}{1+e^{-x}}"),                      # sign
    ("word2vec", "naive.U", 2, r"(\hat{y}-y)v_c^\top"),                                                       # transposed
    ("linear", "softmax.W", 2, r"\frac{1}{N}(P-Y)^\top X+2\lambda W"),                                      # transposed
    ("matcalc", "matcalc.logdet", 1, r"\frac{1}{\det Q}\left(\det(Q)\,Q^{-1}\right)"),                     # not transposed
])
def test_a_broken_step_stops_the_key_naming_it(problem, qid, n, latex):
    with pytest.raises(StepFailed) as err:
        key(_with_step(qid, n, latex, problem))
    assert err.value.qid == qid and err.value.number == n
    assert f"step {n} of {qid}" in str(err.value)


@pytest.mark.parametrize("qid,latex", [
    # an applied ∂/∂x of the loss written out is read by the file-driven reader and
    # differentiated numerically: a wrong sign, a dropped sum or term, a sum over every word
    ("neg.u_k", r"\frac{\partial}{\partial u_k}\left(-\log\sigma(u_o^\top v_c)-\sum_{j=1}^{K}\log\sigma(u_j^\top v_c)\right)"),
    ("neg.u_k_repeated", r"\frac{\partial}{\partial u_k}\left(-\log\sigma(u_o^\top v_c)-\log\sigma(-u_k^\top v_c)\right)"),
    ("naive.v_c", r"\frac{\partial}{\partial v_c}\left(u_o^\top v_c+\log\sum_{x=1}^{W}\exp(u_x^\top v_c)\right)"),
    ("naive.u_w", r"\frac{\partial}{\partial u_w}\left(-u_o^\top v_c+\sum_{x=1}^{W}\exp(u_x^\top v_c)\right)"),
    ("sigmoid.grad", r"\frac{d}{dx}\left(\frac{1}{1+e^{x}}\right)"),
    ("neg.v_c", r"\frac{\partial}{\partial v_c}\left(-\log\sigma(u_o^\top v_c)-\sum_{j=1}^{W}\log\sigma(-u_j^\top v_c)\right)"),
])
def test_a_wrong_applied_derivative_step_stops_the_key(qid, latex):
    with pytest.raises(StepFailed) as err:
        key(_with_step(qid, 1, latex))
    assert err.value.qid == qid and err.value.number == 1 and "at a seeded instance" in err.value.reason


def test_the_sample_sum_of_the_key_is_read_over_the_samples():
    """Σ_{j=1}^{K} … u_j (the key's spelling of the K samples) is differentiated as the sum
    over the samples, the letter the file declares for K: the right step passes, and the
    same sum with u_j read as the j-th word (what the file's notation says) would not."""
    from gradkey.derive.proofs import instances_for
    from gradkey.verify.key import answer_key as k
    ps = derive.problem_set("word2vec")
    q = ps.question("neg.v_c")
    right = r"\frac{\partial}{\partial v_c}\left(-\log\sigma(u_o^\top v_c)-\sum_{j=1}^{K}\log\sigma(-u_j^\top v_c)\right)"
    assert k._step_latex_reason(q, right, instances_for(ps, q)) is None
    from gradkey.verify.read.notation import notation_for
    node = k.parse(right, notation_for(ps))[0]
    renamed = k._sum_letters_declared(node.arg, ps)
    assert renamed != node.arg and "'j'" not in repr(renamed)


def test_the_key_does_not_use_word2vecs_own_checker():
    """The key reads its steps with the file-driven checker only (the own checker is retiring)."""
    import ast as pyast
    import pathlib
    from gradkey.verify.key import answer_key as k
    tree = pyast.parse(pathlib.Path(k.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in pyast.walk(tree) if isinstance(n, pyast.ImportFrom)}
    assert not modules & {"gradkey.verify.check.submissions", "gradkey.verify.check.judge",
                          "gradkey.verify.check.evaluate", "gradkey.verify.check.identify",
                          "gradkey.derive.word2vec", "gradkey.derive.signature", "gradkey.derive.losses"}, modules


def test_markdown_has_the_notation_and_every_question():
    md = key("word2vec", "md")
    assert "| $v_c$ | center word vector | $d$ |" in md
    assert all(f"## `{q}`" in md for q in derive.problem_set().ids)
    assert md.count(r"\boxed{") == len(derive.problem_set().ids)


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="needs pdflatex: apt-get install texlive-latex-base (CI installs it)")
@pytest.mark.parametrize("problem", sorted(derive.problem_sets()))
def test_latex_compiles_without_errors(problem, tmp_path):
    p = gradkey("key", "--problem", problem, "--pdf", "-o", str(tmp_path / "key.tex"))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "key.pdf").stat().st_size > 10_000


def test_math_in_the_files_prose_is_typeset_as_math():
    tex = key("mlp", "tex")
    # "row i is x_i^T", "ReLU(Z_1)", "∂L/∂W_2": not x\_i\^{}T in text
    assert r"\ensuremath{x_i^{\top}}" in tex and r"\ensuremath{\mathrm{ReLU}(Z_1)}" in tex
    assert r"\ensuremath{\partial L/\partial W_2}" in tex
    assert r"\_" not in tex.split(r"\subsection*{Losses}")[0].replace(r"window\_samples", "")
    # amssymb's \mathbb has no 1: the indicator is dsfont's (or an overstruck 1 without dsfont)
    assert r"\mathbb{1}" not in tex and r"\mathds{1}[Z_1>0]" in tex and r"\usepackage{dsfont}" in tex
    assert "|V|" not in key("word2vec", "tex")          # OT1 prints | as a dash


def test_pdf_without_tex_says_so(tmp_path, monkeypatch):
    from gradkey.verify.key import answer_key as k
    monkeypatch.setattr(k.shutil, "which", lambda name: None)
    with pytest.raises(k.NoTeX, match="no TeX engine"):
        k.compile_pdf("x", tmp_path / "k.pdf")
