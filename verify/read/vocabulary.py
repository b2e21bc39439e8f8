"""What a problem set's words mean to the reader: loss names, section words, branch
words, declared conventions and aliases.

The reader (extract, normalise, latex) and the checker (check/sets.py) receive
a :class:`Vocabulary`. Its problem-specific words come from the problem
file's ``[reader]`` table (README, "Writing a problem file"), never from Python
literals: :func:`vocabulary_for` builds one from a loaded problem and
:func:`default_vocabulary` is word2vec's, from ``derive/problems/word2vec.toml``.
What is generic language (English and Chinese words for "otherwise", "the number
of", "drawn … times") stays a default here.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# a regex that never matches: the default for words a problem file does not declare
# (an empty pattern would match every text)
NEVER = r"(?!)"


@dataclass(frozen=True)
class Convention:
    """A convention an author declared for the whole file."""
    rows_U: bool = False          # U is W × d, its rows are u_wᵀ
    row_y: bool = False           # ŷ and y are row vectors
    notes: tuple = ()             # what was declared and where, for the report


@dataclass(frozen=True)
class Vocabulary:
    # loss key -> regex over lower-cased text naming it (subscripts, headings, remarks)
    loss_words: tuple = ()
    # loss key -> regex over LaTeX that only that loss's formulas contain
    loss_content: tuple = ()
    # letters that name the loss on a left-hand side (J, L, 𝓛 after normalising)
    loss_letters: frozenset = frozenset({"J", "L"})
    # names of the whole vocabulary as a summation set: Σ_{w ∈ Vocab}
    vocabulary_sets: frozenset = frozenset()
    # a heading/prose phrase -> the variable it asks about
    variable_words: tuple = ()
    # words for "every other case" in a branch condition (English, Chinese: generic)
    otherwise_words: str = r"o/w|otherwise|\bothers?\b|\belse\b|every other|all other|其余|其他"
    # words saying a sample may repeat
    repeat_words: str = NEVER
    # a heading naming the sigmoid question
    sigmoid_words: str = NEVER
    # (switch, what it means, regexes of sentences declaring it); switch: a Convention field
    conventions: tuple = ()
    # a declared alias: (regex over the document declaring it, regex over a formula,
    # the constant LaTeX it is read as, the note the report shows)
    declared_aliases: tuple = ()
    # words declaring a symbol as a count ("$c_s$ is the number of …", "how many"): the
    # symbol is read as n_s, the count of samples that are the word w_s (n_{*}: the question's word)
    count_words: str = r"(?:be|is|denotes?|as|stands? for)?\s*(?:the\s+)?(?:number of|count of|how many)"
    # "is drawn $M$ times", "被采到了 $M$ 次": a count stated by how often a sample repeats
    times_words: str = r"(?:drawn|sampled|picked|chosen|appears?|occurs?|repeated|采到?了?|出现了?)\s*$"
    times_after: str = r"\s*(?:times\b|次)"
    # capitals the problem's formulas use (never read as a student's count)
    problem_capitals: frozenset = frozenset("UVWKJLNTDIO")
    # sentences declaring a layout gradkey's problems never use (generic language): the numerator
    # layout (∂f/∂X is the transpose of the gradient), and a data matrix whose columns are the
    # examples where the problem's rows are ("the m examples are the columns of X")
    numerator_words: str = (r"\b(?:use[sd]?|using|adopts?|adopting|follows?|following|work(?:ing)? in|written in)"
                            r"\s+(?:the\s+)?[*_]*numerator[- ]layout")
    columns_words: str = r"\bexamples?\W+(?:are|as)\W+(?:the\W+)?columns\b"
    # a sentence declaring Einstein's summation convention (repeated indices are summed)
    einstein_words: str = (r"\beinstein\b|summation (?:over|on) repeated ind|repeated ind(?:ex|ices) (?:are|is) summed"
                           r"|summed over repeated ind|\bimplied summation\b|summation (?:is )?implied")
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
        """The conventions this document declares, each with where and what it means."""
        switches, notes = {}, []
        for switch, means, patterns in self.conventions:
            for pattern in patterns:
                m = re.search(pattern, document, re.IGNORECASE | re.DOTALL)
                if m:
                    switches[switch] = True
                    notes.append(f"declared on line {document.count(chr(10), 0, m.start()) + 1}: {means}; "
                                 f"answers are judged in that layout")
                    break
        return Convention(notes=tuple(notes), **switches)

    def einstein(self, document: str) -> bool:
        """Whether the document declares the summation convention for repeated indices."""
        return bool(re.search(self.einstein_words, document, re.IGNORECASE))

    def foreign_layouts(self, document: str, examples_as_rows: bool) -> tuple[str, ...]:
        """Notes for the layouts this document declares that the problem does not use and
        cannot express (its answers are judged in the problem's own layout)."""
        found = []
        for pattern, what in ((self.numerator_words, "the numerator layout (∂f/∂X is the transpose of the gradient)"),
                              (self.columns_words if examples_as_rows else NEVER, "the examples as the columns of the data")):
            m = re.search(pattern, document, re.IGNORECASE)
            if m:
                found.append(f"line {document.count(chr(10), 0, m.start()) + 1} declares {what}, a layout the "
                             "problem does not use")
        return tuple(found)

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


# -- from a problem file -------------------------------------------------------------

_BY_DIGEST: dict[str, Vocabulary] = {}


def vocabulary_for(problem) -> Vocabulary:
    """The reader's vocabulary for a loaded problem file (``problemfile.load``):
    its ``[reader]`` words, the generic defaults where it declares none. Cached per
    file digest: building it per answer would cost more than judging one."""
    cached = _BY_DIGEST.get(problem.digest)
    if cached is not None:
        return cached
    words = problem.reader
    given = {}
    if words is not None:
        given = dict(loss_words=words.loss_words, loss_content=words.loss_content,
                     variable_words=words.variable_words,
                     conventions=tuple((c.switch, c.means, c.patterns) for c in words.conventions),
                     declared_aliases=tuple((a.when, a.pattern, a.read_as, a.note) for a in words.aliases))
        if words.loss_letters:
            given["loss_letters"] = frozenset(words.loss_letters)
        if words.vocabulary_sets:
            given["vocabulary_sets"] = frozenset(words.vocabulary_sets)
        if words.problem_capitals:
            given["problem_capitals"] = frozenset(words.problem_capitals)
        for name in ("otherwise_words", "repeat_words", "sigmoid_words"):
            if getattr(words, name):
                given[name] = getattr(words, name)
    vocabulary = _BY_DIGEST[problem.digest] = Vocabulary(**given)
    return vocabulary


@functools.cache
def word2vec_problem():
    """The default set's problem file (word2vec), loaded once for the default
    vocabulary and mistakes (``check/mistakes.py``). Loaded on first use, not on
    import: importing ``gradkey.derive`` brings SymPy."""
    from gradkey.derive.problemfile import bundled, load
    return load(bundled()["word2vec"])


@functools.cache
def default_vocabulary() -> Vocabulary:
    """word2vec's vocabulary, from ``derive/problems/word2vec.toml``'s ``[reader]``
    (cached: identification asks for it several times per answer)."""
    return vocabulary_for(word2vec_problem())


def __getattr__(name: str):
    # the name the literal had: old imports keep working, now reading the file
    if name == "WORD2VEC":
        return default_vocabulary()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
