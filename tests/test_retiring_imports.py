"""word2vec's own checker is gone (issue 9): word2vec is read and judged like every
other problem set, from derive/problems/word2vec.toml. What is left of its Python core
is the scores route (derive/derivation.py, losses.py, signature.py, ops.py), a faster
route for word2vec's structure that the tests prove equal to the element-wise truth;
nothing in gradkey imports it, and the package exports none of its names."""
import ast
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

GONE = {"gradkey.verify.check.submissions", "gradkey.verify.check.identify", "gradkey.verify.check.evaluate",
        "gradkey.verify.check.judge", "gradkey.derive.word2vec"}
SCORES_ROUTE = {"gradkey.derive.derivation", "gradkey.derive.losses", "gradkey.derive.signature",
                "gradkey.derive.ops"}
SCORES_ROUTE_FILES = {"derive/derivation.py", "derive/losses.py", "derive/signature.py", "derive/ops.py"}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module:
            yield from [n.module, *(f"{n.module}.{a.name}" for a in n.names)]
        elif isinstance(n, ast.Import):
            yield from (a.name for a in n.names)


def test_the_own_checker_is_gone():
    for name in GONE:
        assert importlib.util.find_spec(name) is None, name


def test_nothing_in_gradkey_imports_the_scores_route_or_the_gone_modules():
    found = set()
    for folder in ("verify", "derive", "src"):
        for f in (ROOT / folder).rglob("*.py"):
            rel = f.relative_to(ROOT).as_posix()
            if rel in SCORES_ROUTE_FILES:
                continue
            found |= {(rel, m) for m in _imports(f) if m in GONE | SCORES_ROUTE}
    assert not found, sorted(found)


def test_the_package_exports_nothing_of_the_old_core():
    from gradkey import derive, verify
    for name in ("Instance", "Dims", "DEFAULT_DIMS", "derivation", "gradients", "elementwise", "Gradients",
                 "ClosedForm", "ProblemSet", "Question"):
        assert name not in derive.__all__ and not callable(getattr(derive, name, None)), name
    for name in verify.__all__:
        assert verify._LAZY[name] not in GONE | SCORES_ROUTE, name
