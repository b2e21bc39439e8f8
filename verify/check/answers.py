"""What checking a submission produces, whichever checker reads it.

The records (:class:`Answer` per block found, :class:`StepResult` per step of a
chain, :class:`QuestionResult` per question), the judge's :class:`Outcome` and
the grader's :class:`Policy`, one verdict per question from its answers
(:func:`summarise`), the JSON row of a submission (:func:`submission_row`) and
the front door (:func:`answers_for`, :func:`check_submission`). The checker
(``sets.py``) and the graders (``verify/grade/``) share these; nothing here knows
a problem set.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: the verdicts that decide a question (review and unparsed defer to a human)
DETERMINATE = ("correct", "incorrect")


@dataclass(frozen=True)
class Policy:
    strict_layout: bool = False     # a row vector where a column is meant is incorrect
    rows_U: bool = False            # the file declares U as W × d with rows u_wᵀ
    row_y: bool = False             # the file declares ŷ and y as row vectors

    @property
    def convention(self) -> str:
        parts = (["U is W × d (rows u_wᵀ)"] if self.rows_U else []) + (["ŷ, y are rows"] if self.row_y else [])
        return ", ".join(parts)


@dataclass
class Outcome:
    verdict: str                    # correct | incorrect | review | unparsed
    understood: str = ""
    note: str = ""
    counterexample: dict | None = None
    code: str | None = None
    feedback: str | None = None
    readings: list = field(default_factory=list)


@dataclass
class StepResult:
    line: int
    latex: str
    verdict: str
    understood: str = ""
    note: str = ""


@dataclass
class Answer:
    """One equation block (or bare expression) found in a submission, and what
    became of it: ``status`` is ``judged`` (for ``question``), ``unmatched``
    (matched no question: ``guess`` is the best candidate and ``verdict`` its
    verdict; counted as review), ``unreadable`` (``reason`` says why) or
    ``context`` (a definition, an intermediate derivative, a formula used along
    the way: read and listed, not an answer)."""
    question: str | None
    line: int
    latex: str
    verdict: str
    understood: str = ""
    how: str = ""
    condition: str = ""
    note: str = ""
    code: str | None = None
    feedback: str | None = None
    counterexample: dict | None = None
    steps: list = field(default_factory=list)
    first_wrong_step: int | None = None
    readings: list = field(default_factory=list)
    status: str = "judged"
    guess: str | None = None
    reason: str = ""
    column: int = 0
    corrects: bool = False          # the words before it correct an earlier answer ("EDIT: …", "Correction:")


@dataclass
class QuestionResult:
    verdict: str
    line: int
    latex: str
    understood: str = ""
    code: str | None = None
    feedback: str | None = None
    counterexample: dict | None = None
    note: str = ""
    steps: list = field(default_factory=list)


def context(chain, reason: str) -> Answer:
    """A block read and listed but not an answer (a definition, an intermediate
    derivative): ``chain`` is an extracted chain (``read/extract.py``)."""
    return Answer(None, chain.line, chain.text[:300], "context", status="context", reason=reason, column=chain.column)


def summarise(answers: list[Answer], order=None) -> dict[str, QuestionResult]:
    """One verdict per question from its answers: determinate answers decide
    (all agree: that verdict; disagree: review); otherwise review or unparsed.

    ``order``: the question ids in the order the result lists them (questions
    not in it follow, in the order first answered). None is the default problem
    set's order (``derive.problem_set()``), which both checkers have used so far;
    a caller that knows its problem set passes ``problem.ids``."""
    by_q: dict[str, list[Answer]] = {}
    for a in answers:
        if a.question and a.status == "judged":
            by_q.setdefault(a.question, []).append(a)
    if order is None:
        from gradkey import derive   # SymPy loads here, not on import (the pytest plugin imports verify)
        order = derive.problem_set().ids
    rank = {q: i for i, q in enumerate(order)}
    out = {}
    for qid in sorted(by_q, key=lambda q: rank.get(q, len(rank))):
        group = by_q[qid]
        determinate = [a for a in group if a.verdict in DETERMINATE]
        if determinate:
            verdicts = {a.verdict for a in determinate}
            wrong = [a for a in determinate if a.verdict == "incorrect"]
            chosen = (next((a for a in wrong if a.code), wrong[-1]) if wrong else determinate[-1])
            verdict = verdicts.pop() if len(verdicts) == 1 else "review"
            note = chosen.note
            last = max(determinate, key=lambda a: (a.line, a.column))
            if verdict == "review" and last.verdict == "incorrect" and \
                    any(st.get("verdict") == "correct" for st in last.steps[:-1]):
                # a right derivation carried on to a wrong final step (the last block itself
                # holds a right step first): the final answer is what is graded. A lone wrong
                # value after a right one (a summary table contradicting the derivation) stays
                # review, and so does a right answer after a wrong one (a correction)
                verdict, chosen = "incorrect", last
                note = "; ".join(filter(None, [last.note, "the final answer decides: earlier answers on line(s) "
                                               + ", ".join(str(a.line) for a in determinate if a is not last
                                                           and a.verdict == "correct") + " are correct"]))
            elif verdict == "review" and last.corrects:
                # "EDIT: … so the final answer is": the student replaced the earlier answers
                verdict, chosen = last.verdict, last
                note = "; ".join(filter(None, [last.note, "a correction replaces the answer(s) on line(s) "
                                               + ", ".join(str(a.line) for a in determinate if a is not last)]))
            elif verdict == "review":
                note = "answers disagree: " + ", ".join(f"line {a.line} {a.verdict}" for a in determinate)
        else:
            chosen = next((a for a in reversed(group) if a.verdict == "review"), group[-1])
            verdict, note = chosen.verdict, chosen.note
        out[qid] = QuestionResult(verdict, chosen.line, chosen.latex, chosen.understood, chosen.code,
                                  chosen.feedback, chosen.counterexample, note, chosen.steps)
    return out


def submission_row(file: str, answers: list[Answer], order=None) -> dict:
    """The JSON row of one submission: per question verdicts, every answer found
    with its status, and how many answers need a human (``needs_review``).
    ``order`` as in :func:`summarise`."""
    questions = summarise(answers, order)
    pending = [a for a in answers if a.status in ("unmatched", "unreadable")]
    result = {"file": file, "questions": {q: asdict(r) for q, r in questions.items()},
              "answers": [asdict(a) for a in answers],
              # answers that matched no question or could not be read: each needs a human
              "needs_review": len(pending)}
    if not questions:
        # nothing identified is not "no answers, all fine": a grader must look at the file
        result["needs_review"] += 1
        result["nothing_identified"] = ("no answer in this file could be matched to a question"
                                        + (f" ({len(answers)} blocks found, listed in answers)" if answers else
                                           " (no math blocks found)"))
    return result


MAX_BYTES = 1_000_000   # a written derivation is a few kB; more is not a submission


class SubmissionError(ValueError):
    """A file that cannot be a submission (too large, binary)."""


def read_text(path: Path) -> str:
    """The submission's text, or a SubmissionError saying why it is not one."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise SubmissionError(f"{len(data)} bytes is more than the {MAX_BYTES} a submission may have")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise SubmissionError("binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                              "save it as UTF-8") from None
    if not text.strip():
        raise SubmissionError("empty file")
    return text


