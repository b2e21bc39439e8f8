"""Answer keys in which every line is machine-checked (``gradkey key``).

The derivation steps are written once in the problem file (``[[questions.ID.steps]]``:
the LaTeX the key prints and the same step in the array language). Before
anything is written, every step is checked twice: its array-language value
against the derived truth at seeded instances, and its printed LaTeX read by
the file-driven checker (``check/sets.py``, the reader of submissions) and judged
against the same truth under the strict layout. A step that applies ∂/∂x to an
expression written out (∂/∂v_c(−u_oᵀv_c + log Σ exp …)) is read, evaluated as a
function of the array the question differentiates and differentiated by central
differences. A step that fails stops the key with a message naming it. The key
is then rendered as a LaTeX document (amsmath, amssymb only) or as Markdown.
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradkey import derive

from gradkey.verify.check.answers import Policy
from gradkey.verify.check.shapes import ShapeError, Unreadable
from gradkey.verify.numerics.compare import compare
from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse


class StepFailed(Exception):
    def __init__(self, qid: str, number: int, latex: str, reason: str):
        self.qid, self.number, self.latex, self.reason = qid, number, latex, reason
        super().__init__(f"step {number} of {qid} does not equal the derived answer: {latex}  ({reason})")


def check_steps(q) -> None:
    """Raise StepFailed for the first step that is not equal to the truth.

    Each step twice: its array-language value against the derived truth at
    seeded instances of the proof and check dimensions, and its LaTeX (what
    the key prints) read by the checker and judged against the same truth, so
    that a typo in the printed step cannot hide behind a right value."""
    if not q.steps:
        raise StepFailed(q.id, 0, "", "the question has no derivation steps")
    from gradkey.derive.proofs import instances_for
    insts = instances_for(q.problem, q)
    for n, step in enumerate(q.steps, 1):
        for inst in insts:
            c = compare(q.truth(inst), inst.evaluate(step.expr), scale=inst.error_scale())
            if not c:
                raise StepFailed(q.id, n, step.latex, f"{step.expr.text}: {c.describe()} at dims {inst.dims}")
        reason = _step_latex_reason(q, step.latex, insts)
        if reason:
            raise StepFailed(q.id, n, step.latex, reason)


def _step_latex_reason(q, latex: str, insts: list) -> str | None:
    """Why the printed LaTeX of a step is not the answer (None: it is). A step
    that only applies ∂ to the loss by name is checked by its value alone."""
    from gradkey.verify.check import sets
    from gradkey.verify.read.notation import notation_for
    from gradkey.verify.read.extract import _split_top
    for part in [p.strip() for p in _split_top(latex, "=") if p.strip()]:   # a chain a = b = c: every link
        try:
            node, repairs = parse(part, notation_for(q.problem))
        except ReadError as exc:
            return f"the key's LaTeX cannot be read: {exc}"
        if repairs:
            return "needs OCR repairs: " + ", ".join(repairs)
        ctx = sets.Context(q.problem)
        if isinstance(node, ast.Applied) and node.op.of is None:
            reason = _applied_reason(node, q, ctx, insts)
            if reason:
                return reason + (f" (in {part!r})" if part != latex else "")
            continue
        if sets._unworked(node, ctx):
            continue
        out = sets.judge(node, sets.SetTarget(q.id), ctx, Policy(strict_layout=True))
        if out.verdict != "correct":
            return f"{out.verdict}: {out.note}" + (f" (in {part!r})" if part != latex else "")
    return None


#: instances at which an applied derivative's printed expression is differentiated
#: (central differences cost one evaluation of the read expression per entry and step)
APPLIED_INSTANCES = 2


def _sum_letters_declared(node, problem):
    """``node`` with each Σ_{j=1}^{D} whose letter the file does not declare summed
    over the letter it declares for dimension D (a key may write Σ_{j=1}^{K} … u_j
    for K sampled columns that its file spells u_k, where u_j alone would be column
    j itself). Only where that letter is not already used inside the sum, so no
    other name is captured."""
    from gradkey.verify.read.notation import notation_for
    declared = {v.dim: v.name for v in problem.indices}
    names = {v.name for v in problem.indices}

    def letters(n) -> set:
        out = set()
        for child in _descendants(n):
            if isinstance(child, ast.Index):
                out.add(child.text)
            elif isinstance(child, ast.Sum) and child.var:
                out.add(child.var)
        return out

    def visit(n):
        if isinstance(n, ast.Sum) and n.var and n.var not in names and isinstance(n.upper, ast.Name) \
                and n.upper.sub is None and n.upper.base in declared \
                and declared[n.upper.base] not in letters(n.body):
            new = declared[n.upper.base]
            conditions = tuple(tuple(new if c == n.var else c for c in cond) for cond in n.conditions)
            body = _rename(n.body, n.var, new, notation_for(problem))
            return dataclasses.replace(n, var=new, conditions=conditions, body=visit(body))
        return _map_children(n, visit)
    return visit(node)


def _fields(n):
    return dataclasses.fields(n) if dataclasses.is_dataclass(n) else ()


def _map_children(n, fn):
    """``n`` with ``fn`` applied to each child node (a field holding a node, or a
    tuple of nodes or of pairs such as Add's (sign, term))."""
    def each(x):
        if isinstance(x, ast.Node):
            return fn(x)
        if isinstance(x, tuple):
            return tuple(each(y) for y in x)
        return x
    changes = {f.name: each(getattr(n, f.name)) for f in _fields(n)}
    changes = {k: v for k, v in changes.items() if v is not getattr(n, k) and v != getattr(n, k)}
    return dataclasses.replace(n, **changes) if changes else n


def _descendants(n):
    yield n
    for f in _fields(n):
        stack = [getattr(n, f.name)]
        while stack:
            x = stack.pop()
            if isinstance(x, tuple):
                stack.extend(x)
            elif isinstance(x, (ast.Node, ast.Index)):
                yield from _descendants(x)


def _rename(n, old: str, new: str, notation):
    """``n`` with the index letter ``old`` written ``new`` (u_j → u_k, w_j → w_k),
    except inside a Σ that binds ``old`` again; a letter subscripted with it is
    read again in the file's notation (u_k is the file's name for a sample's vector)."""
    if isinstance(n, ast.Sum) and n.var == old:
        return n
    if isinstance(n, ast.Name) and n.sub is not None and n.sub.text == old and re.fullmatch(r"[A-Za-z]", n.base):
        try:
            return parse(f"{n.base}_{{{new}}}", notation)[0]
        except ReadError:
            pass

    def each(x):
        if isinstance(x, (ast.Node, ast.Index)):
            return _rename(x, old, new, notation)
        if isinstance(x, tuple):
            return tuple(each(y) for y in x)
        return x
    if isinstance(n, ast.Index):
        parts = tuple(new if p == old else each(p) for p in n.parts)
        return ast.Index(new if n.text == old else n.text, parts)
    changes = {f.name: each(getattr(n, f.name)) for f in _fields(n)}
    changes = {k: v for k, v in changes.items() if v != getattr(n, k)}
    return dataclasses.replace(n, **changes) if changes else n


def _applied_reason(node: ast.Applied, q, ctx, insts: list) -> str | None:
    """∂/∂x(expression written out): the expression, read by the checker, as a
    function of the array the question differentiates (``q.wrt``), differentiated
    by central differences with their a-posteriori error bound and compared with
    the derived truth. None when they agree."""
    from gradkey.derive.truth import select_part
    from gradkey.verify.check import sets
    from gradkey.verify.numerics.numdiff import central_difference_estimated
    if q.order != 1:
        return "an applied derivative in a Hessian's steps cannot be checked: write the step out"
    target = sets.SetTarget(q.id)
    arg = node.arg
    try:
        sets._evaluate(arg, target, ctx, q, insts[0], ())
    except (Unreadable, ShapeError):
        arg = _sum_letters_declared(arg, q.problem)      # read as written first; this only if that fails
    for inst in insts[:APPLIED_INSTANCES]:
        def f(x, inst=inst):
            # a copy: the reader's value cache marks the arrays it reads read-only
            value = sets._evaluate(arg, target, ctx, q, inst.replace(**{q.wrt: np.array(x)}), ())
            if np.shape(value) != (1, 1):
                raise ShapeError(f"∂/∂{q.wrt} of a non-scalar expression")
            return float(np.asarray(value, dtype=float)[0, 0])
        x0 = np.array(inst.value(q.wrt), dtype=float)      # a copy: instance values are read-only
        try:
            grad, bound = central_difference_estimated(f, x0, inst.error_scale())
        except (Unreadable, ShapeError) as exc:
            return f"the differentiated expression cannot be evaluated: {exc}"
        c = compare(q.truth(inst), select_part(q, grad, inst), scale=inst.error_scale(),
                    extra=select_part(q, bound, inst))
        if not c:
            return f"at a seeded instance: {c.describe()}"
    return None


def _step_latex(q) -> list[str]:
    return [s.latex for s in q.steps]


def _lhs(q) -> str:
    lhs = q.lhs[0] if q.lhs else rf"\text{{{q.asks}}}"
    return lhs + (rf"\;({q.condition})" if q.condition else "")


def _notation(problem) -> list[tuple[str, str, str]]:
    """(LaTeX, meaning, shape in LaTeX) for the notation table."""
    dim_tex = {d.name: d.latex or d.name for d in problem.dims}
    rows = [(d.latex or d.name, d.meaning, "") for d in problem.dims]
    for s in problem.symbols:
        tex = s.latex[0] if s.latex else s.name
        if tex == s.name and re.search(r"_[A-Za-z]{2,}", tex):    # a name, not a LaTeX spelling
            tex = r"\texttt{" + tex.replace("_", r"\_") + "}"
        rows.append((tex, s.meaning, r" \times ".join(dim_tex[x] for x in s.shape)))
    for d in problem.definitions:
        shape = r" \times ".join(dim_tex.get(x, str(x)) for x in d.expr.type.shape)
        rows.append((d.latex[0], d.meaning or d.expr.text, shape))
    return rows


def checked(problem):
    for q in problem.questions:
        check_steps(q)
    return problem


# -- rendering -------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    q: object                     # a problem file's question
    lhs: str
    steps: list


def _blocks(problem) -> list[Block]:
    out = []
    for q in problem.questions:
        out.append(Block(q, _lhs(q), _step_latex(q)))
    return out


def _aligned(block: Block) -> list[str]:
    first = block.steps[0] if len(block.steps) > 1 else r"\boxed{" + block.steps[0] + "}"
    rows = [f"{block.lhs} &= {first}"]
    for step in block.steps[1:-1]:
        rows.append(f"&= {step}")
    if len(block.steps) > 1:
        rows.append(rf"&= \boxed{{{block.steps[-1]}}}")
    return rows


def _tex_escape(text: str) -> str:
    """Prose for text mode (before _plain adds its math-mode pieces)."""
    for a, b in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"), ("&", r"\&"),
                 ("#", r"\#"), ("^", r"\^{}"), ("%", r"\%")):
        text = text.replace(a, b)
    return text


