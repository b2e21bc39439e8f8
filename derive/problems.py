"""The registry of problem sets: every bundled problem file by name
(``derive/problems/*.toml``), or a problem file by path, loaded once per version."""
from __future__ import annotations

import difflib
import functools


class UnknownQuestion(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def problem_sets() -> dict:
    """Every bundled problem set by name: word2vec and the problem files
    under derive/problems/."""
    from gradkey.derive.problemfile import bundled
    return {name: problem_set(name) for name in sorted(bundled(), key=lambda n: (n != "word2vec", n))}


def problem_set(name: str = "word2vec"):
    """A bundled set by name, or a problem file by path (NAME|PATH)."""
    import os

    from gradkey.derive.problemfile import bundled
    files = bundled()
    if name in files:
        return _load_file(str(files[name]))
    if name.endswith(".toml") or os.sep in name or "/" in name:
        if not os.path.isfile(name):
            raise UnknownQuestion(f"no such problem file: {name}")
        return _load_file(os.path.abspath(name))
    known = list(files)
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownQuestion(f"unknown problem set {name!r}{hint} (known: {', '.join(known)}; "
                          "or give the path of a .toml problem file)")


def _load_file(path: str):
    import os
    st = os.stat(path)
    return _load_cached(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime: int, size: int):
    from gradkey.derive.problemfile import load
    return load(path)


def question(qid: str, problem: str = "word2vec") -> Question:
    return problem_set(problem).question(qid)
