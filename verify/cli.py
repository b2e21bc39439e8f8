"""The ``gradkey`` command line."""
from __future__ import annotations

import argparse
import dataclasses
import sys


from gradkey import derive
from gradkey.derive.problems import UnknownQuestion

from gradkey.verify.numerics.consistency import check_question
from gradkey.verify.numerics.instances import seeded_instances

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def cmd_problems(args) -> int:
    for ps in derive.problem_sets().values():
        print(f"{ps.name}: {ps.title}")
        width = max(len(q.id) for q in ps.questions)
        for q in ps.questions:
            losses = "" if len(q.losses) == 1 else f"  (J: {' or '.join(q.losses)})"
            print(f"  {q.id:<{width}}  {q.asks}{losses}")
    return EXIT_OK


def _render(q, latex: bool) -> list[str]:
    if latex:
        cond = f",\\quad {q.condition}" if q.condition else ""
        return [f"{q.lhs} = {' = '.join(f.latex for f in q.closed_forms)}{cond}"]
    return [f"{q.asks} = {' = '.join(f.text for f in q.closed_forms)}"]


def cmd_derive(args) -> int:
    ps = derive.problem_set(args.problem)
    if args.all == bool(args.question):
        print("gradkey derive: give one QUESTION id or --all", file=sys.stderr)
        return EXIT_USAGE
    try:
        questions = ps.questions if args.all else [ps.question(args.question)]
    except UnknownQuestion as exc:
        print(f"gradkey derive: {exc}", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for q in questions:
        if not args.latex:
            print(f"{q.id}")
        for line in _render(q, args.latex):
            print(("  " if not args.latex else "") + line)
        checks = [c for inst in seeded_instances(args.instances, args.seed, q.needs)
                  for c in check_question(q, inst)]
        bad = [c for c in checks if not c.comparison]
        failed += bool(bad)
        worst = max((c.comparison.max_error for c in checks), default=0.0)
        status = "agree" if not bad else "DISAGREE"
        note = (f"derivation (sympy.diff), {len(q.closed_forms)} closed form(s), complex step and central "
                f"differences {status} at {args.instances} seeded instance(s); max error {worst:.1e}")
        print(("% " if args.latex else "  ") + note)
        for c in bad:
            print(f"  ! {c.what} ({c.loss}): {c.comparison.describe()}")
    return EXIT_FINDINGS if failed else EXIT_OK


SUBMISSION_SUFFIXES = {".md", ".txt", ".tex", ".markdown"}


def cmd_check(args) -> int:
    import json
    from pathlib import Path

    from gradkey.verify.grade import exports, rubric as rubrics
    from gradkey.verify.grade.batch import grade, progress_bar
    from gradkey.verify.grade.report import to_json, to_text

    try:
        rubric = rubrics.load(args.rubric) if args.rubric else rubrics.default(args.strict_layout)
    except rubrics.RubricError as exc:
        print(f"gradkey check: invalid rubric: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.rubric and args.strict_layout:
        rubric = dataclasses.replace(rubric, layout="strict")
    files = []
    for f in map(Path, args.files or [Path(__file__).resolve().parent.parent / "examples"]):
        files.extend(sorted(p for p in f.iterdir() if p.suffix in SUBMISSION_SUFFIXES) if f.is_dir() else [f])
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"gradkey check: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        print("gradkey check: no submission files (.md, .txt, .tex) found", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "gradescope" and len(files) > 1 and not args.out:
        print("gradkey check: --format gradescope with several files needs --out DIR "
              "(one results.json per submission)", file=sys.stderr)
        return EXIT_USAGE
    results = grade(files, rubric.policy, jobs=args.jobs, timeout=args.timeout, aliases=rubric.aliases,
                    progress=progress_bar() if len(files) > 1 else None)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            stem = Path(r["file"]).stem
            (out / f"{stem}.feedback.md").write_text(exports.feedback_markdown(r, rubric), encoding="utf-8")
            if args.format == "gradescope":
                (out / f"{stem}.results.json").write_text(json.dumps(exports.gradescope(r, rubric), indent=2,
                                                                     default=float), encoding="utf-8")
    if args.html:  # the review site; its packages are the optional extra gradkey[html]
        from gradkey.verify.grade import html as review_site
        if not review_site.from_cli("check", args.html, results, rubric):
            return EXIT_USAGE
    summary = exports.summary(results, rubric)
    if args.format == "json":
        print(to_json(results, summary))
    elif args.format == "csv":
        text = exports.csv_gradebook(results, rubric)
        (out / "grades.csv").write_text(text, encoding="utf-8") if out else sys.stdout.write(text)
    elif args.format == "gradescope":
        if not out:
            print(json.dumps(exports.gradescope(results[0], rubric), indent=2, default=float))
    else:
        print(to_text(results) + (exports.summary_text(summary) if len(results) > 1 else ""))
    verdicts = [r["verdict"] for sub in results for r in sub["questions"].values()]
    bad = any(v != "correct" for v in verdicts) or any(sub.get("error") for sub in results)
    return EXIT_FINDINGS if bad else EXIT_OK


def cmd_code(args) -> int:
    import json
    from pathlib import Path

    from gradkey.verify.code import check_file
    from gradkey.verify.code.layout import CS224N, load_map
    from gradkey.verify.code.sandbox import Limits

    path = Path(args.file)
    if not path.is_file():
        print(f"gradkey code: no such file: {path}", file=sys.stderr)
        return EXIT_USAGE
    progress = None
    if sys.stderr.isatty() and args.format == "text":
        progress = lambda name: print(f"  checking {name} …", file=sys.stderr)  # noqa: E731
    adapters = CS224N
    if args.map:
        try:
            adapters = load_map(args.map)
        except (OSError, ValueError) as exc:
            print(f"gradkey code: {exc}", file=sys.stderr)
            return EXIT_USAGE
    report = check_file(path, examples=args.examples, progress=progress, adapters=adapters,
                        limits=Limits(seconds_per_call=args.timeout, memory_mb=args.memory))
    if args.html:  # the review site; its packages are the optional extra gradkey[html]
        from gradkey.verify.grade import html as review_site
        if not review_site.from_cli("code", args.html, report):
            return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(report, indent=2, default=float))
    else:
        print(code_text(report))
    return EXIT_OK if all(f["verdict"] == "correct" for f in report["functions"]) else EXIT_FINDINGS


def code_text(report: dict) -> str:
    marks = {"correct": "✓", "incorrect": "✗", "unstable": "~", "error": "!"}
    lines = [f"== {report['file']}"]
    for f in report["functions"]:
        lines.append(f" {marks.get(f['verdict'], ' ')} {f['name']:<30} {f['verdict']}")
        if f["verdict"] != "correct":
            lines.append(f"     {f['note']}")
            ce = f.get("counterexample")
            if ce:
                dims = ce["dims"]
                lines.append(f"     minimal input: d={dims['d']} W={dims['W']} K={dims['K']} m={dims['m']}")
                for name, value in ce["inputs"].items():
                    lines.append(f"       {name} = {value}")
                if ce.get("expected") is not None:
                    lines.append(f"     {ce['output']}: expected {ce['expected']}")
                    lines.append(f"     {' ' * (len(str(ce['output'])) + 2)}{'got':>8} {ce['got']}")
    return "\n".join(lines)


def cmd_key(args) -> int:
    from pathlib import Path

    from gradkey.verify.key.answer_key import NoTeX, StepFailed, compile_pdf, key

    if args.pdf and args.format != "tex":
        print("gradkey key: --pdf needs --format tex", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = key(args.problem, args.format)
    except StepFailed as exc:
        print(f"gradkey key: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.output:
        try:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"gradkey key: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    if args.pdf:
        out = Path(args.output or "answer-key.tex").with_suffix(".pdf")
        try:
            compile_pdf(text, out)
        except NoTeX as exc:
            print(f"gradkey key: cannot make a PDF: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except RuntimeError as exc:
            print(f"gradkey key: {exc}", file=sys.stderr)
            return EXIT_FINDINGS
        print(f"gradkey key: wrote {out}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradkey", description="Derive gradients with SymPy and check derivations against them.")
    sub = p.add_subparsers(dest="command", required=True)
    sp_ = sub.add_parser("problems", help="list problem sets and question ids")
    sp_.set_defaults(run=cmd_problems)
    d = sub.add_parser("derive", help="a question's closed form, checked against the derived gradient")
    d.add_argument("question", nargs="?", help="question id, e.g. naive.v_c (see `gradkey problems`)")
    d.add_argument("--all", action="store_true", help="every question of the problem set")
    d.add_argument("--latex", action="store_true", help="print LaTeX")
    d.add_argument("--problem", default="word2vec", help="problem set (default: word2vec)")
    d.add_argument("--instances", type=int, default=3, help="seeded instances to check at (default: 3)")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(run=cmd_derive)
    c = sub.add_parser("check", help="judge submitted derivations (Markdown/LaTeX, OCR'd or typed)")
    c.add_argument("files", nargs="*", help="submission files or directories (default: the bundled examples/)")
    c.add_argument("--format", choices=["text", "json", "gradescope", "csv"], default="text")
    c.add_argument("--rubric", help="TOML rubric: questions, points, partial credit, layout, aliases, visibility")
    c.add_argument("--out", help="directory for one feedback file per student (and results.json / grades.csv)")
    c.add_argument("--jobs", type=int, default=None, help="parallel workers (default: all cores)")
    c.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per submission (default: 60)")
    c.add_argument("--strict-layout", action="store_true",
                   help="a row vector (u_oᵀ) where a column (u_o) is meant is incorrect (default: accepted)")
    c.add_argument("--html", metavar="DIR", help="also write a static review site (class, students, review queue) to DIR")
    c.set_defaults(run=cmd_check)
    k = sub.add_parser("code", help="check formula code (a CS224n-layout word2vec.py) against the derived truth")
    k.add_argument("file", help="the Python module to check; it runs in a sandboxed subprocess")
    k.add_argument("--format", choices=["text", "json"], default="text")
    k.add_argument("--examples", type=int, default=100, help="generated inputs per function (default: 100)")
    k.add_argument("--timeout", type=float, default=5.0, help="seconds per call (default: 5)")
    k.add_argument("--memory", type=int, default=1024, help="memory limit of the sandbox in MB (default: 1024)")
    k.add_argument("--map", help="TOML file declaring other functions' arguments and outputs (see README)")
    k.add_argument("--html", metavar="DIR", help="also write a static page of the findings and the source to DIR")
    k.set_defaults(run=cmd_code)
    y = sub.add_parser("key", help="write the answer key; every step is checked against the derived truth first")
    y.add_argument("--problem", default="word2vec")
    y.add_argument("--format", choices=["tex", "md"], default="tex")
    y.add_argument("-o", "--output", help="file to write (default: standard output)")
    y.add_argument("--pdf", action="store_true", help="also compile the LaTeX with pdflatex")
    y.set_defaults(run=cmd_key)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UnknownQuestion as exc:
        print(f"gradkey: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
