"""Find the answers in a submission: math blocks, chains, cases, boxed finals.

A submission is Markdown with LaTeX math (``$…$``, ``$$…$$``, ``\\[…\\]``,
``\\(…\\)``, bare environments) as students type it or OCR produces it. This
module only cuts text; it never interprets it. Its output is a list of
:class:`Chain` objects: ``lhs = step = step …`` with the line where each
starts, where a step may be a ``cases`` table of (expression, condition)
branches, plus what surrounds it: the heading above it, the prose since the
previous chain, the text before it on its line ("$u_o$:", "answer is:") and the
remark after it ("(w ≠ o)", "\\quad \\text{for } w \\neq o", "\\in \\mathbb{R}^d").

Every scan here is linear in the length of the text (no regex that can
backtrack over an unclosed delimiter; closers are looked up once per kind), so
hostile input ("$$1" and spaces, thousands of "$a$" on one line, an unclosed
"\\[" repeated) costs milliseconds. Markdown blockquote markers are blanked,
the document's own macros are expanded (``read/normalise.py``) and a block that
cannot be normalised becomes a chain with an ``error``: nothing is dropped.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.normalise import collect_macros, normalise_math

MAX_STEPS = 200
MAX_CHAINS = 2000          # chains per document (a real one has dozens)


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
    heading: str = ""             # the heading line above the chain (raw, with its inline math)
    prefix: str = ""              # the text before an inline chain on its line ("- $u_o$:", "answer is:")
    remark: str = ""              # trailing remarks stripped from its steps ("w \neq o", "\text{for } …")
    display: bool = True          # a display block (or an environment), not inline math in prose
    error: str = ""               # why the block could not be normalised (the chain is then unreadable)
    column: int = 0               # column of the block's start on its line (1-based)

    @property
    def text(self) -> str:
        parts = [self.lhs]
        for s in self.steps:
            parts.append(s.text if not s.branches else " ; ".join(f"{e}, {c}" for e, c in s.branches))
        return " = ".join(parts)

    @property
    def label(self) -> str | None:
        """The label this chain defines (ⓐ = …) or carries (ⓐ ∂L/∂u_0 = …)."""
        m = re.fullmatch(r"\\textcircled\s*\{(\w)\}", self.lhs.strip()) or re.search(r"\[label (\w)\]", self.context)
        return m.group(1) if m else None


@dataclass
class Segment:
    body: str
    line: int
    start: int
    end: int
    display: bool
    plain: bool = False     # found by its layout (a plain Unicode line, a table row, "= $…$" alone on
                            # its line): the prose around it is markup or a label, not OCR noise


ENVS = ("aligned", "align", "align*", "equation", "equation*", "gather", "gather*", "cases", "array",
        "eqnarray", "eqnarray*", "multline", "multline*", "split", "alignat", "alignat*")
OPENER = re.compile(r"```math[ \t]*\n|\$\$|\$|\\\[|\\\(|\\begin\{(" + "|".join(re.escape(e) for e in ENVS) + r")\}")


class _Closers:
    """Where the next occurrence of a closing delimiter is, found once per kind:
    searches only move forward, so all of them together read the text once."""

    def __init__(self, text: str):
        self.text = text
        self.cache: dict[str, tuple[int, int]] = {}

    def find(self, closer: str, pos: int) -> int:
        searched_from, found = self.cache.get(closer, (-1, -2))
        if searched_from != -1 and searched_from <= pos and (found == -1 or found >= pos):
            return found
        found = self.text.find(closer, pos)
        self.cache[closer] = (pos, found)
        return found


STRUCK = re.compile(r"~~(?:[^~\n]|\n(?![ \t]*\n)){1,4000}?~~")


SHORTCODE = re.compile(r"\{\{[<%]\s*(/?)(?:katex|math|mathjax|latex)\b(\s+display)?[^{}<>%]{0,40}[>%]\}\}")


def _shortcodes(text: str) -> str:
    """Hugo's math shortcodes ``{{< katex display >}} … {{< /katex >}}`` as the
    ``$$``/``$`` delimiters they stand for, padded with spaces so that every
    offset and line stays where the author put it."""
    display = [False]

    def repl(m):
        closing = bool(m.group(1))
        if not closing:
            display[0] = bool(m.group(2))
        mark = "$$" if display[0] else "$"
        return mark + " " * (len(m.group()) - len(mark))
    return SHORTCODE.sub(repl, text)


# MyST's ```{math} directive (its :label: option line dropped) and MediaWiki's <math> tag
MYST_MATH = re.compile(r"(?m)^([ \t]*)```\{math\}[ \t]*\n((?:[ \t]*:[A-Za-z-]+:[^\n]*\n)*)(.*?)^[ \t]*```[ \t]*$",
                       re.DOTALL)
WIKI_MATH = re.compile(r"<math(?:\s+display\s*=\s*[\"']?(block|inline)[\"']?)?\s*>(.{0,4000}?)</math>", re.DOTALL)
# the full-width forms of ASCII (U+FF01–FF5E) and the ideographic space
FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
FULLWIDTH_ANY = re.compile("[\uff01-\uff5e\u3000]")
# HTML tags of layout (never <sub>/<sup>, which carry math), with quoted attributes only, so
# "a<b and c>d" is not a tag
HTML_TAG = re.compile(r"</?(?:span|div|p|br|font|small|big|center|details|summary|section|aside|article|label|mark|"
                      r"figure|figcaption|blockquote|a|em|strong|b|i|u|hr|tt|abbr|cite|q)"
                      r"(?:\s+[A-Za-z_:-]{1,40}\s*=\s*(?:\"[^\"<>\n]{0,300}\"|'[^'<>\n]{0,300}'))*\s*/?>", re.IGNORECASE)
# reStructuredText (Sphinx): the :math:`…` role and the .. math:: directive
RST_ROLE = re.compile(r":math:`([^`\n]{1,4000})`")
RST_DIRECTIVE = re.compile(r"^([ \t]*)\.\. math::[ \t]*(.*)$")


def _rst_math_blocks(text: str) -> str:
    """A ``.. math::`` directive and its indented body as a $$ display block: the directive
    line opens it (its own text, if any, is the first formula), option lines (:label:) are
    blanked, and the first blank or less-indented line after the body closes it. Lines stay."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = RST_DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        lines[i] = m.group(1) + "$$ " + " " * 6 + m.group(2)
        j, seen = i + 1, False
        while j < len(lines):
            line = lines[j]
            body = line.strip()
            if body and len(line) - len(line.lstrip()) > indent:
                if not seen and re.match(r"^:[A-Za-z-]+:", body):
                    lines[j] = ""               # :label: eq-grad, :nowrap:
                else:
                    seen = True
                j += 1
                continue
            if not body and not seen:
                j += 1
                continue
            break
        if j < len(lines) and not lines[j].strip():
            lines[j] = "$$"
        else:
            lines[j - 1] = lines[j - 1] + " $$"
        i = j + 1
    return "\n".join(lines)


# GitHub's inline math: $`…`$ on one line
GITHUB_INLINE = re.compile(r"\$`([^`\n]{1,4000})`\$")
# Anki's math tags: [$]…[/$] is inline math, [$$]…[/$$] display math
ANKI_MATH = re.compile(r"\[(\$\$?)\](.{0,4000}?)\[/\1\]", re.DOTALL)


def _math_markup(text: str) -> str:
    """MyST ```{math} blocks, MediaWiki <math>…</math> and Anki [$]…[/$] tags as the $$/$ delimiters
    they stand for, padded so that every offset and line stays."""
    def myst(m):
        g = m.group()
        first = g.index("\n")
        end_body = first + 1 + len(m.group(2)) + len(m.group(3))
        return (g[:first].replace("```{math}", "$$" + " " * 7, 1) + "\n" + re.sub(r"[^\n]", " ", m.group(2))
                + m.group(3) + g[end_body:].replace("```", "$$ ", 1))

    def wiki(m):
        mark = "$$" if m.group(1) == "block" else "$"
        head = len(m.group()) - len(m.group(2)) - len("</math>")
        return mark + " " * (head - len(mark)) + m.group(2) + mark + " " * (len("</math>") - len(mark))
    if "```{math}" in text:
        text = MYST_MATH.sub(myst, text)
    if "<math" in text:
        text = WIKI_MATH.sub(wiki, text)
    if "[$" in text:
        # the padding goes outside the delimiters: "$ x$" is not math to Markdown
        text = ANKI_MATH.sub(lambda m: " " * 2 + m.group(1) + m.group(2) + m.group(1) + " " * 3, text)
    return text


