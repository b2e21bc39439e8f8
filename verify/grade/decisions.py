"""TA decisions that survive a regrade.

A decisions file is CSV (UTF-8) with the header ``student,question,verdict,
points,who,why``; one row per decision; ``verdict`` is ``correct`` or
``incorrect``, or empty when ``points`` is given; a later row for the same
student and question wins. The HTML review page downloads this format, and
``gradkey check … --decisions FILE`` applies it on every run.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

HEADER = ("student", "question", "verdict", "points", "who", "why")
VERDICTS = ("correct", "incorrect")


class DecisionError(ValueError):
    pass


@dataclass(frozen=True)
class Decision:
    student: str
    question: str
    verdict: str       # "correct" | "incorrect" | "" (points given)
    points: float | None
    who: str
    why: str
    line: int

    def describe(self) -> str:
        what = self.verdict or f"{self.points:g} points"
        return f"decided by {self.who or 'a TA'}: {self.why or what}"


def parse(text: str, where: str, rubric) -> dict[tuple[str, str], Decision]:
    """Decisions keyed by (student, question); every problem is refused with
    its line, before any grading starts."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return {}
    except csv.Error as exc:
        raise DecisionError(f"{where}: not valid CSV: {exc}") from None
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise DecisionError(f"{where}: the header must be {','.join(HEADER)} (missing: {', '.join(missing)})")
    col = {h: header.index(h) for h in HEADER}
    out: dict = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            get = lambda h: row[col[h]].strip() if col[h] < len(row) else ""  # noqa: E731
            student, qid, verdict, points = get("student"), get("question"), get("verdict").lower(), get("points")
            if student.startswith("'") and student[1:].startswith(("=", "+", "-", "@", "\t", "\r")):
                student = student[1:]     # written neutralised (gradebook.csv_cell): the name is what follows
            if not student:
                raise DecisionError(f"{where} line {line}: the student is empty")
            if qid not in rubric.questions:
                raise DecisionError(f"{where} line {line}: {qid!r} is not a question of the rubric "
                                    f"({', '.join(rubric.questions)})")
            if verdict and verdict not in VERDICTS:
                raise DecisionError(f"{where} line {line}: verdict {verdict!r} must be correct or incorrect "
                                    "(or empty, with points)")
            value = None
            if points:
                try:
                    value = float(points)
                except ValueError:
                    raise DecisionError(f"{where} line {line}: points {points!r} is not a number") from None
                if not 0 <= value <= rubric.max_points(qid):
                    raise DecisionError(f"{where} line {line}: {value:g} points is outside 0 … "
                                        f"{rubric.max_points(qid):g} for {qid}")
            if not verdict and value is None:
                raise DecisionError(f"{where} line {line}: give a verdict (correct/incorrect) or points")
            out[(student, qid)] = Decision(student, qid, verdict, value, get("who"), get("why"), line)
    except csv.Error as exc:
        raise DecisionError(f"{where} line {reader.line_num}: not valid CSV: {exc}") from None
    return out


def load(path: str | Path, rubric) -> dict[tuple[str, str], Decision]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecisionError(f"{path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecisionError(f"{path}: not UTF-8: save the decisions file as UTF-8 CSV") from None
    return parse(text, str(path), rubric)


def to_csv(rows: list[tuple]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    from gradkey.verify.grade.gradebook import csv_cell
    w.writerows([csv_cell(c) for c in row] for row in rows)
    return out.getvalue()
