"""Grading workflow: batches with broken files, rubrics, exports."""
import csv
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradkey.verify.grade import batch
from gradkey.verify.grade.discover import Entry, scan
from gradkey.verify.grade.exports import gradescope
from gradkey.verify.grade.gradebook import students
from gradkey.verify.grade.rubric import Rubric, RubricError, default, load
from gradkey.verify.check.answers import check_submission

FIXTURES = Path(__file__).parent / "fixtures"


def gradkey(*args):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("class")
    for f in list((FIXTURES / "samples").glob("*.txt")) + list((FIXTURES / "submissions").glob("s0*.md")):
        shutil.copy(f, d / f.name)
    (d / "empty.md").write_text("")
    (d / "binary.md").write_bytes(bytes(range(256)) * 20)
    (d / "huge.md").write_text("$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y}-y)$$\n" * 120_000)  # ~5 MB
    (d / "latin1.md").write_bytes("caf\xe9 $$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y}-y)$$".encode("latin-1"))
    return d


def test_every_file_gets_a_row_and_good_files_full_results(class_dir):
    p = gradkey("check", "--format", "json", str(class_dir))
    out = json.loads(p.stdout)
    rows = {Path(s["file"]).name: s for s in out["submissions"]}
    assert set(rows) == {f.name for f in class_dir.iterdir()}
    assert "empty file" in rows["empty.md"]["error"]
    assert "binary" in rows["binary.md"]["error"]
    assert "at most 1.0 MB" in rows["huge.md"]["error"]
    assert "not UTF-8" in rows["latin1.md"]["error"]
    for name, row in rows.items():
        if not row.get("error"):
            alone = check_submission(class_dir / name)
            assert row["questions"] == alone["questions"], name   # the batch changes nothing
    assert out["summary"]["errors"] == 4 and out["summary"]["submissions"] == len(rows)


def test_rerunning_gives_the_same_results(class_dir):
    a = gradkey("check", "--format", "json", "--jobs", "2", str(class_dir)).stdout
    b = gradkey("check", "--format", "json", "--jobs", "1", str(class_dir)).stdout
    assert a == b


def test_a_submission_over_the_time_limit_gets_an_error_row(tmp_path, monkeypatch):
    for name in ("a.md", "slow.md", "c.md"):
        shutil.copy(FIXTURES / "submissions" / "s04_neg_correct.md", tmp_path / name)
    real = batch.check_text

    def slow(text, file, *args):
        if Path(file).name == "slow.md":
            time.sleep(30)
        return real(text, file, *args)
    monkeypatch.setattr(batch, "check_text", slow)   # inherited by the forked workers
    entries, _ = scan([tmp_path])
    results = batch.grade(entries, jobs=2, timeout=2)
    assert [Path(r["file"]).name for r in results] == ["a.md", "c.md", "slow.md"]
    assert "longer than 2 s" in results[2]["error"]
    assert results[0]["questions"]["neg.u_k"]["verdict"] == "correct"
    assert results[1]["questions"]["neg.u_k"]["verdict"] == "correct"


GRADESCOPE_TEST_FIELDS = {"name": str, "score": float, "max_score": float, "status": str, "output": str,
                          "visibility": str}


def _valid_gradescope(doc):
    assert isinstance(doc["score"], float) and isinstance(doc["tests"], list) and doc["tests"]
    for t in doc["tests"]:
        for key, kind in GRADESCOPE_TEST_FIELDS.items():
            assert isinstance(t[key], kind), (key, t)
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= t["score"] <= t["max_score"] or t["max_score"] == 0


def test_gradescope_results_are_valid_also_when_grading_failed(class_dir, tmp_path):
    rubric = default()
    row = {**check_submission(FIXTURES / "submissions" / "s03_naive_mistakes.md"), "student": "s03"}
    good = gradescope(students([row], rubric)[0], rubric)
    _valid_gradescope(good)
    assert good["score"] == sum(t["score"] for t in good["tests"])
    assert any(t.get("tags") == ["naive.u_o.MISSING_V_C"] for t in good["tests"])
    failed = gradescope(students([batch.error_row(Entry("x", "x.md"), "binary file")], rubric)[0], rubric)
    _valid_gradescope(failed)
    # every question blank-scored (not graded yet, said so) and one visible test naming the file and why
    assert failed["score"] == 0 and "x.md could not be graded" in failed["tests"][-1]["name"]
    assert "binary file" in failed["tests"][-1]["output"] and failed["tests"][-1]["visibility"] == "visible"
    assert all("could not be read" in t["output"] for t in failed["tests"][:-1])
    gradkey("check", "--format", "gradescope", "--out", str(tmp_path), str(class_dir))
    files = sorted(tmp_path.glob("*.results.json"))
    assert len(files) == len(list(class_dir.iterdir()))
    for f in files:
        _valid_gradescope(json.loads(f.read_text()))