# a two-column array or tabular not inside \left( \left[ \left\{ (a matrix, a cases table)
ANSWER_TABLE = re.compile(r"(?<!\\left\()(?<!\\left\[)(?<!\\left\\\{)(?<!\\left\.)\s*"
                          r"\\begin\{(array|tabular)\}\{\s*\|?\s*[lcr]\s*\|?\s*[lcr]\s*\|?\s*\}(.{0,6000}?)\\end\{\1\}",
                          re.DOTALL)
DERIVATIVE_CELL = re.compile(r"\\partial|\\nabla|\\d?frac\s*\{\s*d")
TEXT_CELL = re.compile(r"^\s*(?:\\text(?:bf|it)?\s*\{[^{}]*\}\s*)?$")


def _answer_tables(text: str) -> str:
    """A summary table typeset as a two-column array ("∂J/∂v_c & U(ŷ − y) \\\\ \\hline …"):
    each row whose first cell is a derivative is the equation "first = second", as in an
    aligned block; a header row of \\text cells and \\hline rules are blanked. Lines stay."""
    def table(m):
        rows = re.split(r"(\\\\)", m.group(2))
        cells = [r.split("&") for r in rows[::2]]
        if not any(len(c) == 2 and DERIVATIVE_CELL.search(c[0]) for c in cells):
            return m.group()
        out = []
        for k, r in enumerate(rows):
            if k % 2:
                out.append(r)
                continue
            r = r.replace("\\hline", " " * len("\\hline"))
            c = r.split("&")
            if len(c) == 2 and TEXT_CELL.match(c[0]) and TEXT_CELL.match(c[1]):
                r = re.sub(r"[^\n]", " ", r)              # the header row
            elif len(c) == 2:
                r = c[0] + "&=" + c[1]
            out.append(r)
        head = m.group()[:m.start(2) - m.start()]
        lead = head[:len(head) - len(head.lstrip())]
        opener = "\\begin{aligned}"
        return lead + opener + " " * max(0, len(head) - len(lead) - len(opener)) + "".join(out) + "\\end{aligned}"
    return ANSWER_TABLE.sub(table, text)


def prepare(text: str) -> str:
    """Blank Markdown blockquote markers ("> ") at line starts and struck-through
    text (``~~wrong attempt~~``: the author withdrew it), keeping every offset
    and line: "> $$ … $$" is a display block like any other. Hugo math
    shortcodes become the delimiters they stand for."""
    if FULLWIDTH_ANY.search(text):
        # a Chinese or Japanese IME left on inside math: （ ） ， ＝ ＋ are ( ) , = + (one character each)
        text = text.translate(FULLWIDTH)
    if "{{" in text:
        text = _shortcodes(text)
    if "<" in text:
        # <span class="marginnote">…</span>, <div align="center">: layout, not prose beside the math
        # (an attribute's '=' made the line look like OCR text mixed with math)
        text = HTML_TAG.sub(lambda m: " " * len(m.group()), text)
    if ":math:`" in text:
        # reStructuredText's inline role :math:`…` is $…$ (padded so that offsets stay)
        text = RST_ROLE.sub(lambda m: " " * 6 + "$" + m.group(1) + "$", text)
    if ".. math::" in text:
        text = _rst_math_blocks(text)
    if "$`" in text:
        # GitHub's inline math $`…`$ (backticks keep Markdown out of the TeX): the $ delimiters,
        # padded outside them so every offset stays
        text = GITHUB_INLINE.sub(lambda m: " $" + m.group(1) + "$ ", text)
    if "```{math}" in text or "<math" in text or "[$" in text:
        text = _math_markup(text)
    if "{array}" in text or "{tabular}" in text:
        text = _answer_tables(text)
    if "~~" in text:
        text = STRUCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    if ">" not in text:
        return text
    return re.sub(r"(?m)^([ \t]*>)+[ \t]?", lambda m: " " * len(m.group()), text)


def segments(text: str, layout: bool = False):
    """Every math block, in order, in one forward pass. With ``layout``, also the
    math that Markdown lays out without display delimiters: table cells, math
    alone on its line, plain Unicode lines (see :func:`_layout`, :func:`_plain_segments`)."""
    out: list[Segment] = []
    closers = _Closers(text)
    starts = _line_starts(text)
    i = 0
    while True:
        m = OPENER.search(text, i)
        if not m:
            break
        opener, body_start = m.group(), m.end()
        if opener.startswith("\\begin"):
            closer = "\\end{" + m.group(1) + "}"
        else:
            closer = "```" if opener.startswith("```") else {"$$": "$$", "$": "$", "\\[": "\\]", "\\(": "\\)"}[opener]
        if opener == "$" and m.start() > 0 and text[m.start() - 1] == "\\":   # an escaped \$
            i = m.end()
            continue
        end = closers.find(closer, body_start)
        if end < 0:
            i = m.end()                         # unclosed: not math; the rest is still scanned
            continue
        body = text[body_start:end]
        if opener == "$" and (not body.strip() or "\n\n" in body):
            i = m.end()                         # "$5 and $6", or a $ that spans paragraphs
            continue
        stop = end + len(closer)
        if opener.startswith("\\begin"):
            body = text[m.start():stop]         # the environment is part of the math
        # a fence's math starts on the line after "```math"
        line = bisect.bisect_right(starts, body_start if opener.startswith("```") else m.start())
        out.append(Segment(body, line, m.start(), stop, display=opener != "$" and opener != "\\("))
        i = stop
    if layout:
        out = _layout(text, out, starts)
        out.extend(_plain_segments(text, out, starts))
        out.sort(key=lambda s: s.start)
    return out


# -- math laid out without display delimiters ----------------------------------------

MARKUP = re.compile(r"<br\s*/?>|</?(?:p|span|font|div|b|i|strong|em)\b[^<>]{0,80}>|\*\*|__|^\s*(?:[-*+]|\d+\.)\s+|\s+")
TABLE_CELL_CONDITION = re.compile(r"^(?P<lhs>.*?)(?:,|\\[,;: ]|\\q?quad|\s)+(?P<cond>(?:\\text\s*\{[^{}]*\}\s*)?"
                                  r"[a-zA-Zω]\s*(?:=|\\neq?\b|≠)\s*\w+|\\text\s*\{[^{}]*\})\s*$", re.DOTALL)


def _only_markup(text: str) -> str:
    """What is left of prose around inline math once line breaks, HTML tags,
    bold markers, list markers and white space are removed."""
    return MARKUP.sub("", text)


def _layout(text: str, segs: list[Segment], starts: list[int]) -> list[Segment]:
    """Inline math whose layout makes it display math:

    - a Markdown table row with a derivative in one cell and the answer in a later
      cell (``| $\\frac{∂J}{∂u_w},\\ w=o$ | $-(1-\\hat y_o)v_c$ |``) is the equation
      LHS = answer, the condition after the LHS kept as its remark;
    - math alone on its line (around it only ``<br>``, list or quote markers) that
      holds a derivative is a display block, and ``= $…$`` alone on its line is a
      step continuing the chain above (a chain quoted one step per line)."""
    out: list[Segment] = []
    i = 0
    # each line's text is looked at once (8000 inline blocks on one line stay linear)
    while i < len(segs):
        seg = segs[i]
        if seg.display:
            out.append(seg)
            i += 1
            continue
        line_start = starts[seg.line - 1]
        line_end = starts[seg.line] - 1 if seg.line < len(starts) else len(text)
        j = i
        while j < len(segs) and segs[j].start < line_end and not segs[j].display:
            j += 1
        if text[line_start:line_start + 200].lstrip().startswith("|"):
            out.extend(_table_row(text, line_start, segs[i:j]))
            i = j
            continue
        if j > i + 1 or (i and segs[i - 1].end > line_start):   # not alone on its line
            out.extend(segs[i:j])
            i = j
            continue
        before = _only_markup(text[line_start:seg.start])
        after = _only_markup(text[seg.end:line_end]).rstrip(".,;")
        if not after and before == "=":
            out.append(Segment("= " + seg.body, seg.line, seg.start, seg.end, display=True, plain=True))
        elif not after and not before and INLINE_ANSWER.search(seg.body.split("=")[0]):
            out.append(Segment(seg.body, seg.line, seg.start, seg.end, display=True))
        else:
            out.append(seg)
        i += 1
    return out


# an answer written with the base loss's derivatives (Σ_j ∂J(v_c, w_{t+j}, U)/∂U) is an
# answer, though it holds a derivative: a cell naming one more question is not
BASE_LOSS_TERMS = re.compile(r"\\partial\s*(?:\\boldsymbol\s*\{?|\\bm\s*\{?)?[JFL]\s*(?:_\{[^{}]*\}\s*|_\w\s*)?\(")


