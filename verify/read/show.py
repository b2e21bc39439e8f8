"""Print a read expression back in the problem's notation (what was understood)."""
from __future__ import annotations

import unicodedata

from gradkey.verify.read import ast

GREEK = {"omega": "ω", "nu": "ν", "xi": "ξ", "mu": "μ", "upsilon": "υ", "theta": "θ"}


def show(node) -> str:
    if isinstance(node, ast.Num):
        return f"{node.value:g}"
    if isinstance(node, ast.Name):
        if node.base.startswith("@"):     # a problem file's name: shown as the file names it
            base = {"ones": "𝟏", "I": "I", "sigma_bare": "σ", "reg": "λ", "lam": "λ", "theta": "θ"}.get(
                node.base[1:], node.base[1:].split("|")[0])
            # y_hat, Y_hat, x_bar, z_tilde: the accent set on the letter, as the student wrote it (ŷ)
            for word, mark in (("_hat", "\u0302"), ("_bar", "\u0304"), ("_tilde", "\u0303")):
                if base.endswith(word) and len(base) == len(word) + 1:
                    base = unicodedata.normalize("NFC", base[0] + mark)   # ŷ as one character where it has one
        else:
            base = {"yhat": "ŷ", "Yhat": "Ŷ"}.get(node.base, GREEK.get(node.base, node.base))
        if node.sub is None:
            return base
        sub = node.sub.text
        return base + (f"_{sub}" if len(sub) == 1 else f"_{{{sub}}}")
    if isinstance(node, ast.Add):
        out = ""
        for i, (sign, t) in enumerate(node.terms):
            text = show(t)
            if isinstance(t, ast.Add):
                text = f"({text})"
            out += ("−" if sign < 0 else ("" if i == 0 else "+")) + (" " if i else "") + text + " "
        return out.strip().replace("+ ", "+ ").replace("  ", " ")
    if isinstance(node, ast.Mul):
        # a factor written after \cdot keeps its dot: u_o · v_c may be read as a dot product
        return "".join((" · " if i in node.dots else " " if i else "") + _wrap(f)
                       for i, f in enumerate(node.factors))
    if isinstance(node, ast.Div):
        return f"{_wrap(node.num)}/{_wrap(node.den)}"
    if isinstance(node, ast.Pow):
        return f"{_tight(node.base, ast.Pow)}^{_wrap(node.exp)}"
    if isinstance(node, ast.Transpose):
        return f"{_tight(node.arg)}ᵀ"
    if isinstance(node, ast.Call):
        return f"{'σ' if node.func == 'sigma' else node.func}({show(node.arg)})"
    if isinstance(node, ast.Sum):
        var = node.var or "·"
        conds = [c for c in node.conditions]
        sub = var if node.lower is None else f"{var}={show(node.lower)}"
        if conds and conds[0][0] == "range":
            sub = f"{conds[0][1]}≤{var}≤{conds[0][3]}"
        for c in conds:
            if c[0] == "neq":
                sub += f", {c[1]}≠{c[2]}"
        upper = f"^{show(node.upper)}" if node.upper is not None else ""
        return f"Σ_{{{sub}}}{upper} {_wrap(node.body)}"
    if isinstance(node, ast.Derivative):
        of = show(node.of) if node.of is not None else ""
        return f"∂{of}/∂{show(node.wrt)}"
    if isinstance(node, ast.Applied):
        return f"∂/∂{show(node.op.wrt)} {_wrap(node.arg)}"
    if isinstance(node, ast.LossCall):
        sub = f"_{{{node.sub}}}" if node.sub else ""
        return f"{node.name}{sub}({node.args})"
    if isinstance(node, ast.Indicator):
        return f"𝟙[{node.left.text} {'≠' if node.neq else '='} {node.right.text}]"
    if isinstance(node, ast.Label):
        return f"({node.name})"
    if isinstance(node, ast.Compare):
        op = {"!=": "≠", ">=": "≥", "<=": "≤"}.get(node.op, node.op)
        return f"𝟙[{show(node.left)} {op} {show(node.right)}]"
    if isinstance(node, ast.Elementwise):
        return f"{_wrap(node.left)} {'*' if node.star else '⊙'} {_wrap(node.right)}"
    return type(node).__name__


def _wrap(node) -> str:
    text = show(node)
    return f"({text})" if isinstance(node, (ast.Add, ast.Div, ast.Elementwise)) else text


def _tight(node, *also) -> str:
    """An operand of a power or a transpose, which bind tighter than a product: (XᵀX)^(−1),
    (U v_c)ᵀ keep their parentheses (without them the reading shown is another expression)."""
    text = show(node)
    loose = (ast.Add, ast.Div, ast.Elementwise, ast.Mul, ast.Sum, ast.Applied) + also
    return f"({text})" if isinstance(node, loose) else text
