"""Red team: hostile submissions we will not see, and the safe outcome of each.

Every test builds an attack (or reads it from ``tests/fixtures/redteam/``),
runs it within a bounded time and asserts what must hold: no wrong answer
called correct, no crash or hang of the grader, one row per entry with full
results for the other files, nothing from a submission reaching a terminal,
a spreadsheet or another student. An attack that still succeeds is a strict
xfail whose reason names where it fails; its fixture reproduces it."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from gradkey.verify.check.answers import Policy
from gradkey.verify.grade import batch
from gradkey.verify.grade.batch import CheckJob, CodeJob, LocalPool, check_text, decode_text, grade, notebook_text
from gradkey.verify.grade.discover import CHECK, Entry, scan
from gradkey.verify.grade.gradebook import csv_cell, csv_gradebook, students
from gradkey.verify.grade.report import safe, to_text
from gradkey.verify.grade.rubric import default as default_rubric

from helpers import time_limit

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "redteam"
GOOD = (HERE.parent / "examples" / "submissions" / "clean_correct.md").read_text(encoding="utf-8")
LHS = r"$$\frac{\partial J}{\partial v_c} = "
TRUTH = r"U(\hat{y} - y)"


def _judge(text: str, seconds: float = 5.0) -> dict:
    """check_text on one text, bounded; the row."""
    start = time.monotonic()
    with time_limit(seconds):
        row = check_text(text, "attack.md", Policy(), {})
    assert time.monotonic() - start < seconds
    json.dumps(row, default=float)
    return row


def _verdicts(row: dict) -> dict:
    return {q: r["verdict"] for q, r in row["questions"].items()}


def _never_correct(row: dict) -> None:
    assert "correct" not in _verdicts(row).values(), row["questions"]
    assert all(a.get("verdict") != "correct" for a in row["answers"]), row["answers"]


@pytest.fixture(scope="module", autouse=True)
def _warm():
    check_text(LHS + TRUTH + "$$", "warm.md", Policy(), {})


# == check: answers engineered to be called correct =====================================================

@pytest.mark.parametrize("extra", [
    r"+ \frac{0}{0} u_o", r"+ \frac{1}{0} u_o", r"+ \log(0) u_o", r"+ 0 \log(0) u_o", r"+ \log(-1) u_o",
    r"+ 10^{400} u_o - 10^{400} u_o", r"\cdot e^{e^{e^{100}}} e^{-e^{e^{100}}}", r"\cdot (-1)^{0.5}",
    r"\cdot (-8)^{1/3}", r"\cdot 9^{9^{9^{9}}}", r"\cdot 10^{10^{10}} / 10^{10^{10}}", r"\cdot 2^{2^{2^{2^{2^{2}}}}}",
    r"\cdot " + "9" * 5000, r"+ 0 \cdot \infty", r"+ \infty - \infty", r"\cdot \sqrt{-1}", r"\cdot e^{i\pi} \cdot (-1)",
    r"(W - 4)", r"(d - 2)", r"+ (o-0)(o-1)(o-2)(o-3)(o-4) u_o", r"+ \sigma(10^{400}) u_o - u_o",
    r"(1 + 10^{-9})",
])
def test_non_finite_overflowing_or_instance_tuned_answers_are_never_correct(extra):
    """NaN/inf-producing terms, huge exponents, literals past float range,
    terms that vanish only at the seeded dimensions or index (W = 5, o ∈ 0…4)."""
    _never_correct(_judge(LHS + TRUTH + " " + extra + "$$"))


@pytest.mark.parametrize("extra", [
    r"+ e^{-40} u_o", r"+ 10^{-300} u_o", r"(1 + 10^{-15})", r"+ e^{-e^{e^{100}}} u_o", r"+ (1 - e^{-e^{-100}}) u_o",
])
def test_a_term_below_float_resolution_is_not_correct(extra):
    _never_correct(_judge(LHS + TRUTH + " " + extra + "$$"))


def test_the_tiny_term_fixture_reproduces():
    row = _judge((FIX / "check" / "tiny_terms.md").read_text(encoding="utf-8"))
    assert _verdicts(row) == {"naive.v_c": "review"}   # a constant below float64 resolution: a human looks


@pytest.mark.parametrize("cases", [
    # the branches swapped
    r"\begin{cases} \hat{y}_w v_c & w = o \\ (\hat{y}_o - 1) v_c & w \neq o \end{cases}",
    # only one branch: w ≠ o is not answered
    r"\begin{cases} (\hat{y}_o - 1) v_c & w = o \end{cases}",
    # the same condition twice
    r"\begin{cases} (\hat{y}_o - 1) v_c & w = o \\ (\hat{y}_o - 1) v_c & w = o \end{cases}",
    # a branch the student invented
    r"\begin{cases} (\hat{y}_o - 1) v_c & \text{always} \end{cases}",
])
def test_cases_that_do_not_cover_the_question_are_not_correct(cases):
    row = _judge(r"$$\frac{\partial J}{\partial u_w} = " + cases + "$$")
    assert _verdicts(row).get("naive.u_w") != "correct", row["questions"]


@pytest.mark.parametrize("text", [
    r"\newcommand{\U}{U}" + "\n\n" + LHS + r"\U(\hat{y} - y) + u_o$$",
    r"\renewcommand{\hat}[1]{#1}" + "\n\n" + LHS + TRUTH + " + " + TRUTH + "$$",
    r"\def\y{\hat{y}}" + "\n\n" + LHS + r"U(\y - \y)$$",
    LHS + r"\lim_{h \to 0} U(\hat{y} - y) + h u_o$$",
])
def test_macros_and_layout_do_not_turn_a_wrong_answer_correct(text):
    _never_correct(_judge(text))


HEDGES = [
    LHS + r"U(\hat{y}-y) \quad\text{or}\quad U\hat{y}$$",
    LHS + r"U(\hat{y}-y) \text{ or } U\hat{y}$$",
    LHS + r"U(\hat{y}-y) \text{ if } o = 1 \text{ else } U\hat{y}$$",
    LHS + r"U(\hat{y}-y) \text{ is wrong; the answer is } U\hat{y}$$",
    LHS + r"U(\hat{y}-y) \quad + u_o$$",
    LHS + r"U(\hat{y}-y) \qquad\qquad + u_o$$",
    LHS + r"U(\hat{y}-y) \quad \text{plus } u_o$$",
    LHS + r"U(\hat{y} - y) \quad \text{(wrong:)} \; + u_o$$",
]


@pytest.mark.parametrize("text", HEDGES)
def test_a_hedged_or_padded_answer_is_not_correct(text):
    _never_correct(_judge(text))


def test_two_contradicting_answers_are_never_correct():
    row = _judge(LHS + TRUTH + "$$\n\n" + LHS + r"U\hat{y}" + "$$\n")
    assert _verdicts(row)["naive.v_c"] != "correct"


# == check: inputs that must not hang or crash the reader =====================================================

BOUNDED = {
    "parentheses 5000 deep": LHS + "(" * 5000 + TRUTH + ")" * 5000 + "$$",
    "braces 5000 deep": LHS + "{" * 5000 + TRUTH + "}" * 5000 + "$$",
    "fractions 1500 deep": LHS + r"\frac{" * 1500 + TRUTH + "}{1}" * 1500 + "$$",   # 3000: ~8 s, the same _arg scan
    "sigma 3000 deep": LHS + r"\sigma(" * 3000 + "x" + ")" * 3000 + "$$",
    "100 000 minus signs": LHS + "-" * 100_000 + TRUTH + "$$",
    "50 000 + 0": LHS + TRUTH + " + 0" * 50_000 + "$$",
    "200 nested sums": LHS + r"\sum_{w=1}^{W} " * 200 + TRUTH + "$$",
    "doubling macros": "".join(rf"\newcommand{{\{a}}}{{\{b}\{b}}}" for a, b in zip("abcdefg", "bcdefgh"))
                       + r"\newcommand{\h}{xx}" + "\n\n" + LHS + r"\a\a\a\a\a\a\a\a\a\a" + "$$",
    "self-recursive def": r"\def\a{\a\a}" + "\n\n" + LHS + r"\a$$",
    "def redefining itself": r"\def\a{\def\a{\a\a}\a\a}" + "\n\n" + LHS + r"\a$$",
    "argument doubling": r"\newcommand{\a}[1]{#1#1}" + "\n\n" + LHS + r"\a{" * 20 + "x" + "}" * 20 + "$$",
    "growing argument": r"\def\x#1{\x{#1#1}}" + "\n\n" + LHS + r"\x{a}$$",
    "200 000 dollars": "$" * 200_000,
    "20 000 $a$": "$a$" * 20_000,
    "26 000 unclosed \\[": "\\[" * 26_000,
    "20 000 cases": "\\begin{cases}" * 20_000,
    "20 000 \\left(": "$$" + "\\left(" * 20_000 + "$$",
    "100 000 _ and ^": "_" * 100_000 + "^" * 100_000,
    "200 000 backslashes": "\\" * 200_000,
    "a_a_a… 50 000": "$$" + "a_" * 50_000 + "$$",
    "\\hat 50 000": "$$" + "\\hat" * 50_000 + "$$",
    "x=x=… 20 000": "$$" + "x=" * 20_000 + "$$",
    "NUL bytes inside": LHS + TRUTH + "\x00\x00$$\n" + "\x00" * 100,
    "escapes and bidi": LHS + TRUTH + "\x1b[2J\x1b]0;pwned\x07\u202e\u200b$$",
    "lone surrogates": LHS + TRUTH + "\ud800$$",
    "100 000 digit literal": LHS + "1." + "0" * 100_000 + "$$",
}


@pytest.mark.parametrize("name", list(BOUNDED))
def test_hostile_text_is_read_in_bounded_time_and_never_called_correct_by_accident(name):
    row = _judge(BOUNDED[name], seconds=8.0)
    if name not in ("NUL bytes inside", "escapes and bidi", "lone surrogates", "parentheses 5000 deep",
                    "braces 5000 deep", "fractions 1500 deep"):
        assert "correct" not in _verdicts(row).values() or name == "doubling macros", row["questions"]


@pytest.mark.parametrize("opener,closer", [("x^{", "}"), ("e^{", "}"), (r"\mathbf{", "}")])
def test_nested_powers_are_read_in_linear_time(opener, closer):
    n = 3000
    _judge(LHS + opener * n + "1" + closer * n + "$$", seconds=4.0)


# == check: bytes, encodings, notebooks ======================================================

def test_line_endings_do_not_change_the_verdicts():
    """CRLF and CR-only files (old Mac editors, OCR exports) are graded like LF (fixed in batch.decode_text)."""
    lf = _verdicts(check_text(decode_text(GOOD.encode()), "a.md", Policy(), {}))
    assert set(lf.values()) == {"correct"}
    for ending in ("\r\n", "\r"):
        text = decode_text(GOOD.replace("\n", ending).encode())
        assert _verdicts(check_text(text, "a.md", Policy(), {})) == lf, repr(ending)


@pytest.mark.parametrize("data,reason", [
    (b"\x00\x01\x02" * 100, "binary"),
    (b"$$x$$ \xff\xfe\xfd", "not UTF-8"),
    (b"\xff\xfe" + b"\x00\xd8", "UTF-16"),        # a BOM, then a lone surrogate
    (b"   \n\t\r\n", "empty"),
    (b"\xef\xbb\xbf", "empty"),
])
def test_undecodable_bytes_are_a_reason_not_a_crash(data, reason):
    with pytest.raises(batch.NotASubmission, match=reason):
        decode_text(data)


@pytest.mark.parametrize("bom", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_a_byte_order_mark_is_read(bom):
    data = ("\ufeff" + GOOD).encode("utf-16-le") if bom == "utf-16-le" else GOOD.encode(bom)
    assert decode_text(data).lstrip("\ufeff").startswith("# Word2vec")


def test_nul_bytes_after_the_first_4096_do_not_crash_the_reader():
    text = decode_text((GOOD + "\n" + "x" * 5000 + "\x00 $$\x00$$\n").encode())
    row = _judge(text, seconds=10.0)
    assert set(_verdicts(row).values()) == {"correct"}


NOTEBOOKS = {
    "zip": b"PK\x03\x04" + b"\x00" * 100,
    "deep arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"cells":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    "huge integer": b'{"cells":[' + b"9" * 100_000 + b"]}",
    "NaN": b'{"cells":[NaN, Infinity]}',
    "cells not a list": b'{"cells":{"cell_type":"markdown"}}',
    "cells not objects": b'{"cells":[1, "x", null, [1]]}',
    "non-string sources": b'{"cells":[{"cell_type":"markdown","source":12345},'
                          b'{"cell_type":"markdown","source":{"a":1}},{"cell_type":"markdown","source":[1,null]}]}',
    "a list": b"[1, 2, 3]",
    "a string": b'"cells"',
    "utf-16 json": '{"cells":[]}'.encode("utf-16"),
}


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_broken_notebooks_are_a_reason_not_a_crash(name):
    with time_limit(5):
        with pytest.raises(batch.NotASubmission):
            notebook_text(NOTEBOOKS[name])


def test_a_notebook_source_that_is_not_text_is_not_read_as_text():
    """{"source": 12345} is not Markdown: str() of it must not become an answer (fixed in batch.notebook_text)."""
    nb = {"cells": [{"cell_type": "markdown", "source": {"x": LHS + TRUTH + "$$"}},
                    {"cell_type": "markdown", "source": ["intro ", 7, None]}]}
    assert "partial" not in notebook_text(json.dumps(nb).encode())


# == check: a hostile class ===================================================================

def _hostile_class(root: Path) -> dict:
    """Student folders with hostile names and contents; returns name → expectation."""
    def put(rel, data):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    put("=cmd|' -C calc'!A0/hw.md", GOOD)
    put("+SUM(1+1)/hw.md", GOOD)
    put("@evil/hw.md", LHS + r"U\hat{y}$$")
    put("-2+3/hw.md", GOOD)
    put("esc\x1b[2J\x1b]0;pwned\x07/hw.md", GOOD)
    put("new\nline,\"quote\"/hw.md", GOOD)
    put("rtl\u202egpj.md/hw.md", GOOD)
    put("zw\u200bsp/hw.md", GOOD)
    put("crlf/hw.md", GOOD.replace("\n", "\r\n"))
    put("cronly/hw.md", GOOD.replace("\n", "\r"))
    put("nul/hw.md", b"\x00\x01" * 50)
    put("utf16/hw.md", GOOD.encode("utf-16"))
    put("nbzip/hw.ipynb", NOTEBOOKS["zip"])
    put("nbdeep/hw.ipynb", NOTEBOOKS["deep arrays"])
    put("answer/hw.md", LHS + r"=HYPERLINK(\"http://x\")$$" + "\n")
    os.symlink("/etc/passwd", root / "linkout.md")
    os.symlink("/dev/zero", root / "zero.md")
    os.symlink("loop.md", root / "loop.md")
    os.mkfifo(root / "fifo.md")
    (root / "folder.md").mkdir()
    return {}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    _hostile_class(root)
    entries, _ = scan([str(root)], CHECK)
    rows = grade(entries, CheckJob(), LocalPool(2), timeout=60)
    return root, entries, rows


def test_every_hostile_entry_gets_a_row_and_good_files_their_full_results(hostile_class):
    root, entries, rows = hostile_class
    assert len(rows) == len(entries) and len(entries) >= 20
    by = {r["student"]: r for r in rows}
    for good in ("=cmd|' -C calc'!A0", "+SUM(1+1)", "-2+3", "esc\x1b[2J\x1b]0;pwned\x07", "new\nline,\"quote\"",
                 "rtl\u202egpj.md", "zw\u200bsp", "crlf", "cronly", "utf16"):
        assert set(_verdicts(by[good]).values()) == {"correct"} and len(by[good]["questions"]) == 12, good
    for bad in ("nul", "nbzip", "nbdeep", "linkout", "zero", "loop", "fifo"):
        assert by[bad]["error"], bad


def test_csv_gradebook_neutralises_formulas(hostile_class):
    """Student names, file names and reasons that start like a formula are
    written with a leading apostrophe (fixed in gradebook.csv_cell)."""
    _, _, rows = hostile_class
    rubric = default_rubric()
    text = csv_gradebook(students(rows, rubric), rubric)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], [c for c in cells if c[:1] in "=+@"]
    assert not [c for c in cells if c.startswith("-") and not _number(c)]
    names = [row[0] for row in csv.reader(io.StringIO(text))]
    assert "'=cmd|' -C calc'!A0" in names and "'+SUM(1+1)" in names and "'-2+3" in names


def _number(c: str) -> bool:
    try:
        float(c)
        return True
    except ValueError:
        return False


def test_csv_cell_keeps_numbers_and_plain_text():
    assert csv_cell("-0.5") == "-0.5" and csv_cell(3) == 3 and csv_cell("alice") == "alice"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-cmd") == "'-cmd" and csv_cell("@SUM(A1)") == "'@SUM(A1)"


def test_a_decision_for_a_neutralised_name_still_applies():
    from gradkey.verify.grade import decisions
    rubric = default_rubric()
    text = decisions.to_csv([("=evil", "naive.v_c", "correct", "", "ta", "-checked")])
    assert "'=evil" in text and "'-checked" in text
    parsed = decisions.parse(text, "d.csv", rubric)
    assert ("=evil", "naive.v_c") in parsed


def test_the_text_report_shows_no_terminal_escapes_or_bidi_overrides(hostile_class):
    """File names and answers with ESC, BEL, U+202E are shown as codes (fixed in report.safe)."""
    _, _, rows = hostile_class
    text = to_text(students(rows, default_rubric()), default_rubric(), all_questions=True)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, \
        [line for line in text.splitlines() if "\x1b" in line or "\u202e" in line]
    assert "\\x1b[2J" in text and "\\u202e" in text


def test_reviews_text_is_inert_too():
    from gradkey.verify.grade.report import reviews_text
    row = check_text(LHS + "\x1b[2J\u202e x$$", "a\x1b[31m.md", Policy(), {})
    row["student"] = "a\x1b]0;t\x07"
    out = reviews_text(students([row], default_rubric()))
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_safe_keeps_text_and_shows_controls():
    assert safe("σ(x) ŷ → ∂J\n\t") == "σ(x) ŷ → ∂J\n\t"
    assert safe("\x1b[2J\x9b\u2066") == "\\x1b[2J\\x9b\\u2066"


def test_out_files_stay_in_the_out_folder(tmp_path):
    """Student names reach --out as file names: none leaves the folder or overwrites another's."""
    cls = tmp_path / "class"
    for name in ("..md", "...md", "-rf", "a b", "x.feedback", "grades", "con", "a\\b", "$(id)", "`id`"):
        (cls / name).mkdir(parents=True, exist_ok=True)
        (cls / name / "hw.md").write_text(LHS + TRUTH + "$$\n")
    (cls / "grades.md").write_text(LHS + TRUTH + "$$\n")        # the student "grades" vs grades.csv
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "check", str(cls), "--out", str(out),
                        "--format", "csv", "--jobs", "1"], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    written = sorted(x.name for x in out.iterdir())
    assert all(x.parent == out for x in out.iterdir()) and not (tmp_path / "hw.feedback.md").exists()
    assert "grades.csv" in written and len([w for w in written if w.endswith(".feedback.md")]) == 8, written  # ..md, ...md hidden; grades/ + grades.md one student


