"""Write the static review site: Jinja2 templates (templates/*.html.j2) fed
with the plain records of model.py. Every page carries its CSS and script
inline, so a page opened from the file system or uploaded alone still works,
and a Content-Security-Policy that lets only those exact inline blocks run
(by hash): even if escaping ever failed, an injected script would not run."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from collections import Counter
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from gradkey.verify.grade.html import charts
from gradkey.verify.grade.html.mathml import visible
from gradkey.verify.grade.html.model import (CATEGORIES, MARK, answer_view, code_functions, counterexample_view,
                                              excerpt, math_view, questions_of, read_source, score_of, slug,
                                              student_of, tally)

HERE = Path(__file__).resolve().parent
STUDENTS_DIR = "students"
DECISIONS_HEADER = ["student", "question", "verdict", "points", "who", "why"]


def _finalize(value):
    # Every {{ value }} passes here before autoescaping: plain strings get
    # their control characters (terminal escapes in file names) made visible.
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return "" if value is None else value


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      finalize=_finalize, trim_blocks=True, lstrip_blocks=True)
    css = (HERE / "static" / "site.css").read_text(encoding="utf-8")
    js = (HERE / "static" / "site.js").read_text(encoding="utf-8")
    env.globals.update(MARK=MARK, CATEGORIES=CATEGORIES, inline_css=Markup(css), inline_js=Markup(js),
                       csp=Markup(_csp(css, js)))
    return env


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _csp(css: str, js: str) -> str:
    # No network, no frames, no forms, no plugins; only our inline blocks.
    return (f"default-src 'none'; style-src {_digest(css)}; script-src {_digest(js)}; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.write_text(text, encoding="utf-8")
    written.append(path)


def _inside(root: Path, name: str) -> Path:
    """root/STUDENTS_DIR/name.html; slug() already allows no separators, and
    this check makes sure no future change can write outside the site."""
    path = (root / STUDENTS_DIR / f"{name}.html").resolve()
    if path.parent != (root / STUDENTS_DIR).resolve():
        raise ValueError(f"refusing to write outside the site: {name!r}")
    return path


# ---------------------------------------------------------------- check site

def _students(results: list[dict], questions: list[str], rubric) -> list[dict]:
    names = Counter(student_of(r) for r in results)
    students = []
    for r in results:
        name = student_of(r)
        # Two files with the same student name (flat folders with equal stems)
        # still get a page each: the hash then covers the file too.
        page = slug(name if names[name] == 1 else f"{name}\0{r.get('file', '')}")
        verdicts = Counter((r["questions"].get(q) or {}).get("verdict", "missing") for q in questions)
        points, possible = score_of(r, questions, rubric) if not r.get("error") else (None, None)
        students.append({"name": name, "file": str(r.get("file", "")), "page": page,
                         "href": f"{STUDENTS_DIR}/{page}.html", "error": r.get("error"),
                         "points": points, "possible": possible, "counts": verdicts, "result": r})
    return students


def _student_page(s: dict, questions: list[str], rubric) -> dict:
    r = s["result"]
    lines, source_note = read_source(s["file"]) if s["file"] else ([], "no file name")
    answers = [a for a in r.get("answers", []) if isinstance(a, dict)]
    order = questions + [q for q in r.get("questions", {}) if q not in questions]
    graded = []
    for q in order:
        a = r.get("questions", {}).get(q)
        view = answer_view({"question": q, **a}, lines) if isinstance(a, dict) else None
        points = (rubric.score(q, a), rubric.max_points(q)) if rubric is not None and q in questions else None
        graded.append({"question": q, "answer": view, "points": points})
    return {"student": s, "graded": graded, "answers": [answer_view(a, lines) for a in answers],
            "lines": lines, "source_note": source_note}


def _review_items(students: list[dict], questions: list[str], rubric) -> tuple[list[dict], list[dict]]:
    """The class's ``review`` verdicts (what a decision can settle), and the
    answers that matched no question."""
    reviews, unmatched = [], []
    for s in students:
        r = s["result"]
        if r.get("error"):
            continue
        lines = None
        for q, a in r.get("questions", {}).items():
            if isinstance(a, dict) and a.get("verdict") == "review":
                lines = lines if lines is not None else read_source(s["file"])[0]
                max_points = rubric.max_points(q) if rubric is not None and q in questions else None
                reviews.append({"student": s, "question": q, "answer": answer_view({"question": q, **a}, lines),
                                "max_points": max_points})
        for a in r.get("answers", []):
            if isinstance(a, dict) and (a.get("question") is None or a.get("status") == "unmatched"):
                lines = lines if lines is not None else read_source(s["file"])[0]
                unmatched.append({"student": s, "answer": answer_view(a, lines)})
    return reviews, unmatched


def decisions_template(reviews: list[dict]) -> str:
    """The decisions file with one empty row per review item, for a TA without
    JavaScript (or who prefers a spreadsheet)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(DECISIONS_HEADER)
    for item in reviews:
        w.writerow([item["student"]["name"], item["question"], "", "", "", ""])
    return out.getvalue()


