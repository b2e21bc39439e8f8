"""LaTeX from a submission as MathML that cannot carry HTML or script.

latex2mathml is a converter, not a sanitiser: ``\\text{<img onerror=…>}`` comes
out as raw markup inside ``<mtext>``, ``\\href{javascript:…}`` as an ``href``
attribute, ``\\rule{999em}{999em}`` as a page-covering box. So its output is
never pasted into a page as it is: it is parsed as XML, every element and
attribute is checked against an allow-list, and the tree is serialised again
by our own code, which escapes every text node and attribute value. Anything
that does not parse or uses something outside the allow-list gives ``None``,
and the caller shows the LaTeX as escaped text instead.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from markupsafe import Markup, escape

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

# Presentation MathML that latex2mathml produces for the notation we read;
# nothing here can link, load, or run anything.
ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "merror", "mfenced",
})
# Attribute -> pattern its value must match in full. Colours are left out on
# purpose (a student's \color or \rule background can hide the page).
_WORD = r"[A-Za-z-]{1,20}"
_LENGTH = r"(?:-?(?:1?\d)(?:\.\d{1,3})?(?:em|ex|pt|px|mu)?|0)"  # |value| < 20 units: no page-sized boxes
ATTRIBUTES = {
    "display": r"inline|block", "stretchy": r"true|false", "accent": r"true|false",
    "accentunder": r"true|false", "fence": r"true|false", "separator": r"true|false",
    "largeop": r"true|false", "movablelimits": r"true|false", "symmetric": r"true|false",
    "displaystyle": r"true|false", "form": r"prefix|infix|postfix", "mathvariant": _WORD,
    "scriptlevel": r"[+-]?\d", "columnalign": r"(?:left|center|right)(?: (?:left|center|right)){0,30}",
    "rowspacing": r"[\w. ]{1,40}", "columnspacing": r"[\w. ]{1,40}", "linethickness": _LENGTH + "|thin|medium|thick",
    "notation": r"[a-z ]{1,60}", "width": _LENGTH, "height": _LENGTH, "depth": _LENGTH,
    "lspace": _LENGTH, "rspace": _LENGTH, "minsize": _LENGTH, "maxsize": _LENGTH + "|infinity",
    "linebreak": _WORD, "open": r".{0,2}", "close": r".{0,2}",
}
_ATTRIBUTE_RE = {name: re.compile(pattern) for name, pattern in ATTRIBUTES.items()}

# Longer input is shown as text: conversion time grows with length and no
# real answer is this long.
MAX_LATEX = 2000
# Control characters (terminal escapes among them) are shown as visible symbols.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def visible(text: str) -> str:
    """The text with control characters as their Unicode pictures (ESC → ␛)."""
    return _CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)


def _serialise(el: ET.Element, out: list[str]) -> None:
    tag = el.tag.removeprefix("{" + MATHML_NS + "}")
    if tag not in ELEMENTS:
        raise ValueError(f"element {tag!r} is not allowed")
    attrs = []
    for name, value in el.attrib.items():
        if name.startswith("{"):  # namespaced attributes (xlink:href, …): never needed
            continue
        pattern = _ATTRIBUTE_RE.get(name)
        if pattern is not None and pattern.fullmatch(value):
            attrs.append(f' {name}="{escape(value)}"')
    if tag == "math":
        attrs.insert(0, f' xmlns="{MATHML_NS}"')
    out.append(f"<{tag}{''.join(attrs)}>")
    if el.text:
        out.append(str(escape(visible(el.text))))
    for child in el:
        _serialise(child, out)
        if child.tail:
            out.append(str(escape(visible(child.tail))))
    out.append(f"</{tag}>")


#: the reader's own commands in a normalised answer, shown as students write them
_DISPLAY = ((r"\indicator", r"\mathbb{1}"), (r"\ones", r"\mathbf{1}"), (r"\reals", r"\mathbb{R}"))


@lru_cache(maxsize=65536)
def to_mathml(latex: str) -> Markup | None:
    """Safe MathML for ``latex``, or None when it cannot be converted safely.

    Cached: a class repeats the same answers many times."""
    if not latex or not latex.strip() or len(latex) > MAX_LATEX:
        return None
    for ours, tex in _DISPLAY:
        latex = latex.replace(ours, tex)
    try:
        from latex2mathml.converter import convert
        raw = convert(latex)
        # The output is generated: it has no DTD, so the parser cannot be made
        # to expand entities; an undefined entity or stray markup is an error.
        root = ET.fromstring(raw)
        out: list[str] = []
        _serialise(root, out)
    except (Exception, RecursionError):  # the converter raises many kinds on malformed input
        return None
    return Markup("".join(out))
