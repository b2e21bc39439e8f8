"""Exports of a graded class: Gradescope results.json and a Markdown feedback
file per student, the class summary, and counterexamples in plain words.

What a student sees is written for the student: the verdict, their answer as
read, feedback they can act on and a counterexample with its inputs named as
in the problem (d, W, o, v_c …). The correct formula is not handed out unless
the rubric says so (``show_answer = true``): a mistake's feedback clause that
spells out the answer is left out, the inputs and the value the gradient takes
there are kept (a student can check those by hand).
"""
from __future__ import annotations

import re
from collections import Counter

from gradkey.verify.grade.gradebook import Student
from gradkey.verify.grade.rubric import Rubric

_INTERNAL = {"expected", "got", "loss", "dims", "output", "inputs", "problem"}


def problem_of(ce: dict | None = None, rubric: Rubric | None = None):
    """The problem set whose names a result uses: the file a counterexample names, else the
    rubric's set, else the default (word2vec); None when that file cannot be loaded."""
    from gradkey import derive
    named = (ce or {}).get("problem") or (rubric.problem if rubric is not None else "") or "word2vec"
    try:
        return derive.problem_set(named)
    except Exception:       # noqa: BLE001 - a moved or broken file: the report shows every input
        return None


def _question(ps, qid: str | None):
    try:
        return ps.question(qid) if ps is not None and qid else None
    except Exception:       # noqa: BLE001 - an id of another set: nothing to look up
        return None


def _num(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_num(v) for v in x) + "]"
    return str(x)


def _matrix(value) -> str:
    """A column [[a], [b]] as a column, a matrix row by row."""
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        if all(len(r) == 1 for r in value):
            return _num([r[0] for r in value]) + "ᵀ" if len(value) > 1 else _num(value[0][0])
        return "[" + "; ".join(_num(r)[1:-1] for r in value) + "]"
    return _num(value)


def counterexample_inputs(ce: dict, qid: str | None = None) -> str:
    """The inputs of a counterexample, named as in the problem:
    ``d = 3, W = 5, o = 0, v_c = […]``. A scalar question (dσ/dx) shows only
    the variable it is about."""
    ps = problem_of(ce)
    q = _question(ps, qid)
    wrt = q.wrt if q is not None else None
    if wrt in ce and not isinstance(ce[wrt], list):
        return f"{wrt} = {_num(ce[wrt])}"
    if "inputs" in ce:  # formula code: the function's own argument names
        parts = [f"{k} = {v}" for k, v in ce.get("dims", {}).items()]
        return ", ".join(parts + [f"{k} = {_num(v)}" for k, v in ce["inputs"].items()])
    keep = relevant_inputs(ce, qid)
    parts = [f"{k} = {v}" for k, v in ce.get("dims", {}).items() if keep is None or k in keep]
    parts += [f"{k} = {_matrix(v)}" for k, v in ce.items()
              if k not in _INTERNAL and (keep is None or k in keep) and not (k == "x" and wrt != "x")]
    return ", ".join(parts)


def relevant_inputs(ce: dict, qid: str | None) -> set | None:
    """The names of a written answer's counterexample worth showing (see :func:`_relevant`);
    None: show them all."""
    ps = problem_of(ce)
    q = _question(ps, qid)
    return _relevant(ce, q, ps) if q is not None else None


