"""The normalising front end: LaTeX as students type it, reduced to the notation
the grammar (``read/latex.py``) reads, with the source offset of every character.

A small TeX-aware tokenizer (control words, control symbols, groups) drives a
rewriting pass:

- the student's own macros (``\\newcommand``, ``\\renewcommand``, ``\\def``,
  ``\\DeclareMathOperator``) are collected from the whole document and expanded,
  with a bounded number of expansions and a bounded output size (a hostile
  ``\\def\\x{\\x\\x}`` is refused, not followed);
- presentation-only macros are dropped (``\\tag{…}``, ``\\label``, ``\\nonumber``,
  ``\\notag``, ``\\displaystyle``, ``\\because``, …);
- font macros are unwrapped (``\\bm``, ``\\pmb``, ``\\boldsymbol``, ``\\mathbf``,
  ``\\mathit``, ``\\mathrm``, ``\\textbf``, ``\\vec``, …): a one-letter argument
  becomes the letter, a word becomes ``\\operatorname{word}`` (so ``\\mathrm{LeakyReLU}``
  is one unknown function, not eight letters multiplied); ``\\mathbf 1`` stays a
  vector of ones (``\\ones``) and ``\\mathbb 1`` an indicator (``\\indicator``):
  neither is the number 1;
- spellings are unified: ``\\part`` → ``\\partial``, ``\\prime`` and ``^{\\prime}`` → ``'``,
  ``{a \\over b}`` → ``\\frac{a}{b}``, ``\\textsubscript{c}`` → ``_{c}``, ``\\Sigma_k`` → ``\\sum_k``,
  ``|V|`` as a limit → ``V``, ``\\text{…}`` keeps its words with ``\\_`` and ``$`` removed.

Nothing here interprets mathematics; it only rewrites spelling. Every output
character carries the offset of the source character it came from, so the
grammar's "could not read X at column N" points into what the student wrote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gradkey.verify.read.errors import ReadError

MAX_EXPANSIONS = 500        # user-macro expansions per math block
MAX_OUTPUT = 40_000         # characters after expansion per math block
MAX_MACROS = 200            # definitions per document
MAX_GROUP_DEPTH = 200       # nesting of { } groups per math block (the grammar's own limit is lower)

# -- what the rewriting knows (presentation, fonts); problem words live in vocabulary.py --

DROP_WITH_ARG = {"tag", "tag*", "label", "hspace", "vspace", "hspace*", "phantom", "hphantom", "vphantom",
                 "eqref", "ref", "color", "tiny", "small"}
DROP = {"nonumber", "notag", "displaystyle", "textstyle", "scriptstyle", "mathstrut", "hfill", "allowbreak",
        "because", "therefore", "nolimits", "limits", "relax", "protect", "centering", "noindent", "strut",
        "smallskip", "medskip", "bigskip", "newline"}
FONTS = {"bm", "pmb", "boldsymbol", "mathbf", "mathit", "mathsf", "mathnormal", "textbf", "textit", "textsf",
         "vec", "mathrm", "bf", "rm", "it", "boldmath", "underline", "mathbfit", "symbf", "symbfit", "bold",
         "Bold", "mathbold"}
TEXT = {"text", "textrm", "textnormal", "mbox", "textup", "texttt", "hbox"}
CODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")      # dW2, dscores (no _: W_1 in \texttt is prose)
ONE_LETTER_FUNCS = {"exp": r"\exp", "log": r"\log", "ln": r"\ln"}
KNOWN_WORDS = {"exp": r"\exp ", "log": r"\log ", "ln": r"\ln ", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}"}


@dataclass
class Macro:
    nargs: int
    body: str


@dataclass
class Macros:
    defs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


@dataclass
class Normalised:
    text: str
    origin: list            # source offset (within the block) of every character of text
    notes: list = field(default_factory=list)

    def source_column(self, col: int | None) -> int | None:
        if col is None or not self.origin:
            return col
        return self.origin[min(max(col, 0), len(self.origin) - 1)]


# -- tokens --------------------------------------------------------------------------

TOKEN = re.compile(r"\\(?:[A-Za-z]+\*?|.)|[{}]|\s+|[^\\{}\s]", re.DOTALL)


def tokens(text: str):
    """(token, start) pairs: control words (with a trailing * kept), control
    symbols, braces, runs of white space, and single characters."""
    return [(m.group(), m.start()) for m in TOKEN.finditer(text)]


# -- macro definitions -----------------------------------------------------------------

DEF_RE = re.compile(r"\\(?:re)?newcommand\*?|\\providecommand\*?|\\def|\\DeclareMathOperator\*?|\\let")


def _group_end(text: str, start: int) -> int:
    """Index after the brace group starting at text[start] == '{' (or -1)."""
    depth, i, n = 0, start, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def collect_macros(document: str) -> tuple[Macros, list[tuple[int, int]]]:
    """The document's macro definitions, and the spans they occupy (to be
    removed before reading). A definition that cannot be parsed is noted."""
    macros, spans = Macros(), []
    for m in DEF_RE.finditer(document):
        if any(s <= m.start() < e for s, e in spans):
            continue
        kind, i = m.group(), _skip_space(document, m.end())
        try:
            if kind == "\\let":
                nm = re.match(r"\\([A-Za-z]+)\s*=?\s*\\([A-Za-z]+)", document[i:])
                if not nm:
                    continue
                macros.defs[nm.group(1)] = Macro(0, "\\" + nm.group(2) + " ")
                spans.append((m.start(), i + nm.end()))
                continue
            if kind == "\\def":
                nm = re.match(r"\\([A-Za-z]+)((?:#\d)*)", document[i:])
                if not nm:
                    continue
                name, nargs = nm.group(1), len(nm.group(2)) // 2
                i = _skip_space(document, i + nm.end())
            else:
                nm = re.match(r"\{?\s*\\([A-Za-z]+)\s*\}?", document[i:])
                if not nm:
                    continue
                name = nm.group(1)
                i = _skip_space(document, i + nm.end())
                nargs = 0
                am = re.match(r"\[(\d)\]", document[i:])
                if am:
                    nargs = int(am.group(1))
                    i = _skip_space(document, i + am.end())
                if re.match(r"\[[^\]]*\]", document[i:]):   # an optional argument's default: not supported
                    macros.notes.append(f"\\{name}: optional arguments are not supported; definition ignored")
                    continue
            if not document.startswith("{", i):
                continue
            end = _group_end(document, i)
            if end < 0:
                continue
            body = document[i + 1:end - 1]
            if kind.startswith("\\DeclareMathOperator"):
                body = r"\operatorname{" + body + "}"
            if len(macros.defs) < MAX_MACROS:
                macros.defs[name] = Macro(nargs, body)
            spans.append((m.start(), end))
        except IndexError:
            continue
    return macros, spans


# -- the rewriting pass --------------------------------------------------------------------

CONTROL_WORD_END = re.compile(r"\\[A-Za-z]+$")


class _Out:
    def __init__(self):
        self.chars: list[str] = []
        self.origin: list[int] = []

    def put(self, text: str, at: int) -> None:
        if len(text) > 1 and text.startswith("\\") and self._after_script():
            text = "{" + text + "}"      # J_\text{sg}: the subscript is the whole replacement
        if text[:1].isalpha() and self.chars and self.chars[-1][-1:].isalpha() and "\\" in self.chars[-1] \
                and CONTROL_WORD_END.search(self.chars[-1]):
            text = " " + text            # \partial then v: keep them two tokens
        self.chars.append(text)
        self.origin.extend([at] * len(text))

    def _after_script(self) -> bool:
        for piece in reversed(self.chars):
            if piece.isspace():
                continue
            return piece.endswith(("_", "^"))
        return False

    def text(self) -> str:
        return "".join(self.chars)


def _arg(toks, i):
    """The argument starting at toks[i] (after white space): a group's inner
    tokens or a single token. Returns (tokens, next index, braced)."""
    while i < len(toks) and toks[i][0].isspace():
        i += 1
    if i >= len(toks):
        return [], i, False
    if toks[i][0] == "{":
        depth, j = 0, i
        while j < len(toks):
            t = toks[j][0]
            depth += t == "{"
            depth -= t == "}"
            if depth == 0:
                return toks[i + 1:j], j + 1, True
            j += 1
        return toks[i + 1:], len(toks), True       # unclosed: the grammar reports it
    return [toks[i]], i + 1, False


def _next_is(toks, j: int, what: str) -> bool:
    while j < len(toks) and toks[j][0].isspace():
        j += 1
    return j < len(toks) and toks[j][0] == what


COMPARISON = re.compile(r"[<>=≠≤≥]|\\(?:neq?|[lg]eq?|leqslant|geqslant)(?![A-Za-z])")


def _bracketed_comparison(toks) -> bool:
    r"""Whether the tokens open (after white space) with [ … ] or \{ … \} holding a comparison
    at their own level (Z_1 > 0, y_i = j), read within a short window."""
    k = 0
    while k < len(toks) and toks[k][0].isspace():
        k += 1
    if k >= len(toks) or toks[k][0] not in ("[", "\\{"):
        return False
    close = "]" if toks[k][0] == "[" else "\\}"
    depth = 0
    inside = []
    for t, _ in toks[k + 1:k + 80]:
        if t == close and depth == 0:
            return bool(COMPARISON.search("".join(inside)))
        depth += t in ("{", "[", "\\{")
        depth -= t in ("}", "]", "\\}")
        inside.append(t)
    return False


def _plain(toks) -> str:
    return "".join(t for t, _ in toks)


def _word(toks) -> str | None:
    """The content of a font/text argument when it is one word of letters."""
    s = _plain(toks).strip()
    return s if re.fullmatch(r"[A-Za-z][A-Za-z\-]*", s) else None


ONES_MATRIX = re.compile(r"\\begin\{([bBpv]?matrix)\}\s*1\s*((?:(?:&|\\\\)\s*(?:1|\\[lcv]?dots)\s*)+)"
                         r"(?:\\\\\s*)?\\end\{\1\}")


def _ones_matrix(m) -> str:
    """[1 1 ⋯ 1] written as a matrix is 𝟏ᵀ (a row) or 𝟏 (a column); padded so that
    later columns keep their offsets. A matrix mixing & and \\\\ stays as written."""
    seps = set(re.findall(r"&|\\\\", m.group(2)))
    if seps == {"&"}:
        return r"\ones^{\top}".ljust(len(m.group()))
    if seps == {"\\\\"}:
        return r"\ones".ljust(len(m.group()))
    return m.group()


# Commands a hurried typist misspells (\patial, \lamda, \nabal): a lower-case control word of five
# letters or more that is one edit (a letter dropped, added, changed or two swapped) away from
# exactly one of these, and is neither one of them nor a command the reader knows nor the file's
# own macro, is read as that command, with a note. Shorter words are never guessed.
TYPO_TARGETS = ("partial", "lambda", "nabla", "theta", "sigma", "alpha", "delta", "gamma", "omega", "epsilon",
                "varepsilon", "mathbf", "mathbb", "mathrm", "boldsymbol", "operatorname", "dfrac", "otimes",
                "intercal", "times", "infty", "right", "begin", "tilde", "mathcal", "sqrt", "frac", "cdot", "odot",
                "left", "text", "top", "sum", "hat")
NOT_TYPOS = {"mathsf", "mathit", "mathtt", "mathscr", "mathfrak", "mathds", "mathbbm", "textbf", "textit", "textrm",
             "textsf", "texttt", "mathop", "mathord", "varsigma", "vartheta", "varpi", "varrho", "varphi", "oslash",
             "oplus", "ominus", "odots", "cdots", "ldots", "vdots", "ddots", "iint", "lambdabar", "righteq", "betas"}


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1:] == short for k in range(len(long_)))


def _typos(toks, macros: Macros, notes: list) -> list:
    out = []
    for t, at in toks:
        word = t[1:]
        if (t.startswith("\\") and len(word) >= 5 and word.isalpha() and word.islower() and word not in TYPO_TARGETS
                and word not in NOT_TYPOS and word not in FONTS | DROP | TEXT | DROP_WITH_ARG and word not in macros.defs):
            near = [c for c in TYPO_TARGETS if _one_edit(word, c)]
            if len(near) == 1:
                notes.append(f"\\{word} read as \\{near[0]} (a typo)")
                t = "\\" + near[0]
        out.append((t, at))
    return out


def normalise_math(body: str, macros: Macros | None = None) -> Normalised:
    """Rewrite one math block. Raises ReadError when macro expansion runs away."""
    macros = macros or Macros()
    body = ONES_MATRIX.sub(_ones_matrix, body) if "matrix}" in body else body
    out = _Out()
    notes: list[str] = []
    budget = [MAX_EXPANSIONS]
    toks = tokens(body)
    toks = _typos(toks, macros, notes) if re.search(r"\\[a-z]{5}", body) else toks
    _refuse_deep_groups(toks, body)
    _rewrite(_delta_as_partial(toks), out, macros, budget, notes, body)
    text = out.text()
    text, origin = _over_to_frac(text, out.origin)
    return Normalised(text, origin, notes)


def _refuse_deep_groups(toks, src: str) -> None:
    """Braces nested deeper than MAX_GROUP_DEPTH are refused before rewriting:
    each group's argument is found by scanning to its closing brace, so
    x^{x^{…}} or \\mathbf{\\mathbf{…}} thousands deep would cost time quadratic in
    the depth (seconds at 3000), and the grammar refuses such nesting anyway."""
    depth = 0
    for t, at in toks:
        if t == "{":
            depth += 1
            if depth > MAX_GROUP_DEPTH:
                raise ReadError(f"braces nested deeper than {MAX_GROUP_DEPTH} levels", at, src[:40])
        elif t == "}":
            depth -= 1


def _rewrite(toks, out: _Out, macros: Macros, budget: list, notes: list, src: str) -> None:
    # An explicit stack of (tokens, index) frames instead of recursion: group
    # nesting in hostile input cannot exhaust Python's stack here.
    stack = [(toks, 0)]
    while stack:
        toks, i = stack.pop()
        while i < len(toks):
            if len(out.chars) > MAX_OUTPUT:
                raise ReadError(f"a block that grows past {MAX_OUTPUT} characters when its macros are expanded", 0, src[:40])
            t, at = toks[i]
            i += 1
            if not t.startswith("\\") or len(t) == 1:
                if t == "^" and i < len(toks):        # ^{\prime} and ^\prime: a prime
                    arg, j, _ = _arg(toks, i)
                    if _plain(arg).strip() in ("\\prime", "'", "\\prime\\prime"):
                        out.put("'" * max(1, _plain(arg).count("prime")), at)
                        i = j
                        continue
                if t in ("[", "]") and (k := _iverson(toks, i, t)) is not None:
                    out.put(r"\indicator[" if t == "[" else "]", at)   # [\![A]\!]: the Iverson bracket of A
                    i = k
                    continue
                if t in ("⟦", "⟧"):
                    out.put(r"\indicator[" if t == "⟦" else "]", at)
                    continue
                if (t == "{" and i + 1 < len(toks) and toks[i][0] == "}"
                        and toks[i + 1][0] in ("'", "^")):
                    i += 1                      # u_w{}'v_c, x{}^T: an empty group only separates
                    continue
                if t == "(" and i < len(toks) and toks[i][0] == "\\#":
                    # bookdown's equation label (\#eq:name): presentation, like \label
                    j = next((k for k in range(i, min(len(toks), i + 60)) if toks[k][0] == ")"), None)
                    if j is not None:
                        i = j + 1
                        continue
                if t == "|" and i + 1 < len(toks) and toks[i][0] in ("V", "W") and toks[i + 1][0] == "|":
                    out.put(toks[i][0], toks[i][1])     # |V| as a limit: the vocabulary size
                    i += 2
                    continue
                out.put(t, at)
                continue
            name = t[1:]
            if name in macros.defs:
                budget[0] -= 1
                if budget[0] < 0:
                    raise ReadError(f"macros that expand more than {MAX_EXPANSIONS} times (a recursive \\{name}?)", at, src)
                m = macros.defs[name]
                args = []
                for _ in range(m.nargs):
                    arg, i, _ = _arg(toks, i)
                    args.append(_plain(arg))
                body = m.body
                for n, a in enumerate(args, 1):
                    body = body.replace(f"#{n}", a)
                if len(body) > MAX_OUTPUT:
                    raise ReadError(f"the macro \\{name} expands past {MAX_OUTPUT} characters", at, src)
                # the expansion is read in place, every character carrying the macro's position
                expanded = [(bt, at) for bt, _ in tokens(body + " ")]
                stack.append((toks, i))
                stack.append((expanded, 0))
                break
            if name in DROP:
                continue
            if name == "_":
                out.put("_", at)         # skip\_gram: an escaped underscore is a letter of the name
                continue
            if name in (",", ";", ":", "!", " "):
                out.put(" ", at)         # thin spaces: white space to the grammar
                continue
            if name in ("left", "right", "middle") or re.fullmatch(r"[bB]igg?[lrm]?", name):
                if i < len(toks) and toks[i][0] == ".":      # \right. : an invisible delimiter
                    i += 1
                continue
            if name in DROP_WITH_ARG:
                _, i, _ = _arg(toks, i)
                continue
            if name == "part":
                out.put(r"\partial ", at)
                continue
            if name == "prime":
                out.put("'", at)
                continue
            if name in ("vert", "lvert", "rvert"):
                out.put("|", at)         # \lvert Q \rvert, \right\vert_{x}: the bar itself
                continue
            if name in ("llbracket", "rrbracket"):
                out.put(r"\indicator[" if name == "llbracket" else "]", at)
                continue
            if name in ("dfrac", "tfrac", "cfrac"):
                out.put(r"\frac", at)
                continue
            if name == "Sigma":
                out.put(r"\sum ", at)
                continue
            if name in ("cdotp", "bullet", "centerdot"):
                out.put(r"\cdot ", at)
                continue
            if name in ("underbrace", "overbrace", "colorbox", "textcolor"):
                # \underbrace{v_c}_{d×1}, \textcolor{red}{…}: the annotation goes, the mathematics stays
                if name in ("colorbox", "textcolor"):
                    _, i, _ = _arg(toks, i)          # the annotation (or colour) comes first
                arg, i, _ = _arg(toks, i)
                if name in ("underbrace", "overbrace"):
                    k = i
                    while k < len(toks) and toks[k][0].isspace():
                        k += 1
                    if k < len(toks) and toks[k][0] in ("_", "^"):
                        _, i, _ = _arg(toks, k + 1)  # its label
                stack.append((toks, i))
                stack.append(([("}", at)], 0))
                stack.append((arg, 0))
                stack.append(([("{", at)], 0))
                break
            if name in ("textsubscript", "textsuperscript"):
                arg, i, _ = _arg(toks, i)
                out.put("_{" if name == "textsubscript" else "^{", at)
                stack.append((toks, i))
                stack.append(([("}", at)], 0))
                stack.append((arg, 0))
                break
            if name in ("mathrm", "operatorname", "mathsf"):
                arg, j, _ = _arg(toks, i)
                if _plain(arg).strip() == "D" and _next_is(toks, j, "_"):
                    # \mathrm{D}_{W} L: the upright D of the derivative operator with its variable
                    # subscripted, read like \nabla_{W} L (an italic D_W stays a name)
                    out.put(r"\nabla ", at)
                    i = j
                    continue
            if name in ("mathbb", "mathds", "mathbbm") or name in FONTS:
                arg, j, braced = _arg(toks, i)
                content = _plain(arg).strip()
                if content in ("1", "I") and name in ("mathbb", "mathds", "mathbbm"):
                    out.put(r"\indicator ", at)
                    i = j
                    continue
                if content == "1" and j < len(toks) and toks[j][0] == "_":
                    size, k, _ = _arg(toks, j + 1)
                    if re.fullmatch(r"\s*(?:[A-Z]|[nmdp]|\d+)\s*", _plain(size)):
                        # \mathbf{1}_N: a vector of ones with its size (a capital, n, m, d, p, a number)
                        out.put(r"\ones ", at)
                        i = k
                        continue
                    out.put(r"\indicator", at)   # \textbf{1}_{w_k=w_s}: subscripted by a condition, an indicator
                    i = j
                    continue
                if content == "1":
                    after = toks[j:]
                    if stack and all(t.isspace() for t, _ in after):    # the end of a macro's body
                        after = stack[-1][0][stack[-1][1]:]
                    # \mathbf{1}[Z_1 > 0], \mathbf{1}\{y_i = j\} (also through a macro such as
                    # \one[…]): the bold 1 right before a bracketed comparison is the indicator;
                    # otherwise a vector of ones, not the number 1
                    out.put(r"\indicator " if _bracketed_comparison(after) else r"\ones ", at)
                    i = j
                    continue
                if name in ("mathbb",) and content == "R":
                    out.put(r"\reals ", at)
                    i = j
                    continue
                word = _word(arg)
                if word and len(word) > 1:
                    out.put(KNOWN_WORDS.get(word, r"\operatorname{" + word + "}"), at)
                    i = j
                    continue
                # the argument is read in place (a letter, a group, a subscripted name)
                stack.append((toks, j))
                if braced and len(arg) > 1:
                    stack.append(([("}", at)], 0))
                    stack.append((arg, 0))
                    stack.append(([("{", at)], 0))
                else:
                    stack.append((arg, 0))
                break
            if name in TEXT or name in ("operatorname", "mathtt"):
                arg, i, _ = _arg(toks, i)
                content = _plain(arg).replace("\\_", "_").replace("$", " ").replace("\\ ", " ")
                word = _word(arg)
                if name in ("texttt", "mathtt") and CODE_NAME.fullmatch(content.strip()):
                    # \texttt{dW2}, \texttt{dscores}: a variable of the student's code, read as its name
                    out.put(" " + content.strip() + " ", at)
                elif name == "mathtt":
                    out.put(r"\text{" + content + "}", at)
                elif name != "operatorname" and word in KNOWN_WORDS:
                    out.put(KNOWN_WORDS[word], at)
                elif name != "operatorname" and not content.strip():
                    out.put(" ", at)             # \text{ }: a typed space between factors
                elif name != "operatorname" and content.strip() == "T" and out._after_script():
                    out.put("T", at)             # v_c^\text{T}: the transpose in upright type
                elif name == "operatorname":
                    out.put(KNOWN_WORDS.get(word or "", r"\operatorname{" + content.strip() + "}"), at)
                else:
                    out.put(r"\text{" + content + "}", at)
                continue
            out.put(t, at)


THIN = ("\\!", "\\,", "\\;", "\\:", "\\ ")


def _iverson(toks, i: int, bracket: str) -> int | None:
    """The end of an Iverson bracket's double bracket ``[\\![`` (or ``]\\!]``) whose first
    bracket is just before ``i``: the same bracket again after a negative thin space
    (OCR and hand-typed variants add spaces or more thin spaces), or None."""
    j, pulled = i, False
    while j < len(toks) and (toks[j][0].isspace() or toks[j][0] in THIN):
        pulled = pulled or toks[j][0] == "\\!"
        j += 1
    if pulled and j < len(toks) and toks[j][0] == bracket:
        return j + 1
    return None


def _delta_as_partial(toks: list) -> list:
    """\\frac{\\delta J}{\\delta v_c}: δ used as the partial sign. Only the
    structure decides — both numerator and denominator open with a bare δ (not
    δ(…), δ_i, δ^…, which are a function, an error term or a power) — so a δ the
    file declares as the sigmoid, or an error term δ_1, is left alone. One pass
    over the block's tokens with its braces matched once (nested fractions are
    not re-scanned: the reading stays linear)."""
    if not any(t == "\\delta" for t, _ in toks):
        return toks
    close, opened = {}, []
    for n, (t, _) in enumerate(toks):
        if t == "{":
            opened.append(n)
        elif t == "}" and opened:
            close[opened.pop()] = n

    def skip(n):
        while n < len(toks) and toks[n][0].isspace():
            n += 1
        return n

    def opening_delta(a, last, alone_ok):
        """The index of the δ opening the group a…last, when it is a bare δ (alone
        only in a numerator: \\frac{\\delta}{\\delta x} is the operator)."""
        d = skip(a + 1)
        if d >= last or toks[d][0] != "\\delta":
            return None
        after = skip(d + 1)
        if after >= last:
            return d if alone_ok else None
        return None if toks[after][0] in ("_", "^", "(", "\\left") else d

    out = toks
    for n, (t, _) in enumerate(toks):
        if t not in ("\\frac", "\\dfrac", "\\tfrac", "\\cfrac"):
            continue
        a = skip(n + 1)
        if a >= len(toks) or toks[a][0] != "{" or a not in close:
            continue
        b = skip(close[a] + 1)
        if b >= len(toks) or toks[b][0] != "{" or b not in close:
            continue
        dn, dd = opening_delta(a, close[a], True), opening_delta(b, close[b], False)
        if dn is None or dd is None:
            continue
        if out is toks:
            out = list(toks)
        out[dn] = ("\\partial", toks[dn][1])
        out[dd] = ("\\partial", toks[dd][1])
    return out


def _over_to_frac(text: str, origin: list) -> tuple[str, list]:
    """{A \\over B} -> \\frac{A}{B} (innermost groups first; also at the top level)."""
    if "\\over" not in text:
        return text, origin
    for _ in range(50):        # each pass rewrites at least one \over
        m = re.search(r"\\over(?![A-Za-z])", text)
        if not m:
            break
        at = m.start()
        # the enclosing group: scan left to the unmatched '{'
        depth, s = 0, at - 1
        while s >= 0:
            if text[s] == "}" and (s == 0 or text[s - 1] != "\\"):
                depth += 1
            elif text[s] == "{" and (s == 0 or text[s - 1] != "\\"):
                if depth == 0:
                    break
                depth -= 1
            s -= 1
        depth, e = 0, m.end()
        while e < len(text):
            if text[e] == "{" and text[e - 1] != "\\":
                depth += 1
            elif text[e] == "}" and text[e - 1] != "\\":
                if depth == 0:
                    break
                depth -= 1
            e += 1
        left, right = text[s + 1:at], text[m.end():e]
        new = "\\frac{" + left + "}{" + right + "}"
        new_origin = [origin[s + 1] if s + 1 < len(origin) else 0] * 6 + origin[s + 1:at] + \
                     [origin[at]] * 2 + origin[m.end():e] + [origin[e - 1] if e - 1 < len(origin) else 0]
        if s >= 0 and e < len(text):      # the group braces stay: {\frac{A}{B}}
            text = text[:s + 1] + new + text[e:]
            origin = origin[:s + 1] + new_origin + origin[e:]
        else:
            text = text[:max(s + 1, 0)] + new + text[e:]
            origin = origin[:max(s + 1, 0)] + new_origin + origin[e:]
    return text, origin
