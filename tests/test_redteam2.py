"""Red team, second round: attacks that tests/test_redteam.py and
tests/test_sandbox_hostile.py do not cover, each a fixture under
``tests/fixtures/redteam/`` (code) or built here (text), each with the outcome
that must hold: a bounded check, an outcome for every function or question of
that submission, no wrong answer called correct, and full results for the
other submissions of a batch. Timings are not asserted beyond generous
bounds (the machine is shared); ``bench/redteam_times.py`` records them.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

from gradkey.verify.check.answers import Policy
from gradkey.verify.grade.batch import CheckJob, CodeJob, LocalPool, check_text, grade
from gradkey.verify.grade.discover import CHECK, Entry, scan

from helpers import time_limit

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "redteam"
GOOD = (HERE.parent / "examples" / "submissions" / "clean_correct.md").read_text(encoding="utf-8")
LHS = r"$$\frac{\partial J}{\partial v_c} = "
TRUTH = r"U(\hat{y} - y)"


def _verdicts(row: dict) -> dict:
    return {q: r["verdict"] for q, r in row["questions"].items()}


# == text: inputs whose reading time grew faster than their length ============================
#
# Measured before the fixes (one 2-core machine under load): 40 000 spaces before an equation
# 105 s, a 40 000-character table header 256 s, 40 000 tabs 136 s, 20 000 spaces inside a table
# cell's math 165 s, after a list dash 32 s, inside $$ $$ 32 s. After: each under 0.2 s
# (bench/redteam_times.py). Causes: patterns that try every split of a run of white space
# between two \s* (extract.HEADING, and others: runs are now cut to 64 characters in
# submissions.answers_for), and look-aheads scanning to the end of the line from every
# position (extract.GRADIENT_HEADER, now tried at line starts only).

def _table_header(n):
    return "| " + "x" * n + " | gradient |\n|---|---|\n| $\\frac{\\partial J}{\\partial v_c}$ | $U(\\hat{y}-y)$ |\n"


SLOW_TEXT = {
    "spaces before an equation": lambda n: " " * n + LHS + TRUTH + "$$",
    "tabs on a line": lambda n: "\t" * n + "\n" + LHS + TRUTH + "$$",
    "a long table header": _table_header,
    "spaces in a table cell": lambda n: "| $\\frac{\\partial J}{\\partial v_c}" + " " * n + "x$ | $U$ |\n",
    "spaces after a list dash": lambda n: "-" + " " * n + "1" + " " * n + "\n" + LHS + TRUTH + "$$",
    "spaces in display math": lambda n: "$$" + " " * n + "$$\n" + LHS + TRUTH + "$$",
    "spaces around a label": lambda n: " " * n + "(" + " " * n + "a" + " " * n + "\n" + LHS + TRUTH + "$$",
    "no-break spaces": lambda n: "\u00a0" * n + LHS + TRUTH + "$$",
    "ideographic spaces": lambda n: "\u3000" * n + LHS + TRUTH + "$$",
}


@pytest.mark.parametrize("name", list(SLOW_TEXT))
def test_runs_of_white_space_are_read_in_bounded_time(name):
    """40 000 characters: minutes before the fixes, well under a second after;
    the bound is 10x a slow machine's worst measured time."""
    text = SLOW_TEXT[name](40_000)
    start = time.monotonic()
    with time_limit(20):
        row = check_text(text, "attack.md", Policy(), {})
    assert time.monotonic() - start < 20
    json.dumps(row, default=float)
    assert isinstance(row["questions"], dict) and isinstance(row["answers"], list)


@pytest.mark.parametrize("name", ["spaces before an equation", "tabs on a line", "spaces after a list dash"])
def test_the_answer_after_the_white_space_is_still_read(name):
    row = check_text(SLOW_TEXT[name](40_000), "a.md", Policy(), {})
    assert _verdicts(row).get("naive.v_c") == "correct", row["questions"]


def test_cutting_white_space_runs_keeps_lines_and_short_runs():
    from gradkey.verify.check.answers import WHITESPACE_RUN, bounded_whitespace
    text = "a" + " " * 1000 + "b\n" + "\t" * 10 + "c\n\n\n" + " \u00a0" * 500 + "d"
    cut = bounded_whitespace(text)
    assert cut.count("\n") == text.count("\n")
    assert "a" + " " * WHITESPACE_RUN + "b" in cut and "\t" * 10 + "c" in cut
    assert max(len(r) for r in cut.replace("a", "|").replace("b", "|").replace("c", "|").replace("d", "|")
               .split("|")) <= WHITESPACE_RUN + 3
    assert bounded_whitespace(GOOD) == GOOD


