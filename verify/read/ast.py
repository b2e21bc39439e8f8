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
    # positions of the factors written after a \cdot: there, two column vectors whose plain
    # product does not exist are read as their dot product (u_o \cdot v_c = u_oᵀv_c)
    dots: tuple = ()


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
    # ∂²J/∂θ_k∂θ_l: the second variable, kept only when the two name entries k ≠ l of one
    # vector (the Hessian's entry (k, l)); None otherwise (∂²J/∂θ∂θᵀ is the whole Hessian)
    wrt2: Node | None = None


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


# -- walking and rebuilding trees ------------------------------------------------------------
# The checker walks and rewrites every answer several times per judging (respellings,
# readings, layouts): field names are looked up once per class, and a rewrite that changes
# nothing returns the very node it was given, so later identity memos still hit.

_FIELDS: dict = {}


def fields(cls) -> tuple | None:
    """The field names of a node class, in constructor order; None for anything else."""
    out = _FIELDS.get(cls, False)
    if out is False:
        out = _FIELDS[cls] = tuple(cls.__dataclass_fields__) if issubclass(cls, Node) else None
    return out


def rebuilt(node, fn):
    """``node`` with ``fn`` applied to each of its parts (every field of a node, every item
    of a tuple); ``node`` itself when ``fn`` returns every part unchanged."""
    if type(node) is tuple:
        out = tuple(fn(x) for x in node)
        return node if all(a is b for a, b in zip(out, node)) else out
    names = fields(type(node))
    if not names:
        return node
    values = None
    for k, f in enumerate(names):
        old = getattr(node, f)
        new = fn(old)
        if new is not old:
            if values is None:
                values = [getattr(node, g) for g in names]
            values[k] = new
    return node if values is None else type(node)(*values)


def every_node(node):
    """Every node under ``node`` (itself first, inside tuples and derivatives too), in order."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is tuple:
            stack.extend(reversed(n))
            continue
        names = fields(type(n))
        if names is None:
            continue
        yield n
        for f in reversed(names):
            stack.append(getattr(n, f))


def mentions(node, target: Node) -> bool:
    """Whether ``target`` (a Name) occurs anywhere in ``node``."""
    if node == target:
        return True
    if isinstance(node, tuple):
        return any(mentions(x, target) for x in node)
    if isinstance(node, Node):
        return any(mentions(getattr(node, f), target) for f in getattr(node, "__dataclass_fields__", ()))
    return False


def index_letters(sub: Index | None) -> frozenset:
    """The index letters of a subscript (ij → i, j; jy_i → j, i: y there names a label, the
    letter before a nested subscript, not an index)."""
    if sub is None:
        return frozenset()
    clean = sub.text.replace("{", "").replace("}", "").replace(",", "").replace(" ", "")
    return frozenset(c for k, c in enumerate(clean)
                     if "a" <= c <= "z" and clean[k + 1:k + 2] != "_" and clean[k - 1:k] != "\\")


def _subscript_letters(node) -> frozenset:
    if isinstance(node, (Name, Part)):
        own = index_letters(node.sub)
        return own | (_subscript_letters(node.arg) if isinstance(node, Part) else frozenset())
    if isinstance(node, Sum):
        return _subscript_letters(node.body) - {node.var}
    if isinstance(node, tuple):
        return frozenset().union(*(_subscript_letters(x) for x in node)) if node else frozenset()
    if isinstance(node, Node):
        return frozenset().union(*(_subscript_letters(getattr(node, f)) for f in node.__dataclass_fields__
                                   if f not in ("sub",))) if node.__dataclass_fields__ else frozenset()
    return frozenset()


def summed_repeated(node, keep: frozenset = frozenset()):
    """Einstein's convention made explicit: in every product, an index letter that two of its
    factors carry and that nothing binds (``keep``: the question's indices, the entry asked
    for, an enclosing Σ) is summed over: X_{nd}(P_{nc} − Y_{nc}) → Σ_n X_{nd}(P_{nc} − Y_{nc}),
    A_{kj}x_j → Σ_j A_{kj}x_j. The range is the dimension the subscripts give it."""
    if isinstance(node, tuple):
        return tuple(summed_repeated(x, keep) for x in node)
    if not isinstance(node, Node) or isinstance(node, (Name, Num, Index)):
        return node
    if isinstance(node, Sum):
        return Sum(node.var, node.lower, node.upper, node.conditions,
                   summed_repeated(node.body, keep | {node.var}))
    fields = {f: summed_repeated(getattr(node, f), keep) for f in node.__dataclass_fields__
              if f not in ("sub", "wrt", "of", "op")}
    out = type(node)(**{f: fields.get(f, getattr(node, f)) for f in node.__dataclass_fields__})
    if isinstance(out, Mul):
        counts: dict = {}
        for factor in out.factors:
            for letter in _subscript_letters(factor) - keep:
                counts[letter] = counts.get(letter, 0) + 1
        for letter in sorted((k for k, n in counts.items() if n >= 2), reverse=True):
            out = Sum(letter, None, None, (), out)
    return out