def write_check_site(results: list[dict], out_dir, rubric=None, title: str = "gradkey review") -> list[Path]:
    """Write index.html (the class), review.html (the review queue), one page
    per student under students/, and decisions-template.csv. Returns the
    files written."""
    env = environment()
    root = Path(out_dir)
    (root / STUDENTS_DIR).mkdir(parents=True, exist_ok=True)
    questions = questions_of(results, rubric)
    students = _students(results, questions, rubric)
    per_question = tally(results, questions)
    bars = [{"question": q, "counts": per_question[q], "segments": charts.stacked_bar(per_question[q])}
            for q in questions]
    graded = [s for s in students if not s["error"]]
    possible = graded[0]["possible"] if graded else (rubric.total if rubric is not None else len(questions))
    histogram = charts.histogram([s["points"] for s in graded], possible or 0.0)

    mistakes: dict[str, dict] = {}
    for s in graded:
        for q, a in s["result"]["questions"].items():
            code = a.get("code") if isinstance(a, dict) else None
            if code:
                entry = mistakes.setdefault(code, {"code": code, "question": q, "count": 0, "example": None})
                entry["count"] += 1
                if entry["example"] is None:
                    entry["example"] = {"student": s, "math": math_view(a.get("latex")),
                                        "feedback": visible(str(a.get("feedback") or ""))}
    common = sorted(mistakes.values(), key=lambda m: (-m["count"], m["code"]))[:10]
    reviews, unmatched = _review_items(students, questions, rubric)

    written: list[Path] = []
    common_ctx = {"title": title, "root": "", "n_reviews": len(reviews)}
    _write(root / "index.html", env.get_template("class.html.j2").render(
        **common_ctx, students=sorted(students, key=lambda s: (s["name"].casefold(), s["file"])),
        bars=bars, bar_width=charts.BAR_WIDTH, histogram=histogram, possible=possible, mistakes=common,
        n_errors=sum(1 for s in students if s["error"]), has_rubric=rubric is not None), written)
    _write(root / "review.html", env.get_template("review.html.j2").render(
        **common_ctx, reviews=reviews, unmatched=unmatched, questions=questions, header=DECISIONS_HEADER),
        written)
    _write(root / "decisions-template.csv", decisions_template(reviews), written)
    student_template = env.get_template("student.html.j2")
    for s in students:
        page = _student_page(s, questions, rubric)
        _write(_inside(root, s["page"]), student_template.render(
            title=title, root="../", n_reviews=len(reviews), **page), written)
    return written


# ----------------------------------------------------------------- code site

def _code_page(report: dict) -> dict:
    file = str(report.get("file", ""))
    lines, source_note = read_source(file) if file else ([], "no file name")
    spans = code_functions("\n".join(lines)) if lines else {}
    functions = []
    for f in report.get("functions") or []:
        if not isinstance(f, dict):
            continue
        name = str(f.get("name", ""))
        # "skipgram:neg" is skipgram judged with negative sampling: same source
        span = spans.get(name) or spans.get(name.split(":")[0])
        failing = f.get("verdict") != "correct"
        functions.append({
            "name": name, "anchor": "fn-" + slug(name), "verdict": str(f.get("verdict", "")),
            "note": visible(str(f.get("note") or "")), "output": f.get("output"),
            "counterexample": counterexample_view(f.get("counterexample")), "span": span,
            "source": excerpt(lines, set(range(span[0], span[1] + 1))) if span and failing else [],
        })
    failing_lines = {n for f in functions if f["span"] and f["verdict"] != "correct"
                     for n in range(f["span"][0], f["span"][1] + 1)}
    return {"file": file, "error": report.get("error"), "functions": functions, "lines": lines,
            "failing_lines": failing_lines, "source_note": source_note}


def write_code_site(reports, out_dir, title: str = "gradkey code review") -> list[Path]:
    """One ``gradkey code`` report (a dict): index.html with per function the
    verdict, the minimal counterexample, and the student's source with the
    function highlighted. Several (a list): index.html lists them, each gets
    such a page under students/."""
    env = environment()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    template = env.get_template("code.html.j2")
    written: list[Path] = []
    if isinstance(reports, dict):
        _write(root / "index.html", template.render(title=title, root="", n_reviews=None,
                                                    **_code_page(reports)), written)
        return written
    (root / STUDENTS_DIR).mkdir(exist_ok=True)
    students = _students([{**r, "questions": {}} for r in reports], [], None)
    for s, r in zip(students, reports):
        s["counts"] = Counter(str(f.get("verdict")) for f in r.get("functions") or [] if isinstance(f, dict))
    index = env.get_template("code_index.html.j2").render(
        title=title, root="", n_reviews=None, students=sorted(students, key=lambda s: (s["name"].casefold(), s["file"])))
    _write(root / "index.html", index, written)
    for s, r in zip(students, reports):
        _write(_inside(root, s["page"]), template.render(title=title, root="../", n_reviews=None,
                                                         student=s["name"], **_code_page(r)), written)
    return written


def relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
