"""Grading a real class: student folders, hostile entries, one row per entry,
a gradebook keyed by student, decisions that persist, a pool that survives
killed workers."""
import csv
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gradkey.verify.grade import batch
from gradkey.verify.grade.batch import CheckJob, LocalPool, check_text, grade, notebook_text
from gradkey.verify.grade.discover import read_capped, scan

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples" / "submissions"
GOOD = {"alice/hw2.md": "s04_neg_correct.md", "bob/hw2.md": "s05_neg_mistakes.md", "oscar.md": "s03_naive_mistakes.md"}


def gradkey(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gradkey.verify.cli", *args], capture_output=True, text=True,
                          timeout=600, **kw)


def notebook(cells):
    return json.dumps({"cells": [{"cell_type": k, "source": s, "metadata": {}} for k, s in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for rel, fixture in GOOD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "submissions" / fixture, root / rel)
    text = (EXAMPLES / "clean_correct.md").read_text()
    cut = text.index("**(c)**")
    (root / "carol").mkdir()
    (root / "carol" / "part1.md").write_text(text[:cut])          # one submission in two parts
    (root / "carol" / "part2.md").write_text(text[cut:])
    (root / "dave").mkdir()
    (root / "dave" / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (root / "erin").mkdir()
    (root / "erin" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / "frank").mkdir()
    os.symlink("/dev/zero", root / "frank" / "zero.md")           # a link out of the class tree
    (root / "gina").mkdir()
    os.symlink("loop.md", root / "gina" / "loop.md")              # a link loop
    (root / "hank").mkdir()
    os.symlink("../alice", root / "hank" / "alice.md")            # a link to a folder
    (root / "ivan").mkdir()
    os.mkfifo(root / "ivan" / "answers.md")                       # a FIFO: opening it must not hang
    (root / "jack" / "x.md").mkdir(parents=True)                  # a folder named like a file
    (root / "kate").mkdir()
    with open(root / "kate" / "huge.md", "wb") as f:              # 2 GB, sparse: must not be read
        f.truncate(2_000_000_000)
    (root / "liam").mkdir()
    (root / "liam" / "hw.md").write_bytes(bytes(range(256)) * 8)
    (root / "mia").mkdir()
    (root / "mia" / "hw.md").write_bytes("café $$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y}-y)$$".encode("latin-1"))
    (root / "nina").mkdir()
    (root / "nina" / "hw.ipynb").write_text(notebook([
        ("markdown", ["Naive softmax\n", "\n", "$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n"]),
        ("code", "import numpy as np\nx = 1 - 2"),
        ("markdown", "$$\\frac{\\partial J}{\\partial U} = v_c (\\hat{y} - y)^\\top$$")]))
    (root / "paul").mkdir()                                       # an empty student folder
    (root / ".DS_Store").write_bytes(b"\x00\x01")                 # hidden: skipped, and said so
    return root


BAD = {  # entry -> words the reason must contain (a TA can act on it)
    "dave/scan.pdf": "upload the .tex/.md source",
    "erin/photo.png": "image",
    "frank/zero.md": "outside the class folder",
    "gina/loop.md": "loop",
    "hank/alice.md": "link to a folder",
    "ivan/answers.md": "FIFO",
    "jack/x.md/": "a folder, not a file",
    "kate/huge.md": "at most 1.0 MB",
    "liam/hw.md": "binary",
    "mia/hw.md": "not UTF-8",
    "paul/": "nothing was submitted",
}


def run_json(klass, *args):
    p = gradkey("check", "--format", "json", *args, str(klass))
    assert p.returncode == 1, p.stderr     # wrong answers and unreadable files: findings, not a usage error
    return json.loads(p.stdout), p.stderr


def test_one_row_per_entry_with_an_actionable_reason(klass):
    out, err = run_json(klass, "--jobs", "2")
    rows = {os.path.relpath(s["file"], klass) + ("/" if s["file"].endswith("/") else ""): s
            for s in out["submissions"]}
    assert set(rows) == set(GOOD) | set(BAD) | {"carol/part1.md", "carol/part2.md", "nina/hw.ipynb"}
    assert len(out["submissions"]) == len(rows)      # no entry twice
    for entry, words in BAD.items():
        assert words in rows[entry]["error"], (entry, rows[entry]["error"])
    assert "skipped 1 hidden entry" in err and ".DS_Store" in err
    # a student is the first folder level; flat files are students by stem
    assert rows["alice/hw2.md"]["student"] == "alice" and rows["bob/hw2.md"]["student"] == "bob"
    assert rows["oscar.md"]["student"] == "oscar" and rows["jack/x.md/"]["student"] == "jack"
    # the good files' results are those of judging their text alone
    for entry, fixture in GOOD.items():
        alone = check_text((FIXTURES / "submissions" / fixture).read_text(), entry, CheckJob().policy, {})
        assert rows[entry]["questions"] == alone["questions"], entry
    nb = rows["nina/hw.ipynb"]["questions"]
    assert nb["naive.v_c"]["verdict"] == "correct" and nb["naive.U"]["verdict"] == "correct"


def test_same_results_with_one_and_two_workers(klass):
    one, _ = run_json(klass, "--jobs", "1")
    two, _ = run_json(klass, "--jobs", "2")
    assert one == two


def test_gradebook_is_keyed_by_student_with_blanks_and_review_counts(klass, tmp_path):
    out = tmp_path / "graded"
    p = gradkey("check", "--format", "csv", "--rubric", str(EXAMPLES.parent / "gradescope" / "rubric.toml"),
                "--out", str(out), str(klass))
    assert p.returncode == 1
    assert f"wrote {out / 'grades.csv'}" in p.stderr and "feedback file(s)" in p.stderr and f"created {out}" in p.stderr
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    by = {r["student"]: r for r in rows[1:]}
    assert set(by) == {"alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan", "jack", "kate",
                       "liam", "mia", "nina", "oscar", "paul"}
    # two students with the same file name keep their own results and files
    assert by["alice"]["neg.u_k verdict"] == "correct" and by["bob"]["neg.u_k verdict"] == "incorrect"
    assert (out / "alice.feedback.md").read_text() != (out / "bob.feedback.md").read_text()
    # the two parts of carol's submission score what the whole file scores
    whole = gradkey("check", "--format", "csv", "--rubric", str(EXAMPLES.parent / "gradescope" / "rubric.toml"),
                    str(EXAMPLES / "clean_correct.md")).stdout
    whole = list(csv.DictReader(io.StringIO(whole)))[1]
    assert float(whole["total"]) >= 9
    assert by["carol"]["total"] == whole["total"] and by["carol"]["needs review"] == whole["needs review"]
    # a student whose only file could not be graded: blanks, not zeros, and a review count
    for s in ("dave", "frank", "kate", "paul"):
        assert by[s]["total"] == "" and by[s]["naive.v_c points"] == "" and int(by[s]["needs review"]) >= 1
        assert by[s]["problems"]
    # a graded student's unanswered question is a zero, marked missing
    assert by["alice"]["sigmoid.grad verdict"] == "missing" and by["alice"]["sigmoid.grad points"] == "0"


def test_text_with_a_rubric_shows_points_and_counterexample_inputs_by_name(klass):
    p = gradkey("check", "--rubric", str(EXAMPLES.parent / "gradescope" / "rubric.toml"), str(klass / "bob"))
    assert "/ 13 points" in p.stdout
    line = next(ln for ln in p.stdout.splitlines() if "✗ neg.u_k " in ln)
    assert line.rstrip().endswith("0 / 1")
    unwrapped = re.sub(r"\n {7,}", " ", p.stdout)   # long lines are wrapped at 100 columns
    ce = next(ln for ln in unwrapped.splitlines() if "counterexample:" in ln)
    # the smallest instance that shows the error, its inputs by name (the dimensions are the problem file's)
    assert re.search(r"at d = \d+, W = \d+", ce) and "o = " in ce and "your answer gives" in ce
    assert "V = [" in ce or "v_c = [" in ce            # the inputs as the problem file names them


def test_decisions_persist_across_regrades_and_reviews_list_the_rest(klass, tmp_path):
    p = gradkey("check", "--reviews", str(klass))
    assert p.returncode == 1
    assert "dave\tdave/scan.pdf" in p.stdout.replace(str(klass) + "/", "")
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("student,question,verdict,points,who,why\n"
                         "bob,neg.u_k,correct,,Ana,sign convention of the course\n"
                         "bob,neg.u_k,incorrect,,Ana,first thought\n"            # superseded below
                         "bob,neg.u_k,correct,,Ana,sign convention of the course\n"
                         "dave,naive.v_c,,0.5,Ben,graded the PDF by hand\n", encoding="utf-8")
    for _ in range(2):   # the same on every regrade
        p = gradkey("check", "--decisions", str(decisions), "--rubric", str(EXAMPLES.parent / "gradescope" / "rubric.toml"),
                    "--format", "csv", str(klass))
        by = {r["student"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
        assert by["bob"]["neg.u_k verdict"] == "correct" and by["bob"]["neg.u_k points"] == "1"
        assert by["dave"]["naive.v_c points"] == "0.5"
    p = gradkey("check", "--decisions", str(decisions), "--student", "bob", str(klass / "bob"))
    assert "decided by Ana: sign convention of the course" in p.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("student,question,verdict,points,who,why\nbob,neg.u_x,correct,,Ana,\n")
    p = gradkey("check", "--decisions", str(bad), str(klass / "bob"))
    assert p.returncode == 2 and "line 2" in p.stderr and "neg.u_x" in p.stderr


def test_reading_is_capped_and_never_blocks(tmp_path):
    assert read_capped("/dev/zero", 1000)[1].startswith("a device")    # swapped in after listing: refused
    os.mkfifo(tmp_path / "f")
    assert "FIFO" in read_capped(str(tmp_path / "f"), 1000)[1]        # opened non-blocking, refused
    (tmp_path / "a.md").write_text("x" * 1001)
    assert "at most" in read_capped(str(tmp_path / "a.md"), 1000)[1]
    os.symlink(tmp_path / "a.md", tmp_path / "l.md")
    assert "symbolic link" in read_capped(str(tmp_path / "l.md"), 5000)[1]   # no link followed at open


def test_notebook_markdown_cells_are_the_submission():
    text = notebook_text(notebook([("markdown", "$a$"), ("code", "$b$"), ("markdown", ["$c", "$"])]).encode())
    assert text == "$a$\n\n$c$"
    with pytest.raises(batch.NotASubmission, match="Markdown cells"):
        notebook_text(notebook([("code", "x = 1")]).encode())
    with pytest.raises(batch.NotASubmission, match="invalid JSON"):
        notebook_text(b"[" * 100_000)   # nesting deeper than the JSON parser's recursion: a row, not a crash


class SlowJob(CheckJob):
    """Each file takes a while, so kills land while workers are busy."""

    def __call__(self, entry):
        time.sleep(float(Path(entry.file).stem.split("_")[-1]) / 1000)
        return super().__call__(entry)


def _entries(tmp_path, delays):
    src = (FIXTURES / "submissions" / "s04_neg_correct.md").read_text()
    for i, ms in enumerate(delays):
        (tmp_path / f"s{i:03d}_{ms}.md").write_text(src)
    return scan([tmp_path])[0]


def test_an_idle_worker_killed_is_replaced(tmp_path):
    entries = _entries(tmp_path, [2500, 50, 50, 50])
    pool = LocalPool(2)
    killed = []

    def killer():
        time.sleep(1.2)   # worker 2 has finished the short files and is idle
        idle = [w.proc.pid for w in pool.workers if w.index is None]
        for pid in idle:
            os.kill(pid, 9)
            killed.append(pid)
    t = threading.Thread(target=killer)
    t.start()
    rows = grade(entries, SlowJob(), pool, timeout=60)
    t.join()
    assert killed, "no idle worker to kill: the timing assumption failed"
    assert [r.get("error") for r in rows] == [None] * 4
    assert all(r["questions"]["neg.u_k"]["verdict"] == "correct" for r in rows)


def test_workers_killed_at_random_moments_lose_nothing(tmp_path):
    rng = random.Random(7)
    entries = _entries(tmp_path, [rng.randint(20, 120) for _ in range(60)])
    reference = check_text((FIXTURES / "submissions" / "s04_neg_correct.md").read_text(), "x", CheckJob().policy, {})
    pool = LocalPool(2)
    done = [0]
    kills = []
    finished = threading.Event()

    def progress(d, n):
        done[0] = d

    def killer():
        while not finished.is_set():
            time.sleep(rng.uniform(0.0, 0.25))
            pids = pool.pids
            if not pids or finished.is_set():
                continue
            mark = done[0]
            try:
                os.kill(rng.choice(pids), 9)
            except ProcessLookupError:
                continue
            kills.append(mark)
            # the next kill waits until the retried file is surely through
            # (a file whose worker dies twice is reported, by design)
            while done[0] < mark + 3 and not finished.is_set():
                time.sleep(0.01)
    t = threading.Thread(target=killer)
    t.start()
    try:
        rows = grade(entries, SlowJob(), pool, timeout=60, progress=progress)
    finally:
        finished.set()
        t.join()
    assert len(kills) >= 5
    assert len(rows) == len(entries) and [r["file"] for r in rows] == [e.file for e in entries]
    assert [r.get("error") for r in rows] == [None] * len(rows)
    assert all(r["questions"] == reference["questions"] for r in rows)
    assert any(r.get("attempts") == 2 for r in rows)   # a busy worker was hit and its file retried


def test_a_file_that_kills_its_worker_every_time_is_reported_after_one_retry(tmp_path):
    entries = _entries(tmp_path, [10, 10, 10])

    class Killer(CheckJob):
        def __call__(self, entry):
            if entry.file.endswith("s001_10.md"):
                os.kill(os.getpid(), 9)
            return super().__call__(entry)
    rows = grade(entries, Killer(), LocalPool(2), timeout=60)
    assert rows[0].get("error") is None and rows[2].get("error") is None
    assert "died on this file 2 times (killed by SIGKILL)" in rows[1]["error"]


def test_code_batch_grades_a_class_with_rubric_csv_and_gradescope(tmp_path):
    sys.path.insert(0, str(FIXTURES / "code"))
    from make_corpus import write_corpus
    corpus = write_corpus(tmp_path / "corpus")
    klass = tmp_path / "class"
    for student, module in (("ana", "correct_vectorized.py"), ("ben", "bug_neg_repeats.py")):
        (klass / student).mkdir(parents=True)
        shutil.copy(corpus / module, klass / student / "word2vec.py")   # the same file name for everyone
    (klass / "ben" / "report.pdf").write_bytes(b"%PDF-1.4\n")
    rubric = tmp_path / "code.toml"
    rubric.write_text('[points]\nnegSamplingLossAndGradient = 3\n[visibility]\nskipgram = "after_due_date"\n')
    out = tmp_path / "out"
    p = gradkey("code", "--examples", "10", "--rubric", str(rubric), "--format", "csv", "--out", str(out), str(klass))
    assert p.returncode == 1, p.stderr
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["Points Possible"]["negSamplingLossAndGradient points"] == "3"
    assert rows["ana"]["total"] == rows["Points Possible"]["total"]
    assert rows["ben"]["negSamplingLossAndGradient verdict"] == "incorrect"
    assert float(rows["ben"]["total"]) == float(rows["ana"]["total"]) - 3
    assert "report.pdf" in rows["ben"]["problems"]
    p = gradkey("code", "--examples", "10", "--rubric", str(rubric), "--format", "gradescope", "--out", str(out),
                str(klass))
    ben = json.loads((out / "ben.results.json").read_text())
    neg = next(t for t in ben["tests"] if t["name"] == "negSamplingLossAndGradient")
    assert neg["score"] == 0 and neg["max_score"] == 3 and "repeated samples must be summed" in neg["output"]
    assert "samples drawn = [1, 1]" in neg["output"] and "your answer gives" in neg["output"]
    assert next(t for t in ben["tests"] if t["name"] == "skipgram")["visibility"] == "after_due_date"


def test_files_named_on_the_command_line_are_their_own_students(tmp_path):
    from gradkey.verify.grade.discover import scan
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "alice.md").write_text("$x$")
    (tmp_path / "b" / "bob.md").write_text("$x$")
    (tmp_path / "a" / "hw2.md").write_text("$x$")
    (tmp_path / "b" / "hw2.md").write_text("$x$")
    entries, _ = scan([str(tmp_path / "a" / "alice.md"), str(tmp_path / "b" / "bob.md")])
    assert [e.student for e in entries] == ["alice", "bob"]
    # the same stem twice: the folders tell the students apart
    entries, _ = scan([str(tmp_path / "a" / "hw2.md"), str(tmp_path / "b" / "hw2.md")])
    assert [e.student for e in entries] == ["a", "b"]
