"""Which question does an answer belong to?

From the left-hand side (∂J/∂v_c, ∂L/∂u_w, dσ/dx, …) we get the variable;
the loss comes from, in order of trust: a loss named in a branch condition
("smx-CE", "neg-CE"), the loss's own subscript (J_CE, J_neg-sample), the
chain's content (σ: negative sampling; ŷ or exp: naive softmax; F(…) or a sum
over −m ≤ j ≤ m: skip-gram), and the section the chain sits in. When none
decides, every candidate is tried and the answer goes to the question whose
truth it matches (the report says so).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import normalise, parse


@dataclass(frozen=True)
class Target:
    qid: str
    subjects: tuple = ()        # (index text, role) with role in o | w | k | v
    column: str | None = None   # for sg.U answered one column at a time: the role of the column
    how: str = "left-hand side"


# -- signals in text ----------------------------------------------------------

def loss_named(text: str) -> str | None:
    """A loss named in words or in a subscript."""
    t = normalise(text).lower()
    if re.search(r"neg|sampl|\bns\b", t):
        return "neg"
    if re.search(r"skip|\bsg\b|window", t):
        return "sg"
    if re.search(r"smx|softmax|naive|\bce\b|cross.?entropy|-ce\b|\{ce\}|_ce\b", t):
        return "naive"
    return None


def loss_by_content(text: str) -> str | None:
    t = normalise(text)
    if re.search(r"F\s*\(|\\sum_\{?\\?s?u?b?s?t?a?c?k?\{?\s*-\s*m|-m\s*\\leq", t):
        return "sg"
    if "\\sigma" in t and not re.search(r"\\sigma\s*\(\s*x\s*\)", t):
        return "neg"
    if re.search(r"\\hat\{y\}|\\exp|e\^|softmax", t):
        return "naive"
    return None


def section_signal(text: str) -> str | None:
    """A loss named in the prose between chains (a section heading, a remark)."""
    plain = re.sub(r"\$[^$]*\$", " ", text)
    return loss_named(plain) or (loss_by_content(text) if re.search(r"F\s*\(|-m", text) else None)


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
    elif re.search(r"o/w|otherwise|else", t):
        branch = "otherwise"
    return Condition(branch, var, loss, letter)


# -- the left-hand side -----------------------------------------------------------

TRAILING_CONDITION = re.compile(r"\(\s*([^()]*?(?:\\neq|\\ne\b|≠|=)[^()]*?)\s*\)\s*$")


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
    if isinstance(of, ast.LossCall) or isinstance(of, ast.Sum) and isinstance(of.body, ast.LossCall):
        return "sg" if re.search(r"[+-]\s*j", of.args if isinstance(of, ast.LossCall) else of.body.args) else None
    return None


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
    if _is_sigmoid(lhs.of) or (isinstance(lhs.wrt, ast.Name) and lhs.wrt.base == "x" and lhs.wrt.sub is None):
        return [Target("sigmoid.grad")]
    cond = condition(cond_text or lhs.condition)
    loss = cond.loss or _function_loss(lhs.of) or loss_by_content(lhs.text) or loss_by_content(chain_text) or region
    if loss == "sg" and cond.loss:
        loss = cond.loss
    try:
        var, index = variable(lhs.wrt, loss)
    except LookupError:
        return []
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
        if cond.branch == "other":
            return [Target("naive.u_w", ((index, "w"),), how="branch condition")]
        # ∂J/∂u_w with no branch: a formula for every w answers both questions
        return [Target("naive.u_o", ((index, "o"),)), Target("naive.u_w", ((index, "w"),))]
    if re.search(r"n_\{?k|repeat|drawn|multiple|times", chain_text):
        return [Target("neg.u_k_repeated", ((index, "k"),))]
    return [Target("neg.u_k", ((index, "k"),))]
