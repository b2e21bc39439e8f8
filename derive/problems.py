"""The problem-set model: questions, closed forms, and the registry.

A :class:`Question` names what is asked (its stable id), which loss it is
about, which parameter gradient it reads and which part of it (``select``),
and the closed forms a textbook gives. The truth of a question is always
``select(derived gradient)``; closed forms are checked against it.
"""
from __future__ import annotations

import difflib
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


def problem_sets() -> dict[str, ProblemSet]:
    from gradkey.derive.word2vec import WORD2VEC
    return {WORD2VEC.name: WORD2VEC}


def problem_set(name: str = "word2vec") -> ProblemSet:
    sets = problem_sets()
    if name not in sets:
        raise UnknownQuestion(f"unknown problem set {name!r}; known: {', '.join(sets)}")
    return sets[name]


def question(qid: str, problem: str = "word2vec") -> Question:
    return problem_set(problem).question(qid)
