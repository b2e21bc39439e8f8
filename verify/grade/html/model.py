"""The review site's data: plain dictionaries built from the same result
records the JSON, CSV and Gradescope exports use (nothing is re-judged), plus
the students' own source lines read back from their files with a size cap."""
from __future__ import annotations

import ast
import hashlib
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path, PurePath

from gradkey.verify.grade.gradebook import merge_question as merge  # the gradebook's rule, one copy
from gradkey.verify.grade.html.mathml import MAX_LATEX, to_mathml, visible

# The order in which verdicts are counted, drawn and explained everywhere.
CATEGORIES = ("correct", "incorrect", "review", "unparsed", "missing")
MARK = {"correct": "✓", "incorrect": "✗", "review": "?", "unparsed": "·", "missing": "–", "error": "!",
        "unstable": "~"}
# Source files are read back only this far: a submission can be anything.
MAX_SOURCE_BYTES = 1_000_000
MAX_LINE_CHARS = 2000
CONTEXT_LINES = 1


def student_of(result: dict) -> str:
    """The batch's ``student`` key, or the file stem for a flat class folder."""
    student = result.get("student")
    if isinstance(student, str) and student:
        return student
    return PurePath(str(result.get("file", ""))).stem or "(unnamed)"


def slug(name: str) -> str:
    """A file name for a student's page: ASCII letters, digits, '-' and '_'
    only (no dots, slashes or escapes, so it stays in its folder and needs no
    URL quoting), plus a hash of the full name so that names which differ only
    in the characters dropped still get pages of their own."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-_")[:40] or "student"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{base}-{digest}"


def read_source(path: str) -> tuple[list[str], str]:
    """The file's lines, and a note when they are not all there. Decoding
    errors become U+FFFD, control characters visible symbols; lines longer
    than MAX_LINE_CHARS end with an ellipsis that says how much is left out."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        return [], f"the source file could not be read ({exc.strerror or exc})"
    note = ""
    if len(data) > MAX_SOURCE_BYTES:
        data, note = data[:MAX_SOURCE_BYTES], f"only the first {MAX_SOURCE_BYTES:,} bytes are shown"
    lines = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f" … ({len(line) - MAX_LINE_CHARS:,} more characters)"
        lines.append(visible(line))
    return lines, note


def excerpt(lines: list[str], wanted: set[int]) -> list[dict]:
    """The numbered source lines around the lines an answer came from; a gap
    between two runs is marked so the reader knows lines are left out."""
    keep = sorted({n for w in wanted for n in range(w - CONTEXT_LINES, w + CONTEXT_LINES + 1)
                   if 1 <= n <= len(lines)})
    rows, previous = [], None
    for n in keep:
        if previous is not None and n != previous + 1:
            rows.append({"gap": True, "number": None, "text": "", "hit": False})
        rows.append({"gap": False, "number": n, "text": lines[n - 1], "hit": n in wanted})
        previous = n
    return rows


def math_view(latex) -> dict:
    """What a template needs to show a piece of LaTeX: MathML when it can be
    converted safely, the raw LaTeX always (shown as text on click)."""
    latex = latex if isinstance(latex, str) else ""
    return {"latex": visible(latex), "mathml": to_mathml(latex), "too_long": len(latex) > MAX_LATEX}