def test_one_pathological_file_in_a_batch_costs_only_its_own_row():
    """Nesting thousands deep (once quadratic: an error row after the time limit) is now
    refused at once as an unreadable answer of its own; the others are graded."""
    good = Entry("alice", "alice.md", "text", GOOD.encode())
    slow = Entry("mallory", "mallory.md", "text", (FIX / "check" / "nested_powers.md").read_bytes() * 3)
    rows = grade([good, slow, Entry("bob", "bob.md", "text", GOOD.encode())], CheckJob(), LocalPool(1), timeout=3)
    assert not rows[1].get("error"), rows[1]["error"]
    assert any(a["status"] == "unreadable" and "nested deeper" in (a.get("reason") or "")
               for a in rows[1]["answers"]), rows[1]["answers"]
    for r in (rows[0], rows[2]):
        assert set(_verdicts(r).values()) == {"correct"} and len(r["questions"]) == 12


# == code ========================================================================================

code = pytest.importorskip("gradkey.verify.code.sandbox")
from gradkey.verify.code import check_file  # noqa: E402
from gradkey.verify.code.layout import CS224N  # noqa: E402
from gradkey.verify.code.sandbox import Limits, isolation_problem  # noqa: E402

NAIVE = [a for a in CS224N if a.function == "naiveSoftmaxLossAndGradient"]
SIGMOID = [a for a in CS224N if a.function == "sigmoid"]
FAST = Limits(seconds_per_call=2.0, import_seconds=3.0, file_seconds=20.0)
CORRECT_NAIVE = """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    s = outsideVectors @ centerWordVec
    s = s - s.max()
    p = np.exp(s) / np.exp(s).sum()
    loss = -s[outsideWordIdx] + np.log(np.exp(s).sum())
    d = p.copy(); d[outsideWordIdx] -= 1
    return loss, outsideVectors.T @ d, np.outer(d, centerWordVec)
"""
CORRECT_SIGMOID = """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))
"""
needs_sandbox = pytest.mark.skipif(isolation_problem() is not None, reason="bubblewrap cannot run here")