def _relevant(ce: dict, q, ps) -> set | None:
    """The inputs the question's loss reads, found in the problem file: the names of the
    loss and of the definitions it uses, the dimensions of their shapes and ranges, and the
    indices the left-hand side or the branch condition names (w in ∂J/∂u_w); None (show
    all) when the problem does not say. A part of a matrix the counterexample shows itself
    (v_c = V[:, c]) is shown instead of the matrix and label it comes from, unless the loss
    reads that matrix whole (Uᵀv_c: U and o are shown, not u_o)."""
    from gradkey.derive.arraylang import names, selected_from
    try:
        loss = ps.loss(ce.get("loss") or q.loss)
    except Exception:       # noqa: BLE001 - no question or loss to go by: show everything
        return None
    keep, todo, parts = set(), list(names(loss.expr.node)), {}
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        d = ps.definition(name)
        if d is None:
            continue
        if name in ce and selected_from(d.expr.node) is not None:
            parts[name] = d
        else:
            todo.extend(names(d.expr.node))
    picked = set()          # the labels of the parts shown (c of v_c): the part says enough
    for name, d in parts.items():
        if selected_from(d.expr.node) in keep:          # U read whole: u_o is U's column o
            keep.discard(name)
            keep |= names(d.expr.node)
        else:
            picked |= names(d.expr.node) - {selected_from(d.expr.node)}
    for name in list(keep):
        s = ps.symbol(name)
        if s is not None:
            keep |= {x for x in (*s.shape, s.range_) if isinstance(x, str)}
    lhs = " ".join(q.lhs) + " " + (q.condition or "")
    keep |= {k for k in ce if len(k) == 1 and k not in picked and re.search(rf"_\{{?{k}\b", lhs)}
    return keep


def counterexample_text(ce: dict, qid: str | None = None, show_expected: bool = True) -> str:
    """In plain words: where the answer goes wrong and by how much."""
    if not ce or ce.get("expected") is None:
        return ""
    text = f"at {counterexample_inputs(ce, qid)}, your answer gives {_matrix(ce['got'])}"
    if show_expected:
        text += f", but the gradient there is {_matrix(ce['expected'])}"
    else:
        text += ", which is not the gradient there"
    return text + "."


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def student_feedback(qid: str, feedback: str | None, show_answer: bool, ps=None) -> str:
    """A mistake's feedback without the correct answer in it (when the rubric
    does not show answers): the formula is cut out, and a clause that did
    nothing but state it ("… it is ŷ_w v_c.") is left out."""
    if not feedback or show_answer:
        return feedback or ""
    q = _question(ps if ps is not None else problem_of(), qid)
    answers = [_squash(f.text) for f in q.closed_forms if len(_squash(f.text)) >= 3] if q is not None else []
    text = feedback
    for a in answers:  # spacing differs between the feedback and the closed form's text
        text = re.sub(r"\s*".join(map(re.escape, a)), "…", text)
    text = re.sub(r"\s*\(…\)", "", text)
    clauses = re.split(r"(?<=[:;.])\s+", text)
    kept = [c for c in clauses if not re.search(r"(=|\bis|:)\s*…[\s.;:]*$", c)]
    text = " ".join(kept).strip().rstrip(":;")
    return text if text else "This is a common mistake for this question: check each step of your derivation."


def answer_md(qid: str, q, rubric: Rubric) -> str:
    """One question of one student, in Markdown, for the student."""
    r = q.result
    if q.decision is not None:
        head = f"**Verdict:** {q.verdict} ({q.decision.describe()})"
    elif r is None:
        return ("No answer to this question was found." if q.verdict == "missing" else
                "Not graded yet: one of your files could not be read (see below); a TA will grade it.")
    else:
        head = f"**Verdict:** {r['verdict']}"
    parts = [head]
    if r and r.get("latex"):
        where = f"{r['file']}, line {r['line']}" if r.get("file") else f"line {r['line']}"
        parts.append(f"Your answer ({where}):\n\n$${r['latex']}$$")
    if r and r["verdict"] != "correct" and q.decision is None:
        fb = student_feedback(qid, r.get("feedback"), rubric.show_answer, problem_of(r.get("counterexample"), rubric))
        if fb:
            parts.append(f"**Feedback:** {fb}")
        ce = counterexample_text(r.get("counterexample") or {}, qid)
        if ce:
            parts.append(f"**Where it goes wrong:** {ce}")
        if r["verdict"] in ("review", "unparsed"):
            parts.append("A TA will look at this answer" + (f" ({r['note']})" if r.get("note") else "") + ".")
    if rubric.show_answer and r and r["verdict"] != "correct":
        q_ = _question(problem_of(r.get("counterexample"), rubric), qid)
        if q_ is not None and q_.closed_forms:
            parts.append("**Answer:** $$" + q_.closed_forms[0].latex + "$$")
    return "\n\n".join(parts)


