"""Check a submission: find its answers, read them, judge them per question."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradkey import derive

from gradkey.verify.check.identify import Target, condition, loss_named, read_lhs, section_signal, targets, targets_for
from gradkey.verify.check.judge import Outcome, Policy, judge_node
from gradkey.verify.read import extract, ocr
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse
from gradkey.verify.read.show import show

DETERMINATE = ("correct", "incorrect")


@dataclass
class StepResult:
    line: int
    latex: str
    verdict: str
    understood: str = ""
    note: str = ""


@dataclass
class Answer:
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


def judge_text(latex: str, target: Target, policy: Policy) -> tuple[Outcome, str]:
    try:
        node, repairs = parse(latex)
    except ReadError as exc:
        return Outcome("unparsed", note=str(exc)), ""
    out = judge_node(node, target, policy)
    if repairs:
        out.note = "; ".join(filter(None, [out.note, "OCR repairs: " + ", ".join(repairs)]))
    return out, show(node)


def _judge_steps(steps: list[tuple[int, str]], target: Target, policy: Policy, noisy: bool,
                 condition: str = "") -> Answer:
    results = []
    for line, latex in steps:
        out, understood = judge_text(latex, target, policy)
        results.append((line, latex, out, understood))
    step_rows = [StepResult(line, latex, out.verdict, understood, out.note) for line, latex, out, understood in results]
    first_wrong = next((i for i, (_, _, out, _) in enumerate(results) if out.verdict == "incorrect"), None)
    line, latex, final, understood = results[-1]
    verdict, note = final.verdict, final.note
    if verdict in ("unparsed", "review") and len(results) > 1:
        agreeing = [ln for ln, _, out, _ in results[:-1] if out.verdict == "correct"]
        if verdict == "unparsed" or agreeing:
            verdict = "review"
            note = f"the final step could not be evaluated ({final.note})" + (
                f"; the step on line {agreeing[-1]} is correct" if agreeing else "")
    if noisy and verdict in DETERMINATE:
        verdict = "review"
        note = "; ".join(filter(None, [note, f"would be {final.verdict}, but the line mixes math with OCR text "
                                             "that may hold the real final answer"]))
    return Answer(target.qid, line, latex, verdict, understood, target.how, condition, note, final.code,
                  final.feedback, final.counterexample, [asdict(s) for s in step_rows], first_wrong, final.readings)


LABEL = re.compile(r"\\textcircled\{(\w)\}")


def answers_in(text: str, policy: Policy = Policy()) -> list[Answer]:
    """Every answer found in a submission's text, judged."""
    found: list[Answer] = []
    region = None
    chains = extract.chains(text)
    # ⓐ = …: a label defined by one chain and used as a branch of another,
    # whose condition then applies to the chain the label names
    definitions = {c.label: c for c in chains if LABEL.fullmatch(c.lhs.strip())}
    label_conditions = {LABEL.fullmatch(e.strip()).group(1): cond for c in chains for s in c.steps
                        for e, cond in s.branches if LABEL.fullmatch(e.strip())}
    for chain in chains:
        region = section_signal(chain.context) or region
        if LABEL.fullmatch(chain.lhs.strip()):
            continue  # judged where the label is used
        lhs = read_lhs(chain.lhs)
        if lhs is None:
            region = _defines(chain) or region
            continue
        chain_condition = label_conditions.get(chain.label, "") if chain.label else ""
        first = len(found)
        plain = [(s.line, s.text) for s in chain.steps if not s.branches]
        boxed = [i for i, s in enumerate(chain.steps) if s.boxed and not s.branches]
        if boxed:
            last = boxed[-1]
            plain = [(s.line, s.text) for s in chain.steps[:last + 1] if not s.branches]
        if plain:
            for target in targets(lhs, chain.text, region, cond_text=chain_condition, context=chain.context):
                found.append(_judge_steps(plain, target, policy, chain.noisy, lhs.condition or chain_condition))
        for step in chain.steps:
            for expr, cond in step.branches:
                steps = [(step.line, expr)]
                label = LABEL.fullmatch(expr.strip())
                if label and label.group(1) in definitions:
                    steps = [(s.line, s.text) for s in definitions[label.group(1)].steps if not s.branches] or steps
                for target in targets(lhs, chain.text, region, cond_text=cond, context=chain.context):
                    found.append(_judge_steps(steps, target, policy, chain.noisy,
                                              extract.strip_text_commands(cond)))
        for a in found[first:]:
            a.note = "; ".join(filter(None, [a.note, *chain.notes]))
    found.extend(_text_line_answers(text, policy))
    return _by_value(found)