def _alive(marker: str) -> list:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
    return found


def _code(tmp_path, body, adapters=NAIVE, seconds=25.0, name=None, examples=6, limits=FAST, unique=True):
    name = name or f"rt_{uuid.uuid4().hex[:10]}.py"
    path = tmp_path / name
    parts = body if isinstance(body, (list, tuple)) else [body]
    path.write_text("import numpy as np\n" + "\n".join(textwrap.dedent(b) for b in parts))
    start = time.monotonic()
    report = check_file(path, examples=examples, adapters=adapters, limits=limits)
    elapsed = time.monotonic() - start
    json.dumps(report)
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    time.sleep(0.05)
    if unique:   # a common name (main.py) would also match other checks running on this machine
        assert not _alive(path.name), "a process of the submission outlived the check"
    return {f["name"]: f for f in report["functions"]}, report


@needs_sandbox
@pytest.mark.parametrize("hook", [
    "import atexit, time\natexit.register(lambda: time.sleep(1000))",
    "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):\n    signal.signal(s, signal.SIG_IGN)",
    "import threading\ndef _spin():\n    while True: pass\nthreading.Thread(target=_spin, daemon=True).start()",
    "import threading, time\nthreading.Thread(target=lambda: time.sleep(1000)).start()",
    "class _Stuck:\n    def __del__(self):\n        import time; time.sleep(1000)\n_keep = _Stuck()",
    "import sys\nsys.setrecursionlimit(10**6)",
    "np.seterr(all='raise')",
    "import gc\ngc.disable()",
    "import os\ntry:\n    os.setsid()\nexcept OSError:\n    pass",
])
def test_handlers_threads_and_settings_do_not_hang_or_change_a_correct_verdict(tmp_path, hook):
    f, _ = _code(tmp_path, hook + "\n" + CORRECT_NAIVE)
    # np.seterr(all='raise') makes the student's own exp underflow raise on a probe: their error, not ours
    allowed = ("correct", "error") if "seterr" in hook else ("correct",)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in allowed, f