def _table_row(text: str, line_start: int, row: list[Segment]) -> list[Segment]:
    """The inline math of one table row: a cell naming a derivative (with its
    condition after a comma or in a second math span of the cell) followed by a
    cell holding one expression becomes one display equation."""
    cells: dict[int, list[Segment]] = {}
    bars, pos = 0, line_start
    for seg in row:
        bars += text.count("|", pos, seg.start)
        pos = seg.end
        cells.setdefault(bars, []).append(seg)
    order = sorted(cells)
    if len(order) == 2 and len(cells[order[0]]) == 1 and len(cells[order[1]]) == 1 \
            and GRADIENT_HEADER.search(_table_header(text, line_start)) \
            and not INLINE_ANSWER.search(cells[order[0]][0].body) and not INLINE_ANSWER.search(cells[order[1]][0].body):
        # | $\operatorname{tr}(AX)$ | $A^\top$ | under "Function f | Gradient ∂f/∂(·)": the left cell is the
        # function, the variable the question's own (\gradvar: identified by the function's value)
        f, g = cells[order[0]][0], cells[order[1]][0]
        body = f"\\frac{{\\partial\\, \\left({f.body}\\right)}}{{\\partial \\gradvar}} = {g.body}"
        merged = Segment(body, f.line, f.start, g.end, display=True, plain=True)
        return sorted([s for s in row if s is not f and s is not g] + [merged], key=lambda s: s.start)
    for k, cell in enumerate(order[:-1]):
        first = cells[cell][0]
        m = TABLE_CELL_CONDITION.match(first.body.strip())
        lhs, cond = (m.group("lhs"), m.group("cond")) if m else (first.body, "")
        cond = " ".join([cond] + [s.body for s in cells[cell][1:]]).strip()
        answer = cells[order[k + 1]]
        if not (INLINE_ANSWER.search(lhs) and len(_split_top(lhs, "=")) == 1) or len(answer) != 1 \
                or INLINE_ANSWER.search(answer[0].body) and not BASE_LOSS_TERMS.search(answer[0].body):
            continue
        body = f"{lhs} = {answer[0].body}" + (f" \\quad \\text{{{cond}}}" if cond else "")
        merged = Segment(body, first.line, first.start, answer[0].end, display=True, plain=True)
        rest = [s for s in row if s.start < first.start or s.start > answer[0].start]
        return sorted(rest + [merged], key=lambda s: s.start)
    return row


# a table header announcing that each row's right cell is the gradient of its left cell
# (a "function" column and a "gradient" column, or a ∂f/∂(·) in the header)
# The look-aheads are tried at line starts only (^, MULTILINE): the same lines match,
# without a scan to the end of the line from every position (quadratic: a
# 40 000-character table header took 250 s).
GRADIENT_HEADER = re.compile(r"^(?=.*(?:function|funktion|fonction|función|函数))(?=.*(?:gradient|derivative|ableitung|"
                             r"dérivée|derivada|导数|梯度))|\\partial\s*f\s*/\s*\\partial\s*\(|∂f\s*/\s*∂\s*\(|"
                             r"\\nabla\s*f\b", re.IGNORECASE | re.MULTILINE)


def _table_header(text: str, line_start: int) -> str:
    """The header row of the Markdown table a row belongs to (the line above its |---| rule)."""
    lines = text[:line_start].split("\n")[:-1]
    k = len(lines)
    while k > 0 and lines[k - 1].lstrip().startswith("|"):
        k -= 1
    return lines[k] if k < len(lines) and k + 1 < len(lines) and set(lines[k + 1].strip()) <= set("|-: ") else ""


PLAIN_START = re.compile(r"(?<![\w\\])(?:∂\s*[^\s/=]{1,40}/\s*∂|∇\s*_|[σf]\s*[′']\s*\(|d\s*σ\s*/\s*d\s*x)")
PROSE_WORD = re.compile(r"\s(?:for|if|when|whenever|where|otherwise|since|because|and|with|which|is|as|so)\b|"
                        r"\s(?!(?:log|exp|softmax|sigmoid)\b)[A-Za-z]{4,}\b")


def _plain_segments(text: str, segs: list[Segment], starts: list[int]) -> list[Segment]:
    """Derivations written in plain Unicode, no delimiters (``∂J/∂v_c = U(ŷ − y)``,
    ``- w = o: ∂J/∂u_o = (ŷ_o − 1) v_c``, ``σ'(x) = σ(x)(1 − σ(x))``): on a line with
    no math block, from a derivative followed by '=' to the end of the line; the
    words after the formula ("for w ≠ c") become its remark. What comes before the
    derivative on the line stays prose (a label, a branch)."""
    from gradkey.verify.read.latex import normalise as unicode_to_latex
    touched = set()
    for s in segs:
        touched.update(range(s.line, bisect.bisect_right(starts, max(s.end - 1, s.start)) + 1))
    out = []
    for n, line_start in enumerate(starts, 1):
        if n in touched:
            continue
        end = text.find("\n", line_start)
        line = text[line_start:len(text) if end < 0 else end]
        m = PLAIN_START.search(line)
        if not m or "=" not in line[m.end():]:
            continue
        body = line[m.start():].rstrip().rstrip(".")
        eq = body.find("=")
        words = PROSE_WORD.search(body, eq)
        math, prose = (body[:words.start()], body[words.start():].strip()) if words else (body, "")
        math = unicode_to_latex(math)
        math = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", math)    # J_sg: a plain subscript is the whole word
        if prose:
            math += r" \quad \text{" + prose.replace("{", " ").replace("}", " ") + "}"
        out.append(Segment(math, n, line_start + m.start(), line_start + len(line), display=True, plain=True))
    return out


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside braces, brackets, parentheses and environments."""
    pattern = _SPLIT_TOKENS.get(sep)
    if pattern is None:
        # only the characters that matter, found by one regex (a loop over every character
        # was the reader's hottest function: every row of every block is split at '=')
        pattern = _SPLIT_TOKENS[sep] = re.compile(r"\\begin|\\end|\\[{}]|[{}()\[\]]|" + re.escape(sep))
    parts, depth, env, start = [], 0, 0, 0
    # \{ … \} group like brackets (1\{w_s = w_k\}) when they pair up; a lone \left\{ of a
    # piecewise definition closed by \right. does not
    set_braces = text.count("\\{") == text.count("\\}")
    for m in pattern.finditer(text):
        tok, i = m.group(), m.start()
        if tok == "\\begin":
            env += 1
        elif tok == "\\end":
            env -= 1
        elif len(tok) == 2 and tok[0] == "\\":
            if set_braces:
                depth += 1 if tok[1] == "{" else -1
        elif tok == sep:
            if depth <= 0 and env <= 0 and not (sep == "=" and i > 0 and text[i - 1] in "<>!\\"):
                parts.append(text[start:i])
                start = i + len(sep)
        elif tok in "{([":
            depth += 1
        else:
            depth -= 1
    parts.append(text[start:])
    return parts


_SPLIT_TOKENS: dict = {}


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
        expr, remark = clean_step(expr)
        out.append((expr.strip().rstrip(",").strip(), (cond + " " + remark).strip()))
    return out


# 2a) 2(b) (c); written so that no two adjacent parts can match the same spaces
# (the old form backtracked cubically over "1" followed by 800 spaces)
SECTION = re.compile(r"^\s*(?:\d+(?:\s*\.)?\s*)?(?:\(\s*)?(?:\d+\s*)?[a-h]\s*\)\s*[-.:]?\s*")
LABELLED = re.compile(r"^\s*\d+\s*\(?[a-h]\)?\s*[-.:)]\s*")
TEXT_CMD = re.compile(r"\\(?:text|mathrm|textbf|textit)\s*\{([^{}]*)\}")
LEADING_LABEL = re.compile(r"^\s*\\textcircled\s*\{(\w)\}\s*(?:\\q?quad\s*)?(?=[^\s=])")
# where a remark starts at the top level of a step: \quad, \text{…}, \forall, \in ℝ, "(w ≠ o)"
REMARK_START = re.compile(r"\\q?quad\b|\\text\s*\{|(?:,|(?<!\s))\s*(?:(?:\\space|~)\s*)+for\b|\\forall\b|(?:\{\s*)?\bfor\s+(?:all|each|every)\b|\\in\s*\\reals|\\in\s*\\mathbb|\\in\s*\\R\b|"
                          r",\s*(?=[a-zA-Z]\s*(?:=|\\neq|\\ne\b)|\\forall|\\text)|\\mathrm\s*\{\s*(?:if|for|when)")
PAREN_REMARK = re.compile(r"\(\s*(?:\\text\s*\{[^{}]*\}\s*)*[a-zA-Zω\\]+[^()]*?(?:\\neq|\\ne\b|=|\\in(?![A-Za-z])|when|for|if)[^()]*\)\s*$")


def _top_level_positions(text: str):
    """Offsets of characters at brace depth 0."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            if depth == 0:
                yield i               # a group's opening brace is itself at the top level
            depth += 1
        elif ch == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
        elif depth == 0:
            yield i


