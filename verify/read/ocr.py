"""Repairs for formulas that OCR delivered as plain text, without delimiters."""
from __future__ import annotations

import re

# uovc -> u_o v_c, ŷω -> ŷ_ω, Ve -> V_e: a vector letter glued to its subscript
GLUED = re.compile(r"(?<![A-Za-z\\])((?:[uvVνυŷ][ocekwω0])+)(?![A-Za-z])")
WRT = re.compile(r"[wω]\s*\.\s*r\s*\.\s*t\s*\.?\s*([^\s,]+)", re.IGNORECASE)


def repair(text: str) -> str:
    text = text.replace("ŷ", "ŷ")
    out = GLUED.sub(lambda m: " ".join(f"{p[0]}_{p[1]}" for p in re.findall(r"..", m.group(1))) + " ", text)
    out = re.sub(r"(?<![A-Za-z\\])([uvν])_([oc0])\s+([uvν])_c", r"\1_\2^T \3_c", out)  # u_o v_c inside σ: an inner product
    return out


UNICODE_SUB = {"ₒ": "o", "ₖ": "k", "ⱼ": "j", "ₜ": "t", "₊": "+", "₋": "-", "ᵢ": "i", "ₙ": "n", "ₘ": "m",
               "ₓ": "x", "ₐ": "a", "ₑ": "e", **{chr(0x2080 + d): str(d) for d in range(10)}}
SUB_RUN = re.compile("[" + "".join(UNICODE_SUB) + "]+")
OCR_LINE_MARK = re.compile(r"[∂σΣ∑ŷ]")


# Handwriting converters (Samsung Notes, Nebo) put a digit or Latin letter for a symbol they
# do not know. Each swap is read back only where the context leaves one reading: "0(" or "6("
# is σ when its argument holds a transpose product (0(UoᵀVc): zero times an inner product is
# never written) or when the line is the sigmoid identity X(x)(1 - X(x)); "I"/"l" is 1 in
# "1 - σ(", in "ŷ_o - 1" and as the lower end of an index range (k=l..K); "Z" is Σ before an
# index (Z_k) or before ŷ_w … u_w (the index repeated: a sum); Uo, Vc, Uw, Uk glued like the
# lower-case names are u_o, v_c, u_w, u_k. Anything else is left for the reader to flag.
_NOT_NAME = r"(?<![A-Za-z0-9_{^\\'])"
SIGMA_BY_TRANSPOSE = re.compile(_NOT_NAME + r"[06](?=\(\s*-?\s*[A-Za-z][^()]{0,20}?(?:ᵀ|\^\s*\{?\s*T\s*\}?))")
SIGMOID_IDENTITY = re.compile(_NOT_NAME + r"([06])('?)\(x\)\s*=\s*\1\(x\)\s*[(\[]\s*[1Il]\s*-\s*\1\(x\)\s*[)\]]")
ONE_BEFORE_SIGMA = re.compile(r"(?<=[(\[])\s*[Il](?=\s*-\s*σ\s*\()")
ONE_AFTER_YHAT_O = re.compile(r"(ŷ\s*+_?\s*+\{?\s*+[o0]\s*+\}?\s*+-\s*+)[Il](?=\s*+[)\]])")
ONE_LOWER_BOUND = re.compile(r"(_\{?\s*+[a-z]\s*+=\s*+)l(?=\s*+\}?\s*+\^)")
SIGMA_Z = re.compile(r"(?<![A-Za-z0-9_\\])Z(?=_[a-z{])|(?<![A-Za-z0-9_\\])Z(?=\s*ŷ_?([a-z])\s*[uUvV]_?\1(?![A-Za-z]))")
CAPITAL_NAME = re.compile(r"(?<![A-Za-z\\_])([UV])([ockw])(?![A-Za-z_{])")


def letter_swaps(line: str) -> str:
    """The symbols a handwriting converter turned into digits and letters, read back where the
    context is unambiguous (see above); LaTeX lines are left alone."""
    if "$" in line or "\\" in line:
        return line
    m = SIGMOID_IDENTITY.search(line)
    if m:                                   # 6'(x) = 6(x)(1 - 6(x)): every X(x) on the line is σ(x)
        line = re.sub(_NOT_NAME + re.escape(m.group(1)) + r"(?='?\(x\))", "σ", line)
    line = SIGMA_BY_TRANSPOSE.sub("σ", line)
    if "σ" in line or "ŷ" in line:
        line = ONE_BEFORE_SIGMA.sub(" 1", line)
        line = ONE_AFTER_YHAT_O.sub(r"\g<1>1", line)
        line = ONE_LOWER_BOUND.sub(r"\g<1>1", line)
        # Z_k → Σ_k; "Z ŷw Uw" → Σ_w: the repeated index is the sum's variable (written, so that a
        # reader that wants Σ's variable stated has it)
        line = SIGMA_Z.sub(lambda z: "Σ_" + z.group(1) if z.group(1) else "Σ", line)
        if re.search(r"[UV][ockw](?![A-Za-z_{])", line) and re.search(r"(?<![A-Za-z])[uv]_?[ockw]|σ|ŷ", line):
            line = CAPITAL_NAME.sub(lambda c: c.group(1).lower() + c.group(2), line)
            line = re.sub(r"(/\s*[d∂])([UV])([ockw])(?![A-Za-z_{])", lambda c: c.group(1) + c.group(2).lower()
                          + c.group(3), line)
    return line


