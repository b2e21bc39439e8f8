"""Formulas typed without math delimiters (a forum post or e-mail in ASCII:
"dJ/dv_c = U^T (yhat - y)") turned into display math, so that every checker
reads them like any other answer; the line splitting is ``extract.plain_equations``'s."""
from __future__ import annotations

import re

from gradkey.verify.read import extract
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse


# a derivative typed in ASCII: dJ/dv_c, d sigma / dx, dJ_sg/du_w, ∂J/∂U
ASCII_DERIVATIVE = re.compile(r"^\s*(?:d|∂)\s*(?P<of>[A-Za-z\\][\w{}\\ ]{0,24}?)\s*/\s*(?:d|∂)\s*"
                              r"(?P<wrt>[A-Za-z](?:_\{?\w{1,3}\}?)?)\s*$")


ASCII_DERIVATIVE_START = re.compile(r"(?<![\w\\])(?:d|∂)\s*(?:[A-Za-z]\w{0,12})\s*/\s*(?:d|∂)\s*[A-Za-z]")
ASCII_REMARK = re.compile(r"^(?P<value>.+?)\s+(?P<remark>(?:for|when|if|where)\s+\S.*)$")


def _ascii_math(text: str) -> str:
    """ASCII spellings a typed formula uses, in LaTeX: yhat → \\hat{y}, != → \\neq,
    * between factors → a product (the rest is extract.plain_math's)."""
    text = re.sub(r"(?<![A-Za-z\\])([A-Za-z])hat(?![A-Za-z])", r"\\hat{\1}", text)
    text = text.replace("!=", r" \neq ").replace("<=", r" \le ").replace(">=", r" \ge ")
    return re.sub(r"\s\*\s", " ", text)


SIGMA_OF_X = re.compile(r"^\s*(d|∂)\s*(?:σ|sigma)\s*\(\s*x\s*\)\s*/")
D_DX_SIGMA = re.compile(r"^\s*(?:d\s*/\s*dx|∂\s*/\s*∂\s*x|\\frac\s*\{\s*d\s*\}\s*\{\s*dx\s*\})\s*"
                        r"(?:σ|sigma|\\sigma)\s*\(\s*x\s*\)\s*$")
# "dJ/duw = …   so   dJ/duo = …   and   dJ/duw = …": several derivatives typed on one line,
# joined by a wide gap and a connective word; the gap is where one equation ends
JOINED = re.compile(r"(?<!\s)\s{2,}+(?P<word>(?:so|and|then|thus|hence|also|;|,)\s+)?(?=(?:d|∂)\s*[A-Za-z]\w{0,12}\s*/\s*(?:d|∂))")


def _split_joined_equations(text: str) -> str:
    """A line holding several typed derivative equations ("dJ/duw = (ŷw - yw) vc   so   dJ/duo =
    (ŷo - 1) vc") becomes one inline formula per equation, the joining words kept between them,
    when every piece reads as a formula on its own; otherwise the line is left as it was."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if "$" in line or "\\" in line or len(ASCII_DERIVATIVE_START.findall(line)) < 2:
            continue
        cuts = list(JOINED.finditer(line))
        if not cuts:
            continue
        pieces, words, start = [], [], 0
        for c in cuts:
            pieces.append(line[start:c.start()])
            words.append((c.group("word") or "").strip())
            start = c.end()
        pieces.append(line[start:])
        converted = [plain_as_math(p) for p in pieces]
        if not all(c.startswith("$$") and c.endswith("$$") for c in converted[1:]) or "$" not in converted[0]:
            continue
        inline = [c.replace("$$", "$") for c in converted]
        lines[n] = inline[0] + "".join(f" {w} {c}" if w else f" {c}" for w, c in zip(words, inline[1:]))
    return "\n".join(lines)


def plain_as_math(text: str) -> str:
    """Formulas typed without math delimiters ("dJ/dv_c = U (yhat - y)", a forum post
    in ASCII) become display math on their own line, so that they are read like any
    other answer: only a line whose left-hand side is a derivative, whose right-hand
    side reads, and that is not inside a code block. Lines keep their numbers."""
    if "/" not in text or "=" not in text:
        return text
    text = _split_joined_equations(text)
    lines = text.split("\n")
    fenced, inside = set(), False
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
        if inside or line.lstrip().startswith(("```", "~~~")):
            fenced.add(n)
    for n, lhs, steps, remark in extract.plain_equations(text):
        if n in fenced or not steps:
            continue
        lhs = lhs.rsplit(": ", 1)[-1]             # "same as (f) for each k, …: dJ/du_k"
        lhs = D_DX_SIGMA.sub("d sigma/dx", lhs)   # "d/dx σ(x)": the operator written before σ
        lhs = SIGMA_OF_X.sub(r"\1 sigma/", lhs)   # "dσ(x)/dx": the derivative of σ, its argument named
        m = ASCII_DERIVATIVE.match(_ascii_math(lhs).replace(r"\frac{\partial\, ", "d").replace(r"}{\partial ", "/d")
                                   .rstrip("}"))
        if not m:
            continue
        of = m.group("of").strip()
        of = r"\sigma" if of in ("sigma", r"\sigma") else re.sub(r"^([A-Za-z])_(\w{2,})$", r"\1_{\2}", of)
        left = rf"\frac{{\partial {of}}}{{\partial {m.group('wrt')}}}"
        rights = [_ascii_math(r) for r in steps]
        tail = ASCII_REMARK.match(rights[-1])
        if tail and not remark:                   # "0 for w != c": the value, then its condition
            rights[-1], remark = tail.group("value"), tail.group("remark")
        try:
            for r in rights:
                parse(r)
        except (ReadError, RecursionError):
            continue
        remark = _ascii_math(remark).replace(r" \neq ", " ≠ ")
        eq = left + " = " + " = ".join(rights) + (rf" \quad \text{{{remark}}}" if remark else "")
        start = ASCII_DERIVATIVE_START.search(lines[n - 1])
        prefix = lines[n - 1][:start.start()] if start else ""
        # the part label and prose before the formula stay ("(g) same as (f): …")
        lines[n - 1] = prefix + ("$" + eq + "$" if prefix.strip() else "$$" + eq + "$$")
        k = n
        while k < len(lines) and lines[k].strip()[:1] in ("+", "-", "*", "/", "=") and lines[k].strip():
            lines[k] = ""                         # continuation lines: now part of line n
            k += 1
    return "\n".join(lines)