def clean_step(text: str) -> tuple[str, str]:
    """Split a step into its mathematics and a trailing remark: a \\quad
    remark, a \\text{…} tail, ", \\forall k", "\\in \\mathbb{R}^{d}", "(w ≠ o)";
    drop section labels. Returns (mathematics, remark)."""
    text = re.sub(r"^\s*(?:\\q?quad\s*)+", "", text)
    text = re.sub(r"^\s*\\text\s*\{[^{}]*\}\s*", "", text)   # "\text{Then, } ..."
    text = LABELLED.sub("", text)
    remark = ""
    tops = set(_top_level_positions(text))
    for m in REMARK_START.finditer(text):
        if m.start() in tops and text[:m.start()].strip():
            cut = _unclosed_paren(text, m.start())      # "(p_i, y_i \quad rows of P, Y)": the whole aside
            cut = cut if cut is not None and text[:cut].strip() else m.start()
            remark = text[cut:]
            text = text[:cut]
            break
    tail = len(text) - 200 if len(text) > 200 else 0      # a remark is short: search only the tail
    pm = PAREN_REMARK.search(text, tail)
    if pm and re.search(r"(?:\\indicator|\b1)\s*$", text[:pm.start()]):
        pm = None                     # 𝟙(k = y_i): the indicator's condition, not a remark
    if pm and re.search(r"\\(?:sum|hat|frac|sigma|exp|log|[Bb]igg?r|right)(?![A-Za-z])|\\[Bb]igg?l?\s*$",
                        pm.group() + " " + text[max(0, pm.start() - 6):pm.start()]):
        pm = None                     # U\Bigl(ŷ − Σ_{j≠0} y_{t+j}\Bigr): a bracket of mathematics, not a remark
    if pm and text[:pm.start()].strip() and pm.start() in tops:
        remark = (text[pm.start():] + " " + remark).strip()
        text = text[:pm.start()]
    return text.strip().rstrip(",.;").strip(), remark.strip()


def _unclosed_paren(text: str, end: int) -> int | None:
    """The offset of the last '(' still open at ``end`` (braces aside), None when all are closed."""
    opened = []
    for i, ch in enumerate(text[:end]):
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            opened.pop()
    return opened[-1] if opened else None


def _unbox_equation(body: str) -> str:
    """``\\boxed{∂J/∂U = (ŷ − y)ᵀv_c}``: a box around a whole equation only frames it."""
    m = BOXED.match(body.lstrip())
    if not m or "=" not in body:
        return body
    inner = _boxed(body.lstrip())
    rest = body.lstrip()[m.end() + len(inner or "") + 1:]
    if inner is None or rest.strip() or len(_split_top(inner, "=")) < 2:
        return body
    return inner


ROW_SPACING = re.compile(r"\\\\\s*\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|mu|in)\s*\]")    # \\[2pt]
PIECEWISE = re.compile(r"\\\{\s*\\begin\{(array|aligned|matrix)\}(?:\{[^{}]{0,20}\})?")


def _piecewise(body: str) -> str:
    """A brace before an array or aligned (``\\left\\{ \\begin{array}{ll} a & w = o \\\\ b & w \\neq o
    \\end{array} \\right.``, ``\\left\\{\\begin{aligned} &a&&\\text{if } w=o …``) is a cases table:
    rewritten as one, its rows' alignment marks reduced to expression & condition."""
    out, pos = [], 0
    while True:
        m = PIECEWISE.search(body, pos)
        if not m:
            break
        closer = "\\end{" + m.group(1) + "}"
        end = body.find(closer, m.end())
        if end < 0:
            break                     # unclosed: no later one closes either; the grammar reports it
        rows = []
        for row in re.split(r"\\\\", body[m.end():end]):
            if row.strip():
                cells = [c for c in row.split("&") if c.strip()]
                rows.append(" & ".join([cells[0], " ".join(cells[1:])]) if cells else row)
        out.append(body[pos:m.start()] + "\\begin{cases}" + " \\\\ ".join(rows) + "\\end{cases}")
        pos = end + len(closer)
    return "".join(out) + body[pos:] if out else body


# Mathpix writes several equations as one \begin{array}{l} with a row each
ARRAY_OF_EQUATIONS = re.compile(r"\\begin\{array\}\{[lcr|]{1,3}\}(.{0,20000}?)\\end\{array\}", re.DOTALL)


def _unwrap_equations(m) -> str:
    """An array whose every row is an equation is a list of equations (rows kept);
    a matrix or a piecewise table (rows without '=') stays as written."""
    rows = [r for r in re.split(r"\\\\", m.group(1)) if r.strip()]
    if len(rows) >= 2 and all("=" in r for r in rows) and "\\begin" not in m.group(1):
        return m.group(1)
    return m.group()


INTERTEXT = re.compile(r"\\(?:short)?intertext\s*\{")


