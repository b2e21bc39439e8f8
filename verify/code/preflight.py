"""Which course helpers a file's sandbox needs, decided without SymPy or
Hypothesis: the bundled problem files' ``[problem].helpers`` and ``[code]``
names are read with ``tomllib`` alone, and the file's ``def``/``class`` names
with a regular expression. The command line uses it to launch the sandbox
(so the module imports) while the grader is still loading; check_file
resolves the layout properly and starts another sandbox if this guess was
wrong, so the guess only ever costs time.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

PROBLEMS = Path(__file__).resolve().parents[2] / "derive" / "problems"
#: The problem set `gradkey code` checks a file for when it defines no function
#: of another bundled set's [code] table (the command line's default set).
DEFAULT_PROBLEM = "word2vec"
_DEF = re.compile(r"^[ \t]*(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def _declared(path: Path) -> tuple[list, set]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], set()
    code = doc.get("code", {}) if isinstance(doc.get("code"), dict) else {}
    names = set()
    for kind in ("functions", "methods"):
        for name in code.get(kind, {}) or {}:
            names.update(str(name).split(":", 1)[0].split(".", 1))
    helpers = doc.get("problem", {}).get("helpers", [])
    return (helpers if isinstance(helpers, list) else [helpers]), names


def defined_names(path: str | Path) -> set:
    """The names a module file defines with def/class, read from its text."""
    try:
        return set(_DEF.findall(Path(path).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return set()


def problem_file(problem: str) -> Path | None:
    """A bundled set's TOML by name, or an existing file (None: neither)."""
    candidate = PROBLEMS / f"{problem}.toml"
    if candidate.is_file():
        return candidate
    return Path(problem) if Path(problem).is_file() else None


def guess_helpers(path: str | Path, problem: str | None = None) -> str | None:
    """The helper folder the file most likely needs (None: none)."""
    if problem and problem != "auto":
        candidate = PROBLEMS / f"{problem}.toml"
        helpers, _ = _declared(candidate if candidate.is_file() else Path(problem))
        return helpers[0] if helpers else None
    default, _ = _declared(PROBLEMS / f"{DEFAULT_PROBLEM}.toml")
    default = default[0] if default else None
    try:
        defined = set(_DEF.findall(Path(path).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return default
    best, count = default, 0
    for f in sorted(PROBLEMS.glob("*.toml")):
        helpers, names = _declared(f)
        n = len(names & defined)
        if names and n > count:
            best, count = (helpers[0] if helpers else None), n
    return best


# -- a module that does not import --------------------------------------------

_PY2 = ("Missing parentheses in call to", "multiple exception types must be parenthesized",
        "invalid hexadecimal literal", "leading zeros in decimal integer literals")


def import_message(error: dict) -> str:
    """One clear sentence for a module that does not import."""
    text = error.get("error", "the module could not be imported")
    if error.get("exception") in ("SyntaxError", "TabError", "IndentationError"):
        where = f"line {error['line']}: {error.get('text', '')}" if error.get("line") else ""
        if any(p in error.get("message", "") for p in _PY2) or re.match(r"(print|exec)\s+[^\s(=]", error.get("text", "")):
            return (f"this is Python 2 code ({where}); gradkey runs Python 3: use print(...), "
                    "`except E as e`, range and items()")
        return f"the module does not compile ({where}): {error.get('message') or text}"
    if error.get("exception") == "ModuleNotFoundError":
        return (f"{text}: only the standard library, NumPy and the course's helper modules exist in the sandbox; "
                "put any other module the file needs next to it")
    return f"the module could not be imported: {text}"


def import_failure(path: str | Path, sandbox, names: list) -> dict:
    """The report of a file whose module does not import: one error for the
    file, a row per function (a rubric needs one) that does not repeat it."""
    report = {"file": str(path), "isolation": "bubblewrap" if sandbox.isolation else "none (--no-isolation)",
              "error": import_message(sandbox.import_error)}
    report["functions"] = [{"name": n, "verdict": "error", "output": None, "counterexample": None,
                            "note": "not checked: the module does not import (see the file's error)", "examples": 0,
                            "convention": None} for n in names]
    return report


def function_names(path: str | Path, problem: str | None) -> list | None:
    """The functions the file will be checked for, from the problem files'
    TOML alone (None: the default problem set's, all of them)."""
    if problem is None:
        return None
    candidates = []
    if problem != "auto":
        f = PROBLEMS / f"{problem}.toml"
        candidates = [f if f.is_file() else Path(problem)]
    else:
        candidates = sorted(PROBLEMS.glob("*.toml"))
    try:
        defined = set(_DEF.findall(Path(path).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        defined = set()
    best = None
    for f in candidates:
        try:
            code = tomllib.loads(f.read_text(encoding="utf-8")).get("code", {})
        except (OSError, ValueError):
            continue
        names = present_api(code, defined)
        found = [n for n in names if set(n.split(":", 1)[0].split(".", 1)) <= defined]
        if problem == "auto" and f.stem == DEFAULT_PROBLEM:
            found = names if found else []     # the default set is checked whole
        if problem != "auto" and not found:
            found = names
        if found and (best is None or len(found) > len(best)):
            best = found
    if best is None and problem == "auto":
        # none found: the default set's, all of them (read here, so that an
        # import failure is still reported before SymPy loads)
        try:
            code = tomllib.loads((PROBLEMS / f"{DEFAULT_PROBLEM}.toml").read_text(encoding="utf-8")).get("code", {})
        except (OSError, ValueError):
            return None
        best = present_api(code, defined) or None
    return best


def present_api(code: dict, defined: set) -> list:
    """The names of a [code] table a module is checked for: a function declared
    ``instead_of`` another (an older assignment's name) only when the module
    defines it, and then instead of the one it names (NAME:variant with it)."""
    specs = {str(n): (f if isinstance(f, dict) else {}) for kind in ("functions", "methods")
             for n, f in (code.get(kind, {}) or {}).items()}
    instead = {n: f.get("instead_of", "") for n, f in specs.items()}
    replaced = {instead[n] for n in specs if instead[n] and n.split(":", 1)[0] in defined}
    keep = []
    for n in specs:
        base = n.split(":", 1)[0]
        if instead[n] and base not in defined:
            continue
        if base in replaced and base not in defined:
            continue
        keep.append(n)
    return keep
