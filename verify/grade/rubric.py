"""Rubrics: which questions, how many points, partial credit, layout policy,
course aliases and visibility, from a TOML file validated before grading.

    [assignment]
    problem = "word2vec"                        # the problem set (a bundled name or a .toml path beside
                                                # the rubric; default: word2vec, or `--problem`)
    questions = ["sigmoid.grad", "naive.v_c"]    # default: every question
    layout = "lenient"                          # or "strict": uᵀ for u is incorrect
    review = 0.5                                # share of the points for `review`
    show_answer = false                         # students see the correct formula (default: no)

    [points]                                    # default 1 each
    "naive.v_c" = 2

    [mistakes]                                  # points for an incorrect answer with this code
    "naive.u_w.MISSING_V_C" = 0.5

    [visibility]                                # Gradescope: visible | hidden | after_due_date | after_published
    "naive.U" = "after_due_date"

    [aliases]                                   # the course's notation -> the problem's
    "\\\\theta_c" = "v_c"
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gradkey import derive

from gradkey.verify.check.answers import Policy
from gradkey.verify.check.mistakes import mistakes_for

VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


class RubricError(ValueError):
    pass


@dataclass(frozen=True)
class Rubric:
    questions: tuple = ()
    points: dict = field(default_factory=dict)
    review: float = 0.0
    mistakes: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)
    layout: str = "lenient"
    show_answer: bool = False
    problem: str = ""               # the set graded (the rubric's, else --problem: NAME or PATH); "" the default

    @property
    def policy(self) -> Policy:
        return Policy(strict_layout=self.layout == "strict")

    def max_points(self, qid: str) -> float:
        return float(self.points.get(qid, 1.0))

    @property
    def total(self) -> float:
        return sum(self.max_points(q) for q in self.questions)

    def score(self, qid: str, result: dict | None) -> float:
        """Points for one question's result (None: not answered)."""
        if not result:
            return 0.0
        verdict, full = result["verdict"], self.max_points(qid)
        if verdict == "correct":
            return full
        if verdict in ("review", "unstable"):
            return round(self.review * full, 4)
        if verdict == "incorrect" and result.get("code") in self.mistakes:
            return float(self.mistakes[result["code"]])
        return 0.0


def default(strict_layout: bool = False) -> Rubric:
    return Rubric(questions=tuple(derive.problem_set().ids), layout="strict" if strict_layout else "lenient")


def _known(qid: str, where: str, ids) -> None:
    if qid not in ids:
        close = difflib.get_close_matches(qid, ids, n=2, cutoff=0.5)
        raise RubricError(f"{where}: unknown question id {qid!r}" + (f" (did you mean {', '.join(close)}?)" if close else
                                                                      f"; known: {', '.join(ids)}"))


