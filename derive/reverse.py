"""Reverse accumulation of SymPy derivatives: the gradient of one expression
by many symbols in one pass.

``sympy.diff(J, x)`` walks the whole expression once per symbol x and, at
every node, recomputes the node's free symbols (not cached in SymPy 1.14), so
a loss with a few hundred nodes and a few dozen parameters spends seconds
there. This module applies the same chain rule with SymPy's own local rules,
once, from the loss down to the symbols: the adjoint of a node is the sum,
over its parents, of the parent's adjoint times the parent's derivative by
that argument:

* Add: 1; Mul: the product of the other factors; Pow: e·b^(e−1) and
  b^e·log b; any SymPy Function (exp, log, Step, …): its own ``fdiff`` —
  exactly the rules ``sympy.diff`` applies;
* anything else (Piecewise of an equality, …): ``sympy.diff`` of that node by
  each symbol below it, times the adjoint (correct for any node, slower).

Each entry of the result is mathematically ``sympy.diff(J, x)`` (sums over
the same paths of the same local derivatives, grouped differently);
``tests/test_fast_truth.py`` proves the two equal for every question of every
bundled problem file. Shared subexpressions get one adjoint, which is also
what makes the generated code small after ``cse``.
"""
from __future__ import annotations

import sympy as sp


def gradient(J: sp.Expr, targets: list) -> list:
    """[∂J/∂t for t in targets] (SymPy expressions, 0 where J does not depend on t)."""
    wanted = set(targets)
    depends, order = _dependent_nodes(J, wanted)
    adjoint: dict = {J: [sp.Integer(1)]} if depends.get(J) else {}
    out: dict = {}
    for node in reversed(order):          # parents before children
        parts = adjoint.pop(node, None)
        if not parts:
            continue
        a = sp.Add(*parts)
        if node in wanted:
            out[node] = a
            continue
        for child, local in _local_derivatives(node, depends, wanted):
            if local != 0:                   # Step's derivative, a constant factor's …
                adjoint.setdefault(child, []).append(a * local)
    return [out.get(t, sp.Integer(0)) for t in targets]


def _dependent_nodes(J: sp.Expr, wanted: set) -> tuple[dict, list]:
    """Which unique nodes depend on a wanted symbol, and those nodes in
    post-order (children first). Iterative: losses nest deeply."""
    depends: dict = {}
    order: list = []
    stack = [(J, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            d = node in wanted or any(depends[a] for a in node.args)
            depends[node] = d
            if d:
                order.append(node)
            continue
        if node in depends:
            continue
        depends[node] = False            # on the stack; set for real once its args are done
        stack.append((node, True))
        stack.extend((a, False) for a in node.args if a not in depends)
    return depends, order


def _local_derivatives(node, depends: dict, wanted: set):
    """(child, ∂node/∂child) for every child that depends on a wanted symbol."""
    args = node.args
    if isinstance(node, sp.Add):
        return [(x, sp.Integer(1)) for x in args if depends[x]]
    if isinstance(node, sp.Mul):
        # Mul's arguments are distinct (x·x is Pow(x, 2)), so the product rule is exact
        return [(x, sp.Mul(*args[:k], *args[k + 1:])) for k, x in enumerate(args) if depends[x]]
    if isinstance(node, sp.Pow):
        b, e = args
        out = []
        if depends[b]:
            out.append((b, e * b ** (e - 1)))
        if depends[e]:
            out.append((e, node * sp.log(b)))
        return out
    if isinstance(node, sp.Function) and not isinstance(node, sp.Piecewise):
        return [(x, node.fdiff(k + 1)) for k, x in enumerate(args) if depends[x]]
    # any other node: let sympy.diff differentiate it by the symbols below it
    below = [s for s in node.free_symbols if s in wanted]
    return [(s, sp.diff(node, s)) for s in below]
