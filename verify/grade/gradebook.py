"""From one row per entry to one record per student: a student's files are
merged question by question, the rubric scores them, TA decisions override,
and what still needs a human is listed.

A question no file answered is ``missing`` (0 points) only when every file of
the student was graded; when a file could not be graded the question is blank
(``None``), because the answer may be in that file — a zero would be a grade
nobody gave.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gradkey.verify.grade.rubric import Rubric

DETERMINATE = ("correct", "incorrect")
NEEDS_HUMAN = ("review", "unparsed")


@dataclass
class Question:
    verdict: str                 # correct | incorrect | review | unparsed | missing | decided | "" (blank)
    points: float | None
    result: dict | None = None   # the judged result (with "file"), None when missing or blank
    decision: object = None


@dataclass
class Student:
    student: str
    files: list = field(default_factory=list)
    problems: list = field(default_factory=list)    # (file, reason) for entries not graded
    unmatched: list = field(default_factory=list)   # (file, answer) found but not assigned a verdict
    questions: dict = field(default_factory=dict)   # qid -> Question
    notes: list = field(default_factory=list)

    @property
    def total(self) -> float | None:
        pts = [q.points for q in self.questions.values()]
        return None if any(p is None for p in pts) else round(sum(pts), 4)

    @property
    def reviews(self) -> list[str]:
        """What a human still has to look at, one line each."""
        out = [f"{qid}: {q.verdict} ({q.result.get('file')}, line {q.result.get('line')})"
               + (f": {q.result['note'][:160]}" if q.result.get("note") else "")
               for qid, q in self.questions.items() if q.verdict in NEEDS_HUMAN and q.result]
        out += [f"{qid}: not graded, a file could not be read" for qid, q in self.questions.items()
                if q.points is None]
        out += [f"{file}: could not be graded: {reason}" for file, reason in self.problems]
        out += [f"{file} line {a.get('line')}: an answer gradkey could not assign to a question "
                f"({(a.get('note') or a.get('latex') or '')[:120]})" for file, a in self.unmatched]
        return out


def unmatched_answers(row: dict) -> list[dict]:
    """Answers found but reported under no question's verdict (the reader
    marks them unmatched/unreadable, or leaves the question empty)."""
    return [a for a in row.get("answers", [])
            if a.get("status") in ("unmatched", "unreadable")
            or not a.get("question") and a.get("status") != "context"]   # context: a definition, not an answer


def merge_question(results: list[tuple[str, dict]]) -> dict:
    """One question's result from the student's files: determinate answers
    decide (agreeing: that one; disagreeing: review); else the last one.
    The result names its file. (The review site uses the same rule.)"""
    determinate = [(f, r) for f, r in results if r.get("verdict") in DETERMINATE]
    if not determinate:
        f, r = results[-1]
        return {**r, "file": f}
    verdicts = {r["verdict"] for _, r in determinate}
    f, r = next(((f, r) for f, r in determinate if r["verdict"] == "incorrect"), determinate[-1])
    merged = {**r, "file": f}
    if len(verdicts) > 1:
        merged["verdict"] = "review"
        merged["note"] = "the files disagree: " + ", ".join(
            f"{f} line {r.get('line')} {r['verdict']}" for f, r in determinate)
    return merged


def students(rows: list[dict], rubric: Rubric, decisions: dict | None = None) -> list[Student]:
    """One record per student, in the order students first appear."""
    decisions = decisions or {}
    by: dict[str, Student] = {}
    answers: dict[str, dict[str, list]] = {}
    for row in rows:
        s = by.setdefault(row.get("student", row["file"]), Student(row.get("student", row["file"])))
        s.files.append(row["file"])
        if row.get("error"):
            s.problems.append((row["file"], row["error"]))
            continue
        s.notes += row.get("notes", [])
        for qid, r in row["questions"].items():
            answers.setdefault(s.student, {}).setdefault(qid, []).append((row["file"], r))
        s.unmatched += [(row["file"], a) for a in unmatched_answers(row)]
    for s in by.values():
        found = answers.get(s.student, {})
        for qid in rubric.questions:
            r = merge_question(found[qid]) if qid in found else None
            d = decisions.get((s.student, qid))
            if d is not None:
                if d.points is not None:
                    points = d.points
                else:
                    same = r is not None and r["verdict"] == d.verdict
                    points = rubric.score(qid, {"verdict": d.verdict, "code": r.get("code") if same else None})
                s.questions[qid] = Question(d.verdict or "decided", points, r, d)
            elif r is None:
                s.questions[qid] = Question("" if s.problems else "missing", None if s.problems else 0.0)
            else:
                s.questions[qid] = Question(r["verdict"], rubric.score(qid, r), r)
    return list(by.values())


def unused_decisions(records: list[Student], decisions: dict) -> list:
    known = {s.student for s in records}
    return [d for (student, _), d in decisions.items() if student not in known]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell a spreadsheet shows as text, never runs: student names, file
    names and reasons come from the students' files, and a cell starting
    with =, +, -, @ (or a tab/CR) is a formula to Excel/LibreOffice/Sheets
    (``=cmd|' /C calc'!A0``, ``=HYPERLINK(…)``). Such a cell gets a leading
    apostrophe (OWASP's advice); numbers (``-0.5``) are left alone."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def csv_gradebook(records: list[Student], rubric: Rubric) -> str:
    """One row per student: per question the verdict and the points (blank
    when not graded), the total (blank when incomplete), how many things need
    a human, the mistake codes, the files read and the problems met. A
    `Points Possible` row comes first (the LMS gradebook convention)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    cols = [c for q in rubric.questions for c in (f"{q} verdict", f"{q} points")]
    w.writerow(["student", *cols, "total", "needs review", "mistakes", "files", "problems"])
    w.writerow(["Points Possible", *[c for q in rubric.questions for c in ("", f"{rubric.max_points(q):g}")],
                f"{rubric.total:g}", "", "", "", ""])
    for s in records:
        cells = []
        for q in rubric.questions:
            x = s.questions[q]
            cells += [x.verdict, "" if x.points is None else f"{x.points:g}"]
        codes = sorted({x.result["code"] for x in s.questions.values() if x.result and x.result.get("code")})
        w.writerow([csv_cell(c) for c in (s.student, *cells, "" if s.total is None else f"{s.total:g}", len(s.reviews),
                    " ".join(codes), " ".join(s.files), "; ".join(f"{f}: {r}" for f, r in s.problems))])
    return out.getvalue()
