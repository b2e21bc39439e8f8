"""End-to-end tests of the gradkey command line (in a subprocess, as users run it)."""
import subprocess
import sys
from pathlib import Path

from gradkey import derive


def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True, timeout=300)


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


def test_gradkey_alone_prints_help_and_version_is_known():
    p = gradkey()
    assert p.returncode == 0 and "usage: gradkey" in p.stdout and "check" in p.stdout
    p = gradkey("--version")
    assert p.returncode == 0 and p.stdout.startswith("gradkey ")


def test_zero_workers_instances_or_time_limit_are_refused(tmp_path):
    for args in (["check", "--jobs", "0"], ["check", "--timeout", "0"], ["derive", "--all", "--instances", "0"],
                 ["code", "--file-timeout", "0", "x.py"], ["check", "--jobs", "-1"]):
        p = gradkey(*args)
        assert p.returncode == 2 and "must be greater than 0" in p.stderr, args


def test_output_into_a_missing_folder_is_an_error_and_writes_are_announced(tmp_path):
    p = gradkey("key", "-o", str(tmp_path / "missing" / "key.tex"))
    assert p.returncode == 2 and "does not exist" in p.stderr and not (tmp_path / "missing").exists()
    p = gradkey("check", "--out", str(tmp_path / "missing" / "out"), "examples/submissions/clean_correct.md")
    assert p.returncode == 2 and "does not exist" in p.stderr and not (tmp_path / "missing").exists()
    p = gradkey("key", "-o", str(tmp_path / "key.tex"))
    assert p.returncode == 0 and f"wrote {tmp_path / 'key.tex'}" in p.stderr


def test_piping_into_head_ends_quietly():
    # more than a pipe's buffer (64 kB) of JSON, so the writer meets the closed pipe
    p = subprocess.run(f"{sys.executable} -m gradkey.verify.cli check --format json tests/fixtures/samples | head -n 1",
                       shell=True, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent)
    assert p.stdout == "{\n"
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr and "Exception ignored" not in p.stderr