def test_the_regex_fixes_match_the_same_lines():
    """extract.HEADING (possessive \\s*+) and GRADIENT_HEADER (^, MULTILINE) decide
    every line of the text fixtures and 50 000 random lines as the old patterns did."""
    import random
    import re
    from gradkey.verify.read.extract import GRADIENT_HEADER, HEADING
    old_h = re.compile(r"^\s*(?:#{1,6}\s|\*\*\s*(?:\d|\(|[A-Za-z]\b|[ivx]+\b)|\(?\s*(?:\d+\s*[.)]?\s*)?\(?"
                       r"(?:[a-h]|i{1,3}|iv|vi{0,3})\s*\)\s|(?:\d+\s*\.|[ivx]+\.|[a-h]\.)\s|\d+\s*\(\s*[a-h]\s*\))")
    old_g = re.compile(r"(?=.*(?:function|funktion|fonction|función|函数))(?=.*(?:gradient|derivative|ableitung|"
                       r"dérivée|derivada|导数|梯度))|\\partial\s*f\s*/\s*\\partial\s*\(|∂f\s*/\s*∂\s*\(|"
                       r"\\nabla\s*f\b", re.IGNORECASE)
    lines = [ln for f in sorted((HERE / "fixtures").rglob("*.md"))[:400]
             for ln in f.read_text(encoding="utf-8", errors="replace").split("\n")]
    rnd = random.Random(7)
    lines += ["".join(rnd.choice(" \t#*()1.a)bivx-:") for _ in range(rnd.randint(0, 12))) for _ in range(50_000)]
    for ln in lines:
        m, n = old_h.match(ln), HEADING.match(ln)
        assert (m and m.group()) == (n and n.group()), repr(ln)
    words = ["function", "gradient", " ", "x", "\\partial f / \\partial (", "\\nabla f", "|", "\n"]
    for _ in range(20_000):
        t = "".join(rnd.choice(words) for _ in range(rnd.randint(0, 8)))
        assert bool(old_g.search(t)) == bool(GRADIENT_HEADER.search(t)), repr(t)


OTHER_TEXT = {
    "\\input of /etc/passwd": r"\input{/etc/passwd}" + "\n\\include{/etc/shadow}\n" + LHS + TRUTH + "$$",
    "\\input inside math": LHS + r"\input{/etc/passwd} " + TRUTH + "$$",
    "\\catcode and \\csname": r"\catcode`\$=12 \csname foo\endcsname" + "\n" + LHS + TRUTH + "$$",
    "100 000 dollar signs with letters": "$a" * 100_000,
    "deeply nested \\frac in the denominator": LHS + r"\frac{1}{" * 1500 + "x" + "}" * 1500 + "$$",
    "10 000 answers": (LHS + TRUTH + "$$\n") * 10_000,
    "zero-width inside commands": LHS + "U(\\ha\u200bt{y} - y)\u2066$$",
    "terminal escapes in math": LHS + "\x1b]8;;http://evil\x07U\x1b]8;;\x07(\\hat{y} - y)$$",
    "HTML in math": LHS + "<script>alert(1)</script>U(\\hat{y} - y)$$",
    "a million-digit exponent": LHS + "U^{" + "9" * 100_000 + "}$$",
    "\\def loop with arguments": r"\def\a#1{\a{#1}\a{#1}}" + "\n" + LHS + r"\a{x}$$",
    "\\newcommand with 9 arguments": r"\newcommand{\f}[9]{#1#2#3#4#5#6#7#8#9#9#9}" + "\n" + LHS
                                     + r"\f{\f{a}{b}{c}{d}{e}{f}{g}{h}{i}}" * 5 + "$$",
}


@pytest.mark.parametrize("name", list(OTHER_TEXT))
def test_other_hostile_text_is_bounded_and_never_wrongly_correct(name):
    text = OTHER_TEXT[name]
    start = time.monotonic()
    with time_limit(60):
        row = check_text(text, "attack.md", Policy(), {})
    assert time.monotonic() - start < 60
    out = json.dumps(row, default=float)
    assert "root:x:0" not in out                 # nothing was read from the file system
    if name in ("\\def loop with arguments", "a million-digit exponent", "\\newcommand with 9 arguments"):
        assert _verdicts(row).get("naive.v_c") != "correct", row["questions"]


