"""Text for a terminal made inert: nothing a student wrote (a file name, an
exception message, LaTeX) may move the cursor, clear the screen or reorder a
line. Kept free of heavy imports: the code report uses it before SymPy loads."""
from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def safe(text) -> str:
    """Text from a submission (file names, LaTeX, notes that quote it) made
    inert for a terminal: each control or bidi character is shown as its
    code (``\\x1b``, ``\\u202e``), so nothing a student wrote can
    move the cursor, clear the screen or reorder the line it is on."""
    text = str(text)
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)
