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


def loss_hint(segment: str) -> str | None:
    """The loss an OCR'd remark names; OCR reads the C of "CE" as L or (."""
    from gradkey.verify.check.identify import loss_named
    from gradkey.verify.read.latex import normalise
    segment = normalise(segment)  # Greek capitals OCR puts for Latin ones
    return loss_named(segment) or ("naive" if re.search(r"(?:^|[\s,])[LC(ΕE]E\b", segment) else None)


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