def _text_line_answers(text: str, policy: Policy) -> list[Answer]:
    """Answers in OCR lines that lost their math delimiters ("EXPR, w=0, CE
    w.r.t u"). Where such a formula ends cannot be known, so they are at most
    review; the note says how they read."""
    out = []
    for n, line in extract.text_lines(text):
        for expr, cond_text, wrt, segment in ocr.answers(line):
            loss = ocr.loss_hint(segment)
            if loss is None:
                continue
            var, index = ("v_c", None) if re.match(r"^[vVνυ]\s*_?\s*[ceε]", ocr.repair(wrt)) else ("vec", "ω")
            for target in targets_for(loss, var, index, condition(cond_text), segment):
                latex = ocr.repair(expr)
                out_ = _judge_steps([(n, latex)], target, policy, False, cond_text)
                would = out_.verdict
                out_.verdict = "review"
                out_.note = (f"found in OCR text without math delimiters; reads as {out_.understood or latex!r}"
                             f" ({would}{': ' + out_.note if out_.note else ''})")
                out.append(out_)
    return out


def _defines(chain) -> str | None:
    """A chain that defines a loss (J = Σ F(…), J_CE = …) sets the section's
    loss; a loss merely mentioned ($J_{neg}$ in prose) does not."""
    if not chain.steps:
        return None
    text = chain.text
    if re.search(r"F\s*\(|-m\s*\\leq", text):
        return "sg"
    return loss_named(chain.lhs)


def _by_value(found: list[Answer]) -> list[Answer]:
    """Answers whose loss nothing named were tried against every candidate:
    keep the candidate they match, or none."""
    out, groups = [], {}
    for a in found:
        if a.how == "by value":
            groups.setdefault((a.line, a.latex), []).append(a)
        else:
            out.append(a)
    for candidates in groups.values():
        good = [a for a in candidates if a.verdict == "correct"]
        if good:
            good[0].note = "; ".join(filter(None, [good[0].note, "no loss was named: assigned by matching its truth"]))
            out.append(good[0])
        else:
            a = candidates[0]
            a.question, a.note = None, f"no loss was named and it matches none of {', '.join(c.question for c in candidates)}"
            out.append(a)
    return sorted(out, key=lambda a: a.line)


def summarise(answers: list[Answer]) -> dict[str, QuestionResult]:
    """One verdict per question from its answers: determinate answers decide
    (all agree: that verdict; disagree: review); otherwise review or unparsed."""
    by_q: dict[str, list[Answer]] = {}
    for a in answers:
        if a.question:
            by_q.setdefault(a.question, []).append(a)
    out = {}
    order = {q: i for i, q in enumerate(derive.problem_set().ids)}
    for qid in sorted(by_q, key=lambda q: order.get(q, 99)):
        group = by_q[qid]
        determinate = [a for a in group if a.verdict in DETERMINATE]
        if determinate:
            verdicts = {a.verdict for a in determinate}
            wrong = [a for a in determinate if a.verdict == "incorrect"]
            chosen = (next((a for a in wrong if a.code), wrong[-1]) if wrong else determinate[-1])
            verdict = verdicts.pop() if len(verdicts) == 1 else "review"
            note = chosen.note
            if verdict == "review":
                note = "answers disagree: " + ", ".join(f"line {a.line} {a.verdict}" for a in determinate)
        else:
            chosen = next((a for a in reversed(group) if a.verdict == "review"), group[-1])
            verdict, note = chosen.verdict, chosen.note
        out[qid] = QuestionResult(verdict, chosen.line, chosen.latex, chosen.understood, chosen.code,
                                  chosen.feedback, chosen.counterexample, note, chosen.steps)
    return out


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


def check_submission(path: str | Path, policy: Policy = Policy(), aliases: dict | None = None) -> dict:
    """Verdicts for one submission file (JSON-ready). ``aliases`` maps a
    course's notation to the problem's, applied to the text before reading."""
    path = Path(path)
    text = read_text(path)
    for course, ours in (aliases or {}).items():
        text = text.replace(course, ours)
    answers = answers_in(text, policy)
    return {"file": str(path), "questions": {q: asdict(r) for q, r in summarise(answers).items()},
            "answers": [asdict(a) for a in answers]}