@needs_sandbox
def test_threads_that_mutate_inputs_after_returning_change_nothing(tmp_path):
    f, _ = _code(tmp_path, ["""
        import threading, time
        def _later(a):
            time.sleep(0.01)
            a[...] = 0.0
    """, CORRECT_NAIVE.replace("    return loss,", "    threading.Thread(target=_later, args=(outsideVectors,)).start()\n"
                                                   "    return loss,")])
    # Which verdict depends on when the thread runs: before the grader reads the inputs back
    # (incorrect: modifies its input), during a later call of the same check (its inputs
    # change under it: incorrect or unstable, as the probe it hits decides), or never seen
    # (correct). What must hold is that the grader itself is untouched and gives a verdict.
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in ("correct", "incorrect", "unstable"), f


@needs_sandbox
def test_processes_through_ctypes_are_refused(tmp_path):
    f, _ = _code(tmp_path, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        results = []
        for attempt in (lambda: libc.fork(), lambda: libc.syscall(57), lambda: libc.syscall(56, 17, 0, 0, 0, 0),
                        lambda: libc.syscall(58), lambda: libc.vfork() if False else -1):
            try:
                pid = attempt()
            except Exception:
                pid = -1
            if pid == 0:
                import time
                time.sleep(1000)
            results.append(pid)
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            raise RuntimeError(f"children: {[p for p in results if p > 0]}")
    """)
    assert "children: []" in f["naiveSoftmaxLossAndGradient"]["note"], f


@needs_sandbox
def test_proc_of_the_grader_and_of_pid_1_holds_no_secret(tmp_path, monkeypatch):
    secret = "SECRET-" + uuid.uuid4().hex
    monkeypatch.setenv("GRADER_TOKEN", secret)
    f, report = _code(tmp_path, f"""
        import glob, os
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            seen = [str(os.getppid()), str(sorted(os.listdir("/proc"))[:50])]
            for p in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline") + ["/proc/1/root/etc/hostname",
                      "/proc/self/mountinfo", "/proc/{os.getpid()}/environ"]:
                try:
                    seen.append(p + "=" + open(p, "rb").read(4000).decode("latin-1"))
                except OSError as e:
                    seen.append(p + ":" + type(e).__name__)
            try:
                with open("/proc/self/mem", "wb") as m:
                    seen.append("mem writable")
            except OSError:
                pass
            raise RuntimeError(" | ".join(seen))
    """)
    assert secret not in json.dumps(report)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "error"


@needs_sandbox
def test_no_truth_is_inside_the_worker_to_find(tmp_path):
    """gc/inspect over everything the worker holds finds no derived gradient to return."""
    f, _ = _code(tmp_path, """
        import gc, inspect, sys
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            found = []
            for frame in inspect.stack():
                for v in list(frame.frame.f_locals.values()) + list(frame.frame.f_globals.values()):
                    if isinstance(v, dict) and (v.get("tables") or "expected" in v):
                        found.append(v)
            for o in gc.get_objects():
                if isinstance(o, dict) and {"loss", "center", "outside"} <= set(o):
                    found.append(o)
            if found:
                raise RuntimeError(f"found {len(found)} candidate truth object(s): {str(found)[:300]}")
            return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
    """)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "incorrect", f


@needs_sandbox
def test_memoising_earlier_calls_is_incorrect_not_unstable():
    report = check_file(FIX / "code" / "memoise_previous.py", examples=30, adapters=NAIVE, limits=FAST)
    f = report["functions"][0]
    assert f["verdict"] != "correct", f          # holds today: never correct
    assert f["verdict"] == "incorrect", f


@needs_sandbox
@pytest.mark.parametrize("ret", [
    "centerWordVec, centerWordVec, outsideVectors",                  # the inputs themselves
    "(x for x in (loss, gc_, go_))",                                  # a generator
    "[loss, gc_, go_]",                                               # a list is fine only if right
    "Weird()",
    "(Weird(), gc_, go_)",
    "(loss, memoryview(gc_), go_)",
    "(loss, Sub(gc_), go_)",
    "(loss, gc_.astype(np.complex128), go_)",
    "(loss, gc_.astype('>f8') * 1.0001, go_)",
    "(loss, gc_.astype(np.float16), go_)",
    "(loss, np.zeros(3_000_000), go_)",                               # 24 MB: over a frame
    "(loss, gc_[:, None, None, None, None, None, None, None, None], go_)",
    "(loss, gc_, go_, 'extra')",
    "(float('nan'), gc_, go_)",
    "(loss, gc_ * 0 + np.inf, go_)",
    "Recursive()",
])
def test_misbehaving_return_values_are_findings_never_correct_or_crashes(tmp_path, ret):
    f, _ = _code(tmp_path, """
        class Weird:
            def __array__(self, *a, **k):
                raise RuntimeError("no")
            def __float__(self):
                import time; time.sleep(1000)
            def __len__(self):
                return 10**18
            def __getitem__(self, i):
                raise IndexError
            def __eq__(self, other):
                return True
            def __iter__(self):
                while True:
                    yield 0.0
        class Sub(np.ndarray):
            def __new__(cls, a):
                return np.asarray(a).view(cls)
            def tobytes(self, *a, **k):
                return b"\\x00" * 8 * self.size
            @property
            def shape(self):
                return (1,)
        class Recursive(tuple):
            pass
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            s = outsideVectors @ centerWordVec
            s = s - s.max()
            p = np.exp(s) / np.exp(s).sum()
            loss = -s[outsideWordIdx] + np.log(np.exp(s).sum())
            d = p.copy(); d[outsideWordIdx] -= 1
            gc_, go_ = outsideVectors.T @ d, np.outer(d, centerWordVec)
            return RET
    """.replace("RET", ret))
    verdict = f["naiveSoftmaxLossAndGradient"]["verdict"]
    if ret in ("[loss, gc_, go_]", "(loss, Sub(gc_), go_)", "(loss, memoryview(gc_), go_)"):
        assert verdict in ("correct", "incorrect", "error"), f   # data, judged on its values
    else:
        assert verdict in ("incorrect", "error"), f


@needs_sandbox
def test_a_crash_in_one_function_leaves_the_next_checked(tmp_path):
    f, _ = _code(tmp_path, ["""
        import sys
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            sys.setrecursionlimit(10**9)
            def down(n):
                return down(n + 1) + 1
            return down(0)
    """, CORRECT_SIGMOID], adapters=NAIVE + SIGMOID)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "error"
    assert f["sigmoid"]["verdict"] == "correct", f


@needs_sandbox
@pytest.mark.parametrize("kill", ["os.kill(-1, 9)", "os.killpg(0, 9)", "os.kill(os.getppid() or 1, 9)",
                                  "os.kill(1, 9)", "os._exit(0)", "os.abort()", "os.close(4); os.close(3)",
                                  "os.dup2(os.open('/dev/null', os.O_RDWR), 4)"])
def test_killing_or_closing_its_own_channel_is_an_error_for_that_call(tmp_path, kill):
    f, _ = _code(tmp_path, [f"""
        import os
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            {kill}
            return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
    """, CORRECT_SIGMOID], adapters=NAIVE + SIGMOID)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in ("error", "incorrect"), f
    assert f["sigmoid"]["verdict"] == "correct", f


@needs_sandbox
@pytest.mark.parametrize("name", ["numpy.py", "json.py", "main.py", "struct.py", "os.py", "builtins.py"])
def test_a_submission_named_like_a_module_the_worker_needs_changes_nothing_outside(tmp_path, name):
    f, report = _code(tmp_path, CORRECT_NAIVE.replace("loss = -s", "loss = 1 - s"), name=name, unique=False)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in ("incorrect", "error"), report


@needs_sandbox
def test_patching_the_workers_encoder_only_changes_the_students_own_reply(tmp_path):
    f, _ = _code(tmp_path, ["""
        import sys, json
        w = sys.modules["__main__"]
        w.encode = lambda v, depth=0: {"nd": ["<f8", [1 << 40], ""]}
        json.dumps = lambda *a, **k: "{" * 100
    """, CORRECT_NAIVE.replace("loss = -s", "loss = 1 - s")])
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in ("incorrect", "error"), f


@needs_sandbox
def test_forged_after_cannot_hide_a_mutated_input(tmp_path):
    """The worker's 'after' is rewritten to the arguments as sent; the host reads
    the arrays back from the shared arena itself (protocol.Arena) and sees the change."""
    report = check_file(FIX / "code" / "forged_after.py", examples=6, adapters=NAIVE, limits=FAST)
    f = report["functions"][0]
    assert f["verdict"] == "incorrect" and "modifies its input" in f["note"], f


@needs_sandbox
def test_a_flat_class_student_named_utils_is_not_everyones_helper(tmp_path):
    """class/alice.py and class/utils/utils.py: the student "utils" must not
    supply alice's course helpers (fixed in batch.CodeJob via _own_folder)."""
    import shutil
    cls = tmp_path / "class"
    shutil.copytree(FIX / "code" / "flat_class", cls)
    alice = cls / "alice.py"
    row = CodeJob(examples=6, adapters=NAIVE, limits=FAST)(Entry("alice", str(alice), "code", alice.read_bytes()))
    assert {f["name"]: f["verdict"] for f in row["functions"]} == {"naiveSoftmaxLossAndGradient": "correct"}, row
    # a student's own folder still supplies their own copies
    mine = cls / "carol"
    (mine / "utils").mkdir(parents=True)
    (mine / "utils" / "__init__.py").write_text("")
    (mine / "utils" / "utils.py").write_text((FIX / "code" / "flat_class" / "utils" / "utils.py").read_text())
    carol = mine / "w2v.py"
    carol.write_text(alice.read_text())
    row = CodeJob(examples=6, adapters=NAIVE, limits=FAST)(Entry("carol", str(carol), "code", carol.read_bytes()))
    assert row["functions"][0]["verdict"] == "incorrect", row