def repair_lines(text: str) -> str:
    """Lines a phone's OCR or a handwriting-to-text converter produced (no math
    delimiters, no commands; ∂, σ, Σ, ŷ as Unicode): Unicode subscripts become
    subscripts (uₒ → u_o, wₜ₊ⱼ → w_{t+j}), subscripts that lost their line are put back on
    the notation's glued names (uoTvc → u_o^T v_c, ŷw → ŷ_w, Σk → Σ_k, Jneg → J_{neg}),
    and a hat written after its letter (y^) is ŷ. Lines with $ or a backslash are
    LaTeX and left alone; so are code blocks."""
    if not OCR_LINE_MARK.search(text) and not SIGMOID_IDENTITY.search(text) and not SIGMA_BY_TRANSPOSE.search(text):
        return text
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced:
            line = letter_swaps(line)
        if fenced or "$" in line or "\\" in line or not OCR_LINE_MARK.search(line):
            out.append(line)
            continue
        line = SUB_RUN.sub(lambda m: "_{" + "".join(UNICODE_SUB[c] for c in m.group()) + "}", line)
        line = re.sub(r"(?<![A-Za-z])y\^(?![{\w])", "ŷ", line)
        line = re.sub(r"(?<![A-Za-z\\_])([uvŷ])([ockwoω])T(?=[uvŷ(\s]|$)", r"\1_\2^T ", line)
        line = re.sub(r"(?<![A-Za-z\\_])([uvŷ])([ockwω])(T?)(?![A-Za-z_{])", lambda m: f"{m.group(1)}_{m.group(2)}"
                      + ("^T" if m.group(3) else ""), line)
        # the denominator of a slash derivative lost its subscript too: dJ/dvc → dJ/dv_c
        line = re.sub(r"(/\s*[d∂])([uv])([ockw])(?![A-Za-z_{])", r"\1\2_\3", line)
        # a one-hot entry next to ŷ's: (ŷ_w - yw) → y_w (only after a subscripted ŷ on the line)
        if "ŷ_" in line:
            line = re.sub(r"(?<![A-Za-z\\_])y([ockw])(?![A-Za-z_{])", r"y_\1", line)
        # "(ŷ - y)T": a T glued to a closing parenthesis is a transpose, never a factor named T
        line = re.sub(r"\)T(?![A-Za-z_{])", ")^T", line)
        # "σ(x) . (1-σ(x))": a spaced dot between two factors is Adobe Scan's product sign
        line = re.sub(r"(?<=[)\w])\s+[.·]\s+(?=[(\wσ])", " ", line)
        line = re.sub(r"([Σ∑])([a-z])(?![A-Za-z_])", r"\1_\2", line)
        line = re.sub(r"(?<![A-Za-z])J(neg|sg|naive|ns|ce)(?![A-Za-z])", r"J_{\1}", line)
        line = re.sub(r"(?<![A-Za-z])w_?t\+j(?![A-Za-z])", "w_{t+j}", line)
        out.append(line)
    return "\n".join(out)


def loss_hint(segment: str) -> str | None:
    """The loss an OCR'd remark names; OCR reads the C of "CE" as L or (."""
    from gradkey.verify.read.latex import normalise
    from gradkey.verify.read.vocabulary import default_vocabulary
    segment = normalise(segment)  # Greek capitals OCR puts for Latin ones
    # the default set's loss names (what identify.loss_named read, without reaching into the checker)
    named = default_vocabulary().loss_named(normalise(segment))
    return named or ("naive" if re.search(r"(?:^|[\s,])[LC(ΕE]E\b", segment) else None)


def answers(line: str):
    """(expression text, conditions text, wrt token, whole segment) for each
    "EXPR, COND, LOSS w.r.t VAR" group in an OCR text line."""
    out, start = [], 0
    for m in WRT.finditer(line):
        segment = line[start:m.end()]
        start = m.end()
        body = segment[:len(segment) - len(m.group(0))]
        parts = [p.strip() for p in body.split(",") if p.strip()]
        if not parts:
            continue
        expr = re.sub(r"^\S{1,3}\s*=\s*", "", parts[0])  # "DJ= ...": drop the OCR'd left-hand side
        out.append((expr, ", ".join(parts[1:]), m.group(1), segment))
    return out


# Greek letters OCR puts for the Latin ones they resemble (ν for v, ω for w, ε for e, ο for o,
# υ for u, χ for x, κ for k), and Greek capitals for Latin capitals (Ε for E, Σ stays: a sum)
LOOKALIKES = str.maketrans({"ν": "v", "υ": "u", "ω": "w", "ε": "e", "ο": "o", "χ": "x", "κ": "k", "ι": "i",
                            "Ε": "E", "Ο": "O", "Τ": "T", "Κ": "K", "Ι": "I", "Α": "A", "Β": "B", "Ν": "N"})


