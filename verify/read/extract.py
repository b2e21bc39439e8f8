"""Find the answers in a submission: math blocks, chains, cases, boxed finals.

A submission is Markdown with LaTeX math (``$…$``, ``$$…$$``, ``\\[…\\]``,
``\\(…\\)``, bare environments) as students type it or OCR produces it. This
module only cuts text; it never interprets it. Its output is a list of
:class:`Chain` objects: ``lhs = step = step …`` with the line where each
starts, where a step may be a ``cases`` table of (expression, condition)
branches. A block that starts with ``=`` continues the previous chain.
OCR repetition loops (the same step many times over) are collapsed to one
copy and noted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_STEPS = 200


@dataclass
class Step:
    text: str
    line: int
    branches: list = field(default_factory=list)   # [(expr text, condition text)] for cases
    boxed: bool = False


@dataclass
class Chain:
    lhs: str
    line: int
    steps: list
    context: str                  # text before the chain since the previous chain (labels, words)
    notes: list = field(default_factory=list)
    noisy: bool = False           # the line mixes math with unreadable OCR text

    @property
    def text(self) -> str:
        parts = [self.lhs]
        for s in self.steps:
            parts.append(s.text if not s.branches else " ; ".join(f"{e}, {c}" for e, c in s.branches))
        return " = ".join(parts)

    @property
    def label(self) -> str | None:
        """The label this chain defines (ⓐ = …) or carries (ⓐ ∂L/∂u_0 = …)."""
        m = re.fullmatch(r"\\textcircled\{(\w)\}", self.lhs.strip()) or re.search(r"\[label (\w)\]", self.context)
        return m.group(1) if m else None


MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i2>.+?)\\\)"
    r"|\$(?P<i1>[^$]+?)\$"
    r"|(?P<env>\\begin\{(?P<name>aligned|align\*?|equation\*?|gather\*?|cases|array)\}.+?\\end\{(?P=name)\})",
    re.DOTALL)

SECTION = re.compile(r"^\s*(?:\d+\s*\.?\s*)?\(?\s*(?:\d+\s*)?[a-h]\s*\)\s*[-.:]?\s*")  # 2a) 2(b) (c)
LABELLED = re.compile(r"^\s*\d+\s*\(?[a-h]\)?\s*[-.:)]\s*")
TEXT_CMD = re.compile(r"\\(?:text|mathrm|textbf|textit)\s*\{([^{}]*)\}")
QUAD_TAIL = re.compile(r"\\q?quad\b.*$", re.DOTALL)


def segments(text: str):
    """(math text, line number, start, end) for every math block."""
    for m in MATH.finditer(text):
        body = next(g for g in (m.group("d1"), m.group("d2"), m.group("i2"), m.group("i1"), m.group("env")) if g)
        yield body, text.count("\n", 0, m.start()) + 1, m.start(), m.end()


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside braces, brackets, parentheses and environments."""
    parts, depth, env, start, i = [], 0, 0, 0, 0
    while i < len(text):
        if text.startswith("\\begin", i):
            env += 1
        elif text.startswith("\\end", i):
            env -= 1
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            i += 2
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth <= 0 and env <= 0 and text.startswith(sep, i):
            if sep == "=" and i > 0 and text[i - 1] in "<>!\\":
                i += 1
                continue
            parts.append(text[start:i])
            start = i + len(sep)
            i += len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return parts


CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.DOTALL)
BOXED = re.compile(r"\\boxed\s*\{")


def _boxed(text: str) -> str | None:
    m = BOXED.search(text)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += text[i] == "{"
        depth -= text[i] == "}"
        i += 1
    return text[m.end():i - 1]


def _branches(step: str) -> list[tuple[str, str]] | None:
    m = CASES.search(step)
    if not m:
        return None
    rows = [r for r in re.split(r"\\\\", m.group(1)) if r.strip()]
    out = []
    for row in rows:
        expr, _, cond = row.partition("&")
        out.append((expr.strip().rstrip(",").strip(), cond.strip()))
    return out


LEADING_LABEL = re.compile(r"^\s*\\textcircled\{(\w)\}\s*(?:\\q?quad\s*)?(?=[^\s=])")


def clean_step(text: str) -> str:
    """Drop what is commentary, not mathematics: a trailing \\quad remark,
    a trailing parenthesised \\text{…}, section labels."""
    text = re.sub(r"^\s*(?:\\q?quad\s*)+", "", text)
    text = QUAD_TAIL.sub("", text)
    text = re.sub(r"\(\s*\\text\{[^{}]*\}\s*\)\s*$", "", text)
    text = re.sub(r"^\s*\\text\{[^{}]*\}\s*", "", text)   # "\text{Then, } ..."
    text = LABELLED.sub("", text)
    return text.strip().rstrip(",.;").strip()


def _rows(body: str) -> list[str]:
    """Rows of an aligned/align/gather block; one row otherwise."""
    inner = re.sub(r"\\begin\{(aligned|align\*?|gather\*?|equation\*?)\}|\\end\{(aligned|align\*?|gather\*?|equation\*?)\}", "", body)
    if inner == body:
        return [body]
    # split at \\ that are not inside a cases environment
    rows, depth, start, i = [], 0, 0, 0
    while i < len(inner):
        if inner.startswith("\\begin{cases}", i):
            depth += 1
        elif inner.startswith("\\end{cases}", i):
            depth -= 1
        elif inner.startswith("\\\\", i) and depth == 0:
            rows.append(inner[start:i])
            start = i = i + 2
            continue
        i += 1
    rows.append(inner[start:])
    return [r for r in rows if r.strip()]


