"""Which question does an answer belong to?

Evidence is weighed, and the answer records which evidence decided (``Target.how``):

- the left-hand side (∂J/∂v_c, ∂L/∂u_w, ∇_{v_c} J, dσ/dx, σ'(x), f'(x)) gives the
  variable; what is differentiated tells an answer (the loss J, L, 𝓛, J_{…}(…), σ)
  from an intermediate (∂a/∂v_c, ∂J/∂θ, d/dx log σ(x)) or a loss the problem set
  does not have (J_CBOW);
- the loss comes from, in order of trust: a loss named in a branch condition
  ("smx-CE", "neg-CE"), the loss's own subscript (J_neg-sample), the chain's
  content (σ: negative sampling; ŷ or exp: naive softmax; F(…), t+j or a sum over
  −m ≤ j ≤ m: skip-gram), the section it sits in;
- with no derivative on the left, a label before it ("$u_o$:", "others:"), the
  heading above it ("with respect to $U$"), the prose branch before it ("For $w ≠ o$:");
- the answer's value: when nothing decides, every candidate is tried and the
  answer goes to the question whose truth it matches; when the left-hand side and
  the value's shape conflict, submissions.py judges it for the question its shape
  fits and says the label was wrong.

Every word2vec-specific word used here comes from the Vocabulary
(``read/vocabulary.py``), filled from ``derive/problems/word2vec.toml``'s ``[reader]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import normalise, parse
from gradkey.verify.read.vocabulary import default_vocabulary


def __getattr__(name: str):
    # VOCAB: word2vec's vocabulary, read from its problem file on first use (not on import)
    if name == "VOCAB":
        return default_vocabulary()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Target:
    qid: str
    subjects: tuple = ()        # (index text, role) with role in o | w | k | v
    column: str | None = None   # for sg.U answered one column at a time: the role of the column
    how: str = "left-hand side"


# -- signals in text ----------------------------------------------------------

def loss_named(text: str) -> str | None:
    """A loss named in words or in a subscript."""
    return default_vocabulary().loss_named(normalise(text))


def loss_by_content(text: str) -> str | None:
    return default_vocabulary().loss_by_content(normalise(text))


def section_signal(text: str) -> str | None:
    """A loss named in the prose between chains (a section heading, a remark)."""
    plain = re.sub(r"\$[^$]*\$", " ", text)
    # a heading line names its section's loss even inside its math: "(b) … $J_{naive-softmax}(v_c,o,U)$"
    heads = " ".join(ln for ln in text.split("\n") if HEADING.match(ln))
    return loss_named(plain) or (loss_named(heads.replace("$", " ")) if heads else None) or (
        loss_by_content(text) if re.search(r"F\s*\(|-m", text) else None)


HEADING = re.compile(r"^\s*(?:#{1,6}\s|\*\*|\(?[a-h]\)|\d+\s*\(?[a-h]\))")


# -- conditions -----------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    branch: str | None = None    # "o" (w = o), "other" (w ≠ o), "otherwise"
    var: str | None = None       # "U" (ξ ∈ U) or "v_c" (ξ = v_c)
    loss: str | None = None
    letter: str | None = None    # the letter the condition is about


def condition(text: str) -> Condition:
    t = normalise(text).replace(r"\omega", "ω").replace(r"\text", " ")
    loss = loss_named(t) if re.search(r"[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+", "", t)) else None
    var = None
    if re.search(r"\\in\s*\\?(?:mathbf\{)?U", t):
        var = "U"
    elif re.search(r"=\s*\\?(?:nu|v)_\{?c", t):
        var = "v_c"
    m = re.search(r"(ω|\\xi|[a-z](?:_\{?\w\}?)?)\s*(=|\\neq|\\ne\b|!=)\s*(0|o|O)\b", t)
    branch = letter = None
    if m:
        letter = m.group(1).replace("{", "").replace("}", "")
        branch = "o" if m.group(2) == "=" else "other"
    elif re.search(default_vocabulary().otherwise_words, t, re.IGNORECASE):
        branch = "otherwise"
    return Condition(branch, var, loss, letter)


# -- the left-hand side -----------------------------------------------------------

TRAILING_CONDITION = re.compile(r"\(\s*([^()]*?(?:\\neq|\\ne\b|≠|=)[^()]*?)\s*\)\s*$")
# ∂J/∂v_w _{\text{where } w \ne c}: a condition typed as a subscript of the whole derivative
TRAILING_SUBSCRIPT = re.compile(r"\}\s*_\s*\{((?:[^{}]|\{[^{}]*\})*?(?:\\neq|\\ne\b|≠|=)(?:[^{}]|\{[^{}]*\})*)\}\s*$")


@dataclass(frozen=True)
class LHS:
    of: ast.Node | None
    wrt: ast.Node
    condition: str = ""
    text: str = ""


def read_lhs(text: str) -> LHS | None:
    """The derivative an answer is the value of, or None for other chains."""
    cond = ""
    m = TRAILING_CONDITION.search(text)
    if m:
        cond, text = m.group(1), text[:m.start()]
    elif len(text) < 400:               # a left-hand side is short; the pattern need not scan more
        m = TRAILING_SUBSCRIPT.search(text)
        if m:
            cond, text = m.group(1), text[:m.start() + 1]
    try:
        node, _ = parse(text)
    except ReadError:
        return None
    if isinstance(node, ast.Derivative) and node.of is not None:
        return LHS(node.of, node.wrt, cond, text)
    if isinstance(node, ast.Applied):
        return LHS(node.arg, node.op.wrt, cond, text)
    if isinstance(node, ast.Mul) and isinstance(node.factors[0], ast.Derivative) and node.factors[0].of is None:
        return LHS(ast.Mul(node.factors[1:]), node.factors[0].wrt, cond, text)
    return None


def _function_loss(of: ast.Node) -> str | None:
    if isinstance(of, ast.Name) and of.sub is not None:
        return loss_named(of.sub.text)
    if isinstance(of, ast.LossCall) and of.sub and loss_named(of.sub):
        return loss_named(of.sub)
    if isinstance(of, ast.LossCall) or isinstance(of, ast.Sum) and isinstance(of.body, ast.LossCall):
        call = of if isinstance(of, ast.LossCall) else of.body
        return "sg" if re.search(r"[+-]\s*j|t\s*-\s*m", call.args) else None
    return None


def of_kind(of: ast.Node | None, wrt: ast.Node) -> str:
    """What a left-hand side differentiates: "loss", "sigmoid", "function" (an
    f(x) the document may declare), "intermediate" (∂a/∂v_c, ∂J/∂θ, d/dx log σ(x))
    or "foreign" (a loss with a name the problem set does not have: J_CBOW)."""
    if of is None:
        return "intermediate"
    if _is_sigmoid(of) or isinstance(of, ast.Name) and of.base == "sigma":
        return "sigmoid"
    if isinstance(of, ast.Call) and of.func in ("f", "g", "h"):
        return "function"
    if isinstance(of, ast.Mul) and of.factors and isinstance(of.factors[0], ast.LossCall):
        of = of.factors[0]
    if isinstance(of, ast.Sum) and isinstance(of.body, ast.LossCall):
        of = of.body
    if isinstance(of, ast.LossCall):
        if of.sub and not loss_named(of.sub) and re.search(r"[A-Za-z]{2,}", of.sub):
            return "foreign"
        return "loss"
    if isinstance(of, ast.Name) and of.base in default_vocabulary().loss_letters | {"F"}:
        if of.sub is not None and not loss_named(of.sub.text) and re.search(r"[A-Za-z]{2,}", of.sub.text):
            return "foreign"
        return "loss"
    return "intermediate"


SUB_CONDITION = re.compile(r"^(?P<var>[a-zω])(?P<op>=|neq|ne|\\neq|≠)(?P<other>[a-z0-9])$")


def subscript_condition(wrt: ast.Node) -> tuple[ast.Node, str]:
    """∂J/∂u_{w=o}, ∂J/∂u_{w \\neq o}: the branch written in the subscript."""
    if isinstance(wrt, ast.Name) and wrt.sub is not None:
        m = SUB_CONDITION.match(wrt.sub.text)
        if m:
            op = "=" if m.group("op") == "=" else "\\neq"
            return ast.Name(wrt.base, ast.Index(m.group("var"))), f"{m.group('var')} {op} {m.group('other')}"
    return wrt, ""


def variable(wrt: ast.Node, loss: str | None):
    """("x"|"v_c"|"U"|"vec"|"generic", index text)."""
    if isinstance(wrt, ast.Name):
        sub = wrt.sub.text if wrt.sub else None
        if wrt.base == "x" and sub is None:
            return "x", None
        if wrt.base == "U" and sub is None:
            return "U", None
        if wrt.base in ("v", "nu", "V") and sub in ("c", "e"):
            return "v_c", None
        if wrt.base == "u" and sub == "c" and loss == "sg":
            return "v_c", None
        if wrt.base in ("v", "nu", "V") and sub is not None and loss == "sg":
            return "center", sub          # ∂J_sg/∂v_w: another center vector
        if sub is not None and wrt.base in ("u", "v", "nu", "V", "omega", "mu", "upsilon"):
            return "vec", sub
        if sub is None and wrt.base in ("xi", "omega", "theta", "u", "w"):
            return "generic", None
    raise LookupError("an unknown variable")


def _is_sigmoid(of) -> bool:
    return isinstance(of, ast.Call) and of.func == "sigma" or (
        isinstance(of, ast.Derivative) and isinstance(of.of, ast.Call))


def targets(lhs: LHS, chain_text: str, region: str | None, cond_text: str = "", context: str = "") -> list[Target]:
    """The questions an answer with this left-hand side (and branch) answers."""
    if _is_sigmoid(lhs.of):
        return [Target("sigmoid.grad")]
    if isinstance(lhs.wrt, ast.Name) and lhs.wrt.base == "x" and lhs.wrt.sub is None:
        return []     # d/dx of something that is not σ: not an answer to a word2vec question
    cond = condition(cond_text or lhs.condition)
    loss = cond.loss or _function_loss(lhs.of) or loss_by_content(lhs.text) or loss_by_content(chain_text) or region
    if loss == "sg" and cond.loss:
        loss = cond.loss
    try:
        var, index = variable(lhs.wrt, loss)
    except LookupError:
        return []
    if var == "center" and index and re.search(r"(?<![A-Za-z\\])" + re.escape(index) + r"\s*=\s*c(?![A-Za-z0-9])",
                                                normalise(cond_text or lhs.condition)):
        var, index = "v_c", None            # ∂J_sg/∂v_i in the branch i = c: the centre vector
    if var == "generic" and cond.var == "U" and cond.branch in ("o", "other") and cond.letter:
        var, index = "vec", cond.letter     # ξ ∈ U with ω = 0: the column u_ω
    if var == "generic":
        var = cond.var or ("otherwise" if cond.branch == "otherwise" else None)
        if var == "otherwise":
            return [Target("sg.v_w", how="branch condition")] if loss == "sg" else []
        if var is None:
            return []
    losses = [loss] if loss else ["naive", "neg", "sg"]
    out = []
    for L in losses:
        out.extend(targets_for(L, var, index, cond, chain_text + " " + context))
    if not loss:
        out = [Target(t.qid, t.subjects, t.column, "by value") for t in out]
    return out


def targets_for(loss: str, var: str, index: str | None, cond: Condition, chain_text: str) -> list[Target]:
    if var == "v_c":
        return [Target(f"{loss}.v_c")]
    if var == "center":
        return [Target("sg.v_w", ((index, "v"),))] if loss == "sg" else []
    if var == "U":
        return [Target(f"{loss}.U")] if loss in ("naive", "sg") else []
    # a column u_index
    if index in ("o", "0", "O"):
        return [Target(f"{loss}.u_o")] if loss != "sg" else [Target("sg.U", column="o")]
    if loss == "sg":
        return [Target("sg.U", ((index, "w"),), column="w")]
    if cond.branch == "o":
        return [Target(f"{loss}.u_o", ((index, "o"),), how="branch condition")]
    if loss == "naive":
        if cond.branch in ("other", "otherwise"):
            return [Target("naive.u_w", ((index, "w"),), how="branch condition")]
        # ∂J/∂u_w with no branch: a formula for every w answers both questions
        return [Target("naive.u_o", ((index, "o"),)), Target("naive.u_w", ((index, "w"),))]
    if re.search(default_vocabulary().repeat_words, chain_text, re.IGNORECASE):
        return [Target("neg.u_k_repeated", ((index, "k"),))]
    return [Target("neg.u_k", ((index, "k"),))]
