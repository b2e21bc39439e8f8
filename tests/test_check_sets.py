"""`gradkey check --problem` for the problem files: the answer key round trip, every
closed form and key step read and judged correct, mutations of a correct answer never
judged correct (Hypothesis), the notation's constructs, a file outside the package,
and the command line."""
import json
import re
import shutil

import pytest
from hypothesis import assume, given, strategies as st

from gradkey import derive
from gradkey.verify.check import sets
from gradkey.verify.check.answers import Policy
from gradkey.verify.check.answers import answers_for, submission_row
from gradkey.verify.cli import main
from gradkey.verify.read.extract import _split_top
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for

SETS = ("linear", "mlp", "matcalc", "logreg")


def _judge(problem, qid: str, latex: str) -> str:
    node, _ = parse(latex, notation_for(problem))
    return sets.judge(node, sets.SetTarget(qid), sets.Context(problem, answered={})).verdict


@pytest.mark.parametrize("fmt", ["md", "tex"])
@pytest.mark.parametrize("name", SETS)
def test_answer_key_round_trip(name, fmt, tmp_path, capsys):
    """The answer key of each set, read back by `check --problem`, is correct for every question."""
    key = tmp_path / f"key.{fmt}"
    assert main(["key", "--problem", name, "--format", fmt, "-o", str(key)]) == 0
    capsys.readouterr()
    status = main(["check", "--problem", name, "--format", "json", str(key)])
    report = json.loads(capsys.readouterr().out)["submissions"][0]
    verdicts = {q: v["verdict"] for q, v in report["questions"].items()}
    assert verdicts == {q: "correct" for q in derive.problem_set(name).ids}
    assert report["needs_review"] == 0 and status == 0


@pytest.mark.parametrize("name", SETS)
def test_every_closed_form_and_step_is_correct(name):
    problem = derive.problem_set(name)
    for q in problem.questions:
        for latex in [f.latex for f in q.closed_forms] + [s.latex for s in q.steps]:
            latex = _split_top(latex, "=")[-1]     # a step "A = B" ends with its value
            if "\\partial" in latex or "\\operatorname{adj}" in latex:
                continue          # written in terms of another question's answer, or adj(Q)
            assert _judge(problem, q.id, latex) == "correct", (q.id, latex)


@pytest.mark.parametrize("name", SETS)
def test_every_mistake_is_incorrect_with_its_code(name):
    """Each mistake's own LaTeX, read like a student's, is incorrect with its code."""
    problem = derive.problem_set(name)
    for q in problem.questions:
        for m in q.mistakes:
            if "M^{+}" in m.latex:
                continue          # M⁺ is the file's name for the mask without the y_i column: no spelling
            node, _ = parse(m.latex, notation_for(problem))
            out = sets.judge(node, sets.SetTarget(q.id), sets.Context(problem, answered={}))
            assert (out.verdict, out.code) == ("incorrect", m.code), (q.id, m.latex, out.note)


# -- soundness: a wrong answer is never called correct ------------------------------------------

def _forms(problem, q):
    return [f.latex for f in q.closed_forms if "\\partial" not in f.latex]


def _mutations(latex: str, problem, q) -> list[tuple[str, str]]:
    """Ways to make a correct answer wrong whatever the instance (nonzero truth)."""
    out = [("doubled", f"2\\left({latex}\\right)"), ("negated", f"-\\left({latex}\\right)")]
    if "\\frac{1}{N}" in latex and "N" in problem.dim_names:
        out.append(("1/N dropped", latex.replace("\\frac{1}{N}", "", 1)))
    if "\\odot" in latex:
        out.append(("⊙ as a product", latex.replace("\\odot", " ", 1)))
    for m in re.finditer(r"\^\\top|\^T\b", latex):
        out.append(("a transpose dropped", latex[:m.start()] + latex[m.end():]))
    same = [s for s in problem.symbols if s.role != "label" and tuple(s.shape) == tuple(q.shape)
            and s.latex and s.name != q.wrt]
    for s in same[:1]:
        out.append((f"+ {s.name}", f"{latex} + {s.latex[0]}"))
    if len(q.shape) == 2 and q.order == 1 and q.shape[0] != q.shape[1]:
        out.append(("transposed", f"\\left({latex}\\right)^\\top"))
    return out


CASES = [(name, q.id, f, label, wrong) for name in SETS for q in derive.problem_set(name).questions
         for f in _forms(derive.problem_set(name), q)
         for label, wrong in _mutations(f, derive.problem_set(name), q)]


@given(st.sampled_from(CASES))
def test_a_mutated_answer_is_never_called_correct(case):
    name, qid, form, label, wrong = case
    problem = derive.problem_set(name)
    insts = sets.instances(problem, qid)
    # a truth that is zero at every instance (a ReLU mask off everywhere) is not changed by scaling
    import numpy as np
    assume(any(np.abs(problem.question(qid).truth(i)).max() > 1e-9 for i in insts))
    assert _judge(problem, qid, wrong) != "correct", (qid, label, wrong)


def test_mutations_cover_every_question():
    assert {(c[0], c[1]) for c in CASES} == {(n, q) for n in SETS for q in derive.problem_set(n).ids}


