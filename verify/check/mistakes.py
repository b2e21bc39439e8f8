"""Known wrong answers per question: a stable code, the wrong formula in the
problem's notation (read by the same reader as submissions), and feedback a
student can act on. An incorrect answer that equals a mistake's formula at
every instance is reported with its code.

The mistakes are the problem file's (``[[questions."…".mistakes]]``: code, latex,
feedback); :data:`MISTAKES` is word2vec's, from ``derive/problems/word2vec.toml``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    code: str                     # qid.CODE, e.g. naive.u_o.SIGN
    latex: str
    feedback: str


_BY_DIGEST: dict[str, dict[str, list[Mistake]]] = {}


def mistakes_for(problem) -> dict[str, list[Mistake]]:
    """Question id -> its known mistakes, in file order, for a loaded problem file
    (questions without mistakes are left out). Cached per file digest."""
    cached = _BY_DIGEST.get(problem.digest)
    if cached is None:
        cached = _BY_DIGEST[problem.digest] = {
            q.id: [Mistake(m.code, m.latex, m.feedback) for m in q.mistakes] for q in problem.questions if q.mistakes}
    return cached


class _Word2vecMistakes(Mapping):
    """word2vec's mistakes, read from its problem file on first use: importing
    this module (the judge, the rubric) does not load the file or SymPy."""

    def _all(self) -> dict[str, list[Mistake]]:
        from gradkey.verify.read.vocabulary import word2vec_problem
        return mistakes_for(word2vec_problem())

    def __getitem__(self, qid: str) -> list[Mistake]:
        return self._all()[qid]

    def get(self, qid, default=None):
        return self._all().get(qid, default)

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"MISTAKES({self._all()!r})"


MISTAKES: Mapping[str, list[Mistake]] = _Word2vecMistakes()
