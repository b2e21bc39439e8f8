"""The ``gradkey`` command line."""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys


class _OnFirstUse:
    """A module imported when first used: SymPy and Hypothesis load only when a
    command needs them, so `gradkey code` reports a submission that does not
    import before they do (issue 12: an import failure in under 2 s)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


derive = _OnFirstUse("gradkey.derive")
_problems = _OnFirstUse("gradkey.derive.problems")
_numerics = _OnFirstUse("gradkey.verify.numerics.consistency")
_seeded = _OnFirstUse("gradkey.verify.numerics.instances")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def cmd_problems(args) -> int:
    from gradkey.derive.problemfile import ProblemFileError, load
    from gradkey.derive.proofs import prove
    if args.check:
        # validation alone: structure and shapes, then every closed form, step
        # and mistake against the derived truth (symbolic proofs time-bounded)
        try:
            ps = load(args.check)
            notes = prove(ps, symbolic_seconds=args.symbolic)
        except ProblemFileError as exc:
            print(f"gradkey problems: {exc}", file=sys.stderr)
            return EXIT_FINDINGS
        print(f"{args.check}: {ps.name}: {len(ps.questions)} question(s); every closed form and step equals "
              f"the derived truth, every mistake differs from it")
        for note in notes:
            print(f"  note: {note}")
        return EXIT_OK
    sets = list(derive.problem_sets().values())
    for f in args.files:
        try:
            sets.append(load(f))
        except ProblemFileError as exc:
            print(f"gradkey problems: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for ps in sets:
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


def _instances(ps, q, n: int, seed: int) -> list:
    """Seeded instances for a question, drawn from its problem file."""
    return _seeded.seeded_instances(n, seed, dims=None, problem=ps, question=q)


def cmd_derive(args) -> int:
    from gradkey.derive.problemfile import ProblemFileError
    try:
        ps = derive.problem_set(args.problem)
    except ProblemFileError as exc:
        print(f"gradkey derive: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.all == bool(args.question):
        print("gradkey derive: give one QUESTION id or --all", file=sys.stderr)
        return EXIT_USAGE
    try:
        questions = ps.questions if args.all else [ps.question(args.question)]
    except _problems.UnknownQuestion as exc:
        print(f"gradkey derive: {exc}", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for q in questions:
        if not args.latex:
            print(f"{q.id}")
        for line in _render(q, args.latex):
            print(("  " if not args.latex else "") + line)
        checks = [c for inst in _instances(ps, q, args.instances, args.seed)
                  for c in _numerics.check_question(q, inst)]
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


def _positive(kind):
    """An argparse type: a number above zero (0 workers, 0 instances or a
    0-second limit would grade nothing or everything as a timeout)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
        return value
    parse.__name__ = kind.__name__
    return parse


def _announce(command: str, message: str) -> None:
    print(f"gradkey {command}: {message}", file=sys.stderr)


def _out_dir(command: str, out):
    """--out DIR: created if its parent exists; a missing parent is a usage
    error (a typo should not grow a tree of folders)."""
    from pathlib import Path
    if not out:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise _Usage(f"--out {out}: exists and is not a folder")
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise _Usage(f"--out {out}: the folder {parent} does not exist; create it first")
        path.mkdir()
        _announce(command, f"created {path}/")
    return path


class _Usage(Exception):
    """A usage or input error: the message is printed and the exit status is 2."""


def _safe_name(student: str) -> str:
    # student names are folder names or file stems: unique in a class and
    # without "/"; only a name that would be hidden or special needs care
    return ("_" + student) if student.startswith(".") or not student else student


def _write_per_student(command, out, records, rubric, fmt, exports) -> None:
    import json
    for s in records:
        name = _safe_name(s.student)
        (out / f"{name}.feedback.md").write_text(exports.feedback_markdown(s, rubric), encoding="utf-8")
        if fmt == "gradescope":
            (out / f"{name}.results.json").write_text(json.dumps(exports.gradescope(s, rubric), indent=2,
                                                                 default=float), encoding="utf-8")
    _announce(command, f"wrote {len(records)} feedback file(s) to {out}/ (<student>.feedback.md)")
    if fmt == "gradescope":
        _announce(command, f"wrote {len(records)} Gradescope result(s) to {out}/ (<student>.results.json)")