#: amssymb's blackboard font has no 1 (\mathbb{1} prints another glyph): the key writes the
#: indicator as dsfont's \mathds{1}, which gradkey's reader also reads as 𝟙 (the round-trip
#: test reads the key back), and defines \mathds as the classic overstruck 1 where TeX has no
#: dsfont (\DeclareRobustCommand: the reader expands a document's \newcommand, not this)
_INDICATOR = r"\IfFileExists{dsfont.sty}{\usepackage{dsfont}}{\DeclareRobustCommand{\mathds}[1]{\mathrm{1\!\!1}}}"


def _math(latex: str) -> str:
    """A problem file's LaTeX as the key typesets it."""
    return re.sub(r"\\mathbb\s*(?:\{\s*1\s*\}|1(?![0-9]))", lambda m: r"\mathds{1}", latex)


_ASKED = re.compile(r"[^\s,;]*[_^][^\s,;]*")


def _prose(text: str) -> str:
    """Prose with math in it ("row i is x_i^T", "∂L/∂W_2", "ReLU(Z_1)"): each word with a
    subscript or superscript typeset as math, the rest as text."""
    out, pos = [], 0
    for m in _ASKED.finditer(text):
        word = m.group(0)
        tail = re.search(r"[.:)]*$", word).group(0) if word.count("(") < word.count(")") or word[-1] in ".:" else ""
        word = word[:len(word) - len(tail)] if tail else word
        out.append(_plain(_tex_escape(text[pos:m.start()])))
        # \ensuremath, not $…$: the key's prose is typeset as math but is no answer to read back
        out.append(r"\ensuremath{" + _math_word(word) + "}" + _plain(_tex_escape(tail)))
        pos = m.end()
    out.append(_plain(_tex_escape(text[pos:])))
    return "".join(out)