# Runs of spaces and tabs mean no more at 2000 characters than at 64 (TeX and
# Markdown collapse them; indentation stops mattering long before). Longer runs
# are cut to 64, keeping every line: several of the readers' patterns try every
# split of a run between two \s* and were quadratic in it (40 000 spaces in a
# table cell or before a list marker: minutes; tests/test_redteam2.py).
WHITESPACE_RUN = 64
_LONG_RUN = re.compile(r"[^\S\n]{%d,}" % (WHITESPACE_RUN + 1))


def bounded_whitespace(text: str) -> str:
    """``text`` with every run of horizontal white space cut to WHITESPACE_RUN characters."""
    return _LONG_RUN.sub(lambda m: m.group()[:WHITESPACE_RUN], text)


def answers_for(text: str, policy: Policy = Policy(), problem=None) -> list[Answer]:
    """Every answer of a submission, read and judged by the file-driven checker
    (``sets.py``) on ``problem`` (``derive.problem_set(NAME|PATH)``; None: the default
    set, word2vec's problem file)."""
    from gradkey import derive
    from gradkey.verify.check import sets
    text = bounded_whitespace(text)
    if problem is None or not hasattr(problem, "check_dims"):
        problem = derive.problem_set()          # the default set (word2vec)
    return sets.answers_in(text, problem, policy)


def check_submission(path: str | Path, policy: Policy = Policy(), aliases: dict | None = None,
                     problem=None) -> dict:
    """Verdicts for one submission file (JSON-ready). ``aliases`` maps a
    course's notation to the problem's, applied to the text before reading.
    ``problem``: a problem file's set (``derive.problem_set(NAME|PATH)``); None is the default route."""
    path = Path(path)
    text = read_text(path)
    for course, ours in (aliases or {}).items():
        text = text.replace(course, ours)
    return submission_row(str(path), answers_for(text, policy, problem))
