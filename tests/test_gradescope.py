"""The Gradescope example as shipped: run_autograder with Gradescope's
layout under a temporary root, all of a student's files read, feedback a
student can act on without the answer handed out."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "gradescope"
FIXTURES = Path(__file__).parent / "fixtures"
GRADKEY = Path(sys.executable).parent / "gradkey"


def autograde(tmp_path, files: dict) -> dict:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    shutil.copy(EXAMPLE / "rubric.toml", root / "source" / "rubric.toml")
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADKEY": str(GRADKEY)}
    p = subprocess.run(["bash", str(EXAMPLE / "run_autograder")], env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_every_submitted_file_is_read_and_a_pdf_gets_advice(tmp_path):
    neg = (FIXTURES / "submissions" / "s04_neg_correct.md").read_bytes()
    naive = (FIXTURES / "submissions" / "s03_naive_mistakes.md").read_bytes()
    both = autograde(tmp_path / "a", {"part1.md": naive, "part2.md": neg, "scan.pdf": b"%PDF-1.4\n"})
    one = autograde(tmp_path / "b", {"part1.md": naive})
    two = autograde(tmp_path / "c", {"part2.md": neg})
    assert both["score"] == one["score"] + two["score"] and two["score"] > 0 and one["score"] > 0
    pdf = next(t for t in both["tests"] if "scan.pdf" in t["name"])
    assert pdf["visibility"] == "visible" and "upload the .tex/.md source" in pdf["output"]


def test_feedback_is_actionable_without_handing_out_the_answer(tmp_path):
    doc = autograde(tmp_path, {"hw.md": (FIXTURES / "submissions" / "s05_neg_mistakes.md").read_bytes()})
    tests = {t["name"]: t for t in doc["tests"]}
    wrong = tests["neg.u_o"]
    assert wrong["status"] == "failed" and "The sign is flipped" in wrong["output"]
    assert "(σ(u_oᵀv_c) − 1) v_c" not in wrong["output"]           # the formula is not given away
    assert re.search(r"at d = \d+, W = \d+", wrong["output"]) and "your answer gives" in wrong["output"]
    for t in doc["tests"]:
        assert "bound" not in t["output"] and "e-1" not in t["output"]   # no numerics jargon for students


def test_an_empty_submission_gets_a_result_that_says_so(tmp_path):
    doc = autograde(tmp_path, {})
    assert doc["score"] == 0 and "No files were found" in doc["output"]


def test_setup_picks_a_python_that_satisfies_requires_python():
    p = subprocess.run(["bash", str(EXAMPLE / "setup.sh")], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "GRADKEY_SETUP_DRY_RUN": "1",
                            "GRADKEY_SOURCE": str(Path(__file__).parent.parent)})
    assert p.returncode == 0, p.stderr
    need = p.stdout.split(">= ")[1].split(":")[0]
    chosen = p.stdout.split(": ", 1)[1].strip()
    assert need == "3.11"
    if not chosen.startswith("none"):
        version = subprocess.run([chosen, "-c", "import sys; print(sys.version_info[:2] >= (3, 11))"],
                                 capture_output=True, text=True).stdout.strip()
        assert version == "True"
