"""Exports of graded results: Gradescope results.json, a CSV gradebook, a
feedback file per student, and the class summary."""
from __future__ import annotations

import csv
import io
from collections import Counter

from gradkey.verify.grade.rubric import Rubric


def _answer_md(qid: str, r: dict) -> str:
    parts = [f"**Verdict:** {r['verdict']}"]
    if r.get("latex"):
        parts.append(f"Your answer (line {r['line']}):\n\n$${r['latex']}$$")
    if r.get("feedback"):
        parts.append(f"**Feedback** (`{r['code']}`): {r['feedback']}")
    if r.get("note") and r["verdict"] != "correct":
        parts.append(f"_Note:_ {r['note']}")
    ce = r.get("counterexample")
    if ce and ce.get("expected") is not None:
        parts.append(f"**Counterexample:** with d = {ce['dims']['d']}, W = {ce['dims']['W']}, o = {ce['o']}: "
                     f"expected `{ce['expected']}`, your answer gives `{ce['got']}`.")
    return "\n\n".join(parts)


def gradescope(result: dict, rubric: Rubric) -> dict:
    """A Gradescope autograder results.json for one submission."""
    if result.get("error"):
        return {"score": 0.0, "output": "This submission could not be graded automatically; a TA will grade it.",
                "tests": [
                    {"name": "Submission could not be graded", "score": 0.0, "max_score": rubric.total,
                     "status": "failed", "visibility": "visible", "output_format": "md",
                     "output": f"gradkey could not read this file: {result['error']}"},
                    {"name": "Grader traceback", "score": 0.0, "max_score": 0.0, "status": "failed",
                     "visibility": "hidden", "output": result.get("traceback") or result["error"]}]}
    tests, total = [], 0.0
    for n, qid in enumerate(rubric.questions, 1):
        r = result["questions"].get(qid)
        points = rubric.score(qid, r)
        total += points
        test = {"name": qid, "number": str(n), "score": points, "max_score": rubric.max_points(qid),
                "status": "passed" if r and r["verdict"] == "correct" else "failed",
                "output": _answer_md(qid, r) if r else "No answer to this question was found.",
                "output_format": "md", "visibility": rubric.visibility.get(qid, "visible")}
        if r and r.get("code"):
            test["tags"] = [r["code"]]
        tests.append(test)
    return {"score": round(total, 4), "tests": tests, "output_format": "md",
            "output": f"Graded by gradkey: {total:g} of {rubric.total:g} points."}


def csv_gradebook(results: list[dict], rubric: Rubric) -> str:
    """One row per submission, one column per question (points), the total and
    the mistake codes; a points-possible row first."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["file", *rubric.questions, "total", "mistakes", "status"])
    w.writerow(["Points Possible", *[f"{rubric.max_points(q):g}" for q in rubric.questions], f"{rubric.total:g}", "", ""])
    for result in results:
        points = [rubric.score(q, result["questions"].get(q)) for q in rubric.questions]
        codes = sorted({r["code"] for r in result["questions"].values() if r.get("code")})
        status = f"error: {result['error']}" if result.get("error") else "graded"
        w.writerow([result["file"], *[f"{p:g}" for p in points], f"{sum(points):g}", " ".join(codes), status])
    return out.getvalue()


def feedback_markdown(result: dict, rubric: Rubric) -> str:
    lines = [f"# Feedback: {result['file']}", ""]
    if result.get("error"):
        return "\n".join(lines + [f"This file could not be graded automatically: {result['error']}", ""])
    total = 0.0
    for qid in rubric.questions:
        r = result["questions"].get(qid)
        points = rubric.score(qid, r)
        total += points
        lines += [f"## {qid} — {points:g} / {rubric.max_points(qid):g}", "",
                  _answer_md(qid, r) if r else "No answer to this question was found.", ""]
    lines.insert(2, f"**Total: {total:g} / {rubric.total:g}**\n")
    return "\n".join(lines)


def summary(results: list[dict], rubric: Rubric) -> dict:
    """The cohort view: per question how many were right, wrong, to review;
    the most common mistake codes."""
    per_question = {}
    for qid in rubric.questions:
        counts = Counter((r["questions"].get(qid) or {"verdict": "missing"})["verdict"]
                         for r in results if not r.get("error"))
        per_question[qid] = dict(counts)
    codes = Counter(r["code"] for res in results for r in res["questions"].values() if r.get("code"))
    return {"submissions": len(results), "errors": sum(1 for r in results if r.get("error")),
            "questions": per_question, "common_mistakes": codes.most_common(10)}


def summary_text(s: dict) -> str:
    lines = ["", f"class summary: {s['submissions']} submissions, {s['errors']} could not be graded"]
    width = max((len(q) for q in s["questions"]), default=10)
    for qid, counts in s["questions"].items():
        lines.append(f"  {qid:<{width}}  " + "  ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    if s["common_mistakes"]:
        lines.append("  most common mistakes: " + ", ".join(f"{c} ×{n}" for c, n in s["common_mistakes"]))
    return "\n".join(lines)
