"""What a problem set's words mean to the reader: THE one place for problem-specific
names, aliases, loss names, section words, branch words and declared conventions.

The reader (extract, normalise, latex) and identification (check/identify.py)
receive a :class:`Vocabulary`; nothing else in ``verify/read`` or ``verify/check``
holds word2vec's words. When problem sets become data (``derive/problems/*.toml``),
this object is filled from the problem file instead of the ``WORD2VEC`` literal below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Convention:
    """A convention an author declared for the whole file."""
    rows_U: bool = False          # U is W × d, its rows are u_wᵀ
    row_y: bool = False           # ŷ and y are row vectors
    notes: tuple = ()             # what was declared and where, for the report


@dataclass(frozen=True)
class Vocabulary:
    # loss key -> regex over lower-cased text naming it (subscripts, headings, remarks)
    loss_words: tuple
    # loss key -> regex over LaTeX that only that loss's formulas contain
    loss_content: tuple
    # letters that name the loss on a left-hand side (J, L, 𝓛 after normalising)
    loss_letters: frozenset
    # names of the whole vocabulary as a summation set: Σ_{w ∈ Vocab}
    vocabulary_sets: frozenset
    # a heading/prose phrase -> the variable it asks about
    variable_words: tuple
    # words for "every other case" in a branch condition
    otherwise_words: str
    # words saying a sample may repeat
    repeat_words: str
    # a heading naming the sigmoid question
    sigmoid_words: str
    # sentences declaring a convention
    rows_U_words: tuple
    row_y_words: tuple
    # a declared alias: regex over the document -> (LaTeX spelling, canonical spelling)
    declared_aliases: tuple = field(default_factory=tuple)
    # words declaring a symbol as a count ("$c_s$ is the number of …", "how many"): the
    # symbol is read as n_s, the count of samples that are the word w_s (n_{*}: the question's word)
    count_words: str = r"(?:be|is|denotes?|as|stands? for)?\s*(?:the\s+)?(?:number of|count of|how many)"
    # "is drawn $M$ times", "被采到了 $M$ 次": a count stated by how often a sample repeats
    times_words: str = r"(?:drawn|sampled|picked|chosen|appears?|occurs?|repeated|采到?了?|出现了?)\s*$"
    times_after: str = r"\s*(?:times\b|次)"
    # capitals the problem's formulas use (never read as a student's count)
    problem_capitals: frozenset = frozenset("UVWKJLNTDIO")
    # words declaring a symbol as the sigmoid ("$\delta(\cdot)$ denotes the sigmoid function")
    sigmoid_declared: str = r"(?:denotes?|is|stands? for|as|为|表示)\s*(?:the\s+)?(?:logistic\s+)?(?:sigmoid|logistic function)"

    # -- questions the reader asks -------------------------------------------------

    def loss_named(self, text: str) -> str | None:
        t = text.lower()
        for loss, pattern in self.loss_words:
            if re.search(pattern, t):
                return loss
        return None

    def loss_by_content(self, text: str) -> str | None:
        for loss, pattern in self.loss_content:
            if re.search(pattern, text):
                return loss
        return None

    def is_vocabulary(self, name: str) -> bool:
        clean = re.sub(r"\\(?:text|mathrm|mathcal|operatorname|mathbb)|[{}\s\\]", "", name)
        return clean in self.vocabulary_sets

    def variable_named(self, text: str) -> str | None:
        """The variable a heading or a remark asks about ("with respect to $U$")."""
        for var, pattern in self.variable_words:
            if re.search(pattern, text, re.IGNORECASE):
                return var
        return None

    def convention(self, document: str) -> Convention:
        rows_U = row_y = False
        notes = []
        for pattern in self.rows_U_words:
            m = re.search(pattern, document, re.IGNORECASE | re.DOTALL)
            if m:
                rows_U = True
                notes.append(f"declared on line {document.count(chr(10), 0, m.start()) + 1}: U is W × d with rows "
                             f"u_wᵀ; answers are judged in that layout")
                break
        for pattern in self.row_y_words:
            m = re.search(pattern, document, re.IGNORECASE | re.DOTALL)
            if m:
                row_y = True
                notes.append(f"declared on line {document.count(chr(10), 0, m.start()) + 1}: ŷ and y are row "
                             f"vectors; answers are judged in that layout")
                break
        return Convention(rows_U, row_y, tuple(notes))

    def aliases(self, document: str) -> list[tuple[str, str, str]]:
        """(regex, replacement, note) for the aliases this document declares."""
        out = []
        for declared, pattern, replacement, note in self.declared_aliases:
            if re.search(declared, document, re.IGNORECASE | re.DOTALL):
                out.append((pattern, replacement, note))
        return out + self._counts(document) + self._sigmoids(document)

    def _sigmoids(self, document: str) -> list[tuple[str, str, str]]:
        """A Greek letter the document declares as the sigmoid ("here $\\delta(\\cdot)$
        denotes the sigmoid function"): read as σ wherever it is applied."""
        out = []
        for m in re.finditer(r"\$\s*\\([A-Za-z]+)\s*(?:\(\s*(?:\\cdot|x|\\,|\s)*\))?\s*\$\s*,?\s*"
                             + self.sigmoid_declared, document, re.IGNORECASE):
            name = m.group(1)
            if name in ("sigma", "frac", "mathrm", "text", "operatorname"):
                continue
            out.append((r"\\" + name + r"(?![A-Za-z])", r"\sigma", f"\\{name} declared as the sigmoid: read as σ"))
        return out

    def _counts(self, document: str) -> list[tuple[str, str, str]]:
        """A symbol the document declares as a count ("Let $c_s$ denote how many of
        the K draws equal $w_s$", "$|S|$ is the number of times $w_k$ appears"):
        read as n_s (or n_{*}, the count of the question's word, when it has no index).
        A bare letter is never aliased (c would swallow the c of v_c)."""
        out = []
        for m in re.finditer(r"\$\s*([^$\n]{1,16}?)\s*\$\s*,?\s*" + self.count_words, document, re.IGNORECASE):
            sym = m.group(1).strip()
            sub = re.fullmatch(r"([A-Za-z])_\{?\s*([A-Za-z0-9])\s*\}?", sym)
            if sub:
                pattern = (r"(?<![A-Za-z\\])" + sub.group(1) + r"_\s*(?:\{\s*" + sub.group(2) + r"\s*\}|"
                           + sub.group(2) + r")(?![A-Za-z0-9])")
                replacement = "n_{" + sub.group(2) + "}"
            elif re.fullmatch(r"\|\s*[A-Za-z]\s*\|", sym):
                pattern, replacement = re.escape(sym).replace(r"\ ", r"\s*"), "n_{*}"
            else:
                continue
            out.append((pattern, replacement, f"{sym} declared as a count of samples: read as {replacement}"))
        for m in re.finditer(r"\$\s*([A-Z])\s*\$" + self.times_after, document):
            # "drawn $M$ times": a capital the problem does not use, alone (never the letter
            # inside a name or a subscript), after a word saying a sample repeats
            sym = m.group(1)
            if sym in self.problem_capitals or not re.search(self.times_words, document[max(0, m.start() - 40):m.start()],
                                                             re.IGNORECASE):
                continue
            out.append((r"(?<![A-Za-z\\_^{])" + sym + r"(?![A-Za-z0-9_])", "n_{*}",
                        f"{sym} declared as a count of samples: read as n_{{*}}"))
        return out


# -- word2vec -------------------------------------------------------------------------

_SYM = r"(?:\\hat\s*\{?\s*(?:\\(?:bm|pmb|boldsymbol|mathbf)\s*\{?\s*)?y|\\hat\s*y|ŷ|y)"

WORD2VEC = Vocabulary(
    loss_words=(
        ("neg", r"neg|sampl|\bns\b|负采样"),
        ("sg", r"skip|\bsg\b|window"),
        ("naive", r"smx|softmax|naive|\bce\b|cross.?entropy|-ce\b|\{ce\}|_ce\b"),
    ),
    loss_content=(
        ("sg", r"F\s*\(|\\sum_\{?\\?s?u?b?s?t?a?c?k?\{?\s*-\s*m|-m\s*\\leq|_\{?t\s*\+\s*j|j\s*=\s*-\s*m"),
        ("neg", r"\\sigma(?!\s*\(\s*x\s*\))(?!\s*'?\s*\(\s*x)"),
        ("naive", r"\\hat\s*\{?\s*y|\\exp|e\^|softmax"),
    ),
    loss_letters=frozenset({"J", "L"}),
    vocabulary_sets=frozenset({"Vocab", "V", "W", "vocab", "Vocabulary", "[W]", "[V]", "|V|"}),
    variable_words=(
        ("sigmoid", r"sigmoid|\\sigma\s*\(x\)|σ\s*\(x\)"),
        ("repeated", r"more than once|repeat|not (?:be )?distinct|need not be distinct|same word .*(?:twice|sampled)|"
                     r"drawn .*times|several times"),
        ("U", r"(?:respect to|wrt|w\.r\.t\.?|对)\s*(?:the\s+(?:whole\s+)?(?:matrix\s+)?)?\$\s*(?:\\(?:bm|pmb|boldsymbol|mathbf|textbf)\s*\{?\s*)?U\s*\}?\s*\$"
              r"|whole matrix|the matrix \$?U|outside vectors? matrix|stack"),
        ("v_c", r"(?:respect to|wrt|w\.r\.t\.?|对)\s*(?:the\s+)?\$\s*(?:\\(?:bm|pmb|boldsymbol|mathbf|vec)\s*\{?\s*)?v\s*\}?_\{?c|center (?:word )?vector|centre (?:word )?vector|中心词向量"),
        ("u_w", r"(?:respect to|wrt|w\.r\.t\.?|对)\s*(?:each of\s+)?(?:the\s+)?\$\s*(?:\\(?:bm|pmb|boldsymbol|mathbf|vec)\s*\{?\s*)?u\s*\}?_\{?w|outside (?:word )?vectors?(?! matrix)"),
        ("u_o", r"(?:respect to|wrt|w\.r\.t\.?)\s*\$\s*u_\{?o"),
        ("u_k", r"(?:respect to|wrt|w\.r\.t\.?)\s*\$\s*u_\{?k"),
        ("v_w", r"(?:respect to|wrt|w\.r\.t\.?)\s*\$\s*v_\{?w"),
    ),
    otherwise_words=r"o/w|otherwise|\bothers?\b|\belse\b|every other|all other|其余|其他",
    repeat_words=r"(?<![A-Za-z\\])n_\{?[\w*]|重复|w_\{?\w\}?\s*(?:=|\\neq?\b|≠)\s*w_|(?<![\d.])1\s*(?:\\\{|\[|\()\s*w_|repeat|drawn|multiple|(?:several|many|multiple)\s+times|more than once|not (?:be )?distinct|\\indicator|"
                 r"\\mathbb\s*\{?1",
    sigmoid_words=r"sigmoid|\\sigma\s*\(x\)|σ\(x\)",
    rows_U_words=(
        # "U ∈ ℝ^{|V|×n}, … each row of U is u_wᵀ" (也: "U的每一行是一个u_wᵀ")
        r"U\s*\$?\s*(?:is|\\in|∈)\s*\$?\s*(?:(?:\\mathbb\{R\}|\\R|\\reals|ℝ)\^\{?\s*)?(?:\|V\||W|N_w|\\text\{vocab)\s*(?:\\times|×|x)\s*(?:d|N|n|D)\b[^.\n。]{0,80}(?:rows?|每一?行)",
        r"U\s*\$?\s*,?\s*(?:a\s+|the\s+)?matrix of shape \(vocab_size,\s*embedding_dim\)",
        r"rows? (?:\$w\$ )?(?:is|are) \$?\\?(?:pmb|bm)?\s*\{?u_\{?w\}?\^(?:\\top|T)",
        r"with rows \$u_w",
        # "U ∈ ℝ^{V×N}, V is the vocabulary size, N the embedding length": both sides declared
        r"U\s*\$?\s*(?:\\in|∈)\s*\$?\s*(?:(?:\\mathbb\{R\}|\\R|\\reals|ℝ)\^\{?\s*)?V\s*(?:\\times|×)\s*(?:d|N|n|D)\b"
        r"[^\n]{0,40}?\$?\s*V\s*\$?\s*(?:is|denotes|=)\s*(?:the\s+)?(?:vocabulary|vocab|number of words)",
    ),
    row_y_words=(
        r"\\hat\s*\{?y\}?\$? and \$?y\$? are \**row vectors",
        r"ŷ and y are row vectors",
        r"\\hat\s*\{?y\}?\$? (?:is|as) a row vector",
        # "$y, \hat{y}, v_c$ are row vectors"
        r"\$[^$\n]{0,40}\\hat\s*\{?\s*y\s*\}?[^$\n]{0,40}\$\s*(?:are|is)\s+(?:all\s+)?\**row vectors",
    ),
    declared_aliases=(
        # "ỹ = softmax(…)", "\tilde y the predicted distribution": the author's ŷ
        (r"\\tilde\s*\{?\s*(?:\\vec\s*\{?)?\s*y\s*\}?\s*\}?\s*(?:=\s*\\(?:mathrm|operatorname|text)\{softmax|"
         r"\$?\s*(?:be|is|for)?\s*the (?:softmax|predicted|model)|\$?\s*,? the predicted)",
         r"\\tilde\s*\{\s*(?:\\vec\s*\{\s*y\s*\}|y)\s*\}|\\tilde\s*y",
         r"\hat{y}", "ỹ declared as the softmax output: read as ŷ"),
        # P(w|c), \Pr[o \mid c], p(O=w|C=c): the model's probability of a word given the
        # centre word is that word's entry of ŷ (one alias per index letter: the
        # replacement is constant text)
        *((r"(?:\\Pr|(?<![A-Za-z\\])[Pp])\s*[(\[]\s*(?:O\s*=\s*)?" + letter + r"\s*(?:\||\\mid)",
           r"(?:\\Pr|(?<![A-Za-z\\])[Pp])\s*[(\[]\s*(?:O\s*=\s*)?" + letter
           + r"\s*(?:\||\\mid)\s*(?:C\s*=\s*)?c\s*[)\]]",
           r"\hat{y}_{" + letter + "}", f"P({letter}|c) read as ŷ_{letter}") for letter in "wokxji"),
        # "f(x) = σ(x)": f is the sigmoid
        (r"\bf\s*\(\s*x\s*\)\s*=\s*\\sigma\s*\(\s*x\s*\)",
         r"(?<![A-Za-z\\])f(?=\s*(?:'|\\prime|\(|\^))", r"\sigma", "f declared as σ"),
    ),
)