def test_a_hostile_text_class_gets_a_row_each_and_full_results_for_the_honest(tmp_path):
    """A small class: two honest files and one of each slow kind (and a 10 MB file)."""
    root = tmp_path / "class"
    for name, text in [("alice", GOOD), ("bob", GOOD)] + [(f"m{n}", SLOW_TEXT[k](40_000))
                                                           for n, k in enumerate(SLOW_TEXT)]:
        (root / name).mkdir(parents=True)
        (root / name / "hw.md").write_text(text, encoding="utf-8")
    (root / "huge").mkdir()
    (root / "huge" / "hw.md").write_bytes((GOOD + "\n").encode() * (10_000_000 // len(GOOD)))
    entries, _ = scan([str(root)], CHECK)
    start = time.monotonic()
    rows = grade(entries, CheckJob(), LocalPool(2), timeout=60)
    elapsed = time.monotonic() - start
    assert len(rows) == len(entries) == len(SLOW_TEXT) + 3
    by = {r["student"]: r for r in rows}
    for good in ("alice", "bob"):
        assert set(_verdicts(by[good]).values()) == {"correct"} and len(by[good]["questions"]) == 12
    assert by["huge"]["error"], by["huge"]            # refused by its size, with the reason
    for n in range(len(SLOW_TEXT)):
        assert not by[f"m{n}"].get("error"), by[f"m{n}"]["error"]   # read, not timed out
    assert elapsed < 120, elapsed


# == code ========================================================================================

code = pytest.importorskip("gradkey.verify.code.sandbox")
from gradkey.verify.code import check_file  # noqa: E402
from gradkey.verify.code.layout import CS224N  # noqa: E402
from gradkey.verify.code.sandbox import Limits, isolation_problem  # noqa: E402

needs_sandbox = pytest.mark.skipif(isolation_problem() is not None, reason="bubblewrap cannot run here")
NAIVE = [a for a in CS224N if a.function == "naiveSoftmaxLossAndGradient"]
SIGMOID = [a for a in CS224N if a.function == "sigmoid"]
GETNEG = [a for a in CS224N if a.function == "getNegativeSamples"]
FAST = Limits(seconds_per_call=2.0, import_seconds=3.0, file_seconds=20.0)


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


def _check(tmp_path, fixture: str, adapters, seconds: float = 40.0) -> dict:
    """The fixture under a unique name, checked within ``seconds``; name → function report."""
    path = tmp_path / f"rt2_{uuid.uuid4().hex[:10]}.py"
    shutil.copy(FIX / "code" / fixture, path)
    start = time.monotonic()
    report = check_file(path, examples=6, adapters=adapters, limits=FAST)
    assert time.monotonic() - start < seconds, f"took {time.monotonic() - start:.1f} s"
    json.dumps(report)
    time.sleep(0.05)
    assert not _alive(path.name), "a process of the submission outlived the check"
    functions = {f["name"]: f for f in report["functions"]}
    assert set(functions) == {a.function for a in adapters}, report    # an outcome for every function
    return functions


@needs_sandbox
def test_memory_outside_the_budget_is_refused(tmp_path):
    """Before: / , /etc, /dev, /dev/shm were writable tmpfs of bwrap's (12 GB free here),
    memfd_create and shmget worked, 20 000 descriptors: memory without limit."""
    f = _check(tmp_path, "uncounted_memory.py", NAIVE + SIGMOID)
    note = f["naiveSoftmaxLossAndGradient"]["note"]
    assert "written" not in note and "shmget: refused" in note and "nofile 256" in note, note
    assert f["sigmoid"]["verdict"] == "correct", f


@needs_sandbox
@pytest.mark.parametrize("fixture,rest_checked", [
    ("segfault.py", True),                 # one function crashes the worker; the next is checked in a new one
    ("del_hangs.py", True),                # a returned value's __del__ hangs the reply: that call times out
    ("alarm_kills.py", False),             # killed every 50 ms, after every restart too
    ("faulthandler_channel.py", False),    # tracebacks written into the reply channel
    ("fake_frames_stdout.py", False),      # frames that look like the protocol, on fd 1 dup-ed to the channel
    ("builtins_patched.py", False),        # isinstance, len and print replaced
    ("thread_bomb.py", False),             # 5000 sleeping threads
    ("import_spin.py", False),             # while True at import
    ("close_std_fds.py", True),            # fds 0, 1, 2 closed and reused by files
])
def test_hostile_code_is_bounded_and_never_judged_correct(tmp_path, fixture, rest_checked):
    adapters = NAIVE + SIGMOID + (GETNEG if fixture == "segfault.py" else [])
    f = _check(tmp_path, fixture, adapters)
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in ("incorrect", "error"), f   # its loss is off by 1
    if fixture == "segfault.py":
        assert f["getNegativeSamples"]["verdict"] == "error", f
    if rest_checked:
        assert f["sigmoid"]["verdict"] == "correct", f


@needs_sandbox
def test_nothing_outside_the_box_is_readable(tmp_path, monkeypatch):
    secret = "SECRET-" + uuid.uuid4().hex
    monkeypatch.setenv("GRADER_TOKEN", secret)
    other = tmp_path / "alice" / "w2v.py"
    other.parent.mkdir()
    other.write_text(f"# {secret}\n")
    source = (FIX / "code" / "read_neighbours.py").read_text()
    mine = tmp_path / "mallory" / f"rt2_{uuid.uuid4().hex[:8]}.py"
    mine.parent.mkdir()
    mine.write_text(source.replace("NEIGHBOURS = []", f"NEIGHBOURS = [{str(other)!r}, {str(other.parent)!r}, "
                                   f"{str(Path(code.__file__))!r}, {str(tmp_path)!r}]"))
    report = check_file(mine, examples=4, adapters=NAIVE, limits=FAST)
    text = json.dumps(report)
    note = report["functions"][0]["note"]
    assert secret not in text and "root:x:0" not in text and "import numpy" not in text, note
    assert "network: connected" not in note and "FileNotFoundError" in note, note


@needs_sandbox
def test_a_hostile_code_class_gets_a_row_each_and_full_results_for_the_honest(tmp_path):
    honest = (HERE / "fixtures" / "redteam" / "code" / "flat_class" / "alice.py").read_bytes()
    entries = [Entry("alice", str(tmp_path / "alice.py"), "code", honest)]
    for name in ("alarm_kills.py", "import_spin.py", "uncounted_memory.py", "del_hangs.py"):
        entries.append(Entry(name[:-3], str(tmp_path / name), "code", (FIX / "code" / name).read_bytes()))
    entries.append(Entry("bob", str(tmp_path / "bob.py"), "code", honest))
    start = time.monotonic()
    rows = grade(entries, CodeJob(examples=6, adapters=NAIVE, limits=FAST), LocalPool(2), timeout=120)
    assert time.monotonic() - start < 240
    assert [r["student"] for r in rows] == [e.student for e in entries]
    for r in rows:
        verdicts = {f["name"]: f["verdict"] for f in r["functions"]}
        if r["student"] in ("alice", "bob"):
            assert verdicts == {"naiveSoftmaxLossAndGradient": "correct"}, r
        else:
            assert r.get("error") or verdicts.get("naiveSoftmaxLossAndGradient") in ("incorrect", "error"), r


@needs_sandbox
@pytest.mark.parametrize("returned,data", [
    ("loss, np.broadcast_to(gc_, (10**6, 10**6, gc_.size)), go_", False),   # 10^12 elements, no memory of its own
    ("loss, np.array(list(gc_), dtype=object), go_", False),
    ("loss, gc_.astype([('a', '<f8')]), go_", False),                        # a structured dtype
    ("loss, gc_.astype('M8[s]'), go_", False),                               # datetime64
    ("loss, gc_.view(Liar), go_", True),                                     # data: judged on its bytes
    ("loss, np.ma.masked_array(gc_, mask=True), go_", True),
    ("loss, np.matrix(gc_), go_", False),                                    # shape (1, d)
    ("np.float64(loss), gc_.astype('>f8') * (1 + 1e-3), go_", False),
    ("loss, np.lib.stride_tricks.as_strided(gc_, shape=(1 << 40,), strides=(0,)), go_", False),
])
def test_odd_returned_values_are_data_or_findings(tmp_path, returned, data):
    path = tmp_path / f"rt2_{uuid.uuid4().hex[:10]}.py"
    path.write_text((FIX / "code" / "odd_returns.py").read_text().replace("RETURNED", returned))
    start = time.monotonic()
    report = check_file(path, examples=6, adapters=NAIVE + SIGMOID, limits=FAST)
    assert time.monotonic() - start < 40
    f = {x["name"]: x for x in report["functions"]}
    allowed = ("correct", "incorrect", "error") if data else ("incorrect", "error")
    assert f["naiveSoftmaxLossAndGradient"]["verdict"] in allowed, f
    assert f["sigmoid"]["verdict"] == "correct", f