def latin(text: str) -> str:
    """Greek look-alikes read as the Latin letters OCR mistook them for."""
    return text.translate(LOOKALIKES)


# a letter OCR reads for another in handwriting: c as e (v_e for v_c), o as 0 or e, w as ω
MISREAD = {"e": ("c", "o"), "0": ("o",), "c": ("e",)}


def misreadings(token: str) -> list[str]:
    """The token, then the tokens it may have been before OCR misread one of its
    letters (the last letter first: a subscript is the smallest, most misread part)."""
    out = [token]
    for i in range(len(token) - 1, -1, -1):
        for alt in MISREAD.get(token[i], ()):
            out.append(token[:i] + alt + token[i + 1:])
    return out


def loss_words_relaxed(segment: str, loss_named) -> str | None:
    """The loss a remark in an OCR'd line names, by the problem's own loss words
    (``loss_named``: text -> loss or None), trying the text as OCR gave it and then with
    the capital C that OCR reads as L, ( or Ε put back ("LE", "(E" for "CE")."""
    segment = latin(segment)
    found = loss_named(segment)
    if found:
        return found
    relaxed = re.sub(r"(?:^|(?<=[\s,]))[LC(]E\b", "CE", segment)
    return loss_named(relaxed) if relaxed != segment else None


# "2(c) w=o: $…$", org-mode "- w = o :: \(…\)": a case's condition written before its formula
CASE_PREFIX = re.compile(r"^\s*+(?:\d*+\s*+\(?[a-h]\)\s*+)?(?:[-*+]\s++)?[A-Za-zω]\s*+(?:=|≠|!=)\s*+[A-Za-z0-9]\s*+::?\s*+$")
_MATH_SPAN = re.compile(r"\$\$[^$]*\$\$|\$[^$]*\$|\\\(.*?\\\)")


def only_case_prefix(line: str, prefix: str) -> bool:
    """The line is a case's condition, then its formula, and nothing else: the '=' in "w=o:" is
    the condition's, not an undelimited formula OCR left beside the math."""
    if not CASE_PREFIX.match(prefix) or not line.startswith(prefix):
        return False
    return not _MATH_SPAN.sub("", line[len(prefix):]).strip()


# "w=o : (ŷo - 1) vc" under a line ending "∂J/∂uw =": a table OCR delivered one case a line
CASE_LINE = re.compile(r"^\s*([A-Za-zω])\s*(=|≠|!=)\s*([A-Za-z0-9])\s*:\s*(\S.*?)\s*$")
OPEN_EQUATION = re.compile(r"^(?P<prefix>\s*(?:\(?[a-z]\)\s*)?)(?P<lhs>[∂d]\S*\s*/\s*[∂d]\S+)\s*=\s*$")


def plain_cases(text: str) -> str:
    """A left-hand side typed without delimiters and ending in "=", then one "COND : EXPR" line
    per case ("(c) ∂J/∂uw =" / " w=o : (ŷo - 1) vc" / " w≠o : ŷw"), as one display cases table
    on the left-hand side's line (the case lines blanked: line numbers are kept). Lines with $
    or a backslash are LaTeX and left alone."""
    if ":" not in text:
        return text
    lines = text.split("\n")
    for n, line in enumerate(lines):
        m = OPEN_EQUATION.match(line)
        if not m or "$" in line or "\\" in line:
            continue
        cases, k = [], n + 1
        while k < len(lines) and (c := CASE_LINE.match(lines[k])) and "$" not in lines[k]:
            op = "=" if c.group(2) == "=" else r"\neq"
            cases.append(f"{c.group(4)} & {latin(c.group(1))} {op} {c.group(3)}")
            k += 1
        if len(cases) < 2:
            continue
        lines[n] = m.group("prefix") + "$$" + m.group("lhs") + r" = \begin{cases} " + r" \\ ".join(cases) + \
            r" \end{cases}$$"
        for j in range(n + 1, k):
            lines[j] = ""
    return "\n".join(lines)


SLASH_DERIVATIVE = re.compile(r"(?<![A-Za-z\\])d\s*(σ|[A-Za-z](?:_\{?\w+\}?)?)\s*/\s*d\s*([A-Za-z](?:_\{?\w+\}?)?)(?![A-Za-z(])")


def plain_slash_derivatives(text: str) -> str:
    """"dσ/dx = …" on a line an OCR delivered without delimiters (it holds Unicode math: σ, ²):
    the derivative written as a fraction (\\frac{d\\sigma}{dx}), which the grammar reads. ASCII
    lines are left to the plain-equation reader, and lines with $ or a backslash alone."""
    if "/" not in text:
        return text
    out = []
    for line in text.split("\n"):
        if "$" not in line and "\\" not in line and "=" in line and not line.isascii():
            line = SLASH_DERIVATIVE.sub(lambda m: r"\frac{d" + (r"\sigma" if m.group(1) == "σ" else m.group(1))
                                        + "}{d" + m.group(2) + "}", line)
        out.append(line)
    return "\n".join(out)
