"""Remarks cut from an answer's mathematics, and when one may change the answer.

The extractor cuts a trailing remark from a step before it is read (a branch
condition, "\\in ℝ^d", "for all k"). A remark that offers an alternative, takes the
answer back or adds a term ("\\quad\\text{or}\\quad Uŷ", "\\text{ is wrong}",
"\\quad + u_o") would let a hedged answer pass if it were simply dropped, so every
checker asks :func:`hedge` before it calls such an answer correct.
"""
from __future__ import annotations

import re

from gradkey.verify.read import extract

HEDGE_WORDS = re.compile(r"\b(?:or|else|wrong|incorrect|instead|plus|minus|add|added|actually|alternatively)\b",
                         re.I)
# a term added after spacing: "\quad + u_o" (the leading spacing commands, then a sign)
HEDGE_OPERATOR = re.compile(r"^\s*(?:\\q?quad\s*|\\[,;:!]\s*)*[+−\-]")
# a relation makes the signed text a condition ("-m ≤ j ≤ m"), not an added term
RELATION = re.compile(r"=|\\neq?\b|\\[lg]eq?\b|[<>≤≥≠]|\\in\b")


def hedge(remark: str | None) -> str:
    """Why a trailing remark must be read by a human ('' when it is a mere
    condition or annotation)."""
    if not remark:
        return ""
    words = extract.strip_text_commands(remark)
    added_term = HEDGE_OPERATOR.search(remark) and not RELATION.search(remark)
    if added_term or HEDGE_WORDS.search(words):
        shown = remark if len(remark) <= 60 else remark[:57] + "…"
        return f"the remark after the answer ('{shown}') may change it: a grader must read it"
    return ""