def _executor(args):
    from gradkey.verify.grade.batch import LocalPool
    if getattr(args, "scheduler", None):
        from gradkey.verify.grade.cluster import DaskExecutor  # Dask is imported only here
        return DaskExecutor.connect(args.scheduler)
    return LocalPool(args.jobs)


def _run_batch(command, args, entries, job, timeout):
    """One row per entry from the local pool or the Dask cluster; a cluster
    that cannot be reached or cannot grade is a usage error (exit 2)."""
    from gradkey.verify.grade.batch import grade, progress_bar
    from gradkey.verify.grade.cluster import ClusterError
    try:
        executor = _executor(args)
        try:
            return grade(entries, job, executor, timeout=timeout,
                         progress=progress_bar() if len(entries) > 1 else None)
        finally:
            executor.close()
    except ClusterError as exc:
        raise _Usage(str(exc)) from None


def _scan(command, args, mode):
    from gradkey.verify.grade.discover import DiscoveryError, scan
    try:
        entries, hidden = scan(args.files, mode, student=args.student)
    except DiscoveryError as exc:
        raise _Usage(str(exc)) from None
    if hidden:
        _announce(command, f"skipped {len(hidden)} hidden entr{'y' if len(hidden) == 1 else 'ies'} "
                           f"({', '.join(hidden[:3])}{', …' if len(hidden) > 3 else ''})")
    if not entries:
        raise _Usage(f"nothing to grade in {', '.join(map(str, args.files))}")
    return entries


def _finish_outputs(command, args, rows, records, rubric, exports, to_json_doc) -> None:
    """The formats and files shared by `check` and `code`."""
    from gradkey.verify.grade.gradebook import csv_gradebook
    out = args.out_path
    if out:
        _write_per_student(command, out, records, rubric, args.format, exports)
    if args.format == "json":
        print(to_json_doc())
    elif args.format == "csv":
        text = csv_gradebook(records, rubric)
        if out:
            (out / "grades.csv").write_text(text, encoding="utf-8")
            _announce(command, f"wrote {out / 'grades.csv'} ({len(records)} students)")
        else:
            sys.stdout.write(text)
    elif args.format == "gradescope" and not out:
        import json
        print(json.dumps(exports.gradescope(records[0], rubric), indent=2, default=float))


