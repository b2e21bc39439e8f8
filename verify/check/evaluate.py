"""Typed evaluation of a read expression at an instance, in the problem's notation.

Values are 2-D arrays: a scalar is (1, 1), a vector a column (n, 1) or a row
(1, n), a matrix (d, W). Products are matrix products unless one side is a
scalar, so uᵀv is a scalar, v uᵀ a matrix and u v a shape error: transposes
and inner vs outer products keep their meaning (which a reader that treats
every symbol as a commuting scalar loses).

Names get their meaning from the notation (u_w a column of U, v_c the center
vector, ŷ_w = softmax(Uᵀv_c)_w, y one-hot, σ logistic, log natural) and from
a :class:`Scope` (the subject of the question, loop variables, the branch).
Where the notation leaves a choice (a student who writes v_w for the outside
vectors), a :class:`Reading` fixes it; the judge evaluates every reading.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from gradkey.derive.derivation import gradients
from gradkey.derive.signature import Instance

from gradkey.verify.check.shapes import ShapeError, Unreadable, describe_shape, dot, is_dot  # noqa: F401 (re-exported)
from gradkey.verify.read import ast


@dataclass(frozen=True)
class Reading:
    """Choices the notation leaves open, fixed for one evaluation."""
    v_means: str = "V"          # v_w (w != c): "V" (center vector of w) or "U" (outside vector)
    zero_means: str = "o"       # the index 0: "o", or the subject when OCR turned ω into 0
    N_means: str = "W"          # an unexplained upper limit N: "W" or "K"

    def describe(self) -> str:
        parts = []
        if self.v_means == "U":
            parts.append("v_w read as the outside vector u_w")
        if self.zero_means != "o":
            parts.append("0 read as the question's index (OCR of ω)")
        if self.N_means != "W":
            parts.append("N read as K")
        return "; ".join(parts) or "as written"


@dataclass(frozen=True)
class Scope:
    inst: Instance
    base: str = "naive"                     # base loss for ∂F(...)/∂X references
    subjects: tuple = ()                    # (index text, word) pairs from the LHS and branch
    loops: tuple = ()                       # (var, kind, value): kind word|sample|window
    reading: Reading = field(default_factory=Reading)
    differentiate: bool = False             # evaluate ∂/∂x (…) with sympy.diff (symbolic instances)
    rows_U: bool = False                    # declared: U is W × d with rows u_wᵀ
    row_y: bool = False                     # declared: ŷ and y are row vectors

    def bind(self, var: str, kind: str, value: int) -> "Scope":
        # called for every term of every Σ: built directly (dataclasses.replace is slower)
        return Scope(inst=self.inst, base=self.base, subjects=self.subjects, loops=((var, kind, value),) + self.loops,
                     reading=self.reading, differentiate=self.differentiate, rows_U=self.rows_U, row_y=self.row_y)


def _symbolic(a) -> bool:
    return np.asarray(a).dtype == object


def column(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(object if _symbolic(a) else float).reshape(-1, 1)


def scalar(x) -> np.ndarray:
    return np.full((1, 1), x, dtype=object if isinstance(x, sp.Basic) else float)


def is_scalar(a: np.ndarray) -> bool:
    return a.shape == (1, 1)


_SYMBOLIC_FUNCS = {"exp": np.vectorize(sp.exp, otypes=[object]), "log": np.vectorize(sp.log, otypes=[object]),
                   "sigma": np.vectorize(lambda t: 1 / (1 + sp.exp(-t)), otypes=[object])}


def sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def apply(func: str, x: np.ndarray) -> np.ndarray:
    """σ, exp or log elementwise, on floats or on SymPy expressions."""
    if _symbolic(x):
        return _SYMBOLIC_FUNCS[func](x)
    return {"sigma": sigmoid, "exp": np.exp, "log": np.log}[func](x)


# -- indices ------------------------------------------------------------------

ZERO = {"0"}
OUTSIDE = {"o", "O"}
CENTER = {"c", "e"}          # e: OCR of c (v_e)


def word(index: ast.Index, scope: Scope) -> int:
    """The word a subscript names."""
    text = index.text
    for var, kind, value in scope.loops:          # innermost loop first
        if text == var:
            return _loop_word(kind, value, scope)
    for sub, w in scope.subjects:
        if text == sub:
            return w
    if text in ZERO:
        if scope.reading.zero_means == "subject" and scope.subjects:
            return scope.subjects[0][1]
        return scope.inst.o
    if text in OUTSIDE:
        return scope.inst.o
    if text in CENTER:
        return scope.inst.c
    if len(text) >= 3 and text[0] in "wω" and text[1] == "_":   # w_k, w_i: the word of k / i
        inner = text[2:].strip("{}")
        for var, kind, value in scope.loops:
            if inner == var:
                return _loop_word(kind, value, scope)
        return word(ast.Index(inner), scope)
    for op in ("+", "-"):
        if op in text:                             # c+j, t+j: the j-th context word
            left, right = text.split(op, 1)
            for var, kind, value in scope.loops:
                if right == var and kind == "window":
                    return scope.inst.window[value]
    if text.isdigit() and 1 <= int(text) <= scope.inst.dims.W:
        return int(text) - 1                       # words are numbered 1..W in the notation
    raise Unreadable(f"the index {text!r} (not o, c, the question's index, or a summation variable)")


def _context_word(index: ast.Index, scope: Scope) -> int | None:
    """The word of a subscript t+j / c+j (or w_{t+j}) with j a window position, else None."""
    text = index.text.removeprefix("w_").strip("{}")
    for op in ("+", "-"):
        if op in text:
            _, right = text.split(op, 1)
            for var, kind, value in scope.loops:
                if right == var and kind == "window":
                    return scope.inst.window[value]
    return None


def _loop_word(kind: str, value: int, scope: Scope) -> int:
    if kind == "word":
        return value
    if kind == "sample":
        return scope.inst.samples[value]
    raise Unreadable("a window position used as a word")


# -- names ----------------------------------------------------------------------

def name(node: ast.Name, scope: Scope) -> np.ndarray:
    inst, base, sub = scope.inst, node.base, node.sub
    if base in ("u", "upsilon", "mu") and sub is not None:
        return column(inst.U[:, word(sub, scope)])
    if base in ("v", "nu", "V") and sub is not None:
        w = word(sub, scope)
        if sub.text in CENTER and w == inst.c:
            return column(inst.v_c)
        return column((inst.U if scope.reading.v_means == "U" else inst.V)[:, w])
    if base == "U" and sub is None:
        U = np.asarray(inst.U, dtype=object if _symbolic(inst.U) else float)
        return U.T if scope.rows_U else U
    if base in ("Yhat", "Y"):
        # Ŷ and Y are not the problem's ŷ and one-hot y (a batch of predictions and
        # labels, a matrix): reading them as ŷ and y would judge a different formula
        raise Unreadable(f"{'Ŷ' if base == 'Yhat' else 'Y'} (a capital: the notation has the vectors ŷ and y)")
    if base == "yhat":
        yh = softmax(inst)
        if scope.row_y and sub is None:
            return yh.T
        return yh if sub is None else scalar(yh[word(sub, scope), 0])
    if base == "y":
        context = _context_word(sub, scope) if sub is not None else None
        if context is not None:  # y_{t+j}: the one-hot vector of the j-th context word
            y = np.zeros((inst.dims.W, 1))
            y[context] = 1.0
            return y.T if scope.row_y else y
        y = np.zeros((inst.dims.W, 1))
        y[inst.o] = 1.0
        if scope.row_y and sub is None:
            return y.T
        return y if sub is None else scalar(y[word(sub, scope), 0])
    if base == "x" and sub is None:
        return np.full((1, 1), inst.x, dtype=object if isinstance(inst.x, sp.Basic) else float)
    if base == "n" and sub is not None and sub.text == "*":
        # n_{*}: a count the file declared without an index ("|S| is the number of times
        # w_k is drawn", read/extract.py): how many samples are the question's word
        if not scope.subjects:
            raise Unreadable("a count of samples in an answer about no sampled word")
        return scalar(inst.samples.count(scope.subjects[0][1]))
    if base == "n" and sub is not None:
        try:
            w = word(sub, scope)
        except Unreadable:
            w = word(ast.Index("w_" + sub.text), scope)   # n_s: how many samples are the word w_s
        return scalar(inst.samples.count(w))
    if base == "e" and sub is None:
        return scalar(np.e)
    raise Unreadable(f"the symbol {base}" + (f"_{sub.text}" if sub else ""))


def softmax(inst: Instance) -> np.ndarray:
    if _symbolic(inst.U):
        e = _SYMBOLIC_FUNCS["exp"](np.asarray(inst.U).T @ np.asarray(inst.v_c))
        return column(e / sp.Add(*e))
    s = np.asarray(inst.U, dtype=float).T @ np.asarray(inst.v_c, dtype=float)
    e = np.exp(s - s.max())
    return column(e / e.sum())


# -- evaluation -------------------------------------------------------------------

def evaluate(node: ast.Node, scope: Scope) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _eval(node, scope)


def _eval(node, scope: Scope) -> np.ndarray:
    if isinstance(node, ast.Num):
        return scalar(node.value)
    if isinstance(node, ast.Name):
        return name(node, scope)
    if isinstance(node, ast.Add):
        values = [(sign, _eval(t, scope)) for sign, t in node.terms]
        shape = values[0][1].shape
        for _, v in values:
            if v.shape != shape:
                raise ShapeError(f"adding a {describe_shape(v.shape)} to a {describe_shape(shape)}")
        return sum(sign * v for sign, v in values)
    if isinstance(node, ast.Mul):
        out = _eval(node.factors[0], scope)
        for i, f in enumerate(node.factors[1:], 1):
            value = _eval(f, scope)
            out = dot(out, value) if i in node.dots and is_dot(out, value) else multiply(out, value)
        return out
    if isinstance(node, ast.Div):
        num, den = _eval(node.num, scope), _eval(node.den, scope)
        if not is_scalar(den):
            raise ShapeError(f"dividing by a {describe_shape(den.shape)}")
        return num / den[0, 0]
    if isinstance(node, ast.Pow):
        base, exp = _eval(node.base, scope), _eval(node.exp, scope)
        if not is_scalar(exp) or not is_scalar(base):
            raise ShapeError(f"a power of a {describe_shape(base.shape)}")
        return np.power(base, exp[0, 0])
    if isinstance(node, ast.Transpose):
        return _eval(node.arg, scope).T
    if isinstance(node, ast.Call):
        if node.func == "softmax":
            arg = _eval(node.arg, scope)
            if _symbolic(arg) or arg.shape[1] != 1 and arg.shape[0] != 1:
                raise Unreadable("softmax of a matrix")
            e = np.exp(arg - arg.max())
            return e / e.sum()
        if node.func not in ("sigma", "exp", "log"):
            raise Unreadable(f"the function {node.func}")
        return apply(node.func, _eval(node.arg, scope))
    if isinstance(node, ast.Indicator):
        same = word(node.left, scope) == word(node.right, scope)
        return scalar(float(same != node.neq))
    if isinstance(node, ast.Sum):
        return _sum(node, scope)
    if isinstance(node, ast.Derivative):
        return _reference(node, scope)
    if isinstance(node, ast.Applied):
        if isinstance(node.arg, ast.LossCall):
            # ∂/∂U J(v_c, w_{t+j}, U): the operator written before the loss, as ∂J(…)/∂U
            return _reference(ast.Derivative(node.arg, node.op.wrt), scope)
        if scope.differentiate and _symbolic(scope.inst.U):
            return _differentiate(node, scope)
        raise Unreadable("a derivative that is not worked out")
    if isinstance(node, ast.Label):
        raise Unreadable(f"the label {node.name}, defined elsewhere")
    if isinstance(node, ast.LossCall):
        raise Unreadable(f"the loss {node.name}({node.args}) itself, not a gradient")
    raise Unreadable(type(node).__name__)


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if is_scalar(a) or is_scalar(b):
        return a * b
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"multiplying a {describe_shape(a.shape)} by a {describe_shape(b.shape)}")
    return a @ b


def _sum(node: ast.Sum, scope: Scope) -> np.ndarray:
    var = node.var or _implicit_variable(node.body, scope)
    kind, values = _sum_range(node, var, scope)
    total = None
    for value in values:
        term = _eval(node.body, scope.bind(var, kind, value))
        if total is not None and term.shape != total.shape:
            raise ShapeError("terms of a Σ with different shapes")
        total = term if total is None else total + term
    if total is None:
        raise Unreadable("an empty Σ")
    return total


def _sum_range(node: ast.Sum, var: str, scope: Scope):
    inst = scope.inst
    same = [c for c in node.conditions if c[0] in ("same", "differ")]
    if same:
        # Σ_{w_j = w_s}: over the negative samples that are (or are not) the word w_s
        if node.upper is not None and not (isinstance(node.upper, ast.Name) and node.upper.base == "K"):
            raise Unreadable("a Σ over the samples equal to a word whose upper limit is not K")
        values = list(range(inst.dims.K))
        for kind, _, other in same:
            target = word(ast.Index(other), scope)
            values = [v for v in values if (inst.samples[v] == target) == (kind == "same")]
        return "sample", values
    for cond in node.conditions:
        if cond[0] == "range":                      # -m <= j <= m: the window
            if (cond[1], cond[3]) != ("-m", "m"):   # 1 ≤ j ≤ m is half the window: not read as all of it
                raise Unreadable(f"a Σ over {cond[1]} ≤ {cond[2]} ≤ {cond[3]}, not the window −m ≤ {cond[2]} ≤ m")
            if any(c[0] == "neq" and c[2] != "0" for c in node.conditions):
                raise Unreadable("a Σ over the window that leaves out a position other than j = 0")
            return "window", range(len(inst.window))
    lower_m = isinstance(node.lower, ast.Add) or isinstance(node.lower, ast.Name) and node.lower.base == "m"
    if lower_m or any(i.text.replace("{", "").replace("}", "").endswith((f"+{var}", f"-{var}"))
                      for i in _indices(node.body)) or _names_window_loss(node.body, var):
        # Σ_j … y_{t+j}, Σ_{j=-m}^{m}, Σ_{j≠0} ∂J(v_c, w_{t+j}, U)/∂U: over the window
        if any(c[0] == "neq" and c[2] != "0" for c in node.conditions):
            raise Unreadable("a Σ over the window that leaves out a position other than j = 0")
        return "window", range(len(inst.window))
    upper = node.upper
    upper_name = upper.base if isinstance(upper, ast.Name) and upper.sub is None else None
    if isinstance(upper, ast.Num) or (upper is not None and upper_name is None):
        raise Unreadable("a Σ whose upper limit is not W, K or the vocabulary")
    if upper_name == "N":
        upper_name = scope.reading.N_means
    if upper_name in ("K",):
        return "sample", range(inst.dims.K)
    if upper_name not in (None, "W", "V"):
        raise Unreadable(f"a Σ up to {upper_name}")
    if node.lower is not None and not (isinstance(node.lower, ast.Num) and node.lower.value == 1):
        raise Unreadable("a Σ over the words that does not start at 1")
    words = list(range(inst.dims.W))
    for cond in node.conditions:
        if cond[0] == "neq" and cond[1] == var:
            excluded = word(ast.Index(cond[2]), scope)
            words = [w for w in words if w != excluded]
        elif cond[0] == "in":
            if not _whole_vocabulary(cond[2]):
                raise Unreadable(f"a Σ over {cond[2]}")
    if var in ("k",) and upper_name is None:
        return "sample", range(inst.dims.K)          # Σ_k: over the negative samples
    return "word", words


def _names_window_loss(body: ast.Node, var: str) -> bool:
    """The body refers to the loss of the context word w_{t+var} (∂J(v_c, w_{t+j}, U)/∂U):
    a Σ over that variable with no written bounds runs over the window."""
    pattern = re.compile(r"[+-]\s*" + re.escape(var) + r"(?![A-Za-z0-9])")
    for n in walk(body):
        of = n.of if isinstance(n, ast.Derivative) else n.op.of if isinstance(n, ast.Applied) else None
        calls = [of] if isinstance(of, ast.LossCall) else []
        if isinstance(n, ast.Applied) and isinstance(n.arg, ast.LossCall):
            calls.append(n.arg)
        if isinstance(n, ast.LossCall):
            calls.append(n)
        if any(pattern.search(c.args) for c in calls):
            return True
    return False


def _whole_vocabulary(name: str) -> bool:
    from gradkey.verify.read.vocabulary import default_vocabulary
    return default_vocabulary().is_vocabulary(name)


def _implicit_variable(body: ast.Node, scope: Scope) -> str:
    """A Σ written without a variable sums over the one free index of its body."""
    free = set()
    for idx in _indices(body):
        try:
            word(idx, scope)
        except Unreadable:
            free.add(idx.text)
    if len(free) != 1:
        raise Unreadable("a Σ without a variable whose body does not name exactly one free index")
    return free.pop()


def _indices(node):
    if isinstance(node, ast.Indicator):
        yield node.left
        yield node.right
        return
    if isinstance(node, ast.Name):
        if node.sub is not None:
            yield node.sub
        return
    for child in _children(node):
        yield from _indices(child)


def _children(node):
    if isinstance(node, ast.Add):
        return [t for _, t in node.terms]
    if isinstance(node, ast.Mul):
        return list(node.factors)
    if isinstance(node, ast.Div):
        return [node.num, node.den]
    if isinstance(node, ast.Pow):
        return [node.base, node.exp]
    if isinstance(node, (ast.Transpose, ast.Call)):
        return [node.arg]
    if isinstance(node, ast.Sum):
        return [node.body]
    if isinstance(node, ast.Applied):
        return [node.arg]
    return []


def walk(node):
    yield node
    for child in _children(node):
        yield from walk(child)


# -- references to the base loss's gradient (skip-gram answers) ---------------------

def _reference(node: ast.Derivative, scope: Scope) -> np.ndarray:
    """∂F(w_{t+j}, v_c)/∂X or ∂J(v_c, w_{t+j}, U)/∂X inside a Σ over the
    window: the gradient of the base loss for the j-th context word."""
    of = node.of
    if not isinstance(of, ast.LossCall):
        raise Unreadable("a derivative that is not worked out")
    window_vars = [(var, value) for var, kind, value in scope.loops if kind == "window"]
    args = of.args
    position = next((value for var, value in window_vars if f"+{var}" in args.replace(" ", "")), None)
    if position is None and re.search(r"t\s*[+-]\s*\d", args):
        # w_{t+1}: one fixed context word, outside any Σ — one term of the window sum,
        # read as the window's first position (one term is never the whole sum: the
        # instances' windows hold several distinct words)
        position = 0
    if position is None:
        raise Unreadable("a reference to the loss of one context word that names no window position")
    inst = scope.inst.context(position)
    grads = gradients(scope.base, inst)
    wrt = node.wrt
    if isinstance(wrt, ast.Name) and wrt.sub is not None and wrt.sub.text in CENTER:
        return column(grads["v_c"])
    if isinstance(wrt, ast.Name) and wrt.base in ("U", "omega", "u", "xi") and (wrt.sub is None):
        grad = np.asarray(grads["U"], dtype=float)
        return grad.T if scope.rows_U else grad    # in the file's declared layout, as U itself
    raise Unreadable("a derivative by something other than U or v_c")


def _differentiate(node: ast.Applied, scope: Scope) -> np.ndarray:
    """∂/∂x of a scalar expression, by sympy.diff, shaped like x."""
    value = _eval(node.arg, scope)
    if value.shape != (1, 1):
        raise ShapeError(f"∂/∂x of a {describe_shape(value.shape)}: only scalars are differentiated")
    wrt = _eval(node.op.wrt, scope)
    f = value[0, 0]
    return np.vectorize(lambda t: sp.diff(f, t), otypes=[object])(wrt)


def uses_references(node) -> bool:
    return any(isinstance(n, ast.Derivative) for n in walk(node))


# -- readings ------------------------------------------------------------------------

def readings(node: ast.Node, has_subject: bool) -> list[Reading]:
    """Every reading the notation allows for this expression."""
    names = [n for n in walk(node) if isinstance(n, ast.Name)]
    v_choices = ["V"]
    if any(n.base in ("v", "nu", "V") and n.sub is not None and n.sub.text not in CENTER for n in names):
        v_choices = ["U", "V"]
    zero_choices = ["o"]
    if has_subject and any(n.sub is not None and n.sub.text in ZERO for n in names):
        zero_choices = ["o", "subject"]
    sums = [n for n in walk(node) if isinstance(n, ast.Sum)]
    N_choices = ["W"]
    if any(isinstance(s.upper, ast.Name) and s.upper.base == "N" for s in sums):
        N_choices = ["W", "K"]
    return [Reading(v, z, n) for v, z, n in itertools.product(v_choices, zero_choices, N_choices)]
