"""Word2vec's own checker and the old Python core it evaluates on are retiring
(issue 9): check/submissions.py (its answers_in), identify.py, evaluate.py,
judge.py, derive/word2vec.py, derive/signature.py, derive/losses.py and
derive/derivation.py. Nothing else in gradkey may import them, except the
places listed here, each of which says what changes at the deletion — so the
deletion is mechanical and this list is its checklist."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

RETIRING = {
    "gradkey.verify.check.submissions", "gradkey.verify.check.identify", "gradkey.verify.check.evaluate",
    "gradkey.verify.check.judge", "gradkey.derive.word2vec", "gradkey.derive.signature",
    "gradkey.derive.losses", "gradkey.derive.derivation",
}
RETIRING_FILES = {"verify/check/submissions.py", "verify/check/identify.py", "verify/check/evaluate.py",
                  "verify/check/judge.py", "derive/word2vec.py", "derive/signature.py", "derive/losses.py",
                  "derive/derivation.py"}

# (file, module): why it may still import it
ALLOWED = {
    # the old Question/ClosedForm/ProblemSet dataclasses of derive/word2vec.py's table live in
    # derive/problems.py next to problem_set(): they go, and these two imports with them
    ("derive/problems.py", "gradkey.derive.derivation"),
    ("derive/problems.py", "gradkey.derive.signature"),
}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module:
            yield from [n.module, *(f"{n.module}.{a.name}" for a in n.names)]
        elif isinstance(n, ast.Import):
            yield from (a.name for a in n.names)


def test_only_the_listed_places_import_the_retiring_modules():
    found = set()
    for folder in ("verify", "derive", "src"):
        for f in (ROOT / folder).rglob("*.py"):
            rel = f.relative_to(ROOT).as_posix()
            if rel in RETIRING_FILES:
                continue
            found |= {(rel, m) for m in _imports(f) if m in RETIRING}
    assert found == ALLOWED, sorted(found ^ ALLOWED)


def test_the_package_exports_nothing_of_the_old_core():
    from gradkey import derive, verify
    for name in ("Instance", "Dims", "DEFAULT_DIMS", "derivation", "gradients", "elementwise", "Gradients"):
        # (derive.derivation the submodule is an attribute once anything imports it; the
        # package itself must not re-export its names)
        assert name not in derive.__all__ and not callable(getattr(derive, name, None)), name
    for name in verify.__all__:
        assert verify._LAZY[name] not in RETIRING, name
