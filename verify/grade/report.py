"""Render check results: JSON (as in DESIGN.md) and a text table a TA can act on."""
from __future__ import annotations

import json
import os
import re
import sys
import textwrap

from gradkey.verify.grade.exports import counterexample_text
from gradkey.verify.grade.terminal import safe  # also re-exported as report.safe

VERDICT_MARK = {"correct": "✓", "incorrect": "✗", "review": "?", "unparsed": "·", "error": "!", "missing": "-",
                "unstable": "~", "decided": "=", "": "!"}


WIDTH = 100  # text output fits a 100-column terminal
_COLOUR = {"correct": "32", "incorrect": "31", "review": "33", "unparsed": "90", "error": "35", "": "35",
           "missing": "90", "unstable": "33", "decided": "36"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def colour_on(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, verdict: str, on: bool | None = None) -> str:
    code = _COLOUR.get(verdict)
    if not code or not (colour_on() if on is None else on):
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


# C0/C1 control characters (ESC starts a terminal escape: clear the screen,
# retitle the window, hide text), and the bidirectional overrides/isolates that
# reorder what a TA reads (U+202A…202E, U+2066…2069, U+200E/F, U+061C)
def clip(text: str, width: int) -> str:
    """At most ``width`` characters; a cut is always marked with an ellipsis."""
    text = " ".join(safe(text).split())
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def wrapped(text: str, indent: int = 5) -> list[str]:
    """A note or feedback in full, wrapped to WIDTH (never cut)."""
    return textwrap.wrap(" ".join(safe(text).split()), WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + 2), break_on_hyphens=False) or [""]


def to_json(results: list[dict], summary: dict | None = None) -> str:
    out = {"submissions": results}
    if summary is not None:
        out["summary"] = summary
    return json.dumps(out, indent=2, ensure_ascii=False, default=float)


def _question_lines(qid: str, q, width: int, rubric, several_files: bool) -> list[str]:
    r = q.result or {}
    mark = VERDICT_MARK.get(q.verdict, " ")
    if q.decision is not None:
        mark = "✓" if q.verdict == "correct" else "✗" if q.verdict == "incorrect" else "="
    where = ""
    if r:
        where = (f"{safe(r['file'])} " if several_files else "") + f"line {r.get('line')}"
    verdict = q.verdict or "not graded"
    # the reading gets what is left of the 100 columns (less the points column)
    room = WIDTH - (5 + width + 2 + 10 + 1 + max(len(where), 9) + 1) - (12 if rubric is not None else 0)
    head = (f" {paint(mark, q.verdict)} {qid:<{width}}  {paint(f'{verdict:<10}', q.verdict)} {where:<9} "
            f"{clip(r.get('understood') or '', max(room, 12))}")
    if rubric is not None:
        pts = "—" if q.points is None else f"{q.points:g}"
        pad = " " * max(WIDTH - 12 - len(_ANSI.sub("", head)), 1)
        head = f"{head}{pad}{pts:>4} / {rubric.max_points(qid):g}"
    lines = [head.rstrip()]
    if q.decision is not None:
        lines.append(f"     {q.decision.describe()}" + (f" (gradkey: {r['verdict']})" if r else ""))
        return lines
    if r.get("code"):
        lines += wrapped(f"{r['code']}: {r.get('feedback')}")
    if r and r["verdict"] != "correct" and r.get("note"):
        lines += wrapped(r["note"])
    if r and r["verdict"] == "correct" and r.get("note"):
        lines += wrapped(f"note: {r['note']}")
    ce = counterexample_text(r.get("counterexample") or {}, qid) if r and r["verdict"] == "incorrect" else ""
    if ce:
        lines += wrapped(f"counterexample: {ce}")
    wrong = [s for s in r.get("steps", []) if s["verdict"] == "incorrect"]
    if wrong and r["verdict"] != "incorrect":
        lines.append(clip(f"     first wrong step, line {wrong[0]['line']}: {wrong[0]['understood']}", WIDTH))
    return lines


def to_text(records: list, rubric=None, all_questions: bool = False) -> str:
    """One block per student: per question the verdict (and with a rubric the
    points), the files that could not be graded with the reason, and every
    answer found that no question's verdict covers, as a review line."""
    lines = []
    counts: dict = {}
    for s in records:
        several = len(s.files) > 1
        head = safe(f"== {s.files[0]}" if not several and s.files and s.files[0] else f"== {s.student}: {', '.join(s.files)}")
        if rubric is not None:
            total = "—" if s.total is None else f"{s.total:g}"
            head += f"    {total} / {rubric.total:g} points"
        lines += textwrap.wrap(head, WIDTH, subsequent_indent="     ", break_on_hyphens=False) or [head]
        shown = {qid: q for qid, q in s.questions.items()
                 if all_questions or q.result is not None or q.decision is not None}
        width = max((len(q) for q in shown), default=10)
        for qid, q in shown.items():
            lines += _question_lines(qid, q, width, rubric, several)
            counts[q.verdict or "not graded"] = counts.get(q.verdict or "not graded", 0) + 1
        for file, reason in s.problems:
            lines += wrapped(f"{paint('!', 'error')} {file}: could not be graded: {reason}", 3)
        for file, a in s.unmatched:
            lines += wrapped(f"? {file} line {a.get('line')}: {a.get('status') or 'review'}: "
                             f"{clip(a.get('latex') or '', 60)}  ({a.get('note') or 'not assigned to a question'})", 3)
        if not shown and not s.problems and not s.unmatched:
            lines.append("   ? review: no answer could be identified in this file; a grader must look at it")
    lines.append("")
    lines.append("summary: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return "\n".join(lines)


def reviews_text(records: list) -> str:
    """What still needs a human, one line per item, by student."""
    lines = []
    for s in records:
        for item in s.reviews:
            lines.append(f"{safe(s.student)}\t{safe(item)}")
    if not lines:
        return "nothing needs review: every answer has a verdict or a decision"
    return "\n".join(lines) + f"\n\n{len(lines)} item(s) need a human; record decisions in a file for --decisions"
