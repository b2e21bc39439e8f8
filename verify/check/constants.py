"""Constants too small or too large to judge by evaluation.

Judging is numerical: two answers agree when they agree to a tolerance set by
float64 rounding. A term such as e^{-40} u_o or 10^{-300} u_o, or a factor
(1 + 10^{-15}), changes an answer by less than that tolerance, so a wrong
answer padded with it would evaluate as right. Students do not write such
constants in a derivation; an answer that does is shown to a human instead of
being called correct.
"""
from __future__ import annotations

import math

from gradkey.verify.read import ast

#: A constant whose size is outside [SMALL, LARGE] (and not 0) is not judged.
SMALL, LARGE = 1e-6, 1e6

_FUNCS = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt}


class _Extreme(Exception):
    pass


def _value(node, known: dict):
    """The float value of a constant node from its children's values in
    ``known`` (None for a subtree that names anything); raises _Extreme for a
    constant out of range or not computable."""
    def v(child):
        return known.get(id(child))
    if isinstance(node, ast.Num):
        return _checked(node.value)
    if isinstance(node, ast.Add):
        parts = [v(n) for _, n in node.terms]
        return None if None in parts else _checked(sum(s * x for (s, _), x in zip(node.terms, parts)))
    if isinstance(node, ast.Mul):
        parts = [v(n) for n in node.factors]
        return None if None in parts else _checked(math.prod(parts))
    if isinstance(node, ast.Div):
        a, b = v(node.num), v(node.den)
        if a is None or b is None:
            return None
        if b == 0:
            raise _Extreme("a division by zero")
        return _checked(a / b)
    if isinstance(node, ast.Pow):
        b, e = v(node.base), v(node.exp)
        if b is None or e is None:
            return None
        try:
            return _checked(float(b) ** float(e))
        except (OverflowError, ZeroDivisionError, ValueError):
            raise _Extreme("a power that cannot be computed") from None
    if isinstance(node, ast.Call) and node.func in _FUNCS:
        a = v(node.arg)
        if a is None:
            return None
        try:
            return _checked(_FUNCS[node.func](a))
        except (OverflowError, ValueError):
            raise _Extreme(f"{node.func} of a constant that cannot be computed") from None
    return None


def _checked(v):
    v = float(v) if not isinstance(v, complex) else v
    if isinstance(v, complex) or not math.isfinite(v):
        raise _Extreme("a constant that is not a finite real number")
    if v != 0 and not SMALL <= abs(v) <= LARGE:
        raise _Extreme(f"the constant {v:.3g}")
    return v


def _children(node):
    if not isinstance(node, ast.Node):
        return
    for value in vars(node).values():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, tuple):      # (sign, node) pairs of Add
                yield from (x for x in item if isinstance(x, ast.Node))
            elif isinstance(item, ast.Node):
                yield item


def extreme_constant(node) -> str | None:
    """A description of the first (innermost) constant in ``node`` too small
    or too large for a numerical judgement (see the module docstring), or None.
    One bottom-up pass, iterative: answers may nest deeply."""
    order, stack = [], [node]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(_children(n))
    known = {}
    for n in reversed(order):        # children before parents
        try:
            known[id(n)] = _value(n, known)
        except _Extreme as exc:
            return str(exc)
    return None


def review_note(node) -> str | None:
    found = extreme_constant(node)
    if found is None:
        return None
    return (f"the answer holds {found}, which evaluation cannot judge (a term below float64 resolution, "
            f"or one that overflows, goes unseen); a grader must look")
