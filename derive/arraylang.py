"""The array language of problem files: parsing, shapes, and two evaluators.

A problem file writes its definitions, losses, closed forms, key steps and
known mistakes in one small language close to NumPy::

    X @ W                      matrix product (vectors: inner/matrix-vector)
    A.T                        transpose
    P - Y, 2 * reg * W, S / N  elementwise arithmetic with NumPy broadcasting
    x ** 2                     power (the exponent is a number)
    W[:, j], S[i, y[i]], U[:, samples]   indexing by index values (labels, indices)
    exp log sigmoid relu abs sqrt tanh   elementwise functions
    maximum(a, b) minimum(a, b)          elementwise max / min (hinge: maximum(0, m))
    ind(S > 0)                 indicator of a comparison (> < >= <= == !=)
    softmax(S, axis=1) logsumexp(S, axis=1) sum(S, axis=0) mean(x) col(v) row(v)
    one_hot(y, C) trace(A) det(A) inv(A) norm(x) diag(v|A) outer(a, b) ones(N) eye(n)
    sum(expr for j in range(C) if j != y[i])   a sum over an index set

It is parsed here by a hand-written recursive-descent parser (never ``eval``:
the file is trusted, but a typo must give a clear error, not run code).
:func:`infer` gives every expression its type (an array shape in dimension
names, or an index value ranging over a dimension) so that a definition whose
shapes do not fit is refused when the file is loaded. :class:`Evaluator`
runs the same tree on NumPy floats or complex numbers (closed forms,
numerical differentiation) and on SymPy expressions (the derivation, the
symbolic proofs). In the symbolic backend an index value that is not known
when the loss is derived (a label y_i, a question's example i) is a one-hot
vector of symbols (:class:`OneHot`): indexing by it is a contraction, so one
derivation serves every label assignment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import sympy as sp


class ArrayLangError(ValueError):
    """An expression that cannot be read or does not fit its shapes."""

    def __init__(self, message: str, pos: int | None = None, text: str = ""):
        self.message, self.pos, self.text = message, pos, text
        where = f" at column {pos + 1}" if pos is not None else ""
        super().__init__(f"{message}{where}" + (f" in {text!r}" if text else ""))


# -- syntax tree -----------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Num(Node):
    value: float = 0.0


@dataclass(frozen=True)
class Name(Node):
    id: str = ""


@dataclass(frozen=True)
class Call(Node):
    func: str = ""
    args: tuple = ()
    kwargs: tuple = ()          # ((name, value node), ...)


@dataclass(frozen=True)
class Slice(Node):
    """``:`` in an index: the whole axis."""


@dataclass(frozen=True)
class Index(Node):
    base: Node = None
    items: tuple = ()


@dataclass(frozen=True)
class Transpose(Node):
    base: Node = None


@dataclass(frozen=True)
class BinOp(Node):
    op: str = ""
    left: Node = None
    right: Node = None


@dataclass(frozen=True)
class Neg(Node):
    operand: Node = None


@dataclass(frozen=True)
class Compare(Node):
    op: str = ""
    left: Node = None
    right: Node = None


@dataclass(frozen=True)
class SumOver(Node):
    """sum(body for var in range(dim) if cond)."""

    body: Node = None
    var: str = ""
    dim: str = ""
    cond: Node | None = None


def walk(node: Node):
    """Every node of a tree, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> list:
    if isinstance(node, Call):
        return list(node.args) + [v for _, v in node.kwargs]
    if isinstance(node, Index):
        return [node.base, *node.items]
    if isinstance(node, Transpose):
        return [node.base]
    if isinstance(node, (BinOp, Compare)):
        return [node.left, node.right]
    if isinstance(node, Neg):
        return [node.operand]
    if isinstance(node, SumOver):
        return [node.body] + ([node.cond] if node.cond is not None else [])
    return []


def names(node: Node) -> set[str]:
    """Free names of an expression (summation variables excluded)."""
    if isinstance(node, Name):
        return {node.id}
    if isinstance(node, SumOver):
        inner = names(node.body) | (names(node.cond) if node.cond is not None else set())
        return (inner - {node.var}) | {node.dim}
    out = set()
    for c in children(node):
        out |= names(c)
    return out


def selected_from(node: Node) -> str | None:
    """The symbol a selection reads (``V[:, c]``, ``X[i]``, ``U[:, o]``: whole axes or single
    names as items), None for anything else. Students reason with such parts (v_c, x_i), so a
    counterexample shows them instead of the whole matrix they come from."""
    if isinstance(node, Index) and isinstance(node.base, Name) and node.items \
            and all(isinstance(i, (Slice, Name)) for i in node.items):
        return node.base.id
    return None


