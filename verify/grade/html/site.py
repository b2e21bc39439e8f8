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
from collections import Counter
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from gradkey.verify.grade.html import charts
from gradkey.verify.grade.html.mathml import visible
from gradkey.verify.grade.html.model import (CATEGORIES, MARK, answer_view, code_functions, counterexample_view,
                                              excerpt, group_students, math_view, questions_of, read_source,
                                              score_of, slug, student_of, tally, verdict_of)

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

def _students(rows: list[dict], questions: list[str] | None, rubric) -> tuple[list[dict], list[str]]:
    students = group_students(rows)
    questions = questions if questions is not None else questions_of(students, rubric)
    for s in students:
        s["page"] = slug(s["name"])
        s["href"] = f"{STUDENTS_DIR}/{s['page']}.html"
        s["file"] = ", ".join(s["files"])
        s["error"] = "; ".join(f"{f}: {why}" for f, why in s["problems"]) if not s["graded"] else None
        s["counts"] = Counter(verdict_of(s, q) for q in questions if verdict_of(s, q))
        s["points"], s["possible"] = score_of(s, questions, rubric)
    return students, questions


class _Sources:
    """Each submission file read once (with its cap), however many views need it."""

    def __init__(self):
        self.cache: dict[str, tuple[list[str], str]] = {}

    def __call__(self, file: str) -> tuple[list[str], str]:
        if file not in self.cache:
            self.cache[file] = read_source(file) if file else ([], "no file name")
        return self.cache[file]


def _view(s: dict, a: dict, sources: _Sources, **extra) -> dict:
    file = str(a.get("file") or (s["files"][0] if s["files"] else ""))
    view = answer_view({**a, **extra}, sources(file)[0])
    view["file"] = file if len(s["files"]) > 1 else None
    return view


def _student_page(s: dict, questions: list[str], rubric, sources: _Sources) -> dict:
    graded = []
    for q in questions + [q for q in s["questions"] if q not in questions]:
        a = s["questions"].get(q)
        view = _view(s, a, sources, question=q) if a is not None else None
        points = None
        if rubric is not None and q in questions and s["graded"]:
            got = rubric.score(q, a) if verdict_of(s, q) else None
            points = (got, rubric.max_points(q))
        graded.append({"question": q, "answer": view, "verdict": verdict_of(s, q), "points": points})
    answers = [_view(s, {**a, "file": f}, sources) for f, a in s["answers"]]
    files = [{"file": f, "lines": sources(f)[0], "note": sources(f)[1]}
             for f in s["files"] if f not in dict(s["problems"])]
    return {"student": s, "graded": graded, "answers": answers, "files": files, "problems": s["problems"]}


def _unmatched(a: dict) -> bool:
    return a.get("status") in ("unmatched", "unreadable") or not a.get("question")


def _review_items(students: list[dict], questions: list[str], rubric, sources: _Sources):
    """The class's ``review`` verdicts (what a decision can settle), and the
    answers that were assigned to no question."""
    reviews, unmatched = [], []
    for s in students:
        for q, a in s["questions"].items():
            if a.get("verdict") == "review":
                max_points = rubric.max_points(q) if rubric is not None and q in questions else None
                reviews.append({"student": s, "question": q, "answer": _view(s, a, sources, question=q),
                                "max_points": max_points})
        for f, a in s["answers"]:
            if _unmatched(a):
                unmatched.append({"student": s, "answer": _view(s, {**a, "file": f}, sources)})
    return reviews, unmatched


def decisions_template(reviews: list[dict]) -> str:
    """The decisions file with one empty row per review item, for a TA without
    JavaScript (or who prefers a spreadsheet)."""
    from gradkey.verify.grade.gradebook import csv_cell
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(DECISIONS_HEADER)
    for item in reviews:
        w.writerow([csv_cell(item["student"]["name"]), item["question"], "", "", "", ""])   # never a formula
    return out.getvalue()


def write_check_site(rows: list[dict], out_dir, rubric=None, title: str = "gradkey review") -> list[Path]:
    """Write index.html (the class), review.html (the review queue), one page
    per student under students/, and decisions-template.csv, from the check
    rows (one per file; a student's files are merged). Returns the files
    written, index.html first."""
    env = environment()
    root = Path(out_dir)
    (root / STUDENTS_DIR).mkdir(parents=True, exist_ok=True)
    students, questions = _students(rows, None, rubric)
    sources = _Sources()
    per_question = tally(students, questions)
    bars = [{"question": q, "counts": per_question[q], "segments": charts.stacked_bar(per_question[q])}
            for q in questions]
    scored = [s for s in students if s["points"] is not None]
    possible = rubric.total if rubric is not None else float(len(questions))
    histogram = charts.histogram([s["points"] for s in scored], possible)

    mistakes: dict[str, dict] = {}
    for s in students:
        for q, a in s["questions"].items():
            code = a.get("code")
            if code:
                entry = mistakes.setdefault(code, {"code": code, "question": q, "count": 0, "example": None})
                entry["count"] += 1
                if entry["example"] is None:
                    entry["example"] = {"student": s, "math": math_view(a.get("latex")),
                                        "feedback": visible(str(a.get("feedback") or ""))}
    common = sorted(mistakes.values(), key=lambda m: (-m["count"], m["code"]))[:10]
    reviews, unmatched = _review_items(students, questions, rubric, sources)

    written: list[Path] = []
    common_ctx = {"title": title, "root": "", "n_reviews": len(reviews) + len(unmatched)}
    _write(root / "index.html", env.get_template("class.html.j2").render(
        **common_ctx, students=sorted(students, key=lambda s: s["name"].casefold()),
        bars=bars, bar_width=charts.BAR_WIDTH, histogram=histogram, possible=possible, mistakes=common,
        n_errors=sum(1 for s in students if s["error"]), n_unscored=len(students) - len(scored),
        has_rubric=rubric is not None), written)
    _write(root / "review.html", env.get_template("review.html.j2").render(
        **common_ctx, reviews=reviews, unmatched=unmatched, questions=questions, header=DECISIONS_HEADER),
        written)
    _write(root / "decisions-template.csv", decisions_template(reviews), written)
    student_template = env.get_template("student.html.j2")
    for s in students:
        page = _student_page(s, questions, rubric, sources)
        _write(_inside(root, s["page"]), student_template.render(
            title=title, root="../", n_reviews=common_ctx["n_reviews"], **page), written)
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
    students = []
    for r in reports:  # one page per file: a student may hand in several modules
        name, file = student_of(r), str(r.get("file", ""))
        page = slug(f"{name}\0{file}")
        students.append({"name": name, "file": file, "page": page, "href": f"{STUDENTS_DIR}/{page}.html",
                         "error": r.get("error"),
                         "counts": Counter(str(f.get("verdict")) for f in r.get("functions") or []
                                           if isinstance(f, dict))})
    index = env.get_template("code_index.html.j2").render(
        title=title, root="", n_reviews=None, students=sorted(students, key=lambda s: (s["name"].casefold(), s["file"])))
    _write(root / "index.html", index, written)
    for s, r in zip(students, reports):
        _write(_inside(root, s["page"]), template.render(title=title, root="../", n_reviews=None,
                                                         student=s["name"], **_code_page(r)), written)
    return written