def _math_word(word: str) -> str:
    # a word of three letters or more is a function's name (ReLU, softmax), set upright; then
    # ^T is the transpose and Unicode gets its math command (a space after it: \partial L)
    word = re.sub(r"[A-Za-z]{3,}", lambda m: r"\mathrm{" + m.group(0) + "}", word)
    word = re.sub(r"\^T(?![A-Za-z])", lambda m: r"^{\top}", word)
    word = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", word)                    # s_ij: both indices
    return "".join(_ASCII.get(ch, ch if ord(ch) < 128 else "?").strip("$") + (" " if ord(ch) >= 128 else "")
                   for ch in word).strip()


def render_tex(problem) -> str:
    lines = [r"\documentclass[11pt]{article}", r"\usepackage{amsmath,amssymb}", _INDICATOR, r"\begin{document}",
             rf"\section*{{Answer key: {_plain(_tex_escape(problem.title))}}}",
             r"Every line below was checked by gradkey against gradients derived by SymPy.",
             r"\subsection*{Notation}", r"\begin{tabular}{l p{0.58\textwidth} l}", r"symbol & meaning & shape \\ \hline"]
    for tex, meaning, shape in _notation(problem):
        shape = f"${shape}$" if shape else ""
        lines.append(rf"${_math(tex)}$ & {_prose(meaning)} & {shape} \\")
    lines += [r"\end{tabular}", r"\subsection*{Losses}", r"\begin{align*}"]
    lines += [rf"{_math(name)} &= {_math(definition)} \\" for name, definition in problem.losses]
    lines += [r"\end{align*}"]
    for b in _blocks(problem):
        lines += [rf"\subsection*{{\texttt{{{_tex_escape(b.q.id)}}}: {_prose(b.q.asks)}}}",
                  r"\begin{align*}", _math(" \\\\\n".join(_aligned(b))), r"\end{align*}"]
    lines.append(r"\end{document}")
    return "\n".join(line for line in lines if line) + "\n"