# -- lexer and parser ---------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
  | (?P<T>\.T\b)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|==|!=|>=|<=|[@*/+\-()\[\],:=<>])
""", re.VERBOSE)

FUNCTIONS = {
    # name: (min positional args, max positional args, keyword args allowed)
    "exp": (1, 1, ()), "log": (1, 1, ()), "sigmoid": (1, 1, ()), "relu": (1, 1, ()), "abs": (1, 1, ()),
    "sqrt": (1, 1, ()), "tanh": (1, 1, ()), "maximum": (2, 2, ()), "minimum": (2, 2, ()),
    "ind": (1, 1, ()), "softmax": (1, 1, ("axis",)), "logsumexp": (1, 1, ("axis",)),
    "sum": (1, 1, ("axis",)), "mean": (1, 1, ("axis",)), "col": (1, 1, ()), "row": (1, 1, ()),
    "one_hot": (2, 2, ()), "trace": (1, 1, ()), "det": (1, 1, ()), "inv": (1, 1, ()), "norm": (1, 1, ()),
    "diag": (1, 1, ()), "outer": (2, 2, ()), "ones": (1, 2, ()), "zeros": (1, 2, ()), "eye": (1, 1, ()),
}
#: Functions not differentiable everywhere: their arguments are kinks to stay away from.
KINKED = {"relu", "abs", "maximum", "minimum"}
RESERVED = set(FUNCTIONS) | {"for", "in", "range", "if", "axis"}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise ArrayLangError(f"unexpected character {text[pos]!r}", pos, text)
            kind = m.lastgroup
            if kind != "ws":
                self.toks.append((kind, m.group(), pos))
            pos = m.end()
        self.toks.append(("end", "", len(text)))
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        kind, tok, _ = self.toks[self.i]
        return tok == value and kind in ("op", "name") if value is not None else False

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, value: str):
        kind, tok, pos = self.next()
        if tok != value:
            found = "the end" if kind == "end" else repr(tok)
            raise ArrayLangError(f"expected {value!r}, found {found}", pos, self.text)
        return pos

    def parse(self) -> Node:
        node = self.comparison()
        kind, tok, pos = self.toks[self.i]
        if kind != "end":
            raise ArrayLangError(f"unexpected {tok!r}", pos, self.text)
        return node

    def comparison(self) -> Node:
        left = self.additive()
        kind, tok, pos = self.toks[self.i]
        if kind == "op" and tok in ("==", "!=", ">=", "<=", ">", "<"):
            self.i += 1
            return Compare(pos, tok, left, self.additive())
        return left

    def additive(self) -> Node:
        node = self.term()
        while True:
            kind, tok, pos = self.toks[self.i]
            if kind == "op" and tok in "+-" and tok:
                self.i += 1
                node = BinOp(pos, tok, node, self.term())
            else:
                return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            kind, tok, pos = self.toks[self.i]
            if kind == "op" and tok in ("*", "/", "@"):
                self.i += 1
                node = BinOp(pos, tok, node, self.unary())
            else:
                return node

    def unary(self) -> Node:
        kind, tok, pos = self.toks[self.i]
        if kind == "op" and tok == "-":
            self.i += 1
            return Neg(pos, self.unary())
        if kind == "op" and tok == "+":
            self.i += 1
            return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        kind, tok, pos = self.toks[self.i]
        if kind == "op" and tok == "**":
            self.i += 1
            return BinOp(pos, "**", base, self.unary())
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            kind, tok, pos = self.toks[self.i]
            if kind == "T":
                self.i += 1
                node = Transpose(pos, node)
            elif kind == "op" and tok == "[":
                self.i += 1
                items = [self.index_item()]
                while self.toks[self.i][1] == ",":
                    self.i += 1
                    items.append(self.index_item())
                self.expect("]")
                node = Index(pos, node, tuple(items))
            else:
                return node

    def index_item(self) -> Node:
        kind, tok, pos = self.toks[self.i]
        if kind == "op" and tok == ":":
            self.i += 1
            return Slice(pos)
        return self.additive()

    def atom(self) -> Node:
        kind, tok, pos = self.next()
        if kind == "num":
            return Num(pos, float(tok))
        if kind == "op" and tok == "(":
            node = self.comparison()
            self.expect(")")
            return node
        if kind == "name":
            if self.toks[self.i][1] == "(" and self.toks[self.i][0] == "op":
                return self.call(tok, pos)
            if tok in RESERVED:
                raise ArrayLangError(f"{tok!r} is a function or keyword; call it like {tok}(…)", pos, self.text)
            return Name(pos, tok)
        found = "the end" if kind == "end" else repr(tok)
        raise ArrayLangError(f"expected a number, a name or '(', found {found}", pos, self.text)

    def call(self, func: str, pos: int) -> Node:
        if func not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ArrayLangError(f"unknown function {func!r} (known: {known})", pos, self.text)
        self.expect("(")
        args, kwargs = [], []
        if self.toks[self.i][1] != ")":
            first = self.comparison()
            if func == "sum" and self.toks[self.i][1] == "for":
                return self.sum_over(first, pos)
            args.append(first)
            while self.toks[self.i][1] == ",":
                self.i += 1
                kind, tok, kpos = self.toks[self.i]
                if kind == "name" and self.toks[self.i + 1][1] == "=":
                    self.i += 2
                    kwargs.append((tok, self.comparison()))
                else:
                    if kwargs:
                        raise ArrayLangError("a positional argument after a keyword argument", kpos, self.text)
                    args.append(self.comparison())
        self.expect(")")
        low, high, allowed = FUNCTIONS[func]
        if not low <= len(args) <= high:
            n = str(low) if low == high else f"{low} to {high}"
            raise ArrayLangError(f"{func}() takes {n} argument(s), got {len(args)}", pos, self.text)
        for name, _ in kwargs:
            if name not in allowed:
                ok = f"only {', '.join(allowed)}" if allowed else "none"
                raise ArrayLangError(f"{func}() has no keyword {name!r} (keywords: {ok})", pos, self.text)
        return Call(pos, func, tuple(args), tuple(kwargs))

    def sum_over(self, body: Node, pos: int) -> Node:
        self.expect("for")
        kind, var, vpos = self.next()
        if kind != "name" or var in RESERVED:
            raise ArrayLangError("expected a summation variable after 'for'", vpos, self.text)
        self.expect("in")
        self.expect("range")
        self.expect("(")
        kind, dim, dpos = self.next()
        if kind != "name":
            raise ArrayLangError("range() takes a dimension name, e.g. range(C)", dpos, self.text)
        self.expect(")")
        cond = None
        if self.toks[self.i][1] == "if":
            self.i += 1
            cond = self.comparison()
        self.expect(")")
        return SumOver(pos, body, var, dim, cond)


def parse(text: str) -> Node:
    """The syntax tree of an array-language expression."""
    if not isinstance(text, str) or not text.strip():
        raise ArrayLangError("empty expression")
    return _Parser(text).parse()


# -- types -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Type:
    """kind "array" (values), "index" (index values in range(range_)) or
    "bool" (a comparison); shape in dimension names (1 for a kept axis)."""

    kind: str
    shape: tuple = ()
    range_: str = ""

    def show(self) -> str:
        dims = "(" + ", ".join(map(str, self.shape)) + ("," if len(self.shape) == 1 else "") + ")"
        if self.kind == "index":
            return f"index values in range({self.range_}) of shape {dims}"
        return ("a scalar" if not self.shape else f"shape {dims}") + (" (a comparison)" if self.kind == "bool" else "")


SCALAR = Type("array", ())


def _broadcast(a: tuple, b: tuple, what: str, node: Node, text: str) -> tuple:
    out = []
    for x, y in zip(reversed((None,) * (len(b) - len(a)) + a), reversed((None,) * (len(a) - len(b)) + b)):
        if x is None or x == 1:
            out.append(y)
        elif y is None or y == 1 or x == y:
            out.append(x)
        else:
            raise ArrayLangError(f"{what}: shapes {_show(a)} and {_show(b)} do not broadcast "
                                 f"({x} against {y})", node.pos, text)
    return tuple(reversed(out))


def _show(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


class TypeEnv:
    """What names mean while inferring: dimensions, and types of the other names."""

    def __init__(self, dims, types: dict, text: str = ""):
        self.dims, self.types, self.text = set(dims), dict(types), text

    def with_(self, name: str, t: Type) -> "TypeEnv":
        env = TypeEnv(self.dims, self.types, self.text)
        env.types[name] = t
        return env


def infer(node: Node, env: TypeEnv) -> Type:
    """The type of an expression, or ArrayLangError naming what does not fit."""
    text = env.text
    err = lambda msg, n=node: ArrayLangError(msg, n.pos, text)  # noqa: E731
    if isinstance(node, Num):
        return SCALAR
    if isinstance(node, Name):
        if node.id in env.types:
            return env.types[node.id]
        if node.id in env.dims:
            return SCALAR
        raise err(f"unknown name {node.id!r}")
    if isinstance(node, Neg):
        t = infer(node.operand, env)
        _need_array(t, "negation", node, text)
        return t
    if isinstance(node, Transpose):
        t = infer(node.base, env)
        _need_array(t, ".T", node, text)
        if len(t.shape) != 2:
            raise err(f".T needs a matrix, got {t.show()} (a vector has no transpose here: use row()/col() "
                      "or outer())")
        return Type("array", t.shape[::-1])
    if isinstance(node, BinOp):
        a, b = infer(node.left, env), infer(node.right, env)
        _need_array(a, f"'{node.op}'", node.left, text)
        _need_array(b, f"'{node.op}'", node.right, text)
        if node.op == "@":
            return Type("array", _matmul(a.shape, b.shape, node, text))
        if node.op == "**":
            if not isinstance(node.right, (Num, Neg)) or b.shape:
                raise err("the exponent of ** must be a number")
        return Type("array", _broadcast(a.shape, b.shape, f"'{node.op}'", node, text))
    if isinstance(node, Compare):
        a, b = infer(node.left, env), infer(node.right, env)
        if a.kind == "index" or b.kind == "index":
            if node.op not in ("==", "!="):
                raise err(f"index values compare only with == and !=, not {node.op}")
            other = b if a.kind == "index" else a
            if other.kind == "index" and a.range_ != b.range_:
                raise err(f"comparing an index over {a.range_} with one over {b.range_}")
            return Type("bool", _broadcast(a.shape, b.shape, "comparison", node, text))
        _need_array(a, "comparison", node.left, text)
        _need_array(b, "comparison", node.right, text)
        return Type("bool", _broadcast(a.shape, b.shape, "comparison", node, text))
    if isinstance(node, Index):
        return _infer_index(node, env)
    if isinstance(node, SumOver):
        if node.dim not in env.dims:
            raise err(f"range({node.dim}): {node.dim!r} is not a dimension")
        inner = env.with_(node.var, Type("index", (), node.dim))
        if node.cond is not None:
            c = infer(node.cond, inner)
            if c.kind != "bool" or c.shape:
                raise err("the condition of a sum must be one comparison, e.g. j != y[i]")
        t = infer(node.body, inner)
        _need_array(t, "sum", node.body, text)
        return t
    if isinstance(node, Call):
        return _infer_call(node, env)
    raise err(f"cannot type {type(node).__name__}")  # pragma: no cover


def _need_array(t: Type, what: str, node: Node, text: str):
    if t.kind == "bool":
        raise ArrayLangError(f"{what}: a comparison is not a number; wrap it in ind(…)", node.pos, text)
    if t.kind == "index":
        raise ArrayLangError(f"{what}: {t.show()} are indices, not numbers (use one_hot(…) or index with them)",
                             node.pos, text)


def _matmul(a: tuple, b: tuple, node: Node, text: str) -> tuple:
    if not a or not b:
        raise ArrayLangError("'@' needs vectors or matrices; use '*' for a scalar factor", node.pos, text)
    if len(a) > 2 or len(b) > 2:
        raise ArrayLangError("'@' takes vectors and matrices only", node.pos, text)
    inner_a, inner_b = a[-1], b[0]
    if inner_a != inner_b:
        raise ArrayLangError(f"'@': {_show(a)} @ {_show(b)}: inner dimensions {inner_a} and {inner_b} differ"
                             + (" (did you forget a transpose?)" if len(a) == 2 and a[0] == inner_b or
                                len(b) == 2 and b[1] == inner_a else ""), node.pos, text)
    return a[:-1] + b[1:]


def _axis(node: Call, shape: tuple, env: TypeEnv) -> int | None:
    for name, value in node.kwargs:
        if name == "axis":
            if not isinstance(value, Num) or value.value != int(value.value):
                raise ArrayLangError("axis must be an integer", value.pos, env.text)
            axis = int(value.value)
            if not 0 <= axis < max(len(shape), 1) or not shape:
                raise ArrayLangError(f"axis {axis} is out of range for shape {_show(shape)}", value.pos, env.text)
            return axis
    return None


def _dim_arg(node: Node, env: TypeEnv) -> str:
    if isinstance(node, Name) and node.id in env.dims:
        return node.id
    if isinstance(node, Num) and node.value == 1:
        return 1
    raise ArrayLangError("expected a dimension name here", node.pos, env.text)


def _infer_call(node: Call, env: TypeEnv) -> Type:
    f, text = node.func, env.text
    err = lambda msg: ArrayLangError(f"{f}(): {msg}", node.pos, text)  # noqa: E731
    if f in ("ones", "zeros"):
        return Type("array", tuple(_dim_arg(a, env) for a in node.args))
    if f == "eye":
        n = _dim_arg(node.args[0], env)
        return Type("array", (n, n))
    if f == "one_hot":
        lab = infer(node.args[0], env)
        dim = _dim_arg(node.args[1], env)
        if lab.kind != "index":
            raise err(f"the first argument must be labels (index values), got {lab.show()}")
        if lab.range_ != dim:
            raise err(f"the labels range over {lab.range_}, not {dim}")
        return Type("array", lab.shape + (dim,))
    types = [infer(a, env) for a in node.args]
    if f == "ind":
        if types[0].kind != "bool":
            raise err(f"needs a comparison such as S > 0, got {types[0].show()}")
        return Type("array", types[0].shape)
    for a, t in zip(node.args, types):
        _need_array(t, f"{f}()", a, text)
    shape = types[0].shape
    if f in ("exp", "log", "sigmoid", "relu", "abs", "sqrt", "tanh"):
        return Type("array", shape)
    if f in ("maximum", "minimum"):
        return Type("array", _broadcast(shape, types[1].shape, f"{f}()", node, text))
    if f in ("softmax", "logsumexp", "sum", "mean"):
        axis = _axis(node, shape, env)
        if f == "softmax":
            if axis is None and len(shape) > 1:
                raise err("give axis= for a matrix (axis=1: each row)")
            return Type("array", shape)
        if axis is None:
            return SCALAR
        return Type("array", shape[:axis] + shape[axis + 1:])
    if f in ("col", "row"):
        if len(shape) != 1:
            raise err(f"needs a vector, got {types[0].show()}")
        return Type("array", (shape[0], 1) if f == "col" else (1, shape[0]))
    if f in ("trace", "det", "inv"):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise err(f"needs a square matrix, got {types[0].show()}")
        return Type("array", shape) if f == "inv" else SCALAR
    if f == "norm":
        return SCALAR
    if f == "diag":
        if len(shape) == 1:
            return Type("array", (shape[0], shape[0]))
        if len(shape) == 2 and shape[0] == shape[1]:
            return Type("array", (shape[0],))
        raise err(f"needs a vector or a square matrix, got {types[0].show()}")
    if f == "outer":
        if len(shape) != 1 or len(types[1].shape) != 1:
            raise err("needs two vectors")
        return Type("array", (shape[0], types[1].shape[0]))
    raise err("not implemented")  # pragma: no cover


def _infer_index(node: Index, env: TypeEnv) -> Type:
    base = infer(node.base, env)
    text = env.text
    if base.kind == "bool":
        raise ArrayLangError("cannot index a comparison", node.pos, text)
    if len(node.items) > len(base.shape):
        raise ArrayLangError(f"{len(node.items)} indices for {base.show()}", node.pos, text)
    out, fancy = [], 0
    for axis, item in enumerate(node.items):
        dim = base.shape[axis]
        if isinstance(item, Slice):
            out.append(dim)
            continue
        t = _index_value_type(item, env)
        if t.range_ and t.range_ != dim:
            raise ArrayLangError(f"index {axis} runs over {t.range_} but the axis has size {dim}", item.pos, text)
        if t.shape:
            fancy += 1
            if fancy > 1:
                raise ArrayLangError("at most one array of indices per indexing", item.pos, text)
        out.extend(t.shape)
    out.extend(base.shape[len(node.items):])
    return Type(base.kind, tuple(out), base.range_)


def _index_value_type(item: Node, env: TypeEnv) -> Type:
    if isinstance(item, Num):
        if item.value != int(item.value) or item.value < 0:
            raise ArrayLangError("an index must be a non-negative integer", item.pos, env.text)
        return Type("index", (), "")
    t = infer(item, env)
    if t.kind != "index":
        raise ArrayLangError(f"an index must be an index value (a label, an index variable or a "
                             f"summation variable), got {t.show()}", item.pos, env.text)
    return t


# -- evaluation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OneHot:
    """Symbolic index values: ``coeffs[..., k]`` is 1 where the index is k
    (symbols that are 0 or 1 at evaluation). Shape = coeffs.shape[:-1]."""

    coeffs: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.coeffs.shape[:-1]

    def __getitem__(self, key):
        return OneHot(self.coeffs[key])


def _sym_array(x) -> np.ndarray:
    return np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x


def _piecewise(value, cond):
    return sp.Piecewise((value, cond), (0, True))


class Step(sp.Function):
    """The unit step 1[x > 0] of the symbolic backend (0 at x = 0).

    relu, maximum, minimum, abs and the indicators of comparisons are written
    with it (relu(t) = t·Step(t), …), so the loss stays one SymPy expression
    that equals the literal formula everywhere. Its derivative is 0, which is
    the true derivative everywhere off the kink x = 0; instances are drawn at
    least ``draw.KINK_MARGIN`` away from every kink. Compared with Piecewise,
    whose every derivative re-derives and re-folds its conditions, this keeps
    ``sympy.diff`` and reverse accumulation linear in the expression's size.
    """

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sp.Integer(1) if x > 0 else sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def step_of(rel) -> sp.Expr:
    """The 0/1 expression of a comparison of numbers (a SymPy relational)."""
    lhs, rhs = rel.lhs, rel.rhs
    if isinstance(rel, sp.StrictGreaterThan):
        return Step(lhs - rhs)
    if isinstance(rel, sp.StrictLessThan):
        return Step(rhs - lhs)
    if isinstance(rel, sp.GreaterThan):
        return 1 - Step(rhs - lhs)
    if isinstance(rel, sp.LessThan):
        return 1 - Step(lhs - rhs)
    return _piecewise(sp.Integer(1), rel)   # == / != of numbers: 0 almost everywhere in one of them


class Numeric:
    """Floats (or complex numbers for the complex step). Piecewise functions
    branch on real parts, so they stay complex-step safe away from kinks."""

    symbolic = False

    def __init__(self):
        self.kinks: list[float] = []   # |argument| of every kinked function evaluated

    def note_kink(self, value):
        v = np.abs(np.real(np.asarray(value)))
        if v.size:
            self.kinks.append(float(np.min(v)))

    def const(self, v):
        return float(v)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)

    @staticmethod
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def relu(self, x):
        self.note_kink(x)
        return np.where(np.real(x) > 0, x, 0 * x)

    def abs(self, x):
        self.note_kink(x)
        return np.where(np.real(x) >= 0, x, -x)

    def maximum(self, a, b):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        self.note_kink(a - b)
        return np.where(np.real(a) >= np.real(b), a, b)

    def minimum(self, a, b):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        self.note_kink(a - b)
        return np.where(np.real(a) <= np.real(b), a, b)

    def compare(self, op, a, b):
        a, b = np.real(np.asarray(a)), np.real(np.asarray(b))
        self.note_kink(a - b)
        return _COMPARE[op](a, b)

    @staticmethod
    def index_eq(a, b):
        return np.asarray(a) == np.asarray(b)

    @staticmethod
    def ind(c):
        return np.asarray(c, dtype=float)

    @staticmethod
    def softmax(x, axis):
        shift = np.max(np.real(x), axis=axis, keepdims=True)
        e = np.exp(x - shift)
        return e / np.sum(e, axis=axis, keepdims=True)

    @staticmethod
    def logsumexp(x, axis):
        shift = np.max(np.real(x), axis=axis, keepdims=True)
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
        return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)

    @staticmethod
    def one_hot(labels, n):
        return np.eye(n)[np.asarray(labels)]

    @staticmethod
    def take(a, axis, idx):
        return np.take(a, np.asarray(idx), axis=axis)

    det = staticmethod(np.linalg.det)
    inv = staticmethod(np.linalg.inv)

    @staticmethod
    def norm(x):
        return np.sqrt(np.sum(x * x))

    @staticmethod
    def zeros(shape):
        return np.zeros(shape)


_COMPARE = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal,
            "==": np.equal, "!=": np.not_equal}
_SYM_COMPARE = {">": sp.StrictGreaterThan, "<": sp.StrictLessThan, ">=": sp.GreaterThan, "<=": sp.LessThan,
                "==": sp.Eq, "!=": sp.Ne}


def _elementwise(f):
    vf = np.vectorize(f, otypes=[object])
    return lambda x: vf(_sym_array(x))


class Symbolic:
    """NumPy object arrays of SymPy expressions. relu/max/min/abs and the
    indicators of comparisons are written with :class:`Step` (derivative 0
    off the kink, the subgradient convention 0 at it); index values unknown at
    derivation time are OneHot."""

    symbolic = True

    def note_kink(self, value):
        pass

    @staticmethod
    def const(v):
        return sp.Integer(int(v)) if float(v) == int(v) else sp.Rational(str(v))

    exp = staticmethod(_elementwise(sp.exp))
    log = staticmethod(_elementwise(sp.log))
    sqrt = staticmethod(_elementwise(sp.sqrt))
    tanh = staticmethod(_elementwise(sp.tanh))
    sigmoid = staticmethod(_elementwise(lambda t: 1 / (1 + sp.exp(-t))))
    relu = staticmethod(_elementwise(lambda t: t * Step(t)))
    abs = staticmethod(_elementwise(lambda t: t * (2 * Step(t) - 1)))

    @staticmethod
    def maximum(a, b):
        return np.vectorize(lambda x, y: y + (x - y) * Step(x - y), otypes=[object])(_sym_array(a), _sym_array(b))

    @staticmethod
    def minimum(a, b):
        return np.vectorize(lambda x, y: x - (x - y) * Step(x - y), otypes=[object])(_sym_array(a), _sym_array(b))

    @staticmethod
    def compare(op, a, b):
        rel = _SYM_COMPARE[op]
        return np.vectorize(lambda x, y: rel(x - y, 0), otypes=[object])(_sym_array(a), _sym_array(b))

    @staticmethod
    def index_eq(a, b):
        """1 where two index values are equal, as an expression (0/1 valued)."""
        if isinstance(a, OneHot) and isinstance(b, OneHot):
            return np.sum(a.coeffs * b.coeffs, axis=-1)
        if isinstance(b, OneHot):
            a, b = b, a
        if isinstance(a, OneHot):
            return np.take_along_axis(a.coeffs, np.asarray(b)[..., None], axis=-1)[..., 0] \
                if np.ndim(b) else a.coeffs[..., int(b)]
        return np.asarray(np.asarray(a) == np.asarray(b), dtype=int).astype(object)

    @staticmethod
    def ind(c):
        def one(x):
            if isinstance(x, sp.core.relational.Relational):
                return step_of(x)
            if isinstance(x, (bool, np.bool_, sp.logic.boolalg.BooleanAtom)):
                return sp.Integer(int(bool(x)))   # a comparison SymPy could decide (1 > 0)
            return x   # already a 0/1 expression (index equality)
        return np.vectorize(one, otypes=[object])(_sym_array(c))

    @staticmethod
    def softmax(x, axis):
        e = Symbolic.exp(x)
        return e / np.sum(e, axis=axis, keepdims=True)

    @staticmethod
    def logsumexp(x, axis):
        return Symbolic.log(np.sum(Symbolic.exp(x), axis=axis))

    @staticmethod
    def one_hot(labels, n):
        if isinstance(labels, OneHot):
            return labels.coeffs
        out = np.zeros(np.shape(labels) + (n,), dtype=int)
        np.put_along_axis(out, np.asarray(labels)[..., None], 1, axis=-1)
        return out.astype(object)

    @staticmethod
    def take(a, axis, idx):
        if isinstance(idx, OneHot):
            # contraction with the one-hot coefficients, the new axes where the old one was
            out = np.tensordot(_sym_array(a), idx.coeffs, axes=([axis], [idx.coeffs.ndim - 1]))
            nb = idx.coeffs.ndim - 1
            lead = out.ndim - nb
            order = list(range(axis)) + list(range(lead, out.ndim)) + list(range(axis, lead))
            return np.transpose(out, order)
        return np.take(_sym_array(a), np.asarray(idx), axis=axis)

    @staticmethod
    def det(a):
        return sp.Matrix(a.tolist()).det(method="berkowitz")

    @staticmethod
    def inv(a):
        m = sp.Matrix(a.tolist())
        return np.array((m.adjugate() / m.det(method="berkowitz")).tolist(), dtype=object)

    @staticmethod
    def norm(x):
        return sp.sqrt(np.sum(_sym_array(x) * _sym_array(x)))

    @staticmethod
    def zeros(shape):
        out = np.empty(shape, dtype=object)
        out[...] = sp.Integer(0)
        return out


class Evaluator:
    """Evaluate trees with one backend. ``lookup(name)`` gives the value of
    a free name (an array, a dimension's size, labels, an index value);
    ``dims`` maps dimension names to sizes."""

    def __init__(self, backend, lookup, dims: dict):
        self.xp, self.lookup, self.dims = backend, lookup, dims
        self._loop: dict = {}

    def __call__(self, node: Node):
        return getattr(self, "_" + type(node).__name__)(node)

    def _Num(self, node):
        return self.xp.const(node.value)

    def _Name(self, node):
        if node.id in self._loop:
            return self._loop[node.id]
        return self.lookup(node.id)

    def _Neg(self, node):
        return -self(node.operand)

    def _Transpose(self, node):
        return np.transpose(self(node.base))

    def _BinOp(self, node):
        a, b = self(node.left), self(node.right)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return a / b
        if node.op == "**":
            return a ** b
        if self.xp.symbolic:
            a, b = _sym_array(a), _sym_array(b)
        return a @ b

    def _Compare(self, node):
        a, b = self(node.left), self(node.right)
        if _is_index(a) or _is_index(b):
            eq = self.xp.index_eq(a, b)
            if self.xp.symbolic:
                return eq if node.op == "==" else 1 - eq
            return eq if node.op == "==" else ~eq
        return self.xp.compare(node.op, a, b)

    def _Index(self, node):
        base = self(node.base)
        if isinstance(base, OneHot):       # labels indexed by an index value
            return self._index_onehot(base, node.items)
        axis = 0
        for item in node.items:
            if isinstance(item, Slice):
                axis += 1
                continue
            idx = int(item.value) if isinstance(item, Num) else self(item)
            before = np.ndim(base)
            base = self.xp.take(base, axis, idx)
            axis += np.ndim(base) - before + 1
        return base

    def _index_onehot(self, labels: OneHot, items):
        coeffs = labels.coeffs
        axis = 0
        for item in items:
            if isinstance(item, Slice):
                axis += 1
                continue
            idx = int(item.value) if isinstance(item, Num) else self(item)
            before = coeffs.ndim
            coeffs = self.xp.take(coeffs, axis, idx)
            axis += coeffs.ndim - before + 1
        return OneHot(coeffs)

    def _SumOver(self, node):
        total = None
        saved = self._loop.get(node.var, None)
        for k in range(self.dims[node.dim]):
            self._loop[node.var] = k
            if node.cond is not None:
                c = self(node.cond)
                if self.xp.symbolic:
                    c = self.xp.ind(c)
                    term = self(node.body) * (c.item() if isinstance(c, np.ndarray) and c.ndim == 0 else c)
                elif not bool(c):
                    continue
                else:
                    term = self(node.body)
            else:
                term = self(node.body)
            total = term if total is None else total + term
        if saved is None:
            self._loop.pop(node.var, None)
        else:
            self._loop[node.var] = saved
        return self.xp.const(0) if total is None else total

    def _Call(self, node):
        f, xp = node.func, self.xp
        kw = {k: int(v.value) for k, v in node.kwargs}
        if f in ("ones", "zeros", "eye"):
            shape = tuple(self.dims[a.id] if isinstance(a, Name) else 1 for a in node.args)
            if f == "eye":
                out = np.eye(shape[0])
            else:
                out = np.ones(shape) if f == "ones" else np.zeros(shape)
            return out.astype(int).astype(object) if xp.symbolic else out
        if f == "one_hot":
            return xp.one_hot(self(node.args[0]), self.dims[node.args[1].id])
        args = [self(a) for a in node.args]
        x = args[0]
        if f in ("exp", "log", "sigmoid", "relu", "abs", "sqrt", "tanh", "ind"):
            return getattr(xp, f)(x)
        if f in ("maximum", "minimum"):
            return getattr(xp, f)(x, args[1])
        if f in ("softmax", "logsumexp"):
            return getattr(xp, f)(x, kw.get("axis"))
        if f == "sum":
            return np.sum(_sym_array(x) if xp.symbolic else x, axis=kw.get("axis"))
        if f == "mean":
            n = np.size(x) if "axis" not in kw else np.shape(x)[kw["axis"]]
            return np.sum(_sym_array(x) if xp.symbolic else x, axis=kw.get("axis")) / xp.const(n)
        if f == "col":
            return np.reshape(x, (-1, 1))
        if f == "row":
            return np.reshape(x, (1, -1))
        if f == "trace":
            return np.trace(x)
        if f in ("det", "inv", "norm"):
            return getattr(xp, f)(x)
        if f == "diag":
            return np.diag(x) if np.ndim(x) == 2 else _diag(x, xp)
        if f == "outer":
            return np.multiply.outer(x, args[1])
        raise ArrayLangError(f"{f}() is not implemented", node.pos)  # pragma: no cover


def _diag(v, xp):
    out = xp.zeros((len(v), len(v)))
    out = out.astype(np.result_type(out, v)) if not xp.symbolic else out
    for k in range(len(v)):
        out[k, k] = v[k]
    return out


def _is_index(x) -> bool:
    return isinstance(x, OneHot) or (isinstance(x, (int, np.integer))) or (
        isinstance(x, np.ndarray) and x.dtype.kind in "iu")


def kinked_calls(node: Node) -> list[Node]:
    """The nodes of an expression that are not differentiable everywhere:
    relu/abs/maximum/minimum calls and comparisons of numbers (inside ind)."""
    return [n for n in walk(node) if isinstance(n, Call) and n.func in KINKED or
            isinstance(n, Call) and n.func == "ind"]
