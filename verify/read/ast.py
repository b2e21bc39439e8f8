"""The expressions the reader produces: a small typed-expression tree.

Nothing here evaluates; ``verify.evaluate`` gives the nodes their meaning in
a problem's notation at an instance.
"""
from __future__ import annotations

from dataclasses import dataclass


class Node:
    pass


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Name(Node):
    """A letter or command with an optional subscript: u_o, \\hat{y}_w, U, x."""
    base: str                    # canonical base: u, v, U, V, yhat, y, x, n, J, F, ...
    sub: "Index | None" = None


@dataclass(frozen=True)
class Index:
    """A subscript: a letter, a number, w_k, t+j, ... (kept as text and parts)."""
    text: str                    # canonical, e.g. "o", "w", "k", "w_k", "t+j", "1"
    parts: tuple = ()            # nested index for w_{k}: ("w", Index("k"))


@dataclass(frozen=True)
class Add(Node):
    terms: tuple                 # (sign, node) pairs, sign in {+1, -1}


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple


@dataclass(frozen=True)
class Div(Node):
    num: Node
    den: Node


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exp: Node


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Call(Node):
    func: str                    # sigma, exp, log
    arg: Node


@dataclass(frozen=True)
class Sum(Node):
    var: str | None              # summation letter, None when not written
    lower: Node | None
    upper: Node | None
    conditions: tuple            # ("neq", var, Index) / ("range", low, var, high)
    body: Node


@dataclass(frozen=True)
class LossCall(Node):
    """A loss written with its arguments, F(w_{t+j}, v_c) or J(v_c, w_{t+j}, U):
    in ∂F(…)/∂U it names the gradient of one term of the skip-gram sum."""
    name: str                    # F, J or L
    args: str                    # the argument text, kept for identification
    sub: str = ""                # the loss's subscript text (naive-softmax, neg-sample, ...)


@dataclass(frozen=True)
class Derivative(Node):
    """∂f/∂x: an answer's left-hand side, a reference to the base loss's
    gradient (∂F(w_{t+j}, v_c)/∂U), or, when ``of`` is None, an operator.
    ``order`` is 2 for ∂²J/∂θ∂θᵀ and ∇²_θ J; ``code`` marks a code-style name (dW2)."""
    of: Node | None
    wrt: Node
    order: int = 1
    code: bool = False


@dataclass(frozen=True)
class Applied(Node):
    """A derivative operator applied to an expression: d/dx [ ... ]."""
    op: Derivative
    arg: Node


@dataclass(frozen=True)
class Label(Node):
    """A circled or bracketed label such as ⓐ that names an expression elsewhere."""
    name: str


@dataclass(frozen=True)
class Indicator(Node):
    """𝟙[a = b] (or 𝟙[a ≠ b] when ``neq``): 1 when the two indices name the same word."""
    left: Index
    right: Index
    neq: bool = False


# -- problem-file notation (read with a Notation; see read/notation.py) ----------------

@dataclass(frozen=True)
class Compare(Node):
    """𝟙[a > 0], 𝟙{j = y_i}, 1(k = y_i): 1 where the comparison holds (elementwise)."""
    left: Node
    op: str                      # > < >= <= = !=
    right: Node


@dataclass(frozen=True)
class Part(Node):
    """(…)_i: row i of a computed matrix, (∂L/∂Z_1)_i."""
    arg: Node
    sub: Index


@dataclass(frozen=True)
class Elementwise(Node):
    """a ⊙ b, a ∘ b; ``star`` for a * b, elementwise only where both sides have one shape."""
    left: Node
    right: Node
    star: bool = False


def mentions(node, target: Node) -> bool:
    """Whether ``target`` (a Name) occurs anywhere in ``node``."""
    if node == target:
        return True
    if isinstance(node, tuple):
        return any(mentions(x, target) for x in node)
    if isinstance(node, Node):
        return any(mentions(getattr(node, f), target) for f in getattr(node, "__dataclass_fields__", ()))
    return False