# -- constructs -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,qid,latex,verdict", [
    ("linear", "svm.w_j", r"1[s_j - s_y_i + 1 > 0] x_i", "correct"),                 # OCR: no \mathbb, no braces
    ("linear", "svm.w_y", r"-\sum_{j \neq y_i} \mathbb{1}\{w_j^\top x_i - w_{y_i}^\top x_i + 1 > 0\} x_i", "correct"),
    ("linear", "softmax.W", r"\frac1N X (P - Y) + 2 \lambda W", "incorrect"),         # X for Xᵀ: a shape error
    ("mlp", "mlp.b1", r"\mathbf{1}^\top \left(\frac{1}{N}(P-Y)W_2^\top \odot \mathbb{1}[Z_1 > 0]\right)", "correct"),
    ("mlp", "mlp.b1", r"\left(\frac{1}{N}(P-Y)W_2^\top \circ \mathbb{1}[H > 0]\right)^\top \mathbf{1}", "correct"),
    ("mlp", "mlp.b2", r"\frac{1}{N}(P-Y)", "incorrect"),                              # not summed
    ("mlp", "mlp.W1", r"X^\top((\delta_S W^{(2)\top}) \odot \mathbb{1}[Z^{(1)} > 0]) + 2\lambda \mathbf{W}_1", "correct"),
    ("mlp", "mlp.relu", r"\max(0, z)", "incorrect"),
    ("matcalc", "matcalc.logdet", r"(Q^T)^{-1}", "correct"),
    ("matcalc", "matcalc.logdet", r"Q^{-T}", "correct"),
    ("matcalc", "matcalc.logdet", r"Q^{-1}", "incorrect"),
    ("matcalc", "matcalc.trace", r"A^\top", "correct"),                               # A here is the p × n A
    ("matcalc", "matcalc.lstsq", r"2(B^\top B + \lambda I)x - 2B^\top b", "correct"),
    ("logreg", "logreg.hessian", r"\frac{1}{N}\sum_i \sigma(1-\sigma) x^{(i)} x^{(i)\top}", "correct"),
    ("logreg", "logreg.hessian", r"\frac{1}{N}\sum_i \sigma(1-\sigma) x_i^\top x_i", "incorrect"),
])
def test_constructs(name, qid, latex, verdict):
    assert _judge(derive.problem_set(name), qid, latex) == verdict


def test_bias_broadcast_only_where_declared():
    """b_1 (declared "broadcast over rows") may be added to XW_1; a vector the file does
    not declare so (a in matcalc) added to a matrix is a shape error."""
    mlp = derive.problem_set("mlp")
    node, _ = parse(r"X W_1 + b_1", notation_for(mlp))
    inst = sets.instances(mlp, "mlp.W1")[0]
    from gradkey.verify.check import arrays as ar
    value = ar.evaluate(node, ar.Scope(inst, notation_for(mlp)))
    assert value.shape == (inst.dims["N"], inst.dims["Hn"])
    matcalc = derive.problem_set("matcalc")
    assert _judge(matcalc, "matcalc.trace_quad", r"A X + a") == "incorrect"


def test_declared_half_regulariser_changes_the_truth():
    answer = ("## Softmax\n\n"
              "$$\\frac{\\partial L}{\\partial W} = \\frac{1}{N}X^\\top(P - Y) + \\lambda W$$\n")
    declared = "> my code uses $L = \\frac{1}{N}\\sum_i L_i + \\frac{1}{2}\\lambda \\|W\\|^2$\n\n"
    linear = derive.problem_set("linear")
    row = submission_row("half.md", answers_for(declared + answer, Policy(), linear))
    assert row["questions"]["softmax.W"]["verdict"] == "correct"
    row = submission_row("full.md", answers_for(answer, Policy(), linear))
    assert row["questions"]["softmax.W"]["verdict"] == "incorrect"
    assert row["questions"]["softmax.W"]["code"] == "softmax.W.REG_CONVENTION"


# -- a file outside the package, the command line ------------------------------------------------

def test_problem_file_outside_the_package(tmp_path, capsys):
    toml = tmp_path / "mylogreg.toml"
    shutil.copy(derive.problem_set("logreg").source, toml)
    sub = tmp_path / "alice.md"
    sub.write_text("$$\\nabla_\\theta J = \\frac{1}{N} X^\\top(\\sigma(X\\theta) - y)$$\n\n"
                   "$$\\nabla^2_\\theta J = X^\\top \\operatorname{diag}(\\sigma(X\\theta)\\odot(1-\\sigma(X\\theta))) X$$\n",
                   encoding="utf-8")
    status = main(["check", "--problem", str(toml), "--format", "json", str(sub)])
    q = json.loads(capsys.readouterr().out)["submissions"][0]["questions"]
    assert q["logreg.theta"]["verdict"] == "correct"
    assert (q["logreg.hessian"]["verdict"], q["logreg.hessian"]["code"]) == ("incorrect", "logreg.hessian.MISSING_1_OVER_N")
    assert "divide by N" in q["logreg.hessian"]["feedback"]
    assert status == 1


def test_unknown_problem_is_a_usage_error(tmp_path, capsys):
    sub = tmp_path / "a.md"
    sub.write_text("$$x$$\n", encoding="utf-8")
    assert main(["check", "--problem", "lineer", str(sub)]) == 2
    assert "did you mean linear" in capsys.readouterr().err
