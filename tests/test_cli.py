"""End-to-end tests of the gradkey command line (in a subprocess, as users run it)."""
import subprocess
import sys

from gradkey import derive


def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True, timeout=300)


def test_problems_lists_every_question_id_with_a_description():
    p = gradkey("problems")
    assert p.returncode == 0
    for q in derive.problem_set().questions:
        assert any(line.split()[0] == q.id and len(line.split()) > 1 for line in p.stdout.splitlines()[1:]), q.id


def test_derive_one_question_reports_agreement():
    p = gradkey("derive", "neg.u_k_repeated")
    assert p.returncode == 0, p.stderr
    assert "n_k (1 − σ(−u_kᵀv_c)) v_c" in p.stdout and "agree at 3 seeded" in p.stdout


def test_derive_all_latex():
    p = gradkey("derive", "--all", "--latex")
    assert p.returncode == 0, p.stderr
    assert r"U(\hat{y}-y)" in p.stdout and p.stdout.count("% derivation") == len(derive.problem_set().ids)


def test_unknown_id_is_a_usage_error_with_close_matches():
    p = gradkey("derive", "naive.uo")
    assert p.returncode == 2
    assert "unknown question id 'naive.uo'" in p.stderr and "naive.u_o" in p.stderr


def test_derive_needs_an_id_or_all():
    assert gradkey("derive").returncode == 2
