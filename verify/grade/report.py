"""Render check results: JSON (as in DESIGN.md) and a text table a TA can act on."""
from __future__ import annotations

import json

from gradkey.verify.grade.exports import counterexample_text

VERDICT_MARK = {"correct": "✓", "incorrect": "✗", "review": "?", "unparsed": "·", "error": "!", "missing": "-",
                "unstable": "~", "decided": "=", "": "!"}


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
        where = (f"{r['file']} " if several_files else "") + f"line {r.get('line')}"
    verdict = q.verdict or "not graded"
    head = f" {mark} {qid:<{width}}  {verdict:<10} {where:<9} {(r.get('understood') or '')[:56]}"
    if rubric is not None:
        pts = "—" if q.points is None else f"{q.points:g}"
        head = f"{head:<100} {pts:>4} / {rubric.max_points(qid):g}"
    lines = [head.rstrip()]
    if q.decision is not None:
        lines.append(f"     {q.decision.describe()}" + (f" (gradkey: {r['verdict']})" if r else ""))
        return lines
    if r.get("code"):
        lines.append(f"     {r['code']}: {r.get('feedback')}")
    if r and r["verdict"] != "correct" and r.get("note"):
        lines.append(f"     {r['note'][:200]}")
    if r and r["verdict"] == "correct" and r.get("note"):
        lines.append(f"     note: {r['note'][:200]}")
    ce = counterexample_text(r.get("counterexample") or {}, qid) if r and r["verdict"] == "incorrect" else ""
    if ce:
        lines.append(f"     counterexample: {ce}")
    wrong = [s for s in r.get("steps", []) if s["verdict"] == "incorrect"]
    if wrong and r["verdict"] != "incorrect":
        lines.append(f"     first wrong step, line {wrong[0]['line']}: {wrong[0]['understood'][:80]}")
    return lines


def to_text(records: list, rubric=None, all_questions: bool = False) -> str:
    """One block per student: per question the verdict (and with a rubric the
    points), the files that could not be graded with the reason, and every
    answer found that no question's verdict covers, as a review line."""
    lines = []
    counts: dict = {}
    for s in records:
        several = len(s.files) > 1
        head = f"== {s.files[0]}" if not several and s.files and s.files[0] else f"== {s.student}: {', '.join(s.files)}"
        if rubric is not None:
            total = "—" if s.total is None else f"{s.total:g}"
            head += f"    {total} / {rubric.total:g} points"
        lines.append(head)
        shown = {qid: q for qid, q in s.questions.items()
                 if all_questions or q.result is not None or q.decision is not None}
        width = max((len(q) for q in shown), default=10)
        for qid, q in shown.items():
            lines += _question_lines(qid, q, width, rubric, several)
            counts[q.verdict or "not graded"] = counts.get(q.verdict or "not graded", 0) + 1
        for file, reason in s.problems:
            lines.append(f"   ! {file}: could not be graded: {reason}")
        for file, a in s.unmatched:
            lines.append(f"   ? {file} line {a.get('line')}: {a.get('status') or 'review'}: "
                         f"{(a.get('latex') or '')[:60]}  ({(a.get('note') or 'not assigned to a question')[:120]})")
        if not shown and not s.problems and not s.unmatched:
            lines.append("   no answers found")
    lines.append("")
    lines.append("summary: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return "\n".join(lines)


def reviews_text(records: list) -> str:
    """What still needs a human, one line per item, by student."""
    lines = []
    for s in records:
        for item in s.reviews:
            lines.append(f"{s.student}\t{item}")
    if not lines:
        return "nothing needs review: every answer has a verdict or a decision"
    return "\n".join(lines) + f"\n\n{len(lines)} item(s) need a human; record decisions in a file for --decisions"