def cmd_check(args) -> int:
    from pathlib import Path

    from gradkey.verify.grade import decisions as decisions_, exports, rubric as rubrics
    from gradkey.verify.grade.batch import CheckJob
    from gradkey.verify.grade.discover import CHECK
    from gradkey.verify.grade.gradebook import students, unused_decisions
    from gradkey.verify.grade.report import reviews_text, to_json, to_text

    try:
        rubric = rubrics.load(args.rubric, args.problem) if args.rubric else rubrics.default(args.strict_layout)
    except rubrics.RubricError as exc:
        print(f"gradkey check: invalid rubric: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.rubric and args.strict_layout:
        rubric = dataclasses.replace(rubric, layout="strict")
    try:
        decided = decisions_.load(args.decisions, rubric) if args.decisions else {}
    except decisions_.DecisionError as exc:
        print(f"gradkey check: invalid decisions file: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.files = args.files or [str(Path(__file__).resolve().parent.parent / "examples" / "submissions")]
    try:
        entries = _scan("check", args, CHECK)
        students_seen = {e.student for e in entries}
        if args.format == "gradescope" and len(students_seen) > 1 and not args.out:
            raise _Usage("--format gradescope for several students needs --out DIR (one results.json per "
                         "student), or --student NAME when every file is one student's")
        args.out_path = _out_dir("check", args.out)
    except _Usage as exc:
        print(f"gradkey check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        problem = args.problem or rubric.problem or None      # --problem, else the set the rubric names
        problem = problem if problem != "word2vec" else None
        if problem is not None:
            from gradkey.derive.problemfile import ProblemFileError
            try:
                ps = derive.problem_set(problem)  # an unknown set or a bad file: a usage error before any work
            except ProblemFileError as exc:
                raise _Usage(str(exc)) from None
            if not args.rubric:               # the gradebook's questions are the set's
                rubric = dataclasses.replace(rubric, questions=tuple(ps.ids), problem=problem)
        rows = _run_batch("check", args, entries, CheckJob(rubric.policy, rubric.aliases, problem), args.timeout)
    except _Usage as exc:
        print(f"gradkey check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    records = students(rows, rubric, decided)
    for d in unused_decisions(records, decided):
        _announce("check", f"decision on line {d.line} is for {d.student!r}, who is not in this batch: not used")
    if args.reviews:
        print(reviews_text(records))
        return EXIT_FINDINGS if any(s.reviews for s in records) else EXIT_OK
    summary = exports.summary(rows, records, rubric)
    _finish_outputs("check", args, rows, records, rubric, exports, lambda: to_json(rows, summary))
    if args.format == "text":
        print(to_text(records, rubric if args.rubric else None, all_questions=bool(args.rubric))
              + (exports.summary_text(summary) if len(records) > 1 else ""))
    if args.html:  # the review site; its packages are the optional extra gradkey[html]
        from gradkey.verify.grade import html as review_site
        if not review_site.from_cli("check", args.html, rows, rubric):
            return EXIT_USAGE
    bad = any(s.problems or s.unmatched or any((q.result or q.decision) and q.verdict != "correct"
                                                for q in s.questions.values()) for s in records)
    # a file where nothing could be identified needs a human: never "no answers, exit 0"
    bad = bad or any(r.get("needs_review") for r in rows if isinstance(r, dict))
    return EXIT_FINDINGS if bad else EXIT_OK


def _stands_in_for(adapter) -> str:
    """The function an older assignment's name stands in for ([code] instead_of), or ""."""
    instead = getattr(getattr(adapter, "declaration", None), "instead_of", "")
    if instead and ":" in adapter.function:
        instead += ":" + adapter.function.split(":", 1)[1]
    return instead


def code_as_questions(row: dict, adapters=()) -> dict:
    """A code report seen as a graded submission: one 'question' per function,
    so the gradebook, Gradescope and feedback exports serve both commands. A
    function checked under an older assignment's name (softmaxCostAndGradient)
    answers the question of the function it stands in for."""
    row = dict(row)
    column = {a.function: _stands_in_for(a) for a in adapters if _stands_in_for(a)}
    row["questions"] = {column.get(f["name"], f["name"]): {
                            "verdict": f["verdict"], "line": None, "latex": "", "understood": "",
                            "code": None, "feedback": f.get("note") if f["verdict"] != "correct" else None,
                            "counterexample": f.get("counterexample"),
                            "note": f"checked as {f['name']}" if f["name"] in column else "", "steps": []}
                        for f in row.get("functions", [])}
    row.setdefault("answers", [])
    return row


def _launch_early(args, limits):
    """One file: launch its sandbox now, so the module imports while the
    grader loads SymPy and Hypothesis (an import failure is reported fast)."""
    from pathlib import Path

    from gradkey.verify.code import preflight
    from gradkey.verify.code.preflight import guess_helpers
    from gradkey.verify.code.sandbox import Sandbox, isolation_problem
    path = Path(args.files[0])
    if len(args.files) != 1 or args.student or path.suffix != ".py" or not path.is_file() or \
            getattr(args, "scheduler", None) or (not args.no_isolation and isolation_problem()):
        return None
    problem = None if args.map else (args.problem or "auto")
    if problem not in (None, "auto") and preflight.problem_file(problem) is None:
        return None                     # an unknown set is a usage error, said by the full path
    try:
        sandbox = Sandbox(path, limits, helpers=guess_helpers(path, problem), isolation=not args.no_isolation)
        sandbox.launch()
        return sandbox
    except Exception:  # noqa: BLE001 - only a head start; check_file starts its own
        return None


def cmd_code(args) -> int:
    from gradkey.verify.code.sandbox import Limits
    limits = Limits(seconds_per_call=args.timeout, memory_mb=args.memory, file_seconds=args.budget,
                    import_seconds=args.import_timeout)
    early = _launch_early(args, limits)
    try:
        if early is not None and args.format == "text" and not (args.out or args.rubric or args.html):
            # the import check first: a module that does not import is
            # reported before SymPy and Hypothesis are even loaded
            from gradkey.verify.code import preflight
            early.wait_ready()
            if early.import_error:
                names = preflight.function_names(args.files[0], args.problem or "auto")
                if names is None:
                    from gradkey.verify.code.layout import default_adapters
                    names = [a.function for a in default_adapters()]
                print(code_text(preflight.import_failure(args.files[0], early, names)))
                return EXIT_FINDINGS
        return _code(args, limits, early)
    finally:
        if early is not None:
            early.close()


def _code(args, limits, early) -> int:
    import json
    from pathlib import Path

    from gradkey.verify.code import filelayout
    from gradkey.verify.code.layout import default_adapters, load_map
    from gradkey.verify.grade import exports, rubric as rubrics
    from gradkey.verify.grade.batch import CodeJob
    from gradkey.verify.grade.discover import CODE
    from gradkey.verify.grade.gradebook import students

    adapters, problem_set = None, None       # None: the default set's (loaded only when needed)
    try:
        if args.map:
            # the map's functions are over --problem's set when given (else the one the map names)
            over = None
            if args.problem:
                from gradkey.derive import problems
                try:
                    over = problems.problem_set(args.problem)
                except problems.UnknownQuestion as exc:
                    raise ValueError(str(exc)) from None
            adapters = load_map(args.map, over)
        elif args.problem:
            # a problem file's layouts (CS231n: linear, mlp; logreg); each file
            # is checked for the ones it defines
            adapters, problem_set = filelayout.layouts(filelayout.load_problem(args.problem)), args.problem
        else:
            problem_set = "auto"   # found by the functions the file defines; the default set otherwise
    except (OSError, ValueError) as exc:
        print(f"gradkey code: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        entries = _scan("code", args, CODE)
        single = len(args.files) == 1 and Path(args.files[0]).is_file() and not args.student
        if args.format == "gradescope" and len({e.student for e in entries}) > 1 and not args.out:
            raise _Usage("--format gradescope for several students needs --out DIR, or --student NAME")
        args.out_path = _out_dir("code", args.out)
    except _Usage as exc:
        print(f"gradkey code: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if problem_set == "auto":
        found = filelayout.detect_entries(entries)
        if found:
            adapters = filelayout.layouts(found)
    adapters = default_adapters() if adapters is None else adapters
    # the gradebook's columns: today's names (an older assignment's name for a function,
    # declared instead_of it, is graded in that function's column: code_as_questions)
    functions = [a.function for a in adapters if not _stands_in_for(a)]
    try:
        rubric = rubrics.load_code(args.rubric, functions) if args.rubric else rubrics.default_code(functions)
    except rubrics.RubricError as exc:
        print(f"gradkey code: invalid rubric: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.no_isolation:
        from gradkey.verify.code.sandbox import isolation_problem
        problem = isolation_problem()
        if problem:
            print(f"gradkey code: cannot isolate student code: {problem}", file=sys.stderr)
            return EXIT_USAGE
    options = dict(examples=args.examples, adapters=adapters, isolation=not args.no_isolation, limits=limits,
                   problem=problem_set)
    if single and entries[0].gradable and not getattr(args, "scheduler", None):
        # one file: in this process (the student's code still runs in the
        # sandbox), so the progress can name each function as it is checked
        progress = None
        if sys.stderr.isatty() and args.format == "text":
            progress = lambda name: print(f"  checking {name} …", file=sys.stderr)  # noqa: E731
        rows = [CodeJob(**options, progress=progress, sandbox=early)(entries[0])]
    else:
        try:
            rows = _run_batch("code", args, entries, CodeJob(**options), args.file_timeout)
        except _Usage as exc:
            print(f"gradkey code: {exc}", file=sys.stderr)
            return EXIT_USAGE
    records = students([code_as_questions(r, adapters) for r in rows], rubric)
    doc = rows[0] if single else {"submissions": rows}
    _finish_outputs("code", args, rows, records, rubric, exports, lambda: json.dumps(doc, indent=2, default=float))
    if args.format == "text":
        from gradkey.verify.grade.terminal import safe
        print("\n".join(code_text(r) for r in rows))
        if args.rubric or len(records) > 1:
            for s in records:
                total = "—" if s.total is None else f"{s.total:g}"
                print(safe(f"{s.student}: {total} / {rubric.total:g} points"))
    if args.html:  # the review site; its packages are the optional extra gradkey[html]
        from gradkey.verify.grade import html as review_site
        if not review_site.from_cli("code", args.html, rows[0] if single else rows):
            return EXIT_USAGE
    ok = all(not r.get("error") and r.get("functions") and all(f["verdict"] == "correct" for f in r["functions"])
             for r in rows)
    return EXIT_OK if ok else EXIT_FINDINGS


def code_text(report: dict) -> str:
    lines = _code_lines(report)
    # every line may quote the student (file name, exception message, values):
    # made inert for the terminal like the check report's
    from gradkey.verify.grade.terminal import safe
    return "\n".join(safe(line) for line in lines)


def _code_lines(report: dict) -> list[str]:
    marks = {"correct": "✓", "incorrect": "✗", "unstable": "~", "error": "!"}
    lines = [f"== {report['file']}"]
    if str(report.get("isolation", "")).startswith("none"):
        lines.append("   (the code ran WITHOUT a sandbox: --no-isolation)")
    if report.get("error"):
        return lines + [f"   ! could not be checked: {report['error']}"]
    for f in report["functions"]:
        lines.append(f" {marks.get(f['verdict'], ' ')} {f['name']:<30} {f['verdict']}")
        if f["verdict"] != "correct":
            lines.append(f"     {f['note']}")
            ce = f.get("counterexample")
            if ce:
                dims = ce["dims"]
                lines.append(f"     minimal input: {' '.join(f'{k}={v}' for k, v in dims.items())}")
                for name, value in ce["inputs"].items():
                    lines.append(f"       {name} = {value}")
                if ce.get("expected") is not None:
                    lines.append(f"     {ce['output']}: expected {ce['expected']}")
                    lines.append(f"     {' ' * (len(str(ce['output'])) + 2)}{'got':>8} {ce['got']}")
    return lines


def cmd_key(args) -> int:
    from pathlib import Path

    from gradkey.verify.key.answer_key import NoTeX, StepFailed, compile_pdf, key

    if args.pdf and args.format != "tex":
        print("gradkey key: --pdf needs --format tex", file=sys.stderr)
        return EXIT_USAGE
    from gradkey.derive.problemfile import ProblemFileError
    try:
        text = key(args.problem, args.format)
    except StepFailed as exc:
        print(f"gradkey key: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except ProblemFileError as exc:
        print(f"gradkey key: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output:
        folder = Path(args.output).parent
        if not folder.is_dir():  # a typo must not grow folders: say so
            print(f"gradkey key: cannot write {args.output}: the folder {folder} does not exist; create it first",
                  file=sys.stderr)
            return EXIT_USAGE
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"gradkey key: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        print(f"gradkey key: wrote {args.output}", file=sys.stderr)
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
    from gradkey import __version__
    p = argparse.ArgumentParser(prog="gradkey", description="Derive gradients with SymPy and check derivations against them.")
    p.add_argument("--version", action="version", version=f"gradkey {__version__}")
    sub = p.add_subparsers(dest="command")
    sp_ = sub.add_parser("problems", help="list problem sets and question ids")
    sp_.add_argument("files", nargs="*", help="problem files (.toml) to list besides the bundled sets")
    sp_.add_argument("--check", metavar="FILE", help="validate a problem file alone (exit 1 with the key at fault)")
    sp_.add_argument("--symbolic", type=float, default=0.0, metavar="S",
                     help="with --check: also prove each closed form symbolically, S seconds each")
    sp_.set_defaults(run=cmd_problems)
    d = sub.add_parser("derive", help="a question's closed form, checked against the derived gradient")
    d.add_argument("question", nargs="?", help="question id, e.g. naive.v_c (see `gradkey problems`)")
    d.add_argument("--all", action="store_true", help="every question of the problem set")
    d.add_argument("--latex", action="store_true", help="print LaTeX")
    d.add_argument("--problem", default="word2vec",
                   help="problem set: a bundled name (see `gradkey problems`) or a .toml path (default: word2vec)")
    d.add_argument("--instances", type=_positive(int), default=3, help="seeded instances to check at (default: 3)")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(run=cmd_derive)
    c = sub.add_parser("check", help="judge submitted derivations (Markdown/LaTeX, OCR'd or typed)")
    c.add_argument("files", nargs="*", help="submission files or class folders, searched recursively; a student "
                   "is the first folder level under the class folder, or a file's stem (default: the bundled examples/submissions/)")
    c.add_argument("--format", choices=["text", "json", "gradescope", "csv"], default="text")
    c.add_argument("--rubric", help="TOML rubric: questions, points, partial credit, layout, aliases, visibility")
    c.add_argument("--problem", default=None,
                   help="problem set the answers are for: a bundled name (see `gradkey problems`) or a .toml path "
                        "(default: the one --rubric names, else word2vec)")
    c.add_argument("--out", help="folder for one feedback file per student (and <student>.results.json / grades.csv)")
    c.add_argument("--jobs", type=_positive(int), default=None, help="parallel workers (default: all cores)")
    c.add_argument("--timeout", type=_positive(float), default=60.0,
                   help="seconds allowed per submission file (default: 60)")
    c.add_argument("--student", help="every file given is this one student's (a Gradescope submission folder)")
    c.add_argument("--decisions", metavar="FILE",
                   help="TA decisions (CSV: student,question,verdict,points,who,why), applied on every regrade")
    c.add_argument("--reviews", action="store_true", help="list only what still needs a human, by student")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the batch on a Dask cluster (tcp://host:8786), or local:N for N local worker processes")
    c.add_argument("--strict-layout", action="store_true",
                   help="a row vector (u_oᵀ) where a column (u_o) is meant is incorrect (default: accepted)")
    c.add_argument("--html", metavar="DIR", help="also write a static review site (class, students, review queue) to DIR")
    c.set_defaults(run=cmd_check)
    k = sub.add_parser("code", help="check formula code (CS224n word2vec.py, CS231n softmax/SVM/TwoLayerNet, "
                                    "a problem file's declared functions) against the derived truth")
    k.add_argument("--problem", metavar="NAME|PATH",
                   help="problem set whose [code] layouts to check (linear, mlp, logreg, or a .toml path); "
                        "default: the set whose functions the file defines, else word2vec")
    k.add_argument("files", nargs="+", metavar="FILE_OR_DIR",
                   help="Python modules or class folders of them; each runs in a sandboxed subprocess")
    k.add_argument("--format", choices=["text", "json", "gradescope", "csv"], default="text")
    k.add_argument("--examples", type=_positive(int), default=100, help="generated inputs per function (default: 100)")
    k.add_argument("--timeout", type=_positive(float), default=5.0, help="seconds per call (default: 5)")
    k.add_argument("--memory", type=_positive(int), default=1024, help="memory limit of the sandbox in MB (default: 1024)")
    k.add_argument("--budget", type=_positive(float), default=60.0,
                   help="wall-clock seconds for all checks of one file; what was checked by then is reported (default: 60)")
    k.add_argument("--import-timeout", type=_positive(float), default=10.0,
                   help="seconds allowed to import the module (default: 10)")
    k.add_argument("--no-isolation", action="store_true",
                   help="run student code without the bubblewrap sandbox (only on a machine you trust; the report says so)")
    k.add_argument("--rubric", help="TOML rubric for code: functions, points per function, visibility")
    k.add_argument("--out", help="folder for one feedback file per student (and <student>.results.json / grades.csv)")
    k.add_argument("--jobs", type=_positive(int), default=None, help="files checked in parallel (default: all cores)")
    k.add_argument("--file-timeout", type=_positive(float), default=600.0,
                   help="seconds allowed per file in a batch (default: 600)")
    k.add_argument("--student", help="every file given is this one student's (a Gradescope submission folder)")
    k.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the batch on a Dask cluster (tcp://host:8786), or local:N for N local worker processes")
    k.add_argument("--map", help="TOML file declaring other functions' arguments and outputs (see README)")
    k.add_argument("--html", metavar="DIR", help="also write a static page of the findings and the source to DIR")
    k.set_defaults(run=cmd_code)
    y = sub.add_parser("key", help="write the answer key; every step is checked against the derived truth first")
    y.add_argument("--problem", default="word2vec",
                   help="problem set: a bundled name or a .toml path (default: word2vec)")
    y.add_argument("--format", choices=["tex", "md"], default="tex")
    y.add_argument("-o", "--output", help="file to write (default: standard output)")
    y.add_argument("--pdf", action="store_true", help="also compile the LaTeX with pdflatex")
    y.set_defaults(run=cmd_key)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_OK
    try:
        status = args.run(args)
        sys.stdout.flush()   # a closed pipe shows here, inside the handler, not at exit
        return status
    except _problems.UnknownQuestion as exc:
        print(f"gradkey: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # the reader went away (`gradkey check … | head`): stop quietly, and
        # keep Python from complaining again when it flushes stdout at exit
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the shell's convention for a closed pipe


if __name__ == "__main__":
    sys.exit(main())