def gradescope(s: Student, rubric: Rubric) -> dict:
    """A Gradescope autograder results.json for one student (all their files)."""
    tests, total = [], 0.0
    for n, qid in enumerate(rubric.questions, 1):
        q = s.questions[qid]
        points = q.points or 0.0
        total += points
        test = {"name": qid, "number": str(n), "score": points, "max_score": rubric.max_points(qid),
                "status": "passed" if q.verdict == "correct" else "failed",
                "output": answer_md(qid, q, rubric), "output_format": "md",
                "visibility": rubric.visibility.get(qid, "visible")}
        if q.result and q.result.get("code"):
            test["tags"] = [q.result["code"]]
        tests.append(test)
    for file, reason in s.problems:
        tests.append({"name": f"{file} could not be graded", "score": 0.0, "max_score": 0.0, "status": "failed",
                      "visibility": "visible", "output_format": "md",
                      "output": f"gradkey could not grade `{file}`: {reason}. A TA will look at it."})
    for file, a in s.unmatched:
        tests.append({"name": f"{file} line {a.get('line')}: answer not matched to a question", "score": 0.0,
                      "max_score": 0.0, "status": "failed", "visibility": "visible", "output_format": "md",
                      "output": "gradkey found this answer but could not tell which question it answers; "
                                "label it with its left-hand side (e.g. ∂J/∂v_c = …). A TA will look at it."})
    out = f"Graded by gradkey: {total:g} of {rubric.total:g} points."
    if s.problems or any(q.points is None for q in s.questions.values()):
        out += " Some of your work could not be read automatically; a TA will grade it."
    return {"score": round(total, 4), "tests": tests, "output_format": "md", "output": out}


def feedback_markdown(s: Student, rubric: Rubric) -> str:
    lines = [f"# Feedback: {s.student}", "", f"Files: {', '.join(s.files)}", ""]
    total = s.total
    lines.append(f"**Total: {total:g} / {rubric.total:g}**\n" if total is not None else
                 f"**Total: not complete** (a file could not be graded) / {rubric.total:g}\n")
    for qid in rubric.questions:
        q = s.questions[qid]
        pts = "—" if q.points is None else f"{q.points:g}"
        lines += [f"## {qid} — {pts} / {rubric.max_points(qid):g}", "", answer_md(qid, q, rubric), ""]
    for file, reason in s.problems:
        lines += [f"## {file}: could not be graded", "", reason, ""]
    return "\n".join(lines)


def summary(rows: list[dict], records: list[Student], rubric: Rubric) -> dict:
    """The cohort view: per question how many students were right, wrong, to
    review, missing or not graded; the most common mistake codes."""
    per_question = {}
    for qid in rubric.questions:
        per_question[qid] = dict(Counter(s.questions[qid].verdict or "not graded" for s in records))
    codes = Counter(q.result["code"] for s in records for q in s.questions.values() if q.result and q.result.get("code"))
    return {"submissions": len(rows), "students": len(records), "errors": sum(1 for r in rows if r.get("error")),
            "needs_review": sum(len(s.reviews) for s in records),
            "questions": per_question, "common_mistakes": codes.most_common(10)}


def summary_text(s: dict) -> str:
    lines = ["", f"class summary: {s['students']} students, {s['submissions']} entries, "
                 f"{s['errors']} could not be graded, {s['needs_review']} item(s) need a human (--reviews lists them)"]
    width = max((len(q) for q in s["questions"]), default=10)
    for qid, counts in s["questions"].items():
        lines.append(f"  {qid:<{width}}  " + "  ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    if s["common_mistakes"]:
        lines.append("  most common mistakes: " + ", ".join(f"{c} ×{n}" for c, n in s["common_mistakes"]))
    return "\n".join(lines)