@needs_sandbox
@pytest.mark.xfail(strict=True, reason=(
    "verify/code/sandbox.build_box (own defaults to the file's folder) via cli `gradkey code FILE`: checking "
    "one file of a flat class takes another student's utils/utils.py next to it as the course helper. "
    "Reproduction: gradkey code tests/fixtures/redteam/code/flat_class/alice.py (correct code, judged incorrect)"))
def test_one_file_of_a_flat_class_does_not_take_a_neighbours_helpers(tmp_path):
    report = check_file(FIX / "code" / "flat_class" / "alice.py", examples=6, adapters=NAIVE, limits=FAST)
    assert report["functions"][0]["verdict"] == "correct", report


@needs_sandbox
@pytest.mark.parametrize("batch_mode", [False, True])
def test_code_text_report_shows_no_terminal_escapes(tmp_path, batch_mode):
    target = FIX / "code" / "escape_in_note.py"
    if batch_mode:     # a class of two: the batch prints code_text per row, then "<student>: points" raw
        (tmp_path / "esc\x1b[2J").mkdir()
        (tmp_path / "esc\x1b[2J" / "w.py").write_text(target.read_text())
        (tmp_path / "bob.py").write_text("import numpy as np\n" + CORRECT_SIGMOID)
        target = tmp_path
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", str(target), "--examples", "3"],
                       capture_output=True, text=True, timeout=120)
    assert "\x1b" not in p.stdout and "\u202e" not in p.stdout, p.stdout