def _number(value, where: str, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RubricError(f"{where}: expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise RubricError(f"{where}: {value!r} must be {bound}")
    return float(value)


def _problem(path: Path, named, given: str | None):
    """The rubric's problem set: the one it names (a bundled name, or a path relative to the
    rubric), else ``given`` (``--problem``), else the default. A rubric naming one set and
    ``--problem`` another is an error: the question ids and mistake codes would not match."""
    from gradkey.derive.problemfile import ProblemFileError, bundled
    from gradkey.derive.problems import UnknownQuestion
    if named is not None and not (isinstance(named, str) and named.strip()):
        raise RubricError(f"{path}: [assignment] problem must be a problem set's name or a .toml path")
    if named is not None and named not in bundled():
        beside = path.parent / named
        named = str(beside) if beside.is_file() else named
    if named is not None and given is not None and given != named and \
            Path(given).resolve() != Path(named).resolve():
        raise RubricError(f"{path}: the rubric is for problem {named!r} but --problem is {given!r}; "
                          "drop one of them")
    try:
        return named or given or "", derive.problem_set(named or given or "word2vec")
    except (UnknownQuestion, ProblemFileError) as exc:
        raise RubricError(f"{path}: [assignment] problem: {exc}") from None


def load(path: str | Path, problem: str | None = None) -> Rubric:
    """Read and validate a rubric; every problem is reported with where it is."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"assignment", "points", "mistakes", "visibility", "aliases"}
    if unknown:
        raise RubricError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
                          "use [assignment], [points], [mistakes], [visibility], [aliases]")
    a = data.get("assignment", {})
    extra = set(a) - {"questions", "layout", "review", "show_answer", "problem"}
    if extra:
        raise RubricError(f"{path}: [assignment] has unknown key(s) {', '.join(sorted(extra))}")
    named, ps = _problem(path, a.get("problem"), problem)
    questions = a.get("questions", ps.ids)
    if not isinstance(questions, list) or not questions:
        raise RubricError(f"{path}: [assignment] questions must be a non-empty list of question ids")
    for q in questions:
        _known(q, f"{path}: [assignment] questions", ps.ids)
    layout = a.get("layout", "lenient")
    if layout not in ("lenient", "strict"):
        raise RubricError(f"{path}: [assignment] layout must be \"lenient\" or \"strict\", got {layout!r}")
    review = _number(a.get("review", 0.0), f"{path}: [assignment] review", 0.0, 1.0)
    show_answer = a.get("show_answer", False)
    if not isinstance(show_answer, bool):
        raise RubricError(f"{path}: [assignment] show_answer must be true or false, got {show_answer!r}")
    points = {}
    for q, v in data.get("points", {}).items():
        _known(q, f"{path}: [points]", ps.ids)
        points[q] = _number(v, f"{path}: [points] {q}")
    codes = {m.code for ms in mistakes_for(ps).values() for m in ms}
    mistakes = {}
    for code, v in data.get("mistakes", {}).items():
        if code not in codes:
            close = difflib.get_close_matches(code, sorted(codes), n=2, cutoff=0.6)
            raise RubricError(f"{path}: [mistakes] unknown mistake code {code!r}"
                              + (f" (did you mean {', '.join(close)}?)" if close else ""))
        qid = code.rsplit(".", 1)[0]
        mistakes[code] = _number(v, f"{path}: [mistakes] {code}", 0.0, float(points.get(qid, 1.0)))
    visibility = {}
    for q, v in data.get("visibility", {}).items():
        _known(q, f"{path}: [visibility]", ps.ids)
        if v not in VISIBILITY:
            raise RubricError(f"{path}: [visibility] {q}: {v!r} is not one of {', '.join(VISIBILITY)}")
        visibility[q] = v
    aliases = data.get("aliases", {})
    if not all(isinstance(k, str) and isinstance(v, str) and k for k, v in aliases.items()):
        raise RubricError(f"{path}: [aliases] must map the course's notation to the problem's, as strings")
    return Rubric(tuple(questions), points, review, mistakes, visibility, dict(aliases), layout, show_answer,
                  named)


def default_code(functions) -> Rubric:
    """Every function of the layout, one point each."""
    return Rubric(questions=tuple(functions))


def load_code(path: str | Path, functions) -> Rubric:
    """A rubric for formula code: the same TOML with function names where a
    written rubric has question ids.

        [assignment]
        functions = ["sigmoid", "naiveSoftmaxLossAndGradient"]   # default: every function
        unstable = 0.5          # share of the points for `unstable` (right but overflows)
        [points]
        negSamplingLossAndGradient = 3
        [visibility]
        skipgram = "after_due_date"
    """
    path, functions = Path(path), list(functions)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"assignment", "points", "visibility"}
    if unknown:
        raise RubricError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
                          "a code rubric has [assignment], [points], [visibility]")
    a = data.get("assignment", {})
    extra = set(a) - {"functions", "unstable"}
    if extra:
        raise RubricError(f"{path}: [assignment] has unknown key(s) {', '.join(sorted(extra))}")

    def known(name, where):
        if name not in functions:
            close = difflib.get_close_matches(str(name), functions, n=2, cutoff=0.5)
            raise RubricError(f"{where}: unknown function {name!r}" + (f" (did you mean {', '.join(close)}?)" if close
                                                                      else f"; known: {', '.join(functions)}"))
    chosen = a.get("functions", functions)
    if not isinstance(chosen, list) or not chosen:
        raise RubricError(f"{path}: [assignment] functions must be a non-empty list of function names")
    for f in chosen:
        known(f, f"{path}: [assignment] functions")
    unstable = _number(a.get("unstable", 0.0), f"{path}: [assignment] unstable", 0.0, 1.0)
    points = {}
    for f, v in data.get("points", {}).items():
        known(f, f"{path}: [points]")
        points[f] = _number(v, f"{path}: [points] {f}")
    visibility = {}
    for f, v in data.get("visibility", {}).items():
        known(f, f"{path}: [visibility]")
        if v not in VISIBILITY:
            raise RubricError(f"{path}: [visibility] {f}: {v!r} is not one of {', '.join(VISIBILITY)}")
        visibility[f] = v
    return Rubric(tuple(chosen), points, unstable, {}, visibility)
