"""gradkey check end to end: the real samples, our own submissions, the CLI."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradkey.verify.check.answers import Policy
from gradkey.verify.check.answers import check_submission

FIXTURES = Path(__file__).parent / "fixtures"


def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True, timeout=600)


def rows(tsv):
    return list(csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t"))


def test_samples_verdicts_are_acceptable_over_the_cli_json():
    expected = rows(FIXTURES / "samples" / "expected.tsv")
    files = sorted({r["file"] for r in expected})
    p = gradkey("check", "--format", "json", *[str(FIXTURES / "samples" / f) for f in files])
    assert p.returncode == 1, p.stderr  # the samples hold wrong answers
    report = {Path(s["file"]).name: s for s in json.loads(p.stdout)["submissions"]}
    bad = []
    for r in expected:
        got = report[r["file"]]["questions"].get(r["question"], {}).get("verdict", "missing")
        if got not in r["accept"].split("|"):
            bad.append(f"{r['file']} {r['question']}: {got} not in {r['accept']}")
    assert not bad, bad


OWN = rows(FIXTURES / "submissions" / "expected.tsv")


@pytest.fixture(scope="module")
def own_results():
    return {f: check_submission(FIXTURES / "submissions" / f) for f in {r["file"] for r in OWN}}


@pytest.mark.parametrize("row", OWN, ids=[f"{r['file']}:{r['question']}" for r in OWN])
def test_own_submissions(row, own_results):
    q = own_results[row["file"]]["questions"].get(row["question"], {})
    assert q.get("verdict", "missing") == row["verdict"], q.get("note")


@pytest.mark.parametrize("file,qid,code", [
    ("s03_naive_mistakes.md", "naive.u_o", "naive.u_o.MISSING_V_C"),
    ("s03_naive_mistakes.md", "naive.U", "naive.U.TRANSPOSED"),
    ("s03_naive_mistakes.md", "naive.v_c", "naive.v_c.SIGN"),
    ("s05_neg_mistakes.md", "neg.u_k", "neg.u_k.SIGMA_SIGN"),
    ("s05_neg_mistakes.md", "neg.v_c", "neg.v_c.MISSING_SAMPLES"),
    ("s07_repeated_wrong.md", "neg.u_k_repeated", "neg.u_k_repeated.NOT_SUMMED"),
    ("s11_sigmoid_wrong.md", "sigmoid.grad", "sigmoid.grad.PLUS"),
    ("s18_sg_one_term.md", "sg.v_c", "sg.v_c.ONE_TERM"),
])
def test_known_mistakes_get_their_code_and_a_counterexample(file, qid, code, own_results):
    q = own_results[file]["questions"][qid]
    assert q["verdict"] == "incorrect" and q["code"] == code and q["feedback"]
    assert q["counterexample"]["dims"]["d"] != q["counterexample"]["dims"]["W"]


def test_every_question_found_in_a_sample_has_a_line_and_its_text(own_results):
    r = check_submission(FIXTURES / "samples" / "003_907a4e2c16f3be4a.txt")
    q = r["questions"]["neg.v_c"]
    assert q["line"] == 32 or q["line"] in range(29, 34)
    assert "sigma" in q["latex"] and q["understood"].startswith("Σ")
    assert r["answers"], "every answer found is listed"


def test_first_wrong_step_is_reported():
    r = check_submission(FIXTURES / "submissions" / "s10_sigmoid_wrong_step.md")
    steps = r["questions"]["sigmoid.grad"]["steps"]
    assert [s["verdict"] for s in steps] == ["incorrect", "correct"]


def test_strict_layout_makes_a_row_incorrect():
    f = FIXTURES / "submissions" / "s12_rows.md"
    assert check_submission(f)["questions"]["naive.v_c"]["verdict"] == "correct"
    strict = check_submission(f, Policy(strict_layout=True))["questions"]["naive.v_c"]
    assert strict["verdict"] == "incorrect" and "strict layout" in strict["note"]


def test_cli_text_output_and_exit_codes(tmp_path):
    p = gradkey("check", str(FIXTURES / "submissions" / "s04_neg_correct.md"))
    assert p.returncode == 0 and "✓ neg.u_k" in p.stdout
    p = gradkey("check", str(FIXTURES / "submissions" / "s05_neg_mistakes.md"))
    assert p.returncode == 1 and "neg.u_k.SIGMA_SIGN" in p.stdout
    assert gradkey("check", str(tmp_path / "nope.md")).returncode == 2


def test_a_broken_file_gives_an_error_row_and_the_others_are_judged(tmp_path):
    (tmp_path / "a_binary.md").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "b_good.md").write_text((FIXTURES / "submissions" / "s04_neg_correct.md").read_text())
    p = gradkey("check", "--format", "json", str(tmp_path))
    subs = json.loads(p.stdout)["submissions"]
    assert [Path(s["file"]).name for s in subs] == ["a_binary.md", "b_good.md"]
    assert "binary" in subs[0]["error"]
    assert subs[1]["questions"]["neg.u_k"]["verdict"] == "correct"