def collapse_repeats(steps: list[str]) -> tuple[list[str], int]:
    """Collapse runs of identical steps (an OCR loop) to one copy."""
    out, dropped = [], 0
    for s in steps:
        if out and re.sub(r"\s+", "", s) == re.sub(r"\s+", "", out[-1]):
            dropped += 1
            continue
        out.append(s)
    return out, dropped


def _noisy_line(line: str, math_spans: list[tuple[int, int]], line_start: int) -> bool:
    """A line where math sits among plain text that itself looks like
    formulas (OCR lost the delimiters of part of it)."""
    outside = []
    pos = line_start
    for s, e in math_spans:
        if e <= line_start or s >= line_start + len(line):
            continue
        outside.append(line[max(pos, line_start) - line_start:max(s, line_start) - line_start])
        pos = e
    outside.append(line[max(pos - line_start, 0):])
    rest = "".join(outside)
    # formula fragments: = ^ σ Σ ∂ ŷ, or a sum/difference of symbols like 1+e or (1- o
    return bool(re.search(r"[=^σΣ∂ŷ]|[\w)]\s*[+\-]\s*[\w(]|\(\s*\d\s*[+\-]", rest))


def chains(text: str) -> list[Chain]:
    """Every chain of equalities in the submission, in reading order."""
    found: list[Chain] = []
    last_end = 0
    spans = [(s, e) for _, _, s, e in segments(text)]
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    for body, line, start, end in segments(text):
        context = text[last_end:start]
        last_end = end
        line_text = text[line_starts[line - 1]:text.find("\n", start) if text.find("\n", start) >= 0 else len(text)]
        noisy = _noisy_line(line_text, spans, line_starts[line - 1])
        for r, row in enumerate(_rows(body)):
            row_line = line + body.count("\n", 0, body.find(row)) if row in body else line
            _add_row(found, row, row_line, context if r == 0 else "", noisy, inside_block=r > 0)
    return found


def _without_alignment(row: str) -> str:
    """Remove the & of an aligned row but not those of a cases table."""
    out, depth, i = [], 0, 0
    while i < len(row):
        if row.startswith("\\begin{cases}", i):
            depth += 1
        elif row.startswith("\\end{cases}", i):
            depth -= 1
        out.append(" " if row[i] == "&" and depth == 0 else row[i])
        i += 1
    return "".join(out)


LOSS_LHS = re.compile(r"\\partial\s*(?:\\mathcal\{L\}|J|L|\\mathcal L)|\\frac\{d\}\{d[^}]*\}\s*\(?\s*J")


def _add_row(found: list[Chain], row: str, line: int, context: str, noisy: bool,
             inside_block: bool = False) -> None:
    row = _without_alignment(row)
    row = SECTION.sub("", row) if SECTION.match(row) and not row.lstrip().startswith("(") else row
    label = LEADING_LABEL.match(row)
    if label:  # "ⓐ \quad ∂L/∂u_0 = ...": the label names this chain
        context = context + f" [label {label.group(1)}] "
        row = row[label.end():]
    steps, dropped = collapse_repeats(_split_top(row, "="))
    if found and not steps[0].strip():
        chain, new_steps = found[-1], steps[1:]      # "= …" continues the previous chain
    elif found and inside_block and not LOSS_LHS.search(steps[0]):
        chain, new_steps = found[-1], steps          # a remark inside an aligned derivation
    else:
        chain = Chain(lhs=clean_step(steps[0]), line=line, steps=[], context=context, noisy=noisy)
        found.append(chain)
        new_steps = steps[1:]
    if dropped:
        chain.notes.append(f"line {line}: a step repeated {dropped + 1} times in a row (OCR loop) was read once")
    for s in new_steps[:MAX_STEPS]:
        _add_step(chain, s, line)
    chain.noisy = chain.noisy or noisy


def _add_step(chain: Chain, raw: str, line: int) -> None:
    boxed = _boxed(raw)
    if boxed is not None:
        chain.steps.append(Step(clean_step(boxed), line, boxed=True))
        return
    branches = _branches(raw)
    if branches is not None:
        chain.steps.append(Step(clean_step(CASES.sub("cases", raw)), line, branches=branches))
        return
    text = clean_step(raw)
    if text:
        chain.steps.append(Step(text, line))


def text_lines(text: str) -> list[tuple[int, str]]:
    """Lines with no math delimiters at all (OCR that lost them)."""
    out = []
    spans = [(s, e) for _, _, s, e in segments(text)]
    pos = 0
    for n, line in enumerate(text.split("\n"), 1):
        start, end = pos, pos + len(line)
        pos = end + 1
        if line.strip() and not any(s < end and e > start for s, e in spans):
            out.append((n, line.strip()))
    return out


def strip_text_commands(text: str) -> str:
    return TEXT_CMD.sub(lambda m: " " + m.group(1) + " ", text)