def _isolate_intertext(body: str) -> str:
    """``\\intertext{…}`` (amsmath's prose between the rows of an align) is a row of its own:
    without a \\\\ around it, its words and the next row's left side would join the row
    before it."""
    out, pos = [], 0
    for m in INTERTEXT.finditer(body):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(body) and depth:
            if body[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        out.append(body[pos:m.start()] + "\\\\" + body[m.start():i] + "\\\\")
        pos = i
    return "".join(out) + body[pos:]


def intertext(row: str) -> str | None:
    """The words of a row that is an ``\\intertext{…}`` (None for any other row)."""
    m = INTERTEXT.match(row.strip())
    return row.strip()[m.end():].rstrip()[:-1] if m and row.rstrip().endswith("}") else None


def _rows(body: str) -> list[str]:
    """Rows of a block: split at \\\\ outside cases/matrix environments."""
    body = ROW_SPACING.sub(r"\\\\", body) if "\\\\[" in body else body
    body = _isolate_intertext(body) if "intertext" in body else body
    body = _unbox_equation(body)
    body = _piecewise(body) if "\\{" in body else body
    body = ARRAY_OF_EQUATIONS.sub(_unwrap_equations, body) if "{array}" in body else body
    inner = re.sub(r"\\(?:begin|end)\{(?:aligned|align\*?|gather\*?|equation\*?|eqnarray\*?|multline\*?|split|"
                   r"alignat\*?)\}(?:\{\d+\})?", " ", body)
    rows, depth, braces, start, i = [], 0, 0, 0, 0
    while i < len(inner):
        if inner.startswith("\\begin{", i):
            depth += 1
        elif inner.startswith("\\end{", i):
            depth -= 1
        elif inner.startswith("\\\\", i) and depth == 0 and braces <= 0:
            rows.append(inner[start:i])
            start = i = i + 2
            continue
        elif inner.startswith("\\", i):
            i += 2                     # \{, \} and other control symbols: not groups
            continue
        elif inner[i] == "{":
            braces += 1                # \substack{k=1 \\ w_k = w_s}: a \\ inside a group is not a row
        elif inner[i] == "}":
            braces -= 1
        i += 1
    rows.append(inner[start:])
    return [r for r in rows if r.strip()]


# an upright d as a derivative's numerator: \frac{\mathrm{d}\sigma}{\mathrm{d}x}, \frac{\mathrm d J}{…}
UPRIGHT_D = r"\\(?:mathrm|rm)\s*(?:\{\s*d\s*\}|\s+d(?![A-Za-z]))"
# \mathrm{D}_{W} L: the upright capital D of the derivative operator, its variable subscripted
UPRIGHT_D_OPERATOR = r"\\(?:mathrm|operatorname|mathsf)\s*\{\s*D\s*\}\s*_"
DERIVATIVE_START = re.compile(r"\\[dt]?frac\s*\{\s*(?:\\partial|d\b|d\s*\\|d[A-Za-z]|" + UPRIGHT_D + r")|\{\s*\\partial|\\nabla"
                              r"|\\partial\s*[A-Za-z\\_]|" + UPRIGHT_D_OPERATOR)
SEPARATOR = re.compile(r"(?:,|;|\\q?quad|\\text\s*\{\s*(?:and|,)?\s*\}|\\;|\\,)+\s*$")


ARROW = re.compile(r"\\(?:Rightarrow|implies|Longrightarrow|Rrightarrow|therefore)(?![A-Za-z])|⇒|⟹|∴")
ARROW_LED = re.compile(r"\s*&?\s*(?:" + ARROW.pattern + r")")      # a row that opens with an arrow


def _implications(row: str) -> list[tuple[str, str]]:
    """A derivation written with implication arrows, as (condition, equation) pairs:
    an arrow followed by an equation starts a new equation (``σ = … ⇒ σ' = …``); one
    followed by a bare expression continues the chain as '='; a condition before the
    first arrow (``w = o \\implies ∂J/∂u_w = …``) labels the equation after it."""
    tops = set(_top_level_positions(row))
    arrows = [m for m in ARROW.finditer(row) if m.start() in tops]
    if not arrows:
        return [("", row)]
    pieces, start = [], 0
    for m in arrows:
        pieces.append(row[start:m.start()])
        start = m.end()
    pieces.append(row[start:])
    pieces = [re.sub(r"^(?:\\[;,:!]|\\q?quad|\s)+", "", SEPARATOR.sub("", p.rstrip())).strip() for p in pieces]
    condition = ""
    if CONDITION_ROW.fullmatch(pieces[0]) and len(pieces) > 1:
        condition, pieces = pieces[0], pieces[1:]
    out = []
    for p in pieces:
        if not p:
            continue
        lhs, _, rhs = p.partition("=")
        if out and "=" not in p:          # "… ⇒ −(1 − σ)u_o": the chain goes on
            out[-1] = out[-1] + " = " + p
        elif out and re.sub(r"\s+", "", lhs) == re.sub(r"\s+", "", out[-1].partition("=")[0]):
            out[-1] = out[-1] + " = " + rhs   # "∂J/∂u_o = a ⇒ ∂J/∂u_o = b": one chain, b is final
        else:
            out.append(p)
    return [(condition, e) for e in out] or [("", row)]


def _split_equations(row: str) -> list[str]:
    """Two equations on one row ("∂J/∂u_o = a, \\qquad ∂J/∂u_w = b"): split before
    a top-level derivative that follows a separator and an earlier '='."""
    tops = set(_top_level_positions(row))
    cuts = []
    seen_eq = False
    brackets = 0                      # [∂J/∂u_1, ∂J/∂u_2, …]: a list, not two equations
    for i in sorted(tops):
        ch = row[i]
        if ch in "([" and (i == 0 or row[i - 1] != "\\"):
            brackets += 1
        elif ch in ")]" and (i == 0 or row[i - 1] != "\\"):
            brackets -= 1
        if brackets > 0:
            continue
        if ch == "=":
            seen_eq = True
            continue
        if seen_eq and ch in "\\{" and DERIVATIVE_START.match(row, i) and SEPARATOR.search(row[:i].rstrip()):
            cuts.append(i)
            seen_eq = False
    if not cuts:
        return [row]
    parts, start = [], 0
    for c in cuts:
        parts.append(SEPARATOR.sub("", row[start:c].rstrip()))
        start = c
    parts.append(row[start:])
    return parts


def collapse_repeats(steps: list[str]) -> tuple[list[str], int]:
    """Collapse runs of identical steps (an OCR loop) to one copy."""
    out, dropped = [], 0
    for s in steps:
        if out and re.sub(r"\s+", "", s) == re.sub(r"\s+", "", out[-1]):
            dropped += 1
            continue
        out.append(s)
    return out, dropped


NOISE = re.compile(r"[=^σΣ∂ŷ]|[\w)]\s*[+\-]\s*[\w(]|\(\s*\d\s*[+\-]")
HYPHENATED = re.compile(r"\b[A-Za-z]{2,}(?:-[A-Za-z]{2,})+\b")


def _noisy(prose: str) -> bool:
    """Prose beside a math block that looks like formulas OCR left undelimited;
    hyphenated words (log-sum-exp, naive-softmax) are words, not subtractions."""
    return bool(NOISE.search(HYPHENATED.sub(" ", prose)))


def _masked(text: str, segs: list[Segment]) -> str:
    """The text with every math block blanked (newlines kept): prose only."""
    pieces, pos = [], 0
    for s in segs:
        pieces.append(text[pos:s.start])
        pieces.append(re.sub(r"[^\n]", " ", text[s.start:s.end]))
        pos = s.end
    pieces.append(text[pos:])
    return "".join(pieces)


# Possessive runs of white space (\s*+): the same matches, but two runs that could
# share the spaces between them (^\s* … \(?\s*) no longer try every split — a
# line of 40 000 spaces took 100 s (tests/test_redteam2.py).
HEADING = re.compile(r"^\s*+(?:#{1,6}\s|\*\*\s*+(?:\d|\(|[A-Za-z]\b|[ivx]+\b)|\(?\s*+(?:\d+\s*+[.)]?\s*+)?\(?(?:[a-h]|i{1,3}|iv|vi{0,3})\s*+\)\s|"
                     r"(?:\d+\s*+\.|[ivx]+\.|[a-h]\.)\s|\d+\s*+\(\s*+[a-h]\s*+\))")


def headings(text: str) -> list[tuple[int, str]]:
    """(offset, line) of every heading-like line: Markdown headings, bold or
    bracketed part labels ("**(b)**", "1(b)", "(iii)", "ii.")."""
    out, pos = [], 0
    for line in text.split("\n"):
        if HEADING.match(line):
            out.append((pos, line.strip()))
        pos += len(line) + 1
    return out


LOSS_LHS = re.compile(r"\\partial\s*\{?\s*(?:\\mathcal\s*\{?L\}?|J|L|\\sigma)|\\[dt]?frac\s*\{d\}\{d[^}]*\}\s*\(?\s*(?:J|\\sigma)|"
                      r"\\nabla|\\sigma\s*'|\\[dt]?frac\s*\{\s*(?:d|" + UPRIGHT_D + r")\s*\\sigma")
# a left side that names a derivative; d + a capital, a subscripted letter or a letter alone is
# the code name of a gradient (dW, dS, dW_1, db_2, dw: CS231n's dW = ∂L/∂W); a differential
# (df = 2M:dM) read this way is only context: its left side names no question
INLINE_ANSWER = re.compile(r"\\partial|\\part\b|\\[dt]?frac\s*\{\s*(?:d|" + UPRIGHT_D + r")|\\nabla|'|\\prime|\\sigma\s*\^|[∂∇′]|\\over"
                           r"|" + UPRIGHT_D_OPERATOR + r"|^\s*d(?:[A-Z]|[a-z]_|[a-z]\s*$)")


def chains(text: str, vocabulary=None) -> list[Chain]:
    """Every chain of equalities in the submission, in reading order."""
    text = prepare(text)
    macros, spans = collect_macros(text)
    for s, e in spans:   # definitions are read, then blanked (offsets kept)
        text = text[:s] + re.sub(r"[^\n]", " ", text[s:e]) + text[e:]
    aliases = vocabulary.aliases(text) if vocabulary is not None else []
    segs = _question_then_answer(text, segments(text, layout=True))
    masked = _masked(text, segs)
    starts = _line_starts(text)
    heads = headings(text)
    head_offsets = [o for o, _ in heads]
    noisy_lines: dict[int, bool] = {}
    found: list[Chain] = []
    last_end = 0
    for seg in segs:
        if len(found) >= MAX_CHAINS:
            break
        line_start = starts[seg.line - 1]
        # the test below needs only the end of the text before the math on its line: a line of
        # thousands of inline formulas must not copy its whole beginning for each (quadratic)
        near = text[max(line_start, seg.start - PREFIX_TAIL):seg.start]
        if not seg.display and not _inline_is_answer(seg.body, near, text[seg.end:seg.end + 3],
                                                     seg.start - line_start) \
                and not _inline_is_answer(_expanded(seg.body, macros), near, text[seg.end:seg.end + 3],
                                          seg.start - line_start):
            continue          # inline math in prose: part of the next chain's context
        prefix = text[line_start:seg.start]
        context = text[last_end:seg.start]
        last_end = seg.end
        h = bisect.bisect_right(head_offsets, seg.start) - 1
        heading = heads[h][1] if h >= 0 else ""
        if seg.line not in noisy_lines:
            line_end = text.find("\n", seg.start)
            rest = masked[line_start:line_end if line_end >= 0 else len(text)]
            noisy_lines[seg.line] = not seg.plain and _noisy(rest)
        noisy = noisy_lines[seg.line]
        where = dict(heading=heading, prefix=prefix, display=seg.display, column=seg.start - line_start + 1)
        try:
            front = normalise_math(seg.body, macros)
            body = front.text
            for pattern, replacement, note in aliases:
                body, n = re.subn(pattern, lambda _m: replacement, body)
                if n:
                    where.setdefault("alias_notes", []).append(note)
        except ReadError as exc:
            found.append(Chain(lhs=seg.body[:80], line=seg.line, steps=[], context=context, noisy=noisy,
                               error=str(exc), **{k: v for k, v in where.items() if k != "alias_notes"}))
            continue
        alias_notes = where.pop("alias_notes", [])
        first = len(found)
        label_row = ""
        rows = _rows(body)
        said = ""
        for r, row in enumerate(rows):
            words = intertext(row)
            if words is not None:         # prose between aligned rows: the next row's context
                said = said + "\n" + words
                continue
            following = rows[r + 1].replace("&", " ").lstrip() if r + 1 < len(rows) else ""
            if CONDITION_ROW.fullmatch(row.replace("&", " ").strip()) and DERIVATIVE_START.match(following):
                # "(w \neq o)\\" alone before a row that starts a derivative: it labels that row
                label_row = row.replace("&", " ").strip()
                continue
            row_line = seg.line + body.count("\n", 0, body.find(row.strip())) if row.strip() in body else seg.line
            for k, (implied_by, eq) in enumerate((c, e) for c, piece in _implications(row)
                                                 for e in _split_equations(piece)):
                row_context = context if (r == 0 and k == 0) else ""
                if said and k == 0:
                    row_context, said = row_context + said, ""
                if label_row and k == 0:
                    row_context, label_row = row_context + "\n" + label_row, ""
                if implied_by:            # "w = o \implies ∂J/∂u_w = …": the condition labels it
                    row_context = row_context + "\n" + implied_by
                _add_row(found, eq, row_line, row_context, noisy,
                         inside_block=(r > 0 or k > 0), where=where, first_in_block=first,
                         arrow_led=k == 0 and bool(ARROW_LED.match(row)))
        for c in found[first:]:
            c.notes.extend(alias_notes)
    return found


def _question_then_answer(text: str, segs: list[Segment]) -> list[Segment]:
    """A derivative alone at the end of a line (a flashcard's or a callout's question:
    "> [!question] Ridge: $\\nabla_x f$") and, on the next line and alone on it, a formula
    with no '=' (the answer, "> $2(B^\\top B + \\lambda I)x - 2B^\\top b$"): one equation,
    the derivative its left side."""
    out, k = [], 0
    while k < len(segs):
        seg = segs[k]
        nxt = segs[k + 1] if k + 1 < len(segs) else None
        if (nxt is not None and nxt.line == seg.line + 1 and "=" not in seg.body and "=" not in nxt.body
                and DERIVATIVE_START.match(seg.body.strip()) and not text[seg.end:nxt.start].strip()
                and not text[text.rfind("\n", 0, nxt.start) + 1:nxt.start].strip(" \t-*+")
                and not text[nxt.end:text.find("\n", nxt.end) % (len(text) + 1)].strip(" \t.,;")):
            body = seg.body.strip() + " = " + nxt.body.strip()
            out.append(Segment(body, seg.line, seg.start, nxt.end, display=True, plain=seg.plain))
            k += 2
            continue
        out.append(seg)
        k += 1
    return out


HYPOTHETICAL = re.compile(r"(?:\b(?:if|iff|when|whenever|unless|until|suppose)|如果|当|若|si|wenn|falls)\s*\**\s*$",
                          re.IGNORECASE)


CONDITION_AFTER = re.compile(r"[ \t]*(?:is\s+(?:sufficient|necessary|enough|required)|holds\b|时|的时候)", re.IGNORECASE)


def equation_rows(text: str) -> list[tuple[int, str]]:
    """(line, row) for every row of every math block, inline or displayed, with the file's
    own macros expanded and spellings unified as :func:`chains` reads them: where a
    student's ``X = …`` definitions are found (prose math included, which chains skip)."""
    return list(_equation_rows(text))


@functools.lru_cache(maxsize=4)
def _equation_rows(text: str) -> tuple:
    # one submission's rows are asked for by each reader of its definitions (its own
    # names, its functions): normalised once, not once per reader
    text = prepare(text)
    macros, spans = collect_macros(text)
    for s, e in spans:
        text = text[:s] + re.sub(r"[^\n]", " ", text[s:e]) + text[e:]
    out = []
    for seg in segments(text, layout=True):
        if HYPOTHETICAL.search(text[max(0, seg.start - 40):seg.start]) or CONDITION_AFTER.match(text, seg.end):
            continue                  # "zero only when $\hat y = y$": a condition, not a definition
        try:
            body = normalise_math(seg.body, macros).text
        except ReadError:
            continue
        for row in _rows(body):
            line = seg.line + body.count("\n", 0, body.find(row)) if row in body else seg.line
            words = intertext(row)
            if words is not None:     # "\intertext{where $M_{ij} = …$ …}": its inline math defines
                out.extend((line, piece) for piece in words.split("$")[1::2] if piece.strip())
                continue
            out.append((line, row.replace("&", " ")))
    return tuple(out)


# a row that is only a branch condition, "(w \neq o)", "w = o:", "\text{if } w \ne o"
CONDITION_ROW = re.compile(r"\(?\s*(?:\\text\s*\{\s*(?:if|when|for)\s*\}\s*)?[a-zω]\s*(?:=|\\neq?\b|≠)\s*\{?\s*[a-zA-Z0-9]\s*\}?"
                           r"\s*\)?\s*[:：,]?")
ASIDE_OPEN = re.compile(r"\(\s*(?:[A-Za-z]+\s+){0,4}$")


def _expanded(body: str, macros) -> str:
    """Inline math as it reads once the file's own macros are expanded
    (``$\\pd{J}{u_w} = …$`` with ``\\pd`` a ∂-fraction): only when it uses one,
    so plain prose math is not normalised twice."""
    used = set(re.findall(r"\\([A-Za-z]+)", body)) & set(macros.defs)
    if not used:
        return ""
    try:
        return normalise_math(body, macros).text
    except ReadError:
        return ""


PREFIX_TAIL = 240


def _inline_is_answer(body: str, prefix: str, after: str = "", prefix_len: int | None = None) -> bool:
    """Inline math that is an answer, not a mention in prose: an equation with a
    derivative on its left, a loss definition (it sets the section's loss), or an
    expression after a label ending in ':' ("- $u_o$: $…$", "answer is: $…$").
    A formula in parentheses in prose ("(using $∂\\det Q/∂Q = …$)") is an aside.
    ``prefix`` may be the end of the text before the math (at least PREFIX_TAIL characters of
    it), ``prefix_len`` the length of all of it."""
    if after.lstrip().startswith(")") and ASIDE_OPEN.search(prefix[-80:]):
        return False
    if "=" in body and (INLINE_ANSWER.search(body.split("=")[0]) or re.match(r"\s*(?:\\bm\s*|\\mathbf\s*)?\{?J", body)):
        return True
    p = prefix.rstrip()
    full = prefix_len if prefix_len is not None else len(prefix)
    if not p and full > len(prefix):
        return False           # only white space seen, and a long line before it: no label of < 120
    return p.endswith((":", "：")) and full - (len(prefix) - len(p)) < 120


def _without_alignment(row: str) -> str:
    """Remove the & of an aligned row but not those of a cases table."""
    out, depth, i = [], 0, 0
    while i < len(row):
        if row.startswith("\\begin{", i):
            depth += 1
        elif row.startswith("\\end{", i):
            depth -= 1
        out.append(" " if row[i] == "&" and depth == 0 else row[i])
        i += 1
    return "".join(out)


def _cut_remark(row: str) -> tuple[str, str]:
    """A remark after the answer that holds an '=' of its own (``\\quad \\text{if } w = o``,
    ``\\mathrm{for\\ all\\ } k = 1, …, K``): cut off before the row is split at '=', so
    "o" or "1, 2, …, K" does not become the final step. Only after the row's first '=',
    outside groups and environments (a cases table keeps its conditions)."""
    if not REMARK_START.search(row):
        return row, ""
    depth = env = 0
    seen_eq = False
    i = 0
    while i < len(row):
        if row.startswith("\\begin", i):
            env += 1
        elif row.startswith("\\end", i):
            env -= 1
        ch = row[i]
        if ch == "\\" and i + 1 < len(row) and row[i + 1] in "{}":
            i += 2
            continue
        if depth == 0 and env == 0:
            if ch == "=" and (i == 0 or row[i - 1] not in "<>!\\"):
                seen_eq = True
            elif seen_eq:
                m = REMARK_START.match(row, i)
                if m:
                    return row[:i], row[i:]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    return row, ""


ROW_LABEL = re.compile(r"^\s*\(\s*(?:i{1,3}|iv|vi{0,3}|[a-h])\s*\)\s*(?=\\frac|\\partial|\\nabla|\\dfrac)")


def _add_row(found: list[Chain], row: str, line: int, context: str, noisy: bool,
             inside_block: bool = False, where: dict | None = None, first_in_block: int = 0,
             arrow_led: bool = False) -> None:
    where = where or {}
    row = _without_alignment(row)
    if not row.strip():
        return
    row = SECTION.sub("", row) if SECTION.match(row) and not row.lstrip().startswith("(") else row
    row = ROW_LABEL.sub("", row)      # "(i)& ∂J/∂U = …": a part label in front of an aligned row
    label = LEADING_LABEL.match(row)
    if label:  # "ⓐ \quad ∂L/∂u_0 = ...": the label names this chain
        context = context + f" [label {label.group(1)}] "
        row = row[label.end():]
    row, said = _cut_prose_prefix(row)
    if said:  # "w=o时，∂J/∂u_o = …", "Then \space ∂J/∂U = …": words typed inside the math
        context = context + "\n" + said
    row, tail = _cut_remark(row)
    steps, dropped = collapse_repeats(_split_top(row, "="))
    if tail:
        steps[-1] = steps[-1] + " " + tail    # clean_step of the last step keeps it as the remark
    in_block = inside_block and len(found) > first_in_block
    if found and not steps[0].strip() and (in_block or not inside_block):
        chain, new_steps = found[-1], steps[1:]      # "= …" continues the previous chain
    elif in_block and len(steps) == 1 and steps[0].lstrip()[:1] in "+-" and found[-1].steps:
        last = found[-1].steps[-1]                   # a long expression broken over two rows
        last.text = last.text + " " + clean_step(steps[0])[0]
        return
    elif in_block and len(steps) > 1 and not LOSS_LHS.search(steps[0]) and not (
            arrow_led and DERIVATIVE_START.match(steps[0].lstrip())):
        # a remark inside an aligned derivation; but "\\ \Rightarrow ∂f/∂x &= …", a row an arrow
        # opens with a derivative, concludes a new equation (the differential's df = … before it)
        chain, new_steps = found[-1], steps
    else:
        lhs, remark = _lhs_condition(*clean_step(steps[0]))
        chain = Chain(lhs=lhs, line=line, steps=[], context=context, noisy=noisy, remark=remark,
                      **{k: v for k, v in where.items() if k in ("heading", "prefix", "display", "column")})
        found.append(chain)
        new_steps = steps[1:]
    if dropped:
        chain.notes.append(f"line {line}: a step repeated {dropped + 1} times in a row (OCR loop) was read once")
    for s in new_steps[:MAX_STEPS]:
        _add_step(chain, s, line)
    chain.noisy = chain.noisy or noisy


# [∂J/∂u_1, ∂J/∂u_2, …]: a matrix's gradient restated as its columns (a column letter at 1 first),
# the definition written between the left-hand side and the answer or after it, not an answer
COLUMN_LIST = re.compile(r"^\s*\[\s*\\frac\s*\{\s*\\partial[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*\{\s*\\partial\s*[a-z]_\{?1\}?\s*\}\s*,")


def without_column_lists(steps: list) -> list:
    """(line, text) steps without those that only list the columns' derivatives
    ([∂J/∂u_1, …, ∂J/∂u_|V|]); all of them when that is all there is (a list alone is for review)."""
    return [p for p in steps if not COLUMN_LIST.match(p[1])] or steps


# ∂J/∂v_w _{\text{where } w \ne c}: a condition typed as a subscript of the whole derivative
LHS_SUBSCRIPT_CONDITION = re.compile(r"\}\s*_\s*\{((?:[^{}]|\{[^{}]*\}){0,200}?(?:\\neq|\\ne\b|≠|=)(?:[^{}]|\{[^{}]*\}){0,200})\}\s*$")


# \left. ∂L_i/∂s_j \right|_{j = y_i} once \left. and \right are blanked: an evaluation bar closing a
# left-hand side (a bare '|', not the norm's '\|'), its subscript a group or one letter
EVALUATION_BAR = re.compile(r"(?<![\\|])\|\s*_\s*(\{(?:[^{}]|\{[^{}]*\}){0,200}\}|[A-Za-z])\s*$")
RELATION = re.compile(r"\\neq?\b|\\n?leq?\b|\\n?geq?\b|≠|[=<>≤≥]")


def _evaluation_bar(lhs: str, remark: str) -> tuple[str, str]:
    """A derivative evaluated with a bar: ``…|_{X}`` or ``…|_{θ = θ_t}`` (at a point: a variable
    set equal to itself decorated, θ_t, θ_0, θ^{(k)}) is the derivative itself, the bar dropped;
    ``…|_{j = y_i}``, ``…|_{z ≠ 0}`` states a condition, kept as the remark (as "(j = y_i)" after it
    would be)."""
    m = EVALUATION_BAR.search(lhs)
    if not m or not lhs[:m.start()].strip():
        return lhs, remark
    cond = m.group(1)[1:-1].strip() if m.group(1).startswith("{") else m.group(1)
    head = lhs[:m.start()].rstrip()
    at_point = re.fullmatch(r"\s*(\\?[A-Za-z]+)\s*=\s*\{?\s*\1\s*(?:[_^]|\\star|\*|').*", cond)
    if not RELATION.search(cond) or at_point:
        return head, remark
    return head, (cond + " " + remark).strip()


def _lhs_condition(lhs: str, remark: str) -> tuple[str, str]:
    """A left-hand side ending in a subscript that states a condition after the derivative's
    closing brace (``\\frac{∂J}{∂v_w}_{\\text{where } w \\ne c}``): the derivative, and the
    condition as its remark (where "(w ≠ c)" after it goes). Only on a left-hand side that is a
    derivative: in an answer, ``𝟙_{w=o}`` is mathematics."""
    if len(lhs) > 400 or not DERIVATIVE_START.search(lhs):
        return lhs, remark
    if "|" in lhs:
        lhs, remark = _evaluation_bar(lhs, remark)
    m = LHS_SUBSCRIPT_CONDITION.search(lhs)
    if not m or not lhs[:m.start() + 1].strip():
        return lhs, remark
    return lhs[:m.start() + 1].rstrip(), (m.group(1).strip() + " " + remark).strip()


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PROSE_WORDS = re.compile(r"(?:[A-Za-z]{2,}(?![A-Za-z])[.,:;]?|\\text\s*\{[^{}]*\}|\\space|\\q?quad|\\[,;: ]|~|\s)+")


def _cut_prose_prefix(row: str) -> tuple[str, str]:
    """Words in front of the first derivative of a row — a condition in Chinese
    ("w=o时，"), a connective ("Then \\space \\space") — are prose typed inside the
    math: cut off and returned (braces around single letters dropped, so
    "w\\neq{o}时" reads as the condition w ≠ o). Only prose is cut: a prefix with
    no CJK character must be words alone, one of three letters or more."""
    m = DERIVATIVE_START.search(row)
    if not m or m.start() == 0:
        return row, ""
    prefix = row[:m.start()]
    if not prefix.strip():
        return row, ""
    words = PROSE_WORDS.fullmatch(prefix) and re.search(r"[A-Za-z]{3,}", re.sub(r"\\[A-Za-z]+", "", prefix))
    if not (CJK.search(prefix) and not re.search(r"[+\-*/^]|\\(?:sum|frac|sigma|partial)", prefix)) and not words:
        return row, ""
    said = re.sub(r"\{\s*([A-Za-z0-9])\s*\}", r" \1", prefix)
    said = re.sub(r"(?<=[A-Za-z0-9])(?=" + CJK.pattern + ")", " ", said)   # "o时": the o is a word of its own
    return " " * len(prefix) + row[m.start():], said.strip()


def _add_step(chain: Chain, raw: str, line: int) -> None:
    boxed = _boxed(raw)
    if boxed is not None:
        # \boxed{A = B}: a chain inside the box; its last step is the boxed final
        inner = [p for p in _split_top(boxed, "=") if p.strip()] or [boxed]
        for k, part in enumerate(inner):
            text, remark = clean_step(part)
            chain.steps.append(Step(text, line, boxed=k == len(inner) - 1))
            chain.remark = remark or chain.remark
        return
    branches = _branches(raw)
    if branches is not None:
        text, remark = clean_step(CASES.sub("cases", raw))
        chain.steps.append(Step(text, line, branches=branches))
        return
    text, remark = clean_step(raw)
    if remark:
        chain.remark = remark
    if text:
        chain.steps.append(Step(text, line))


def text_lines(text: str) -> list[tuple[int, str]]:
    """Lines with no math delimiters at all (OCR that lost them)."""
    text = prepare(text)
    segs = segments(text, layout=True)
    touched = set()
    starts = _line_starts(text)
    for s in segs:
        first = s.line
        last = bisect.bisect_right(starts, max(s.end - 1, s.start))
        touched.update(range(first, last + 1))
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip() and n not in touched:
            out.append((n, line.strip()))
    return out


# -- formulas typed (or OCR'd) as plain text -----------------------------------------------

PLAIN_WORD = re.compile(r"(?<![\\A-Za-z])(sigma|lambda|theta|delta|alpha|beta|mu|softmax|relu|ReLU|log|exp|det|tr|"
                        r"sum|grad|nabla|max)(?![A-Za-z])")
PLAIN_WORDS = {"sigma": r"\sigma ", "lambda": r"\lambda ", "theta": r"\theta ", "delta": r"\delta ",
               "alpha": r"\alpha ", "beta": r"\beta ", "mu": r"\mu ", "softmax": r"\operatorname{softmax}",
               "relu": r"\operatorname{ReLU}", "ReLU": r"\operatorname{ReLU}", "log": r"\log ", "exp": r"\exp ",
               "det": r"\det ", "tr": r"\operatorname{tr}", "sum": r"\sum", "grad": r"\nabla", "nabla": r"\nabla",
               "max": r"\max", "sigmoid": r"\sigma "}
PLAIN_D_OVER = re.compile(r"^\s*d\s+(.+?)\s*/\s*d\s*([A-Za-z](?:_\{[^{}]*\}|_[A-Za-z0-9])?)\s*$")
PLAIN_GAP = re.compile(r"\s{3,}(?![-+*/=])")           # a column gap: what follows is a margin note
PLAIN_LABEL = re.compile(r"^\s*(?:\(?[a-h]\)|\(?[ivx]+\)|\d+\s*[.)])\s*")   # "a)", "(ii)", "2)"
# "gradient:   ∇J(θ) = …", "Final answer: dL/dW = …": a word label (its gap is no margin note)
WORD_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z ]{0,24}:\s+(?=\S)")
PLAIN_CASE = re.compile(r"^(?P<value>.+?)\s+(?:if|for|when)\s+(?P<cond>.+)$")
PLAIN_OTHERWISE = re.compile(r"^(?P<value>.+?)\s+(?:otherwise|else|elsewhere)$")
PLAIN_ELSE_FIRST = re.compile(r"^(?:and\s+)?(?:else|otherwise)\s*[,:]?\s+(?P<value>.+)$")     # "…, else 0"


