"""A problem file's notation as the reader sees it: every word comes from the file.

:class:`Notation` is built from a :class:`~gradkey.derive.problemfile.GenericProblem`
(``derive/problems/*.toml`` or any file given with ``--problem PATH``): the LaTeX
spellings of its symbols and definitions (``W_1``, ``W^{(1)}``, ``\\mathbf{W}_1``,
``W1``, ``A_1`` for ``H``), its dimensions, index variables, labels, loss names
(``L``, ``L_i``, ``J``), the left-hand sides of its questions, and the words of
its sections (loss keys and titles: "softmax", "SVM", "hinge"). Nothing here
names a particular problem set: the same code reads linear classifiers, a
two-layer network, matrix calculus and logistic regression.

The grammar (``read/latex.py``) receives the notation and, before parsing,
replaces every declared spelling by one ``sym`` token naming the symbol
(:meth:`Notation.substitute`); the typed evaluation (``check/arrays.py``) gives
those names their values at an instance.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# spellings that are names (a letter or command, letters with digits, a word), with an
# optional subscript or a layer superscript in parentheses or brackets (W^{(1)}, deeplearning.ai's
# W^{[1]}); an accented letter (\hat{y}, \bar x) and a
# subscript that is itself subscripted (u_{w_k}) are names too; definitions' LaTeX such as
# "\sigma(X\theta)" or "s_j - s_{y_i} + 1" are formulas, not names, and are not substituted
NAME_LIKE = re.compile(r"^(?:\\[A-Za-z]+|[A-Za-z]|[A-Za-z]+\d+|[A-Za-z]{3,}|\\(?:hat|widehat|bar|overline|tilde|widetilde|check|vec)\s*(?:\{[A-Za-z]\}|[A-Za-z]))"
                       r"(?:_(?:\{[A-Za-z0-9]+(?:_[A-Za-z0-9])?\}|[A-Za-z0-9])|\^\{(?:\(\d\)|\[\d\])\})?$")

# function words students write as \operatorname{…}, \text{…}, \mathrm{…} or bare
FUNCTION_WORDS = {"softmax": "softmax", "relu": "relu", "ReLU": "relu", "Relu": "relu", "diag": "diag",
                  "tr": "tr", "Tr": "tr", "trace": "tr", "det": "det", "sigmoid": "sigma", "sign": "sign"}


@dataclass(frozen=True)
class Notation:
    problem: object = field(repr=False, compare=False)
    spellings: tuple              # (token tuple, (name, ...)) longest first
    examples_dim: str | None      # the dimension of examples (rows of X), for x_i, p_i, s
    label_names: frozenset        # symbols with role "label" (y): y_i is an index
    index_names: frozenset        # declared index variables (i, j)
    dim_names: dict               # a dimension's LaTeX -> its name (H -> Hn)

    @property
    def name(self) -> str:
        return self.problem.name

    # -- spelling substitution ----------------------------------------------------

    def substitute(self, tokens: list) -> list:
        """Replace every declared spelling in a token list by one ``sym`` token
        (ambiguous spellings keep every candidate: ``A`` is A or At in matcalc)."""
        from gradkey.verify.read.latex import Token
        toks = self._latin_lookalikes(_simplify(tokens))
        out, i = [], 0
        while i < len(toks):
            t = toks[i]
            prev = toks[i - 1] if i else None
            hit = None
            if not (prev is not None and prev.kind == "cmd" and prev.value in ("text", "operatorname", "begin", "end")):
                for spelled, names in self.by_first.get((t.kind, t.value), ()):
                    n = len(spelled)
                    window = tuple((x.kind, x.value) for x in toks[i:i + n])
                    if window == spelled:
                        if spelled[-1][0] == "letter" and len(spelled) > 1 and all(k == "letter" for k, _ in spelled):
                            # a word (reg): not inside a longer word
                            # (adjacent letters only: "dscores W_2" typed with a space is the word, then W)
                            nxt = toks[i + n] if i + n < len(toks) else None
                            last = toks[i + n - 1]
                            if (prev is not None and prev.kind == "letter" and prev.col + len(prev.value) >= t.col) or \
                                    (nxt is not None and nxt.kind == "letter" and last.col + len(last.value) >= nxt.col):
                                continue
                        hit = (n, names, False)
                        break
                    # W^{(2)\top}: a layer superscript followed by a transpose inside the group
                    if (n >= 2 and spelled[-1] == ("close", "}") and window[:-1] == spelled[:-1]
                            and i + n < len(toks) and toks[i + n - 1].kind in ("cmd", "letter")
                            and toks[i + n - 1].value in ("top", "T", "intercal")
                            and toks[i + n].kind == "close"):
                        hit = (n + 1, names, True)
                        break
            if hit:
                n, names, transposed = hit
                out.append(Token("sym", "|".join(names), t.col))
                if transposed:
                    out.extend([Token("op", "^", t.col), Token("letter", "T", t.col)])
                i += n
            else:
                out.append(t)
                i += 1
        return out

    def _matches_at(self, toks: list, i: int) -> bool:
        return any(tuple((x.kind, x.value) for x in toks[i:i + len(sp)]) == sp
                   for sp, _ in self.by_first.get((toks[i].kind, toks[i].value), ()))

    def _latin_lookalikes(self, toks: list) -> list:
        """μ_o, ν_c, υ_w — the Greek letters handwriting OCR (Mathpix) gives for u and v — as the
        Latin letter, where the file spells nothing so at that place and spells something
        with the Latin letter (a file with a mean μ_k keeps it)."""
        from gradkey.verify.read.latex import Token
        out = list(toks)
        for i, t in enumerate(toks):
            latin = LATIN_LOOKALIKE.get(t.value) if t.kind == "cmd" else None
            if latin and i + 1 < len(toks) and toks[i + 1].kind == "op" and toks[i + 1].value == "_" \
                    and ("letter", latin) in self.by_first and not self._matches_at(toks, i):
                out[i] = Token("letter", latin, t.col)
        return out

    @functools.cached_property
    def by_first(self) -> dict:
        """Spellings by their first token (longest first): substitution looks up, not scans."""
        out: dict = {}
        for spelled, names in self.spellings:
            out.setdefault(spelled[0], []).append((spelled, names))
        return out

    @functools.cached_property
    def memo(self) -> dict:
        """Tables the evaluation derives from this notation (the matrices a lower-case
        letter names, the label a letter spells), built on first use: a notation is
        immutable and lives as long as its file version."""
        return {}

    # -- windows -----------------------------------------------------------------

    @functools.cached_property
    def windows(self) -> tuple:
        """Labels indexed by an offset (``w_{t+j}``: the context words of skip-gram): a
        label of one axis spelled with a subscript "letter ± variable" declares that
        the variable (j) runs over that axis, that ``y_{t+j}`` is y at that label and
        ``u_{w_{t+j}}`` the column it names. A dimension spelled ``2m`` is the window
        −m ≤ j ≤ m, j ≠ 0 (its half-width is m)."""
        out = []
        for s in self.problem.symbols:
            if s.role != "label" or len(s.shape) != 1:
                continue
            for sp in s.latex:
                m = re.match(r"^([A-Za-z])_\{?\s*([a-z])\s*([+-])\s*([a-z])\s*\}?$", sp.strip())
                if not m:
                    continue
                dim = s.shape[0]
                d = next((d for d in self.problem.dims if d.name == dim), None)
                half = re.match(r"^2\s*([a-z])$", (d.latex or "") if d is not None else "")
                out.append(Window(s.name, m.group(4), m.group(2) + m.group(3) + m.group(4),
                                  m.group(1) + "_" + m.group(2) + m.group(3) + m.group(4), dim,
                                  half.group(1) if half else None, s.range_))
        return tuple(out)

    def window_of(self, text: str):
        """The window a subscript names (``t+j``, ``w_{t+j}``), or None."""
        key = ("window", text)          # asked for every subscripted name at every instance
        if key not in self.memo:
            t = re.sub(r"[{}\s]", "", text)
            self.memo[key] = next((w for w in self.windows if t in (w.offset, w.spelled)), None)
        return self.memo[key]

    # -- words --------------------------------------------------------------------

    @functools.cached_property
    def loss_words(self) -> tuple:
        """(loss name, regex over lower-cased prose) for the section a heading names."""
        out = []
        for loss in self.problem.loss_decls:
            words = {loss.name.removesuffix("_i").lower()}
            for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", loss.title):
                if w.lower() not in ("loss", "the", "one", "example", "examples", "with", "network", "and", "of",
                                     "regularisation", "multiclass", "its", "form", "a"):
                    words.add(w.lower())
            out.append((loss.name, r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\b"))
        return tuple(out)

    def families_named(self, text: str) -> set:
        """Loss families (a loss and its per-example twin) a heading or remark names."""
        t = text.lower()
        return {loss.removesuffix("_i") for loss, pattern in self.loss_words if re.search(pattern, t)}


@dataclass(frozen=True)
class Window:
    label: str            # the label array (window)
    var: str              # the variable of its spelling (j)
    offset: str           # its subscript, braces and spaces removed (t+j)
    spelled: str          # the label itself as a subscript (w_t+j)
    dim: str              # the axis the variable runs over (M)
    half: str | None      # m when the axis is spelled 2m
    range_: str           # what the label's values index (W)


def family(loss: str) -> str:
    return loss.removesuffix("_i")


# Greek letters handwriting OCR puts for Latin ones (read/ocr.py LOOKALIKES for the Unicode forms)
LATIN_LOOKALIKE = {"mu": "u", "nu": "v", "upsilon": "u"}

ACCENTS = frozenset({"hat", "widehat", "bar", "overline", "tilde", "widetilde", "check", "vec"})


def _simplify(tokens: list) -> list:
    """``_{x}`` → ``_x``, ``^{T}`` → ``^T`` and ``\\hat{y}`` → ``\\hat y`` for a group holding
    one token (the same TeX)."""
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        # \hat{y_w}, \hat{y_{w}}: the accent over a subscripted letter is the accented letter
        # subscripted (ŷ_w), as students mean it
        if t.kind == "cmd" and t.value in ACCENTS and i + 5 < len(tokens) and tokens[i + 1].kind == "open" \
                and tokens[i + 1].value == "{" and tokens[i + 2].kind == "letter" \
                and tokens[i + 3].kind == "op" and tokens[i + 3].value == "_":
            if tokens[i + 4].kind in ("letter", "num") and tokens[i + 5].kind == "close" and tokens[i + 5].value == "}":
                out.extend([t, tokens[i + 2], tokens[i + 3], tokens[i + 4]])
                i += 6
                continue
            if (i + 7 < len(tokens) and tokens[i + 4].kind == "open" and tokens[i + 4].value == "{"
                    and tokens[i + 5].kind in ("letter", "num") and tokens[i + 6].kind == "close"
                    and tokens[i + 7].kind == "close" and tokens[i + 7].value == "}"):
                out.extend([t, tokens[i + 2], tokens[i + 3], tokens[i + 5]])
                i += 8
                continue
        if (((t.kind == "op" and t.value in "_^") or (t.kind == "cmd" and t.value in ACCENTS))
                and i + 3 < len(tokens) and tokens[i + 1].kind == "open"
                and tokens[i + 1].value == "{" and tokens[i + 3].kind == "close"
                and (tokens[i + 2].kind in ("letter", "cmd")
                     # a number of one digit only: x^400 is x⁴·00 in TeX, the braces keep 10^{400} whole
                     or (tokens[i + 2].kind == "num" and len(tokens[i + 2].value) == 1))):
            out.extend([t, tokens[i + 2]])
            i += 4
            continue
        out.append(t)
        i += 1
    return _subscript_first(out)


def _subscript_first(toks: list) -> list:
    """``u^T_k`` → ``u_k^T`` (TeX sets both alike): the subscript stays with its letter, so the
    spelling u_k is found."""
    out, i = [], 0
    while i < len(toks):
        t = toks[i]
        if (t.kind == "letter" and i + 4 < len(toks) and toks[i + 1].kind == "op" and toks[i + 1].value == "^"
                and (toks[i + 2].kind, toks[i + 2].value) in (("letter", "T"), ("cmd", "top"), ("cmd", "intercal"))
                and toks[i + 3].kind == "op" and toks[i + 3].value == "_" and toks[i + 4].kind in ("letter", "num")):
            out.extend([t, toks[i + 3], toks[i + 4], toks[i + 1], toks[i + 2]])
            i += 5
            continue
        out.append(t)
        i += 1
    return out


_CACHE: dict = {}


def notation_for(problem) -> Notation:
    """The notation of a problem file (built once per file version)."""
    key = (problem.source, problem.digest)
    if key not in _CACHE:
        _CACHE[key] = _build(problem)
    return _CACHE[key]


def _build(problem) -> Notation:
    from gradkey.verify.read.latex import normalise, tokenize
    from gradkey.verify.read.normalise import normalise_math
    table: dict[tuple, list] = {}

    def add(spelling: str, name: str):
        spelling = spelling.strip()
        if not NAME_LIKE.match(spelling):
            return
        text = normalise(normalise_math(spelling).text)
        toks = tuple((t.kind, t.value) for t in _simplify(tokenize(text)) if t.kind != "end")
        if toks and name not in table.setdefault(toks, []):
            table[toks].append(name)

    labels, indices = set(), {v.name for v in problem.indices}
    for s in problem.symbols:
        if s.role == "label":
            labels.add(s.name)
        for sp in s.latex or (s.name,):
            add(sp, s.name)
    for d in problem.definitions:
        for sp in d.latex:
            add(sp, d.name)
    # an index letter is never a symbol's spelling (x_i keeps its i)
    for k in [k for k in table if len(k) == 1 and k[0][1] in indices]:
        del table[k]
    spellings = tuple(sorted(((k, tuple(v)) for k, v in table.items()), key=lambda kv: -len(kv[0])))
    dims = {sp: d.name for d in problem.dims for sp in (d.latex or d.name, *d.aliases)}
    examples = next((v.dim for v in problem.indices if v.name == "i"), None) or ("N" if "N" in problem.dim_names else None)
    return Notation(problem, spellings, examples, frozenset(labels), frozenset(indices), dims)
