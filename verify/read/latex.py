"""A strict reader for the LaTeX (and Unicode) that derivations are written in.

Grammar (implicit multiplication binds tighter than + and −; a Σ takes the
product that follows it as its body, as people write Σ_k a_k b_k − c):

    expr    := ['+'|'-'] term (('+'|'-') term)*
    term    := power ((['\\cdot'|'\\times'|'*'] | '/') power)*
    power   := atom (('^' group) | ('_' group) | "'")*
    atom    := number | letter | greek | '(' expr ')' | '[' expr ']' | '{' expr '}'
             | \\frac{expr}{expr} | \\hat{y} | \\sum ['_' group] ['^' group] term
             | (\\sigma | \\exp | \\log | \\ln) atom | e '^' group | F '(' args ')'

Style commands (\\mathbf, \\boldsymbol, \\mathrm, \\cancel, \\boxed, ...) read
their argument; spacing and sizing commands are skipped. Anything else is
refused with a ReadError naming the text and its column: the reader never
guesses and never evaluates the text it is given.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.normalise import normalise_math
from gradkey.verify.read.notation import FUNCTION_WORDS

MAX_LENGTH = 20_000      # characters per expression
MAX_DEPTH = 100          # nesting of brackets, fractions, sums, unary signs and function calls:
                         # every recursive path passes power() or expr(), which count it, so
                         # '-' * 500 or '\\log ' * 500 is refused, never a RecursionError
MAX_SUMS = 4             # nested Σ: each multiplies the work of evaluating by W


# -- normalisation of Unicode and OCR look-alikes -----------------------------------

UNICODE = {
    "σ": r"\sigma ", "Σ": r"\sum ", "∑": r"\sum ", "ω": r"\omega ", "ν": r"\nu ", "ξ": r"\xi ",
    "∂": r"\partial ", "−": "-", "–": "-", "·": r"\cdot ", "⋅": r"\cdot ", "×": r"\times ",
    "≠": r"\neq ", "≤": r"\leq ", "≥": r"\geq ", "∈": r"\in ", "ᵀ": "^T", "²": "^2", "⊤": r"\top ",
    "⟨": r"\langle ", "⟩": r"\rangle ", "⊗": r"\otimes ",
    "ŷ": r"\hat{y}", "Ŷ": r"\hat{Y}", "∇": r"\nabla ", "𝟙": r"\indicator ", "∗": "*", "′": "'", "’": "'",
    # Greek letters OCR puts where Latin ones were written
    "ο": "o", "υ": "u", "Ε": "E", "Ο": "O", "ι": "i", "κ": "k", "χ": "x", "τ": "t", "Υ": "Y",
    # math typed or copied as Unicode (phone OCR, Word/OneNote, a rendered page): its commands,
    # with a space so that a letter after them stays a letter (2λW₂ is 2 \lambda W_2)
    "⊙": r"\odot ", "∘": r"\circ ", "λ": r"\lambda ", "θ": r"\theta ", "α": r"\alpha ", "β": r"\beta ",
    "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\epsilon ", "η": r"\eta ", "μ": r"\mu ", "π": r"\pi ",
    "φ": r"\phi ", "ψ": r"\psi ", "ρ": r"\rho ", "Δ": r"\Delta ", "Θ": r"\Theta ", "Λ": r"\Lambda ",
    "‖": r"\| ", "∞": r"\infty ", "√": r"\sqrt ", "∏": r"\prod ", "ℝ": r"\mathbb{R}", "∀": r"\forall ",
}

# runs of superscript and subscript characters (Q⁻ᵀ, x⁽ⁱ⁾, W₁₂, yᵢ): one script each, Q^{-T}
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
                "⁹": "9", "⁺": "+", "⁻": "-", "⁽": "(", "⁾": ")", "ᵀ": "T", "ⁿ": "n", "ⁱ": "i", "ᵗ": "t",
                "ᵏ": "k", "ʲ": "j", "ᵈ": "d"}
SUBSCRIPTS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8",
              "₉": "9", "₊": "+", "₋": "-", "₍": "(", "₎": ")", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₙ": "n",
              "ₒ": "o", "ₜ": "t", "ₓ": "x", "ₘ": "m", "ₐ": "a", "ₛ": "s", "ᵤ": "u", "ᵥ": "v", "ₗ": "l",
              "ₚ": "p", "ᵣ": "r", "ₑ": "e", "ₕ": "h"}
SCRIPT_RUN = re.compile("[" + "".join(SUPERSCRIPTS) + "]+|[" + "".join(SUBSCRIPTS) + "]+")


def _scripts(m) -> str:
    run = m.group()
    if run[0] in SUPERSCRIPTS:
        inner = "".join(SUPERSCRIPTS[c] for c in run)
        if inner == "T":
            return "^T"
        return "^{" + inner + "}"
    return "_{" + "".join(SUBSCRIPTS[c] for c in run) + "}"


WIDEHAT = re.compile(r"\\widehat(?![A-Za-z])")


def normalise(text: str) -> str:
    text = text.replace("y\u0302", r"\hat{y}").replace("Y\u0302", r"\hat{Y}")
    if "widehat" in text:
        # \widehat{y} (pandoc's docx output: {\widehat{y}}_{w}) is the ŷ of \hat{y}: one spelling,
        # so a problem file's declared \hat y and the words that tell a loss by ŷ find it too;
        # padded to the same length, so columns stay
        text = WIDEHAT.sub(r"\\hat    ", text)
    if SCRIPT_RUN.search(text):
        text = SCRIPT_RUN.sub(_scripts, text)
    out = []
    for ch in text:
        if ch in UNICODE:
            out.append(UNICODE[ch])
        elif ord(ch) > 127:
            folded = unicodedata.normalize("NFKC", ch)  # 𝓛 -> L, 𝑢 -> u
            out.append(folded if folded.isascii() else ch)
        else:
            out.append(ch)
    return "".join(out)


# -- tokens -------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str    # num, letter, cmd, op, open, close, end
    value: str
    col: int


TOKEN = re.compile(r"""
    (?P<cmd>\\(?:[A-Za-z]+|[,;:!\s{}|&%#\\]))
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<letter>[A-Za-z])
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<op>[-+*/^_=,'|<>&!:;.])
  | (?P<space>\s+)
""", re.VERBOSE)

SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
        ",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "limits", "nolimits", "textstyle", "middle"}
STYLE = {"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathcal", "mathscr", "mathsf", "vec", "cancel",
         "boxed", "mathbb", "operatorname", "underbrace", "overbrace", "underline", "bf", "rm"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "pi", "rho", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
         "Omega", "Theta", "Lambda", "Phi", "Psi", "Gamma", "Delta"}
FUNCS = {"sigma": "sigma", "exp": "exp", "log": "log", "ln": "log"}
NAMED_FUNCS = {"softmax"}   # \operatorname{…} names the reader evaluates; any other is refused
TRANSPOSE = {"T", "top", "intercal", "mathsf{T}", "t"}


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ReadError(f"{text[pos:pos + 12]!r}", pos, text)
        kind = m.lastgroup
        if kind == "cmd":
            name = m.group()[1:]
            if name in ("{", "}"):
                tokens.append(Token("open" if name == "{" else "close", name, pos))
            elif name.strip() and name not in SKIP:
                tokens.append(Token("cmd", name, pos))
        elif kind != "space":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- the parser ---------------------------------------------------------------------

CLOSING = {"(": ")", "[": "]", "{": "}"}
STOP_OPS = {"+", "-", "=", ",", "&", "<", ">", "|", ";", ":", "!"}
STOP_CMDS = {"neq", "ne", "leq", "le", "geq", "ge", "in", "notin", "quad", "qquad", "text", "forall",
             "Rightarrow", "implies", "to", "approx", "equiv", "\\", "cr", "mid"}


RELATIONS = {">": ">", "<": "<", "=": "=", "neq": "!=", "ne": "!=", "geq": ">=", "ge": ">=", "leq": "<=",
             "le": "<=", "gt": ">", "lt": "<"}


class Parser:
    def __init__(self, text: str, notation=None):
        self.text = text
        # with a problem file's notation (read/notation.py) the declared spellings become
        # one token each and the notation's operations are read (⊙, 𝟙[a > 0], ReLU, diag,
        # tr, det, inverses, norms, 𝟏, code names dW2); without one, word2vec's reading
        self.notation = notation
        self.in_norm = 0
        self.tokens = tokenize(text)
        if notation is not None:
            self.tokens = notation.substitute(self.tokens)
        self.i = 0
        self.depth = 0
        self.sums = 0
        self.repairs: list[str] = []
        self.bare_sigma = 0

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def take(self) -> Token:
        t = self.tok
        self.i += 1
        return t

    def expect(self, kind: str, value: str | None = None) -> Token:
        t = self.tok
        if t.kind != kind or (value is not None and t.value != value):
            want = value or kind
            raise ReadError(f"{self._here()} (expected {want!r})", t.col, self.text)
        return self.take()

    def _here(self) -> str:
        t = self.tok
        return "the end of the expression" if t.kind == "end" else repr(self.text[t.col:t.col + 15])

    def fail(self, what: str | None = None):
        raise ReadError(what or self._here(), self.tok.col, self.text)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ReadError(f"an expression nested deeper than {MAX_DEPTH} levels", self.tok.col, self.text)

    # grammar
    def parse(self) -> ast.Node:
        node = self.expr()
        if self.tok.kind != "end":
            self.fail()
        return node

    def expr(self) -> ast.Node:
        self.enter()
        terms = []
        sign = 1
        if self.tok.kind == "op" and self.tok.value in "+-":
            sign = -1 if self.take().value == "-" else 1
        terms.append((sign, self.term()))
        while self.tok.kind == "op" and self.tok.value in "+-":
            sign = -1 if self.take().value == "-" else 1
            terms.append((sign, self.term()))
        self.depth -= 1
        return terms[0][1] if len(terms) == 1 and terms[0][0] == 1 else ast.Add(tuple(terms))

    def _starts_factor(self) -> bool:
        t = self.tok
        if t.kind in ("end", "close"):
            return False
        if t.kind == "op":
            return False
        if self.notation is not None and t.kind == "cmd":
            if t.value in ("odot", "circ") or t.value in ("|", "rVert", "Vert") and self.in_norm:
                return False
            if t.value == "text":
                return self._text_word() in FUNCTION_WORDS
        if t.kind == "cmd" and (t.value in STOP_CMDS or t.value in ("cdot", "times", "otimes", "rangle")):
            return False
        return True

    def term(self) -> ast.Node:
        node = self._product()
        while self.notation is not None:
            t = self.tok
            if t.kind == "cmd" and t.value in ("odot", "circ"):
                self.take()
                node = ast.Elementwise(node, self._product())
            elif t.kind == "op" and t.value == "*":
                self.take()
                node = ast.Elementwise(node, self._product(), star=True)
            else:
                break
        return node

    def _product(self) -> ast.Node:
        factors = [self.power()]
        dots = []
        while True:
            t = self.tok
            if t.kind == "cmd" and t.value in ("cdot", "times") or (
                    t.kind == "op" and t.value == "*" and self.notation is None):
                self.take()
                factors.append(self.power())
                if t.value == "cdot":
                    dots.append(len(factors) - 1)
            elif t.kind == "cmd" and t.value == "otimes":
                # a ⊗ b of two vectors is the outer product a bᵀ (a d×1 by a W×1 gives d×W)
                self.take()
                factors[-1] = ast.Mul((factors[-1], ast.Transpose(self.power())))
            elif t.kind == "op" and t.value == "/":
                self.take()
                den = self.power()
                factors[-1] = ast.Div(factors[-1], den)
            elif self._starts_factor():
                factors.append(self.power())
            else:
                break
        if self.notation is not None and len(factors) > 1:
            factors, dots = self._numbered_dimensions(factors, dots)
        return factors[0] if len(factors) == 1 else ast.Mul(tuple(factors), tuple(dots))

    def _numbered_dimensions(self, factors: list, dots: list) -> tuple[list, list]:
        """A number and a letter that together spell one of the file's dimensions (2m, the
        window's size, in U(2mŷ − y)) read as that dimension, not as 2 times an unknown m."""
        out, kept_dots, i = [], [], 0
        while i < len(factors):
            f, g = factors[i], factors[i + 1] if i + 1 < len(factors) else None
            if (isinstance(f, ast.Num) and isinstance(g, ast.Name) and g.sub is None and f.value == int(f.value)
                    and i + 1 not in dots and f"{int(f.value)}{g.base}" in self.notation.dim_names):
                out.append(ast.Name(f"{int(f.value)}{g.base}"))
                i += 2
                continue
            if i in dots:
                kept_dots.append(len(out))
            out.append(f)
            i += 1
        return out, kept_dots

    def power(self) -> ast.Node:
        self.enter()
        node = self.atom()
        while self.tok.kind == "op" and self.tok.value in "^_'":
            op = self.take().value
            if op == "'":
                node = self._prime(node)
            elif op == "_":
                if (self.notation is not None and isinstance(node, ast.Name) and node.sub is not None
                        and len(node.sub.text) == 1):
                    # s_y_i (OCR dropped the braces of s_{y_i})
                    node = ast.Name(node.base, ast.Index(node.sub.text + "_" + self.index().text))
                    continue
                if (isinstance(node, ast.Transpose) and isinstance(node.arg, ast.Name)
                        and node.arg.sub is None):
                    # u^T_k, u^\top_{o}: the transpose typed before the subscript
                    node = ast.Transpose(ast.Name(node.arg.base, self.index()))
                    continue
                if self.notation is not None and not isinstance(node, ast.Name):
                    node = ast.Part(node, self.index())   # (∂L/∂Z_1)_i: a row of what the bracket computes
                    continue
                if not isinstance(node, ast.Name) or node.sub is not None:
                    self.fail("a subscript here")
                node = ast.Name(node.base, self.index())
            else:
                node = self._superscript(node)
        self.depth -= 1
        return node

    def _prime(self, node: ast.Node) -> ast.Node:
        """σ(x)', f'(x), σ'(x): the derivative of a function of x; with a problem file's
        notation, a declared symbol primed (X', a'x) is its transpose; anything else
        with a prime is kept as an unevaluable name (and so refused when judged)."""
        if isinstance(node, ast.Call) and node.func == "sigma":
            return ast.Derivative(node, node.arg)
        if isinstance(node, ast.Name) and node.sub is None and node.base in ("f", "g", "h"):
            if self.tok.kind == "open" and self.tok.value == "(":
                arg = self._bracketed()
                return ast.Derivative(ast.Call(node.base, arg), arg)
        if self.notation is not None and isinstance(node, (ast.Name, ast.Transpose)) and (
                node.base if isinstance(node, ast.Name) else "").startswith("@"):
            return ast.Transpose(node)       # X', H', a'x: a declared matrix or vector primed, as in MATLAB
        if self.notation is not None and isinstance(node, (ast.Name, ast.Add)) and self._declared_array(node):
            # u_x'v_c (a column of the file's U by a letter of the student's), (ŷ − y)': the MATLAB
            # transpose of what is surely a column. A bracket of scalars ((1 − σ(x))') or with a
            # letter the file does not declare stays refused (there a prime may be a derivative), and
            # so does a bracket holding a matrix (X(P − Y)': left for a grader, not read as ill-typed).
            return ast.Transpose(node)
        if self.notation is None and (isinstance(node, ast.Name) and node.base not in ("f", "g", "h", "x", "J", "L")
                                      or isinstance(node, (ast.Add, ast.Transpose))):
            # word2vec's notation: u_o'v_c, (ŷ − y)', U' — the MATLAB transpose of an array or
            # of a bracketed difference; σ'(x), f'(x) are derivatives (above), x' and J' stay refused
            return ast.Transpose(node)
        return ast.Name("prime", ast.Index(_describe(node)))

    def _declared_array(self, node: ast.Node) -> bool:
        """Whether ``node`` is built only from the file's symbols (numbers, calls and
        products of them) with at least one declared vector among them and no matrix; a
        lower-case letter with a subscript counts as a column of the matrix its capital spells
        (u_x of U)."""
        arrays: list = []

        def leaf_ok(n) -> bool:
            if isinstance(n, ast.Num):
                return True
            if isinstance(n, ast.Name):
                if n.base.startswith("@"):
                    problem = self.notation.problem
                    for name in n.base[1:].split("|"):
                        decl = problem.symbol(name) or problem.definition(name)
                        shape = getattr(decl, "shape", None)
                        if shape is None and decl is not None and getattr(decl, "expr", None) is not None:
                            shape = decl.expr.type.shape
                        if shape and len(shape) > 1:
                            return False
                        if shape:
                            arrays.append(name)
                    return True
                if (n.sub is not None and len(n.base) == 1 and n.base.islower()
                        and self.notation.by_first.get(("letter", n.base.upper()))):
                    arrays.append(n.base)
                    return True
                return False
            if isinstance(n, ast.Add):
                return all(leaf_ok(t) for _, t in n.terms)
            if isinstance(n, ast.Mul):
                return all(leaf_ok(f) for f in n.factors)
            if isinstance(n, ast.Transpose):
                return leaf_ok(n.arg)
            if isinstance(n, ast.Call) and n.func in ("sigma", "exp", "log", "softmax"):
                return leaf_ok(n.arg)
            return False

        return leaf_ok(node) and bool(arrays)

    def _superscript(self, node: ast.Node) -> ast.Node:
        t = self.tok
        if t.kind == "letter" and t.value in TRANSPOSE or t.kind == "cmd" and t.value in TRANSPOSE:
            self.take()
            return ast.Transpose(node)
        if (t.kind == "op" and t.value == "-" and self.peek().kind in ("letter", "cmd")
                and self.peek().value in TRANSPOSE):
            self.take(), self.take()         # Q^-T (OCR lost the braces of Q^{-T})
            return ast.Transpose(ast.Pow(node, ast.Num(-1.0)))
        if t.kind == "open" and t.value == "{":
            inner = self.peek()
            if (inner.kind in ("letter", "cmd") and inner.value in TRANSPOSE
                    and self.peek(2).kind == "close"):
                self.take(), self.take(), self.take()
                return ast.Transpose(node)
            if self.notation is not None:
                found = self._set_superscript(node)
                if found is not None:
                    return found
            if inner.kind == "open" and inner.value in "([":
                # W^{(2)}: a layer or iteration index, not a power
                end = self._matching_close(self.i)
                raise ReadError(f"the superscript {self.text[t.col:self.tokens[end].col + 1]!r} "
                                "(an index in parentheses, not a power)", t.col, self.text)
        if t.kind == "open" and t.value in "([":
            raise ReadError("a superscript in parentheses (an index, not a power)", t.col, self.text)
        return ast.Pow(node, self.group_or_atom())

    def group_or_atom(self) -> ast.Node:
        """The argument of ^ or of a command: a braced group or one token."""
        t = self.tok
        if t.kind == "open" and t.value == "{":
            return self.atom()
        if t.kind == "num":
            self.take()
            return ast.Num(float(t.value[0]))  # x^23 means x^2 · 3 in TeX: take one digit
        if t.kind == "op" and t.value == "-":
            self.take()
            return ast.Add(((-1, self.group_or_atom()),))
        return self.atom()

    def index(self) -> ast.Index:
        """A subscript, kept as canonical text: o, 0, w, ω, k, w_k, c+j, t+j."""
        t = self.tok
        if t.kind == "open" and t.value == "{":
            end = self._matching_close(self.i)
            parts = []
            for tt in self.tokens[self.i + 1:end]:
                if tt.kind in ("open", "close") or tt.kind == "cmd" and (tt.value in STYLE or tt.value == "text"):
                    continue
                parts.append(_index_piece(tt))
            self.i = end + 1
            return ast.Index("".join(parts).replace(" ", ""))
        tt = self.take()
        if tt.kind == "sym":          # a declared name as a subscript: y in s_y_i
            return ast.Index(tt.value.split("|")[0])
        if tt.kind in ("letter", "num") or tt.kind == "cmd" and tt.value in GREEK:
            text = _index_piece(tt)
            if tt.kind == "num" and len(text) > 1:  # v_12 is v_1 2 in TeX; read the digit only
                text = text[0]
            return ast.Index(text)
        raise ReadError(f"the subscript {self.text[tt.col:tt.col + 10]!r}", tt.col, self.text)

    def atom(self) -> ast.Node:
        t = self.tok
        if t.kind == "sym":
            self.take()
            return ast.Name("@" + t.value)
        if (t.kind == "num" and t.value == "1" and self.notation is not None and self.peek().kind == "open"
                and self._relation_inside(self.i + 1)):
            self.take()                   # 1[s_j − s_{y_i} + 1 > 0]: an indicator without its \mathbb
            return self._compare_bracket(t)
        if (t.kind == "num" and t.value == "1" and self.notation is None and self.peek().kind == "open"
                and self.peek().col == t.col + 1 and self._relation_inside(self.i + 1)):
            self.take()                   # 1\{w_s = w_k\}, 1[w_k = w_s]: an indicator typed as a one
            return self._indicator(t)
        if t.kind == "num":
            if not math.isfinite(float(t.value)):      # 5000 nines: no number a derivation writes
                self.fail(f"the number {t.value[:12]}… ({len(t.value)} digits)")
            self.take()
            return ast.Num(float(t.value))
        if t.kind == "open" and t.value == "{":
            call = self._braced_loss_call()
            if call is not None:
                return call
        if t.kind == "open" and t.value in ("(", "[") and self.notation is not None and self._relation_inside(self.i):
            # (Z1 > 0): a comparison in brackets is its truth value (NumPy's mask); [Z_1 > 0]: Iverson's bracket
            return self._compare_bracket(t)
        if t.kind == "open":
            return self._bracketed()
        if t.kind == "letter":
            return self._letter()
        if t.kind == "cmd":
            return self._command()
        if t.kind == "op" and t.value == "-":  # "a \cdot -b"
            self.take()
            return ast.Add(((-1, self.power()),))
        self.fail()

    def _bracketed(self) -> ast.Node:
        self.enter()
        opener = self.take()
        node = self.expr()
        closer = self.tok
        if closer.kind != "close":
            self.fail(f"{self._here()} (expected {CLOSING[opener.value]!r} to close column {opener.col})")
        # a mismatched pair such as \left( ... \right] is accepted: OCR makes
        # them, and only the grouping matters
        self.take()
        self.depth -= 1
        return node

    def _letter(self) -> ast.Node:
        if self.notation is not None:
            found = self._set_letter()
            if found is not None:
                return found
        t = self.take()
        if t.value == "e" and self.tok.kind == "op" and self.tok.value == "^":
            self.take()
            return ast.Call("exp", self.group_or_atom())
        if t.value == "o" and self.tok.kind == "open" and self.tok.value == "(":
            self.repairs.append(f"'o(' at column {t.col} read as σ(")
            return ast.Call("sigma", self._bracketed())
        if t.value in ("F", "J", "L") and self.tok.kind == "open" and self.tok.value == "(":
            return ast.LossCall(t.value, self._raw_group())
        if (t.value in ("J", "L", "F") and self.tok.kind == "op" and self.tok.value == "_"
                and self.peek().kind == "open" and self.peek().value == "{"):
            # J_{naive-softmax}(v_c, o, U): a loss with its name and its arguments
            end = self._matching_close(self.i + 1)
            after = self.tokens[end + 1]
            sub_text = self.text[self.peek().col + 1:self.tokens[end].col]
            if after.kind == "open" and after.value == "(":
                self.i = end + 1
                return ast.LossCall(t.value, self._raw_group(), sub_text)
        return ast.Name(t.value)

    def _braced_loss_call(self) -> ast.Node | None:
        """{J_{skip-gram}}(v_c, …, U), {J}(…): a loss name braced apart from its
        argument list (\\delta{J_{…}}(…) spelled for the partial sign) is still the call."""
        name = self.peek()
        if name.kind != "letter" or name.value not in ("J", "L", "F"):
            return None
        def at(k):
            return self.tokens[min(k, len(self.tokens) - 1)]
        j, sub_text = self.i + 2, ""
        if at(j).kind == "op" and at(j).value == "_" and at(j + 1).kind == "open" and at(j + 1).value == "{":
            end = self._matching_close(j + 1)
            sub_text = self.text[at(j + 1).col + 1:at(end).col]
            j = end + 1
        if not (at(j).kind == "close" and at(j).value == "}" and at(j + 1).kind == "open" and at(j + 1).value == "("):
            return None
        self.i = j + 1
        return ast.LossCall(name.value, self._raw_group(), sub_text)

    def _raw_group(self) -> str:
        """The text of a parenthesised argument list, kept for identification."""
        start = self.take()
        depth = 1
        begin = self.tok.col
        while depth:
            tt = self.take()
            if tt.kind == "end":
                raise ReadError("an unclosed '('", start.col, self.text)
            depth += tt.kind == "open"
            depth -= tt.kind == "close"
        return self.text[begin:self.tokens[self.i - 1].col]

    def _command(self) -> ast.Node:
        if self.notation is not None:
            found = self._set_command()
            if found is not None:
                return found
        t = self.take()
        name = t.value
        if name == "nabla":
            return self._nabla(t)
        if name == "gradvar":
            return ast.Name("gradvar")       # the variable a table's "∂f/∂(·)" header leaves to the question
        if name == "ones":
            raise ReadError("\\mathbf{1} (a vector of ones: its size is not in the notation; write the sum out)",
                            t.col, self.text)
        if name == "indicator":
            return self._indicator(t)
        if name == "operatorname":
            word = self._raw_braced(t)
            if word in NAMED_FUNCS:
                return ast.Call(word, self.atom())
            raise ReadError(f"the function {word!r} (not in this problem's notation)", t.col, self.text)
        if name == "reals":
            raise ReadError("\\mathbb{R} (a set, not a value)", t.col, self.text)
        if name in ("tilde", "widetilde", "bar", "overline", "check", "breve", "dot", "ddot"):
            inner = self.group_or_atom()
            raise ReadError(f"\\{name} over {_describe(inner)} (not in the notation; say what it means, "
                            "e.g. 'ỹ is the softmax output')", t.col, self.text)
        if name in STYLE:
            node = self.group_or_atom()
            if name == "mathcal" and isinstance(node, ast.Name) and node.base == "L":
                return ast.Name("L")
            return node
        if name in ("frac", "dfrac", "tfrac"):
            return self._frac(t)
        if name == "langle":
            return self._inner_product(t)
        if name in ("hat", "widehat"):
            inner = self.group_or_atom()
            if isinstance(inner, ast.Name) and inner.base.lstrip("@") in ("y", "Y"):
                # Ŷ is kept apart from ŷ: judging refuses it (a matrix of predictions is not ŷ); over a
                # file's y that the file does not spell with a hat, ŷ is the student's own name
                # (ŷ = σ(Xθ) declared): read as defined, or for review
                return ast.Name("yhat" if inner.base.lstrip("@") == "y" else "Yhat", inner.sub)
            raise ReadError(f"a hat over {_describe(inner)}", t.col, self.text)
        if name == "sum":
            return self._sum(t)
        if name in FUNCS:
            return self._function(FUNCS[name], t)
        if name in GREEK:
            return ast.Name(name)
        if name == "partial":
            if self.tok.kind == "op" and self.tok.value in ("_", "^"):
                return self._subscript_partial(t)
            return self._slash_derivative(t)
        if name == "textcircled":
            inner = self.group_or_atom()
            return ast.Label(_describe(inner))
        if name in ("cdots", "ldots", "dots"):
            raise ReadError("'…' (a sum written with dots)", t.col, self.text)
        raise ReadError(f"\\{name}", t.col, self.text)

    def _inner_product(self, t: Token) -> ast.Node:
        """⟨a, b⟩, \\langle a, b \\rangle: the inner product aᵀb of two vectors (a scalar;
        evaluation refuses it when the shapes do not fit aᵀb). Two matrices give AᵀB here,
        not the trace inner product tr(AᵀB): no problem set asks for one yet."""
        self.enter()
        left = self.expr()
        if not (self.tok.kind == "op" and self.tok.value == ","):
            self.fail(f"{self._here()} (expected ',' between the two sides of the ⟨ at column {t.col})")
        self.take()
        right = self.expr()
        if not (self.tok.kind == "cmd" and self.tok.value == "rangle"):
            self.fail(f"{self._here()} (expected ⟩ to close the ⟨ at column {t.col})")
        self.take()
        self.depth -= 1
        return ast.Mul((ast.Transpose(left), right))

    def _function(self, func: str, t: Token) -> ast.Node:
        power = None
        if self.tok.kind == "op" and self.tok.value == "^":  # \sigma^2(x)
            self.take()
            power = self.group_or_atom()
        # σ{(x)}, σ{u_oᵀv_c}: a braced group right after σ is its argument (read as a
        # bare σ times the group, a right answer would be "repaired" into a wrong one)
        if func == "sigma" and not (self.tok.kind == "open" and self.tok.value in "([{"):
            if self.tok.kind == "op" and self.tok.value == "'":
                self.take()
                if self.tok.kind != "open":
                    self.fail("σ' without an argument")
                arg = self._bracketed()
                return ast.Derivative(ast.Call("sigma", arg), arg)
            # a bare σ, as in dσ/dx = σ(1 − σ): the sigmoid of x
            self.bare_sigma += 1
            if self.notation is not None:   # σ(1 − σ) x_i x_iᵀ: σ of the example's score
                return ast.Name("@sigma_bare")
            self.repairs.append(f"σ at column {t.col} without an argument read as σ(x)")
            return ast.Call("sigma", ast.Name("x"))
        if func == "log" and self.notation is not None and self.tok.kind == "op" and self.tok.value == "|":
            self.enter()                      # log|Q|: |Q| after a log is the determinant
            self.take()
            inner = self.expr()
            if not (self.tok.kind == "op" and self.tok.value == "|"):
                self.fail("the closing | of log|…|")
            self.take()
            self.depth -= 1
            node = ast.Call("log", ast.Call("det", inner))
            return ast.Pow(node, power) if power is not None else node
        before = self.bare_sigma
        arg = self.power() if func in ("log", "exp") and self.tok.kind != "open" else self.atom()
        if func == "sigma" and self.bare_sigma > before:
            # σ(1 − σ): a bare σ inside means σ is a value here and the bracket a factor
            if self.notation is not None:
                return ast.Mul((ast.Name("@sigma_bare"), arg))
            self.repairs.append(f"σ(…) at column {t.col} read as σ(x) times (…)")
            return ast.Mul((ast.Call("sigma", ast.Name("x")), arg))
        node = ast.Call(func, arg)
        return ast.Pow(node, power) if power is not None else node

    def _slash_derivative(self, t: Token) -> ast.Node:
        """∂J/∂v_c and ∂/∂v_c written inline with a slash."""
        of = None
        if not (self.tok.kind == "op" and self.tok.value == "/"):
            of = self.power()
        if not (self.tok.kind == "op" and self.tok.value == "/" and self.peek().kind == "cmd"
                and self.peek().value == "partial"):
            raise ReadError("a ∂ that is not part of ∂f/∂x", t.col, self.text)
        self.take(), self.take()
        op = ast.Derivative(of, self.power())
        if of is None and self._starts_factor():
            return ast.Applied(op, self.power())
        return op

    def _frac(self, t: Token) -> ast.Node:
        num_start = self.i
        if self._is_derivative():
            return self._derivative()
        self.i = num_start
        num = self.group_or_atom()
        den = self.group_or_atom()
        return ast.Div(num, den)

    def _is_derivative(self) -> bool:
        """\\frac{\\partial ...}{\\partial ...} or \\frac{d ...}{d x}."""
        if not (self.tok.kind == "open" and self.tok.value == "{"):
            return False
        first = self.peek()
        return first.kind == "cmd" and first.value == "partial" or (
            first.kind == "letter" and first.value == "d" and self._den_starts_with_d())

    def _den_starts_with_d(self) -> bool:
        depth, j = 0, self.i
        while j < len(self.tokens):
            tt = self.tokens[j]
            depth += tt.kind == "open"
            depth -= tt.kind == "close"
            j += 1
            if depth == 0:
                break
        nxt, after = self.tokens[min(j, len(self.tokens) - 1)], self.tokens[min(j + 1, len(self.tokens) - 1)]
        return nxt.kind == "open" and after.kind == "letter" and after.value == "d"

    def _derivative(self) -> ast.Node:
        self.expect("open", "{")
        self.take()  # \partial or d
        order = 1
        if self.notation is not None and self.tok.kind == "op" and self.tok.value == "^":
            self.take()                   # ∂²J/∂θ∂θᵀ
            self.group_or_atom()
            order = 2
        of = None
        if not (self.tok.kind == "close"):
            of = self.expr()
        self.expect("close")
        self.expect("open", "{")
        t = self.tok
        if t.kind == "cmd" and t.value == "partial" or (
                t.kind == "letter" and t.value == "d" and self.peek().kind != "close"):
            self.take()  # \partial or d
        else:
            self.repairs.append(f"the ∂ missing in the denominator at column {t.col} supplied")
        second = None
        if order == 2:
            wrt = self.power()
            if self.tok.kind == "cmd" and self.tok.value == "partial":
                self.take()
                second = self.power()
        else:
            wrt = self.expr()
        self.expect("close")
        op = ast.Derivative(of, wrt, order, wrt2=_entry_pair(wrt, second))
        if of is None:
            if not self._starts_factor():
                return op
            return ast.Applied(op, self._rest_of_product(self.power(), wrt))
        return op

    @staticmethod
    def _function_letter(node) -> bool:
        """f, g, h: a lower-case letter the notation does not declare, used as a function name."""
        return isinstance(node, ast.Name) and node.sub is None and len(node.base) == 1 and node.base.islower()

    def _function_of_a_parameter(self, params) -> tuple | None:
        """(f, x) when the tokens ahead are f(x) with x one of the file's parameters (its spelling
        as the notation reads it), else None; the position is kept only on success."""
        if self.notation is None or self.tok.kind != "letter" or not (
                self.peek().kind == "open" and self.peek().value == "("):
            return None
        back = self.i
        try:
            of = self._letter()
            arg = self._bracketed() if self._function_letter(of) else None
        except ReadError:
            arg = None
        names = {"@" + sym.name for sym in params}
        if isinstance(arg, ast.Name) and arg.sub is None and arg.base in names:
            return of, arg
        self.i = back
        return None

    def _subscript_partial(self, t: Token) -> ast.Node:
        """∂_{W_2} L, ∂_S L, ∂_z ReLU(z), ∂_{θ_k} J: the subscript names the variable, as in
        ∇_{W_2} L (lecture notes' shorthand for the array of partial derivatives, the shape of
        the variable). ∂_{θ_k}∂_{θ_l} J is the second derivative, read like ∂²J/∂θ_k∂θ_l."""
        node = self._nabla(t)
        if isinstance(node, ast.Derivative) and node.of is None:
            # ∂_k = …: an index shorthand with nothing after it, not an operator to apply
            raise ReadError("a ∂ with a subscript but nothing to differentiate", t.col, self.text)
        inner = node.of if isinstance(node, ast.Derivative) else None
        if isinstance(inner, ast.Derivative) and inner.of is not None and inner.order == 1 and node.order == 1:
            return ast.Derivative(inner.of, node.wrt, 2, wrt2=_entry_pair(node.wrt, inner.wrt))
        return node

    def _nabla(self, t: Token) -> ast.Node:
        """∇_{v_c} J: the gradient of what follows with respect to the subscript."""
        order = 1
        if self.notation is not None and self.tok.kind == "op" and self.tok.value == "^":
            self.take()                   # ∇²_θ J
            self.group_or_atom()
            order = 2
        if not (self.tok.kind == "op" and self.tok.value == "_"):
            params = [sym for sym in self.notation.problem.symbols if sym.role == "parameter"] \
                if self.notation is not None else []
            applied = self._function_of_a_parameter(params)
            if applied is not None:
                # ∇f(x), ∇f(X), ∇ f(Q): the function's argument names the variable
                return ast.Derivative(applied[0], applied[1], order)
            if len(params) != 1 or not self._starts_factor():
                raise ReadError("∇ without a subscript naming the variable", t.col, self.text)
            # ∇J, grad J: with respect to the file's one parameter (θ in logistic regression)
            return ast.Derivative(self.power(), ast.Name("@" + params[0].name), order)
        self.take()
        wrt = self.group_or_atom()
        if self.notation is not None and self.tok.kind == "op" and self.tok.value == "^":
            self.take()                   # ∇_θ² J
            self.group_or_atom()
            order = 2
        if not self._starts_factor():
            return ast.Derivative(None, wrt, order)
        of = self.power()
        if self._function_letter(of) and self.tok.kind == "open" and self.tok.value == "(":
            # ∇_x f(x): the function's own argument list, not a product with x
            back = self.i
            try:
                args = self._bracketed()
            except ReadError:
                args = None
            if args is None or not ast.mentions(args, wrt):
                self.i = back
        of = self._rest_of_product(of, wrt)
        return ast.Derivative(of, wrt, order)

    def _rest_of_product(self, first: ast.Node, wrt) -> ast.Node:
        """What an operator written in front (∇_x, ∂/∂x) applies to, given the factor after it:
        the whole unparenthesised product that follows when that product mentions the variable
        (∇_x x^T A x, ∂/∂x aᵀx), else that factor alone (∇_S L W_2^T stays (∇_S L) W_2^T: nothing
        in L W_2^T mentions S, so W_2^T multiplies the derivative)."""
        if self.notation is None or not self._starts_factor():
            return first
        back = self.i
        factors = [first]
        try:
            while self._starts_factor():
                factors.append(self.power())
        except ReadError:
            self.i = back
            return first
        whole = ast.Mul(tuple(factors))
        if ast.mentions(whole, wrt):
            return whole
        self.i = back
        return first

    def _indicator(self, t: Token) -> ast.Node:
        """𝟙[w_k = w_s], 𝟙(w_k = w_s), 𝟙_{w_k = w_s}: 1 when two indices name the same word."""
        if self.tok.kind == "op" and self.tok.value == "_":
            self.take()
        if self.tok.kind != "open":
            raise ReadError("\\mathbb{1} without a condition", t.col, self.text)
        start = self.i
        end = self._matching_close(start)
        inner = [tt for tt in self.tokens[start + 1:end] if not (tt.kind == "cmd" and tt.value in STYLE)]
        self.i = end + 1
        for k, tt in enumerate(inner):
            if tt.kind == "op" and tt.value == "=" or tt.kind == "cmd" and tt.value in ("neq", "ne"):
                left = "".join(_index_piece(x) for x in inner[:k] if x.kind not in ("open", "close"))
                right = "".join(_index_piece(x) for x in inner[k + 1:] if x.kind not in ("open", "close"))
                if left and right:
                    return ast.Indicator(ast.Index(left), ast.Index(right), tt.kind == "cmd")
        raise ReadError("the condition of \\mathbb{1}[…] (expected two indices with = or ≠)", t.col, self.text)

    # -- a problem file's notation (self.notation is set) ----------------------------

    def _set_superscript(self, node):
        """X^{-\\top}, X^{-T} (the inverse's transpose); x^{(i)} and x^{(i)\\top}
        (CS229's example superscript, read as the subscript i). None: not one of these."""
        a, b, c = self.peek(), self.peek(2), self.peek(3)
        if (a.kind == "op" and a.value == "-" and b.kind in ("letter", "cmd") and b.value in TRANSPOSE
                and c.kind == "close"):
            self.i += 4
            return ast.Transpose(ast.Pow(node, ast.Num(-1.0)))
        if (isinstance(node, ast.Name) and node.sub is None and a.kind == "open" and a.value == "("
                and b.kind == "letter" and c.kind == "close" and c.value == ")"):
            d = self.peek(4)
            if d.kind == "close":
                self.i += 5
                return ast.Name(node.base, ast.Index(b.value))
            if d.kind in ("letter", "cmd") and d.value in TRANSPOSE and self.peek(5).kind == "close":
                self.i += 6
                return ast.Transpose(ast.Name(node.base, ast.Index(b.value)))
        return None

    def _set_letter(self):
        t, nxt = self.tok, self.peek()
        adjacent = nxt.col == t.col + 1
        if t.value == "d" and nxt.kind == "sym" and adjacent:
            self.take(), self.take()      # dW2, dS, dZ_1: code names of ∂L/∂W2, ∂L/∂S, ∂L/∂Z1
            return ast.Derivative(ast.Name("L"), ast.Name("@" + nxt.value), code=True)
        if t.value == "d" and (nxt.kind in ("letter", "sym") or nxt.kind == "open" and nxt.value == "(") \
                and adjacent:
            save = self.i                 # dL_i/ds, d(a^T x)/dx: ∂/∂ typed with d
            self.take()
            try:
                of = self.power()
                if self.tok.kind == "op" and self.tok.value == "/" and self.peek().kind == "letter" \
                        and self.peek().value == "d":
                    self.take(), self.take()
                    return ast.Derivative(of, self.power())
            except ReadError:
                pass
            self.i = save
        word = self._letters_word()
        if word in ("tr", "diag", "det") and self.tokens[self.i + len(word)].kind == "open":
            self.i += len(word)           # tr(AX), diag(σ(1 − σ)) typed without a backslash
            return ast.Call(FUNCTION_WORDS[word], self._bracketed())
        if t.value == "I" and not (nxt.kind == "op" and nxt.value == "_"):
            self.take()
            return ast.Name("@I")         # the identity, its size from where it is used
        return None

    def _letters_word(self) -> str:
        """The run of adjacent letters starting here (tr, diag)."""
        out, j = "", self.i
        while self.tokens[j].kind == "letter" and (j == self.i or self.tokens[j].col == self.tokens[j - 1].col + 1):
            out += self.tokens[j].value
            j += 1
        return out

    def _declared_letter(self, letter: str) -> ast.Name | None:
        """The file's symbol spelled by this one letter alone, or None."""
        for spelled, names in self.notation.spellings:
            if spelled == (("letter", letter),):
                return ast.Name("@" + "|".join(names))
        return None

    def _text_word(self) -> str | None:
        t = self.tok
        if not (t.kind == "cmd" and t.value in ("text", "operatorname") and self.peek().kind == "open"):
            return None
        end = self._matching_close(self.i + 1)
        return self.text[self.peek().col + 1:self.tokens[end].col].strip()

    def _set_command(self):
        t = self.tok
        name = t.value
        if name in ("text", "operatorname"):
            word = self._text_word()
            if word in FUNCTION_WORDS:
                self.i = self._matching_close(self.i + 1) + 1
                return self._named_function(FUNCTION_WORDS[word], t)
            if name == "operatorname" and word and 1 < len(word) <= 4 and word.isalpha():
                letters = [self._declared_letter(c) for c in word]
                if all(letters):      # \mathbf{AX}, \mathbf{Bx}: the Matrix Cookbook's bold product
                    self.i = self._matching_close(self.i + 1) + 1
                    return ast.Mul(tuple(letters))
            return None
        if name in ("det", "tr"):
            self.take()
            return self._named_function(name, t)
        if name == "max":
            self.take()
            return self._max(t)
        if name == "indicator":
            self.take()
            if self.tok.kind == "op" and self.tok.value == "_":
                self.take()
            return self._compare_bracket(t)
        if name == "ones":
            self.take()
            return ast.Name("@ones")
        if name in ("|", "lVert", "Vert"):
            self.take()
            return self._norm(t)
        return None

    def _named_function(self, func: str, t: Token) -> ast.Node:
        prime = False
        if self.tok.kind == "op" and self.tok.value == "'":
            self.take()
            prime = True
        if self.tok.kind == "open" and self.tok.value == "(":
            arg = self._bracketed()
        else:
            arg = self.power()
        if prime:
            if func != "relu":
                raise ReadError(f"the derivative of {func}", t.col, self.text)
            return ast.Call("drelu", arg)
        return ast.Call(func, arg)

    def _max(self, t: Token) -> ast.Node:
        """max(0, z) and max(z, 0): the ReLU."""
        if not (self.tok.kind == "open" and self.tok.value == "("):
            raise ReadError("\\max without (a, b)", t.col, self.text)
        self.enter()
        self.take()
        a = self.expr()
        self.expect("op", ",")
        b = self.expr()
        self.expect("close")
        self.depth -= 1
        if isinstance(a, ast.Num) and a.value == 0:
            return ast.Call("relu", b)
        if isinstance(b, ast.Num) and b.value == 0:
            return ast.Call("relu", a)
        raise ReadError("max(a, b) with neither side 0", t.col, self.text)

    def _norm(self, t: Token) -> ast.Node:
        """‖x‖, ‖x‖², ‖A‖_F², ‖x‖_2²."""
        self.enter()
        self.in_norm += 1
        inner = self.expr()
        self.in_norm -= 1
        if not (self.tok.kind == "cmd" and self.tok.value in ("|", "rVert", "Vert")):
            self.fail("an unclosed ‖")
        self.take()
        self.depth -= 1
        if self.tok.kind == "op" and self.tok.value == "_":
            self.take()
            self.group_or_atom()          # F or 2: both the sum of squares here
        if self.tok.kind == "op" and self.tok.value == "^":
            save = self.i
            self.take()
            e = self.group_or_atom()
            if isinstance(e, ast.Num) and e.value == 2:
                return ast.Call("sqnorm", inner)
            self.i = save
        return ast.Call("norm", inner)

    def _relation_inside(self, open_at: int) -> bool:
        try:
            end = self._matching_close(open_at)
        except ReadError:
            return False
        depth = 0
        for tt in self.tokens[open_at + 1:end]:
            depth += tt.kind == "open"
            depth -= tt.kind == "close"
            if depth == 0 and (tt.kind == "op" and tt.value in "<>=" or tt.kind == "cmd" and tt.value in RELATIONS):
                return True
        return False

    def _compare_bracket(self, t: Token) -> ast.Node:
        """[a > b], {j = y_i}, (k = y_i): the condition of an indicator."""
        if self.tok.kind != "open":
            raise ReadError("\\mathbb{1} without a condition", t.col, self.text)
        self.enter()
        opener = self.take()
        left = self.expr()
        rel = self.tok
        if not (rel.kind == "op" and rel.value in "<>=" or rel.kind == "cmd" and rel.value in RELATIONS):
            self.fail("the condition of an indicator (expected a comparison)")
        self.take()
        op = RELATIONS.get(rel.value, rel.value)
        if op in "<>" and self.tok.kind == "op" and self.tok.value == "=":
            self.take()
            op += "="
        right = self.expr()
        if self.tok.kind != "close":
            self.fail(f"{self._here()} (expected the indicator's condition to close column {opener.col})")
        self.take()
        self.depth -= 1
        return ast.Compare(left, op, right)

    def _raw_braced(self, t: Token) -> str:
        if not (self.tok.kind == "open" and self.tok.value == "{"):
            raise ReadError(f"\\{t.value} without a braced name", t.col, self.text)
        end = self._matching_close(self.i)
        word = self.text[self.tok.col + 1:self.tokens[end].col].strip()
        self.i = end + 1
        return word

    def _sum(self, t: Token) -> ast.Node:
        self.enter()
        self.sums += 1
        if self.sums > MAX_SUMS:
            raise ReadError(f"Σ nested more than {MAX_SUMS} deep", t.col, self.text)
        var, lower, upper, conditions = None, None, None, []
        while self.tok.kind == "op" and self.tok.value in "_^":
            op = self.take().value
            if op == "_":
                var, lower, conditions = self._sum_subscript()
            else:
                upper = self.group_or_atom()
        if not self._starts_factor():
            self.fail("a Σ without a body")
        body = self.term()
        self.depth -= 1
        self.sums -= 1
        return ast.Sum(var, lower, upper, tuple(conditions), body)

    def _sum_subscript(self):
        """w, w=1, k=1, {w=1, w\\neq o}, {-m\\leq j\\leq m, j\\neq 0}, {i}, {x \\in V}."""
        braced = self.tok.kind == "open" and self.tok.value == "{"
        if not braced:
            tt = self.take()
            return _index_piece(tt), None, []
        self.take()
        end = self._matching_close(self.i - 1)
        inner = self.text[self.tokens[self.i].col:self.tokens[end].col]
        self.i = end + 1
        return _parse_sum_range(inner)

    def _matching_close(self, open_at: int) -> int:
        depth, j = 0, open_at
        while j < len(self.tokens):
            tt = self.tokens[j]
            depth += tt.kind == "open"
            depth -= tt.kind == "close"
            if depth == 0:
                return j
            if tt.kind == "end":
                break
            j += 1
        raise ReadError("an unclosed '{'", self.tokens[open_at].col, self.text)


def _entry_pair(first, second):
    """The second variable of ∂²f/∂θ_k∂θ_l when the two are entries k ≠ l of one vector (one
    letter each), else None."""
    if not (isinstance(first, ast.Name) and isinstance(second, ast.Name)) or first.base != second.base:
        return None
    a, b = (first.sub.text if first.sub else ""), (second.sub.text if second.sub else "")
    return second if len(a) == 1 and len(b) == 1 and a != b and a.isalpha() and b.isalpha() else None


def _index_piece(t: Token) -> str:
    if t.kind == "cmd":
        return {"omega": "ω", "nu": "ν", "xi": "ξ", "theta": "θ", "mu": "μ", "alpha": "α", "beta": "β"}.get(t.value, t.value)
    return t.value


def _describe(node) -> str:
    if isinstance(node, ast.Name):
        return node.base + (f"_{node.sub.text}" if node.sub else "")
    if isinstance(node, ast.Num):
        return f"{node.value:g}"
    return type(node).__name__


RANGE_RE = re.compile(r"^\s*(?P<var>[A-Za-zω]|\\omega)\s*(=\s*(?P<low>\w+))?\s*$")


def _parse_sum_range(inner: str):
    """The subscript of a Σ: variable, lower limit, and conditions."""
    text = normalise(inner).replace(r"\omega", "ω")
    text = re.sub(r"\\([,;:!]|q?quad\b)", " ", text)                     # spacing
    text = re.sub(r"\\(ne|le|ge)(?![a-z])", lambda m: "\\" + m.group(1) + "q", text)  # \le -> \leq
    # a set in the range keeps its commas to itself: i \in \{1, …, K\} : w_i = w_k
    text = re.sub(r"\\\{(.*?)\\\}", lambda m: "⟨" + re.sub(r"[\s,]", "", m.group(1)) + "⟩", text)
    text = re.sub(r"\\isin\b", r"\\in", text)
    # conditions joined by words or marks rather than commas: "\&", "\land", "\text{and}",
    # "\space", "i: w_i = w_k" (such that), and "-m ≤ j ≤ m  j ≠ 0" (white space alone)
    text = re.sub(r"\\&|&|\\land\b|\\wedge\b|\\space\b|\\text\s*\{\s*(?:and|&)\s*\}|(?<![A-Za-z])and(?![A-Za-z])|:",
                  ",", text)
    text = re.sub(r"(\\leq\s*\w+)\s+(?=\w\s*(?:\\neq|!=))", r"\1,", text)
    text = re.sub(r"\\substack\s*", "", text).replace("\\\\", ",").replace("{", "").replace("}", "")
    var, lower, conditions = None, None, []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        m = re.match(r"^w_(?P<var>\w)\s*(?P<op>=|\\neq|!=)\s*(?P<other>w_\w)$", part)
        if m:
            # Σ_{w_j = w_s}, Σ_{k=1, w_k = w_s}^K: the samples that are (or are not) the word w_s
            var = m.group("var")
            conditions.append(("same" if m.group("op") == "=" else "differ", var, m.group("other")))
            continue
        m = re.match(r"^(?P<low>-?\s*\w+)\s*\\leq\s*(?P<var>\w|ω)\s*\\leq\s*(?P<high>\w+)$", part)
        if m:
            var = m.group("var")
            conditions.append(("range", m.group("low").replace(" ", ""), var, m.group("high")))
            continue
        m = re.match(r"^(?P<var>\w|ω)\s*(\\neq|!=)\s*(?P<other>\w+)$", part)
        if m and (var is None or m.group("var") == var):
            var = var or m.group("var")
            conditions.append(("neq", m.group("var"), m.group("other")))
            continue
        m = re.match(r"^(?P<var>\w|ω)\s*=\s*(?P<neg>-?)\s*(?P<low>\w+)$", part)
        if m:
            low = m.group("low")
            var, lower = m.group("var"), ast.Num(float(low)) if low.isdigit() else ast.Name(low)
            if m.group("neg"):
                lower = ast.Add(((-1, lower),))     # j = -m: the window
            continue
        m = re.match(r"^(?P<var>\w|ω)(_\w)?$", part)
        if m:
            var = part
            continue
        m = re.match(r"^(?P<var>\w|ω)\s*\\in\s*(?P<set>.+)$", part)
        if m:
            var = m.group("var")
            conditions.append(("in", var, m.group("set").strip()))
            continue
        raise ReadError(f"the summation range {inner!r}", None, inner)
    return var, lower, conditions


_READ: dict = {}
MAX_READ = 4096


def parse(text: str, notation=None) -> tuple[ast.Node, list[str]]:
    """Read one expression. Returns the tree and the OCR repairs applied.

    The text goes through the normalising front end first (fonts, presentation
    macros, spellings; macros of a document are expanded by the extractor, which
    knows the document); a ReadError's column points into ``text`` as given.

    In word2vec's notation (no ``notation``) a text is normalised and read once: the
    same step is read for every candidate question, every reading, the left-hand
    side, the shape check and the mistake catalogue, and the tree is immutable, so
    the result (or the ReadError) is kept for the next call. So is a problem file's
    (keyed by the file's path and digest as well: its spellings change the tree)."""
    if len(text) > 2000:      # a long text is read each time: the memo stays small
        return _parse(text, notation)
    key = text if notation is None else (text, notation.problem.source, notation.problem.digest)
    hit = _READ.get(key)
    if hit is None:
        try:
            hit = _parse(text, notation)
        except ReadError as exc:
            hit = exc
        if len(_READ) >= MAX_READ:
            _READ.clear()
        _READ[key] = hit
    if isinstance(hit, ReadError):
        raise ReadError(hit.message, hit.column, text)
    return hit[0], list(hit[1])


def _parse(text: str, notation=None) -> tuple[ast.Node, list[str]]:
    if len(text) > MAX_LENGTH:
        raise ReadError(f"an expression of {len(text)} characters (limit {MAX_LENGTH})", 0, text[:50])
    front = normalise_math(text)
    unicode_text = normalise(front.text)
    try:
        p = Parser(unicode_text, notation)
        return p.parse(), p.repairs
    except ReadError as exc:
        # columns of the Unicode-normalised text are close to those of front.text
        # (a replaced character is one column here); map them back to the source
        col = exc.column
        if col is not None:
            col = front.source_column(_unicode_column(front.text, col))
        raise ReadError(exc.message, col, text) from None


def _unicode_column(text: str, col: int) -> int:
    """The column of ``text`` that becomes column ``col`` after :func:`normalise`."""
    pos = 0
    for i, ch in enumerate(text):
        width = len(UNICODE.get(ch, ch)) if ord(ch) > 127 else 1
        if pos + width > col:
            return i
        pos += width
    return len(text) - 1