def plain_math(text: str) -> str:
    """A formula typed without LaTeX (``grad_x ( a'x )``, ``1/N X'( sigma(X theta) - y )``,
    ``d tr(AX) / dX``, ``||BX - C||_F^2``, ``W2'``) in the grammar's spelling: named Greek
    letters and functions become their commands, ``||`` a norm bar, ``d f / dX`` and
    ``d/dx`` fractions, a capital followed by a digit (``Z1``) a subscripted name (OCR
    drops the underscore). Only spelling: nothing is interpreted."""
    text = PLAIN_WORD.sub(lambda m: PLAIN_WORDS[m.group(1)], text)
    text = text.replace("||", r"\|")
    text = re.sub(r"(?<![A-Za-z\\])(d?[A-Z])(\d)(?![\d])", r"\1_\2", text)
    text = re.sub(r"(?<![A-Za-z\\])d\s*/\s*d\s*([A-Za-z])(?![A-Za-z])", r"\\frac{d}{d\1}", text)
    m = PLAIN_D_OVER.match(text)
    if m:
        text = "\\frac{\\partial\\, " + m.group(1) + "}{\\partial " + m.group(2) + "}"
    return text


PLAIN_CALL = re.compile(r"(?<![\\A-Za-z{])(softmax|sigmoid|relu|ReLU|exp|log)(?=\s*\()")