def render_md(problem) -> str:
    lines = [f"# Answer key: {problem.title}", "",
             "Every line below was checked by gradkey against gradients derived by SymPy.", "",
             "## Notation", "", "| symbol | meaning | shape |", "|---|---|---|"]
    for tex, meaning, shape in _notation(problem):
        lines.append(f"| ${tex}$ | {meaning} | {f'${shape}$' if shape else ''} |")
    lines += ["", "## Losses", "", "$$\\begin{aligned}"]
    lines += [" \\\\\n".join(rf"{name} &= {definition}" for name, definition in problem.losses), "\\end{aligned}$$", ""]
    for b in _blocks(problem):
        lines += [f"## `{b.q.id}`: {b.q.asks}", "", "$$\\begin{aligned}", " \\\\\n".join(_aligned(b)),
                  "\\end{aligned}$$", ""]
    return "\n".join(lines)


_ASCII = {"σ": r"$\sigma$", "ᵀ": r"$^\top$", "ŷ": r"$\hat{y}$", "−": "-", "…": r"\dots", "≠": r"$\neq$",
          "≤": r"$\le$", "∂": r"$\partial$", "×": r"$\times$",
          # problem files' prose
          "λ": r"$\lambda$", "∇": r"$\nabla$", "²": r"$^2$", "ℝ": r"$\mathbb{R}$", "⊙": r"$\odot$",
          "θ": r"$\theta$", "δ": r"$\delta$", "∈": r"$\in$", "≥": r"$\ge$", "Σ": r"$\Sigma$", "·": r"$\cdot$",
          "⁻": r"$^{-}$", "¹": r"$^1$", "→": r"$\to$", "’": "'", "“": "``", "”": "''",
          "|": r"$|$", "<": r"$<$", ">": r"$>$"}     # OT1 text has no | < > (they print as — ¡ ¿)


def _plain(text: str) -> str:
    """Unicode in prose made safe for pdflatex without extra packages."""
    out = []
    for ch in text:
        # a character pdflatex cannot typeset without extra packages becomes "?"
        out.append(_ASCII.get(ch, ch if ord(ch) < 128 else "?"))
    return "".join(out)


def key(problem=None, fmt: str = "tex") -> str:
    """The checked key of ``problem`` (NAME|PATH, a loaded problem file, or None:
    the default set) as LaTeX (``fmt="tex"``) or Markdown (``"md"``)."""
    ps = derive.problem_set(problem) if isinstance(problem, str) else problem or derive.problem_set()
    checked(ps)
    return render_tex(ps) if fmt == "tex" else render_md(ps)


class NoTeX(RuntimeError):
    pass


def compile_pdf(tex: str, out: Path) -> Path:
    """Compile with pdflatex; raise NoTeX when none is installed."""
    engine = shutil.which("pdflatex")
    if engine is None:
        raise NoTeX("no TeX engine (pdflatex) is installed; on Debian/Ubuntu: "
                    "apt-get install texlive-latex-base")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "key.tex"
        src.write_text(tex, encoding="utf-8")
        p = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "key.tex"], cwd=tmp,
                           capture_output=True, text=True, timeout=120)
        log = (Path(tmp) / "key.log").read_text(errors="replace") if (Path(tmp) / "key.log").exists() else p.stdout
        if p.returncode != 0 or "\n! " in log:
            errors = [line for line in log.splitlines() if line.startswith("!")]
            raise RuntimeError("pdflatex failed: " + "; ".join(errors[:3] or [p.stdout[-300:]]))
        shutil.copy(Path(tmp) / "key.pdf", out)
    return out