def _number(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def value_text(value) -> str:
    """Numbers and nested lists as compact text ([[0.1, 2], [3, 4]])."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return visible(_number(value) if not isinstance(value, str) else value)


# Keys of a check counterexample that are not inputs.
_NOT_INPUTS = {"expected", "got", "loss", "entries", "output", "inputs", "dims", "problem"}


def counterexample_view(ce, qid=None) -> dict | None:
    """A counterexample's inputs, dimensions and values; for a written answer (``qid``) only
    the inputs its question's loss reads, as the student's feedback shows them."""
    if not isinstance(ce, dict):
        return None
    dims = ce.get("dims") if isinstance(ce.get("dims"), dict) else {}
    inputs = ce.get("inputs") if isinstance(ce.get("inputs"), dict) else \
        {k: v for k, v in ce.items() if k not in _NOT_INPUTS}
    if "inputs" not in ce and isinstance(qid, str):
        from gradkey.verify.grade.exports import relevant_inputs
        keep = relevant_inputs(ce, qid)
        if keep is not None:
            dims = {k: v for k, v in dims.items() if k in keep}
            inputs = {k: v for k, v in inputs.items() if k in keep}
    return {
        "dims": ", ".join(f"{k} = {value_text(v)}" for k, v in dims.items()),
        "inputs": [(str(k), value_text(v)) for k, v in inputs.items()],
        "output": str(ce.get("output") or ce.get("loss") or ""),
        "expected": None if ce.get("expected") is None else value_text(ce["expected"]),
        "got": None if ce.get("got") is None else value_text(ce["got"]),
    }


def step_views(steps, first_wrong) -> list[dict]:
    views = []
    for i, s in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(s, dict):
            continue
        views.append({"line": s.get("line"), "verdict": str(s.get("verdict", "")), "math": math_view(s.get("latex")),
                      "understood": visible(str(s.get("understood") or "")), "note": visible(str(s.get("note") or "")),
                      "first_wrong": i == first_wrong})
    if first_wrong is None:  # older records: the first step judged incorrect
        for v in views:
            if v["verdict"] == "incorrect":
                v["first_wrong"] = True
                break
    return views


# Keys shown by name in an answer's view; any other key a newer reader adds
# (status, guess, reason, …) is listed under "more" so nothing is hidden.
_SHOWN = {"file", "question", "line", "latex", "verdict", "understood", "how", "condition", "note", "code", "feedback",
          "counterexample", "steps", "first_wrong_step", "readings"}


def answer_view(a: dict, lines: list[str]) -> dict:
    steps = step_views(a.get("steps"), a.get("first_wrong_step"))
    wanted = {n for n in [a.get("line"), *(s["line"] for s in steps)] if isinstance(n, int)}
    readings = [r for r in a.get("readings") or [] if isinstance(r, dict)]
    return {
        "question": a.get("question"), "line": a.get("line"), "file": None, "verdict": str(a.get("verdict") or "unparsed"),
        "math": math_view(a.get("latex")), "understood": visible(str(a.get("understood") or "")),
        "how": visible(str(a.get("how") or "")), "condition": visible(str(a.get("condition") or "")),
        "note": visible(str(a.get("note") or "")), "code": a.get("code"),
        "feedback": visible(str(a.get("feedback") or "")),
        "counterexample": counterexample_view(a.get("counterexample"), a.get("question")),
        # A chain of one step is the answer itself: its steps would only repeat it.
        "steps": steps if len(steps) > 1 else [],
        "first_wrong": next((s for s in steps if s["first_wrong"]), None) if len(steps) > 1 else None,
        "readings": [{"reading": visible(str(r.get("reading", ""))), "verdict": str(r.get("verdict", "")),
                      "detail": visible(str(r.get("detail") or ""))} for r in readings] if len(readings) > 1 else [],
        "source": excerpt(lines, wanted) if lines else [],
        "more": [(str(k), value_text(v)) for k, v in a.items() if k not in _SHOWN and v not in (None, "", [], {})],
    }


def group_students(rows: list[dict]) -> list[dict]:
    """One record per student (rows of several files merged), in the order
    students first appear: files, problems (file, reason) for rows that could
    not be graded, answers (file, answer), and merged questions."""
    by: dict[str, dict] = {}
    found: dict[str, dict[str, list]] = {}
    for row in rows:
        name = student_of(row)
        s = by.setdefault(name, {"name": name, "files": [], "problems": [], "answers": [], "questions": {}})
        file = str(row.get("file", ""))
        s["files"].append(file)
        if row.get("error"):
            s["problems"].append((file, str(row["error"])))
            continue
        for q, r in (row.get("questions") or {}).items():
            if isinstance(r, dict):
                found.setdefault(name, {}).setdefault(q, []).append((file, r))
        s["answers"] += [(file, a) for a in row.get("answers") or [] if isinstance(a, dict)]
    for name, s in by.items():
        s["questions"] = {q: merge(results) for q, results in found.get(name, {}).items()}
        s["graded"] = len(s["problems"]) < len(s["files"])
    return list(by.values())


def questions_of(students: list[dict], rubric=None) -> list[str]:
    if rubric is not None and getattr(rubric, "questions", None):
        return list(rubric.questions)
    seen = {}
    for s in students:
        for q in s["questions"]:
            seen.setdefault(q, None)
    return list(seen)


def verdict_of(student: dict, q: str) -> str:
    """A question's verdict for the class view: missing when no file answered
    it, blank ("") when a file that could not be graded may hold it."""
    r = student["questions"].get(q)
    if r is not None:
        return str(r.get("verdict") or "unparsed")
    return "" if student["problems"] else "missing"


def score_of(student: dict, questions: list[str], rubric=None) -> tuple[float | None, float]:
    """(points, possible): the rubric's points, or one point per correct
    answer; points None when a question is blank (no grade nobody gave)."""
    possible = rubric.total if rubric is not None else float(len(questions))
    if not student["graded"] or any(verdict_of(student, q) == "" for q in questions):
        return None, possible
    if rubric is not None:
        return sum(rubric.score(q, student["questions"].get(q)) for q in questions), possible
    return sum(1.0 for q in questions if verdict_of(student, q) == "correct"), possible


def code_functions(source: str) -> dict[str, tuple[int, int]]:
    """Top-level function name -> (first line, last line), found by parsing
    (never running) the student's module; a module that does not parse has none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    spans = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans[node.name] = (first, node.end_lineno or node.lineno)
    return spans


def tally(students: list[dict], questions: list[str]) -> dict[str, Counter]:
    per_question = {q: Counter() for q in questions}
    for s in students:
        if not s["graded"]:
            continue
        for q in questions:
            v = verdict_of(s, q)
            if v:
                per_question[q][v] += 1
    return per_question