def plain_calls(text: str) -> str:
    """``softmax(Z_2)``, ``sigmoid(z)`` typed without a backslash inside LaTeX: the function
    (read as the letters s·o·f·t·m·a·x times the bracket otherwise)."""
    return PLAIN_CALL.sub(lambda m: PLAIN_WORDS[m.group(1)], text)


def plain_cases(text: str) -> str | None:
    """``1 if z > 0 , 0 if z < 0`` (a case split in words) as Σ value·[condition], the
    last case "otherwise" standing for 1 minus the others; None when it is not one."""
    parts = [p.strip() for p in _split_top(text, ",")]
    if len(parts) < 2:
        return None
    terms, conds = [], []
    for k, part in enumerate(parts):
        m = PLAIN_CASE.match(part)
        if m:
            terms.append(f"({m.group('value')})\\indicator[{m.group('cond')}]")
            conds.append(m.group("cond"))
            continue
        m = PLAIN_OTHERWISE.match(part) or PLAIN_ELSE_FIRST.match(part)
        if m and k == len(parts) - 1 and conds:
            rest = " - ".join(f"\\indicator[{c}]" for c in conds)
            terms.append(f"({m.group('value')})(1 - {rest})")
            continue
        return None
    return " + ".join(terms)


def plain_equations(text: str) -> list[tuple[int, str, list[str], str]]:
    """(line, left side, [steps], remark) for each equation typed on lines with no math
    delimiters (OCR that lost them): a line with one top-level '=' after its part label,
    continued by the lines below it that start with an operator (``+ 2 λ W``: a formula
    broken over lines) or with '=' (a further step). A wide gap or a parenthesised
    aside in words at the end of a line is its remark. Spelling as :func:`plain_math`."""
    out: list = []
    current = pending = None
    fenced = _fenced_lines(text)
    for n, line in text_lines(text):
        if n in fenced:
            current = pending = None          # code (``u_o = outsideVectors[idx]``), not mathematics
            continue
        body, remark = _plain_remark(WORD_LABEL.sub("", PLAIN_LABEL.sub("", line)))
        if current is None and pending is not None and n == pending[0] + 1 and body[:1] == "=":
            current = [pending[0], pending[1], [body[1:].strip()], remark, n]   # "d/dx (…)" then "= …"
            out.append(current)
            pending = None
            continue
        if current is not None and n == current[4] + 1 and body[:1] in "+-*/=":
            if body[:1] == "=":
                current[2].append(body[1:].strip())
            else:
                current[2][-1] += " " + body
            current[3] = " ".join(filter(None, [current[3], remark]))
            current[4] = n
            continue
        parts = _split_top(body, "=")
        if len(parts) < 2 or not parts[0].strip() or not parts[-1].strip():
            current = None
            pending = (n, body) if len(parts) == 1 else None
            continue
        current = [n, parts[0], [p.strip() for p in parts[1:]], remark, n]
        out.append(current)
    result = []
    for n, lhs, steps, remark, _ in out:
        steps = [plain_cases(s) or s for s in steps]
        result.append((n, plain_math(lhs), [plain_math(s) for s in steps], remark))
    return result


def _fenced_lines(text: str) -> set:
    """Line numbers inside Markdown code fences (``` or ~~~) and of the fences themselves."""
    out, inside = set(), False
    for n, line in enumerate(prepare(text).split("\n"), 1):
        fence = line.lstrip().startswith(("```", "~~~"))
        if fence or inside:
            out.add(n)
        if fence:
            inside = not inside
    return out


def _plain_remark(line: str) -> tuple[str, str]:
    gap = PLAIN_GAP.search(line.strip())
    body, remark = (line.strip()[:gap.start()], line.strip()[gap.end():]) if gap else (line.strip(), "")
    m = re.search(r"\(\s*(?:if|for|when|where|y\s*=|with)\b[^()]*\)\s*$", body)
    if m:
        body, remark = body[:m.start()].rstrip(), (body[m.start():] + " " + remark).strip()
    return body.rstrip(" ,;."), remark


def strip_text_commands(text: str) -> str:
    return TEXT_CMD.sub(lambda m: " " + m.group(1) + " ", text)
