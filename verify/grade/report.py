"""Render check results: JSON (as in DESIGN.md) and a text table a TA can act on."""
from __future__ import annotations

import json

VERDICT_MARK = {"correct": "✓", "incorrect": "✗", "review": "?", "unparsed": "·", "error": "!"}


def to_json(results: list[dict], summary: dict | None = None) -> str:
    out = {"submissions": results}
    if summary is not None:
        out["summary"] = summary
    return json.dumps(out, indent=2, ensure_ascii=False, default=float)


def to_text(results: list[dict]) -> str:
    lines = []
    for sub in results:
        lines.append(f"== {sub['file']}")
        if sub.get("error"):
            lines.append(f"   ! could not be checked: {sub['error']}")
            continue
        if not sub["questions"]:
            lines.append("   no answers found")
        width = max((len(q) for q in sub["questions"]), default=10)
        for qid, r in sub["questions"].items():
            mark = VERDICT_MARK.get(r["verdict"], " ")
            lines.append(f" {mark} {qid:<{width}}  {r['verdict']:<9} line {r['line']:<4} {r['understood'][:60]}")
            if r.get("code"):
                lines.append(f"     {r['code']}: {r['feedback']}")
            if r["verdict"] != "correct" and r.get("note"):
                lines.append(f"     {r['note'][:200]}")
            if r["verdict"] == "correct" and r.get("note"):
                lines.append(f"     note: {r['note'][:200]}")
            wrong = [s for s in r.get("steps", []) if s["verdict"] == "incorrect"]
            if wrong and r["verdict"] != "incorrect":
                lines.append(f"     first wrong step, line {wrong[0]['line']}: {wrong[0]['understood'][:80]}")
    counts = {}
    for sub in results:
        for r in sub.get("questions", {}).values():
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    lines.append("")
    lines.append("summary: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return "\n".join(lines)
