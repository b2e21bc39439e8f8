"""Answer keys in which every line is machine-checked (``gradkey key``).

The derivation steps are written once in the problem definition
(``Question.steps``). Before anything is written, every step is read by the
same reader that reads submissions and judged against the derived truth at
seeded instances, under the strict layout; a step that applies ∂/∂x to an
expression is evaluated on SymPy symbols and differentiated by ``sympy.diff``.
A step that fails stops the key with a message naming it. The key is then
rendered as a LaTeX document (amsmath, amssymb only) or as Markdown.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from gradkey import derive
from gradkey.derive import Instance, ProblemSet, Question
from gradkey.derive.losses import parameter_symbols

from gradkey.verify.check import evaluate as ev
from gradkey.verify.numerics.compare import compare
from gradkey.verify.check.identify import Target
from gradkey.verify.check.judge import Policy, as_2d, instances_for, judge_node, scope_for, truth
from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse

#: The index each question's own letter stands for in its steps.
SUBJECTS = {"naive.u_w": (("w", "w"),), "neg.u_k": (("k", "k"),), "neg.u_k_repeated": (("k", "k"),),
            "sg.v_w": (("w", "v"),)}
CONDITIONS = {"naive.u_w": r"w \neq o", "sg.v_w": r"w \neq c"}


class StepFailed(Exception):
    def __init__(self, qid: str, number: int, latex: str, reason: str):
        self.qid, self.number, self.latex, self.reason = qid, number, latex, reason
        super().__init__(f"step {number} of {qid} does not equal the derived answer: {latex}  ({reason})")


def target(q: Question) -> Target:
    return Target(q.id, SUBJECTS.get(q.id, ()))


def check_steps(q: Question) -> None:
    """Raise StepFailed for the first step that is not equal to the truth."""
    if not q.steps:
        raise StepFailed(q.id, 0, "", "the question has no derivation steps")
    if _generic(q):
        return _check_generic_steps(q)
    for n, latex in enumerate(q.steps, 1):
        reason = _legacy_step_reason(q, latex)
        if reason:
            raise StepFailed(q.id, n, latex, reason)


def _legacy_step_reason(q, latex: str) -> str | None:
    """Read a word2vec step with word2vec's checker (its reader is the one
    that knows word2vec's notation until the file-driven checker replaces it)
    and judge it against the derived truth; an applied ∂/∂x(…) is
    differentiated by SymPy. None when the step is right."""
    try:
        node, repairs = parse(latex)
    except ReadError as exc:
        return str(exc)
    if repairs:
        return "needs OCR repairs: " + ", ".join(repairs)
    if any(isinstance(x, ast.Applied) for x in ev.walk(node)):
        return _check_by_differentiation(node, q)
    out = judge_node(node, target(q), Policy(strict_layout=True))
    return None if out.verdict == "correct" else f"{out.verdict}: {out.note}"


def symbolic_twin(inst: Instance) -> tuple[Instance, dict]:
    """The instance with symbols for every value (indices kept), and the
    substitution that gives back its numbers."""
    V, U = parameter_symbols(inst.dims)
    x = sp.Symbol("x", real=True)
    twin = inst.replace(V=np.array(V.tolist(), dtype=object), U=np.array(U.tolist(), dtype=object), x=x)
    values = {x: float(inst.x)}
    values.update({V[i, w]: float(inst.V[i, w]) for i in range(inst.dims.d) for w in range(inst.dims.W)})
    values.update({U[i, w]: float(inst.U[i, w]) for i in range(inst.dims.d) for w in range(inst.dims.W)})
    return twin, values


def _check_by_differentiation(node: ast.Node, q: Question) -> str | None:
    for inst in instances_for(q.needs)[:2]:
        twin, values = symbolic_twin(inst)
        for loss in q.losses:
            scope = scope_for(target(q), twin, loss, ev.Reading())
            scope = ev.Scope(scope.inst, scope.base, scope.subjects, (), scope.reading, differentiate=True)
            try:
                value = ev.evaluate(node, scope)
            except (ev.Unreadable, ev.ShapeError) as exc:
                return str(exc)
            symbols = list(values)
            f = sp.lambdify(symbols, sp.Matrix(value), "mpmath", cse=True)
            got = np.array(f(*values.values()).tolist(), dtype=float)
            expected = truth(target(q), inst, loss)
            c = compare(expected, as_2d(got) if got.shape != expected.shape else got, scale=inst.error_scale())
            if not c:
                return f"at a seeded instance: {c.describe()}"
    return None


def _generic(q) -> bool:
    """A question of a problem file (its steps carry array-language values)."""
    return getattr(q, "problem", None) is not None


def _check_generic_steps(q) -> None:
    """Each step twice: its array-language value against the derived truth at
    seeded instances of the proof and check dimensions, and its LaTeX (what
    the key prints) read by the checker and judged against the same truth, so
    that a typo in the printed step cannot hide behind a right value."""
    from gradkey.derive.proofs import instances_for
    insts = instances_for(q.problem, q)
    for n, step in enumerate(q.steps, 1):
        for inst in insts:
            c = compare(q.truth(inst), inst.evaluate(step.expr), scale=inst.error_scale())
            if not c:
                raise StepFailed(q.id, n, step.latex, f"{step.expr.text}: {c.describe()} at dims {inst.dims}")
        reason = _step_latex_reason(q, step.latex)
        if reason:
            raise StepFailed(q.id, n, step.latex, reason)


def _step_latex_reason(q, latex: str) -> str | None:
    """Why the printed LaTeX of a step is not the answer (None: it is). A step
    that only applies ∂ to the loss is checked by its value alone."""
    if q.problem.name == "word2vec" and q.problem.source == _bundled_word2vec():
        return _legacy_step_reason(q, latex)
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
        if sets._unworked(node, ctx):
            continue
        out = sets.judge(node, sets.SetTarget(q.id), ctx, Policy(strict_layout=True))
        if out.verdict != "correct":
            return f"{out.verdict}: {out.note}" + (f" (in {part!r})" if part != latex else "")
    return None


def _bundled_word2vec() -> str:
    from gradkey.derive.problemfile import bundled
    return str(bundled()["word2vec"])


def _step_latex(q) -> list[str]:
    return [s.latex if _generic(q) else s for s in q.steps]


def _lhs(q) -> str:
    if _generic(q):
        lhs = q.lhs[0] if q.lhs else rf"\text{{{q.asks}}}"
        return lhs + (rf"\;({q.condition})" if q.condition else "")
    return q.lhs + (rf"\;({CONDITIONS[q.id]})" if q.id in CONDITIONS else "")


def _notation(problem) -> list[tuple[str, str, str]]:
    """(LaTeX, meaning, shape in LaTeX) for the notation table."""
    if not hasattr(problem, "check_dims"):
        return [(s.latex, s.meaning, r" \times ".join(s.shape)) for s in problem.symbols]
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


def checked(problem: ProblemSet) -> ProblemSet:
    for q in problem.questions:
        check_steps(q)
    return problem


# -- rendering -------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    q: Question
    lhs: str
    steps: list


def _blocks(problem: ProblemSet) -> list[Block]:
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


def render_tex(problem: ProblemSet) -> str:
    lines = [r"\documentclass[11pt]{article}", r"\usepackage{amsmath,amssymb}", r"\begin{document}",
             rf"\section*{{Answer key: {_plain(_tex_escape(problem.title))}}}",
             r"Every line below was checked by gradkey against gradients derived by SymPy.",
             r"\subsection*{Notation}", r"\begin{tabular}{lll}", r"symbol & meaning & shape \\ \hline"]
    for tex, meaning, shape in _notation(problem):
        shape = f"${shape}$" if shape else ""
        lines.append(rf"${tex}$ & {_plain(_tex_escape(meaning))} & {shape} \\")
    lines += [r"\end{tabular}", r"\subsection*{Losses}", r"\begin{align*}"]
    lines += [rf"{name} &= {definition} \\" for name, definition in problem.losses]
    lines += [r"\end{align*}"]
    for b in _blocks(problem):
        lines += [rf"\subsection*{{\texttt{{{_tex_escape(b.q.id)}}}: {_plain(_tex_escape(b.q.asks))}}}",
                  r"\begin{align*}", " \\\\\n".join(_aligned(b)), r"\end{align*}"]
    lines.append(r"\end{document}")
    return "\n".join(line for line in lines if line) + "\n"


def render_md(problem: ProblemSet) -> str:
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
          "⁻": r"$^{-}$", "¹": r"$^1$", "→": r"$\to$", "’": "'", "“": "``", "”": "''"}


def _plain(text: str) -> str:
    """Unicode in prose made safe for pdflatex without extra packages."""
    out = []
    for ch in text:
        # a character pdflatex cannot typeset without extra packages becomes "?"
        out.append(_ASCII.get(ch, ch if ord(ch) < 128 else "?"))
    return "".join(out)


def key(problem: str | ProblemSet = "word2vec", fmt: str = "tex") -> str:
    ps = derive.problem_set(problem) if isinstance(problem, str) else problem
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
