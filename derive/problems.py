"""The problem-set model: questions, closed forms, and the registry.

A :class:`Question` names what is asked (its stable id), which loss it is
about, which parameter gradient it reads and which part of it (``select``),
and the closed forms a textbook gives. The truth of a question is always
``select(derived gradient)``; closed forms are checked against it.
"""
from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gradkey.derive.derivation import gradients
from gradkey.derive.ops import NUMERIC
from gradkey.derive.signature import Instance, Symbol


class UnknownQuestion(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class ClosedForm:
    """A hand-written closed form: vectorised code over an ``xp`` backend,
    and the same formula in the problem's LaTeX notation."""

    latex: str
    fn: Callable  # fn(xp, inst) or, for skip-gram, fn(xp, inst, base)
    text: str = ""

    def evaluate(self, inst: Instance, xp=NUMERIC, loss: str | None = None):
        """The closed form at an instance; ``loss`` names the base loss of a
        skip-gram question ("sg_naive" or "sg_neg")."""
        if loss and loss.startswith("sg_"):
            return self.fn(xp, inst, loss.removeprefix("sg_"))
        return self.fn(xp, inst)


@dataclass(frozen=True)
class Question:
    id: str
    asks: str                 # e.g. "∂J_naive/∂u_w for w = o"
    lhs: str                  # LaTeX of what is asked
    losses: tuple[str, ...]   # one loss, or the bases a skip-gram answer may use
    wrt: str                  # parameter gradient it reads: x, v_c, U or V
    select: Callable          # select(gradient array, inst) -> the asked part
    closed_forms: tuple[ClosedForm, ...]
    needs: str = ""           # "distinct" / "repeated" samples, or ""
    condition: str = ""       # branch condition in the notation, e.g. "w = o"
    steps: tuple = ()         # the derivation for the answer key, in LaTeX; the last is the answer

    def truth(self, inst: Instance, loss: str | None = None):
        """The derived answer at an instance (for the named base loss when the
        question has several)."""
        loss = loss or self.losses[0]
        if loss not in self.losses:
            raise ValueError(f"{self.id} is about {', '.join(self.losses)}, not {loss}")
        return self.select(gradients(loss, inst)[self.wrt], inst)

    def shape(self, inst: Instance) -> tuple:
        return np.shape(self.truth(inst))

    def suits(self, inst: Instance) -> bool:
        """Whether the instance meets the question's premise on the samples."""
        if self.needs == "distinct":
            return inst.distinct_samples
        if self.needs == "repeated":
            return inst.n_k > 1
        return True


@dataclass(frozen=True)
class ProblemSet:
    name: str
    title: str
    symbols: tuple[Symbol, ...]
    questions: tuple[Question, ...]
    aliases: dict = field(default_factory=dict)
    losses: tuple = ()        # (name, LaTeX definition) for the answer key

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        ids = [q.id for q in self.questions]
        close = difflib.get_close_matches(qid, ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownQuestion(f"unknown question id {qid!r} in problem set {self.name!r}{hint} "
                              f"(known: {', '.join(ids)})")

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]


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