# == code: forged replies (what the judge trusts: protocol.py, the comment above reply()) ===========

SKIPGRAM = [a for a in CS224N if a.function == "skipgram"]
NEG = [a for a in CS224N if a.function == "negSamplingLossAndGradient"]


@needs_sandbox
@pytest.mark.parametrize("fixture,words", [
    # the record of base-loss calls is the host's, and it answers only for the right arguments
    ("forged_calls.py", "passes the base loss a centerWordVec other than"),
    # the replay table stays with the host: nothing in the worker's memory to sum instead
    ("table_thief.py", "calls the base loss 0 time(s)"),
])
def test_a_forged_record_of_base_loss_calls_hides_nothing(fixture, words):
    report = check_file(FIX / "code" / fixture, examples=6, adapters=SKIPGRAM, limits=FAST)
    f = report["functions"][0]
    assert f["verdict"] == "incorrect" and words in f["note"], f


@needs_sandbox
def test_forged_draws_cannot_make_unused_samples_right():
    report = check_file(FIX / "code" / "forged_drawn.py", examples=6, adapters=NEG, limits=FAST)
    assert report["functions"][0]["verdict"] == "incorrect", report


@needs_sandbox
def test_a_forged_object_state_cannot_hide_params_changed_in_place(tmp_path):
    import shutil
    path = tmp_path / "neural_net.py"
    shutil.copy(FIX / "code" / "forged_state.py", path)
    f = check_file(path, examples=6, problem="mlp", limits=FAST)["functions"][0]
    assert f["verdict"] == "incorrect" and "modifies its input params['W1']" in f["note"], f