def test_csv_totals_are_the_sum_of_question_points(class_dir, tmp_path):
    rubric_file = tmp_path / "r.toml"
    rubric_file.write_text('[assignment]\nreview = 0.5\n[points]\n"naive.v_c" = 3\n[mistakes]\n"naive.u_w.MISSING_V_C" = 0.25\n')
    p = gradkey("check", "--format", "csv", "--rubric", str(rubric_file), str(class_dir))
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    possible, data = rows[0], rows[1:]
    points = [c for c in rows[0] if c.endswith(" points")]
    assert possible["student"] == "Points Possible" and float(possible["naive.v_c points"]) == 3
    assert float(possible["total"]) == sum(float(possible[c]) for c in points)
    assert len(data) == len(list(class_dir.iterdir()))   # flat class: one student per file
    for row in data:
        if row["problems"]:   # not graded: blanks, not zeros, and no total
            assert row["total"] == "" and all(row[c] == "" for c in points) and int(row["needs review"]) >= 1
        else:
            assert float(row["total"]) == pytest.approx(sum(float(row[c]) for c in points))
    sample = next(r for r in data if r["student"] == "000_a0cfb046c07157da")
    assert sample["naive.u_w verdict"] in ("incorrect", "review")
    assert float(sample["naive.u_w points"]) == {"incorrect": 0.25, "review": 0.5}[sample["naive.u_w verdict"]]


@pytest.mark.parametrize("text,message", [
    ('[assignment]\nquestions = ["naive.vc"]\n', "unknown question id 'naive.vc' (did you mean naive.v_c"),
    ('[points]\n"naive.v_c" = -1\n', "must be at least 0"),
    ('[assignment]\nreview = 2\n', "between 0 and 1"),
    ('[mistakes]\n"naive.u_w.MISING_V_C" = 0.5\n', "unknown mistake code"),
    ('[visibility]\n"naive.U" = "sometimes"\n', "is not one of"),
    ('[grading]\nx = 1\n', "unknown table"),
    ('[assignment\n', "not valid TOML"),
])
def test_an_invalid_rubric_is_refused_before_grading(text, message, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(RubricError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load(f)
    p = gradkey("check", "--rubric", str(f), str(FIXTURES / "submissions" / "s01_unicode_inline.md"))
    assert p.returncode == 2 and "invalid rubric" in p.stderr and p.stdout == ""


def test_rubric_scores_partial_credit_and_applies_aliases(tmp_path):
    r = Rubric(questions=("naive.v_c", "naive.u_w"), points={"naive.v_c": 2}, review=0.5,
               mistakes={"naive.u_w.MISSING_V_C": 0.25})
    assert r.score("naive.v_c", {"verdict": "review"}) == 1.0
    assert r.score("naive.u_w", {"verdict": "incorrect", "code": "naive.u_w.MISSING_V_C"}) == 0.25
    assert r.score("naive.u_w", None) == 0.0 and r.total == 3
    course = tmp_path / "theta.md"
    course.write_text("naive softmax\n\n$$\\frac{\\partial J}{\\partial \\theta_c} = U(\\hat{y}-y)$$\n")
    assert "naive.v_c" not in check_submission(course)["questions"]
    assert check_submission(course, aliases={r"\theta_c": "v_c"})["questions"]["naive.v_c"]["verdict"] == "correct"


def test_out_writes_a_feedback_file_per_student(class_dir, tmp_path):
    gradkey("check", "--out", str(tmp_path), str(class_dir))
    feedback = {f.name for f in tmp_path.glob("*.feedback.md")}
    assert len(feedback) == len(list(class_dir.iterdir()))
    text = (tmp_path / "s03_naive_mistakes.feedback.md").read_text()
    assert "missing the factor v_c" in text and "$$" in text and "Total:" in text
    # the student is told what is wrong, not handed the formula (the rubric does not show answers)
    assert "(ŷ_o − 1) v_c" not in text and "Where it goes wrong:** at d = " in text