@needs_sandbox
def test_injected_frames_are_that_functions_error_and_the_next_is_checked():
    report = check_file(FIX / "code" / "forged_frames.py", examples=6, adapters=NAIVE + SIGMOID, limits=FAST)
    f = {x["name"]: x for x in report["functions"]}
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "error", f
    assert "base-loss call for call" in f["naiveSoftmaxLossAndGradient"]["note"]
    assert f["sigmoid"]["verdict"] == "correct", f


@needs_sandbox
def test_the_arena_cannot_be_resized_or_sealed_by_the_worker():
    report = check_file(FIX / "code" / "arena_reshape.py", examples=6, adapters=NAIVE + SIGMOID, limits=FAST)
    f = {x["name"]: x for x in report["functions"]}
    note = f["naiveSoftmaxLossAndGradient"]["note"]
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] == "error" and "done" not in note, note
    assert f"size {32 * 1024 * 1024}" in note, note
    assert f["sigmoid"]["verdict"] == "correct", f


def test_a_base_call_is_answered_only_for_the_arguments_it_must_be_handed():
    """protocol.HostReplay on its own: the entry for the right arguments, zeros
    (None) for any other, every call recorded as the worker reported it."""
    from gradkey.verify.code.protocol import HostReplay, encode
    v, U = np.arange(3.0), np.ones((4, 3))
    entry = {"o": 2, "loss": 1.5, "center": encode(v), "outside": encode(U)}
    replay = HostReplay({"t": [entry]}, {"center": encode(v), "outside": encode(U)})
    frame = {"type": "base-call", "table": "t", "o": 2, "center": encode(v), "outside": encode(U)}
    assert replay.serve({**frame, "center": encode(2 * v)}) is None        # wrong center: zeros
    replay = HostReplay({"t": [entry]}, {"center": encode(v), "outside": encode(U)})
    assert replay.serve(frame) is entry
    assert replay.serve(frame) is None and replay.calls[-1]["unexpected"]   # more often than it occurs
    assert len(replay.calls) == 2 and np.array_equal(replay.calls[0]["center"], v)


def test_the_arena_reads_back_what_is_there_not_what_was_sent():
    from gradkey.verify.code.protocol import Arena, encode, read_back
    arena = Arena(1 << 16)
    try:
        a, params = np.arange(6.0).reshape(2, 3), {"W": np.ones(2)}
        request = {"args": [encode(a), 3], "target": {"class": "C", "set": {"params": encode(params)},
                                                       "method": "m"}}
        sent, placed = arena.place(request)
        assert sent["args"][0] == {"shm": ["<f8", [2, 3], 0]} and "nd" not in json.dumps(sent)
        after, state, changed = read_back(request, placed, arena)
        assert np.array_equal(after[0], a) and after[1] is None and not changed
        os.pwrite(arena.fd, np.float64(-1).tobytes(), placed[1][3])     # the worker writes into params['W']
        after, state, changed = read_back(request, placed, arena)
        assert changed == {"params"} and state["params"]["W"][0] == -1 and np.array_equal(after[0], a)
        with pytest.raises(PermissionError):
            os.ftruncate(arena.fd, 0)                                 # sealed, even for the host
    finally:
        arena.close()


def test_without_isolation_the_grader_still_observes_the_inputs():
    """--no-isolation (a plain subprocess, same worker and arena): NumPy is linked into
    the box (it found only the empty mount point before: every call an error) and the
    forged 'after' hides nothing there either."""
    report = check_file(FIX / "code" / "forged_after.py", examples=4, adapters=NAIVE, limits=FAST, isolation=False)
    f = report["functions"][0]
    assert f["verdict"] == "incorrect" and "modifies its input" in f["note"], f
