"""Typed evaluation of a read expression at an instance of a problem file.

Values are 2-D arrays (a scalar is 1 × 1, a vector a column n × 1 or a row 1 × n), products are
matrix products unless one side is a scalar, so a missing transpose is a shape error
(the check dimensions are pairwise distinct). Every name gets its meaning from the
problem file through the :class:`~gradkey.verify.read.notation.Notation`:

- a declared symbol or definition (``@W1``, ``@H``, ``@reg``) is its value at the
  instance; a subscript picks what the file's shape says: a row of a matrix whose
  rows are examples (``h_i``), a column of one whose columns are classes (``w_j``,
  ``w_{y_i}``), an entry (``M_{ij}``, ``y_i`` of a data vector);
- a lower-case letter names the rows or columns of the matrix spelled with its
  capital (``x_i`` is row i of X, ``p`` the example's row of P, ``s_j`` one score);
- a label (role ``label``) is an index in a subscript (``s_{y_i}``) and its one-hot
  vector as a value (``p − y``), ``e_{y_i}`` is that one-hot vector too;
- a dimension's name is its size (``\\frac{1}{N}``), ``𝟏`` and ``I`` take their size
  from where they are used, a bias is broadcast over rows only where the file says
  so in its meaning ("broadcast over rows").

A :class:`Scope` holds the instance, the bound indices (the question's example and
class, summation variables) and the choices a :class:`Reading` fixes (a spelling
two symbols share, such as ``A`` in matcalc).
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field, replace

import numpy as np

from gradkey.verify.check.shapes import ShapeError, Unreadable, describe_shape, dot, is_dot
from gradkey.verify.read import ast


@dataclass(frozen=True)
class Idx:
    """An index value (a class, an example) with the dimension it ranges over."""
    value: int
    dim: str | None


@dataclass(frozen=True)
class Ones:
    """𝟏: a vector of ones whose size comes from the product it is in (times ``scale``)."""
    row: bool = False
    scale: float = 1.0


@dataclass(frozen=True)
class Eye:
    """λI: a multiple of the identity whose size comes from the sum it is in."""
    scale: float = 1.0


@dataclass(frozen=True)
class Scope:
    inst: object                            # GenericInstance
    notation: object                        # Notation
    bindings: tuple = ()                    # (letter, Idx), innermost first
    choices: tuple = ()                     # (ambiguous spelling key, chosen name)
    defs: dict = field(default_factory=dict, compare=False, hash=False)   # the student's own names
    refs: object = None                     # callable(Derivative, Scope) -> value

    def bound(self, letter: str) -> Idx | None:
        for var, idx in self.bindings:
            if var == letter:
                return idx
        return None

    def bind(self, letter: str, idx: Idx) -> "Scope":
        # the constructor, not dataclasses.replace: every term of every Σ binds
        return Scope(self.inst, self.notation, ((letter, idx),) + self.bindings, self.choices, self.defs, self.refs)

    def choose(self, key: str) -> str:
        for k, name in self.choices:
            if k == key:
                return name
        return key.split("|")[0]


@functools.lru_cache(maxsize=4096)
def value_at(inst, name: str) -> np.ndarray:
    """A symbol's or definition's value at an instance (instances hash by identity and
    are cached per question, so P = softmax(S) is computed once, not per name read)."""
    out = np.asarray(inst.value(name), dtype=float)
    out.setflags(write=False)
    return out


_INDEX_LETTERS: dict = {}


def _index_letters(problem, name: str) -> tuple:
    """(index variable, its spellings) for every index variable a definition reaches
    (u_w = U[:, w] reaches w): inside Σ_w the bound w is meant, not the question's."""
    key = (problem.source, problem.digest, name)
    out = _INDEX_LETTERS.get(key)
    if out is None:
        out = _INDEX_LETTERS[key] = _find_index_letters(problem, name)
    return out


def _find_index_letters(problem, name: str) -> tuple:
    from gradkey.derive import arraylang as al
    seen, todo, out = set(), [name], []
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        d = problem.definition(n)
        if d is None:
            continue
        for m in al.names(d.expr.node):
            v = next((v for v in problem.indices if v.name == m), None)
            if v is not None and all(v.name != k for k, _ in out):
                out.append((v.name, tuple(v.latex or (v.name,))))
            else:
                todo.append(m)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _value_with(inst, name: str, changes: tuple) -> np.ndarray:
    out = np.asarray(inst.replace(**{k: np.asarray(v) for k, v in changes}).value(name), dtype=float)
    out.setflags(write=False)
    return out


def _value_in_scope(scope: Scope, name: str) -> np.ndarray:
    """A definition's value with the index variables it uses taken from the scope
    when a sum binds them (Σ_w ŷ_w u_w: u_w is column w of the sum, at each w)."""
    inst = scope.inst
    changes = []
    for var, letters in _index_letters(inst.problem, name):
        for letter in letters:
            idx = scope.bound(letter)
            if idx is not None:
                if idx.value != int(inst.values[var]):
                    changes.append((var, idx.value))
                break
    if changes:
        return _value_with(inst, name, tuple(changes))
    return value_at(inst, name)


def scalar(x) -> np.ndarray:
    return np.full((1, 1), float(x))


def is_scalar(a) -> bool:
    return isinstance(a, np.ndarray) and a.shape == (1, 1)


def as_2d(value) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


# -- names --------------------------------------------------------------------------------

_DECLARED: dict = {}


def _declared(problem, name: str):
    """(value-independent) dimension names of a symbol or definition, and its declaration."""
    hit = _DECLARED.get((id(problem), name))
    if hit is not None and hit[0] is problem:        # the problem is kept: ids are not reused
        return hit[1]
    out = _find_declared(problem, name)
    _DECLARED[(id(problem), name)] = (problem, out)
    return out


def _find_declared(problem, name: str):
    s = problem.symbol(name)
    if s is not None:
        return tuple(s.shape), s
    d = problem.definition(name)
    if d is not None:
        return tuple(d.expr.type.shape), d
    raise Unreadable(f"the name {name}")


def _lower_targets(notation, letter: str) -> list[str]:
    """Matrices a lower-case letter names the rows or columns of: those spelled with its capital."""
    key = ("lower", letter)
    if key not in notation.memo:
        notation.memo[key] = tuple(_find_lower_targets(notation, letter))
    return list(notation.memo[key])


def _find_lower_targets(notation, letter: str) -> list[str]:
    out = []
    for spelled, names in notation.spellings:
        if spelled[0] == ("letter", letter.upper()) and (len(spelled) == 1 or spelled[1] == ("op", "_")
                                                          or spelled[1][0] == "num"):
            for n in names:
                dims, _ = _declared(notation.problem, n)
                if len(dims) == 2 and n not in out:
                    out.append((len(spelled), n))
    out.sort()
    return [n for _, n in out]


def name(node: ast.Name, scope: Scope):
    base, sub = node.base, node.sub
    nt, inst = scope.notation, scope.inst
    if sub is None and len(base) == 1 and scope.bound(base) is not None:
        return scope.bound(base)
    student = scope.defs.get(base)
    if student is not None:
        return student(node, scope)
    if base.startswith("@"):
        key = base[1:]
        if key == "ones":
            return Ones()
        if key == "I":
            return Eye()
        if key == "sigma_bare":
            return _sigma_bare(scope)
        chosen = scope.choose(key)
        dims, decl = _declared(nt.problem, chosen)
        if not dims and sub is not None and len(getattr(decl, "latex", ()) or ()) and decl.latex[0].isalpha() \
                and len(decl.latex[0]) == 1 and decl.latex[0].islower():
            # z_i where z is a scalar of another question: the example's row of Z_1
            return name(ast.Name(decl.latex[0], sub), replace(scope, defs={}))
        if chosen in nt.label_names:
            return _one_hot(chosen, sub, scope)
        if sub is not None and (win := nt.window_of(sub.text)) is not None:
            return _at_window(chosen, dims, win, scope)
        return _subscripted(_value_in_scope(scope, chosen), dims, sub, scope, lower=False, what=chosen)
    if base == "e" and sub is not None:
        items = _items(sub.text, scope)
        if len(items) == 1 and items[0].dim is not None:
            v = np.zeros((inst.dims[items[0].dim], 1))
            v[items[0].value] = 1.0
            return v
        raise Unreadable(f"e_{sub.text} (a basis vector of unknown size)")
    if sub is None and base in nt.dim_names:
        return scalar(inst.dims[nt.dim_names[base]])
    if base == "delta" and sub is not None:
        items = _items(sub.text, scope)     # Kronecker δ_{jy_i}: [j = y_i] for two indices of one range
        if len(items) == 2 and items[0].dim == items[1].dim and items[0].dim is not None:
            return scalar(float(items[0].value == items[1].value))
    if len(base) == 1 and base.islower():
        targets = _lower_targets(nt, base)
        if targets:
            chosen = targets[0]
            dims, _ = _declared(nt.problem, chosen)
            return _subscripted(value_at(inst, chosen), dims, sub, scope, lower=True,
                                what=f"{base} (of {chosen})")
    raise Unreadable(f"the symbol {base.lstrip('@')}" + (f"_{sub.text}" if sub else ""))


def _sigma_bare(scope: Scope):
    """A bare σ (σ(1 − σ) x_i x_iᵀ): the definition spelled σ(…), at the example if one is bound."""
    nt = scope.notation
    for d in nt.problem.definitions:
        if any(sp.strip().startswith("\\sigma") for sp in d.latex):
            value = value_at(scope.inst, d.name)
            dims = tuple(d.expr.type.shape)
            i = scope.bound("i")
            if value.ndim == 1 and i is not None and dims and dims[0] == i.dim:
                return scalar(value[i.value])
            return as_2d(value)
    raise Unreadable("a σ without an argument")


def _one_hot(label: str, sub, scope: Scope) -> np.ndarray:
    """A label as a value: its one-hot vector (y_i, or y for the question's example)."""
    decl = scope.notation.problem.symbol(label)
    size = scope.inst.dims[decl.range_]
    labels = np.ravel(scope.inst.values[label])
    if sub is not None:
        items = _items(sub.text, scope)
        if len(items) != 1:
            raise Unreadable(f"{label}_{sub.text}")
        i = scope.bound("i")
        if items[0].dim == decl.range_ and items[0].dim not in tuple(decl.shape or ()) and i is not None:
            # y_j with j a class: entry j of the example's one-hot label, 𝟙[j = y_i] (the
            # one-hot vector a student declares as y); the label of example j is y_j only
            # when j ranges over the examples
            return scalar(float(items[0].value == int(labels[i.value])))
        k = int(labels[items[0].value])
    else:
        i = scope.bound("i")
        if i is None:
            Y = np.zeros((len(labels), size))
            Y[np.arange(len(labels)), labels] = 1.0
            return Y
        k = int(labels[i.value])
    v = np.zeros((size, 1))
    v[k] = 1.0
    return v


def _subscripted(arr: np.ndarray, dims: tuple, sub, scope: Scope, lower: bool, what: str):
    examples = scope.notation.examples_dim
    i = scope.bound("i")
    per_example = lower and arr.ndim == 2 and dims[0] == examples
    if sub is None:
        if per_example:
            if i is None:
                raise Unreadable(f"{what} without an example (no i here)")
            return arr[i.value].reshape(-1, 1)
        if lower:
            raise Unreadable(f"{what} without a subscript")
        return as_2d(arr)
    sliced = SLICE.fullmatch(sub.text.replace(" ", "")) if ":" in sub.text else None
    if sliced and arr.ndim == 2:
        # P_{i,:} and W_{:,j} (NumPy's and MATLAB's slices): row i as a row, column j as a column
        (k, *more), row = _items(sliced.group(1) or sliced.group(2), scope), sliced.group(1) is not None
        if not more and k.dim == dims[0 if row else 1]:
            return arr[k.value].reshape(1, -1) if row else arr[:, k.value].reshape(-1, 1)
        raise Unreadable(f"{what}_{{{sub.text}}}")
    items = _items(sub.text, scope)
    if arr.ndim == 1 and len(items) == 1:
        return scalar(arr[items[0].value])
    if arr.ndim == 2 and len(items) == 2:
        return scalar(arr[items[0].value, items[1].value])
    if arr.ndim == 2 and len(items) == 1:
        k = items[0]
        if k.dim == dims[0] and not (per_example and i is not None and k.dim == dims[1]):
            return arr[k.value].reshape(-1, 1)               # x_i: row i of X, as a column
        if k.dim == dims[1]:
            if per_example and i is not None:
                return scalar(arr[i.value, k.value])         # s_j: the example's score j
            return arr[:, k.value].reshape(-1, 1)            # w_j: column j of W
    raise Unreadable(f"{what}_{sub.text}")


SLICE = re.compile(r"\{?([^,:{}]+),:\}?|\{?:,([^,:{}]+)\}?")
ITEM = re.compile(r"([A-Za-z])(?:_(\{[^{}]*\}|[A-Za-z0-9]))?|(\d+)")


def _window_idx(win, scope: Scope) -> Idx:
    j = scope.bound(win.var)
    if j is None:
        raise Unreadable(f"{win.spelled} outside a Σ over {win.var}")
    return Idx(int(np.ravel(scope.inst.values[win.label])[j.value]), win.range_)


def _at_window(name_: str, dims: tuple, win, scope: Scope):
    """y_{t+j}: a definition built on one label of the window's range (y = one_hot(o))
    at the window's word instead (one_hot(w_{t+j}))."""
    problem = scope.notation.problem
    labels = [s.name for s in problem.symbols if s.role == "label" and not s.shape and s.range_ == win.range_
              and s.name in _reaches(problem, name_)]
    if len(labels) != 1:
        raise Unreadable(f"{name_}_{{{win.offset}}}")
    idx = _window_idx(win, scope)
    return as_2d(_value_with(scope.inst, name_, ((labels[0], int(idx.value)),)))


_REACHES: dict = {}


def _reaches(problem, name_: str) -> frozenset:
    """Every name a definition's value reads, through other definitions."""
    from gradkey.derive import arraylang as al
    key = (problem.source, problem.digest, name_)
    if key not in _REACHES:
        seen, todo = set(), [name_]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            d = problem.definition(n)
            if d is not None:
                todo.extend(al.names(d.expr.node))
        _REACHES[key] = frozenset(seen)
    return _REACHES[key]


def _items(text: str, scope: Scope) -> list[Idx]:
    """The indices of a subscript: i, j, y_i, ij, i,y_i, iy_i; w_{t+j} (a window's word)."""
    win = scope.notation.window_of(text) if "+" in text or "-" in text else None
    if win is not None:
        return [_window_idx(win, scope)]
    clean = text.replace("{", "").replace("}", "") if text.count("{") > 1 else text
    clean = clean.replace(" ", "").replace(",", "")
    out, pos = [], 0
    while pos < len(clean):
        m = ITEM.match(clean, pos)
        if not m:
            raise Unreadable(f"the subscript {text}")
        pos = m.end()
        out.append(_item(m, scope, text))
    return out


def _item(m, scope: Scope, text: str) -> Idx:
    letter, inner, digits = m.group(1), m.group(2), m.group(3)
    if digits is not None:
        raise Unreadable(f"the numbered subscript {text} (write the index)")
    if inner is None:
        idx = scope.bound(letter)
        if idx is None:
            # ŷ_o: a label with one value (the true outside word o) indexes by that value
            idx = _scalar_label(scope, letter)
        if idx is None:
            raise Unreadable(f"the index {letter} (not the question's, not a summation variable)")
        return idx
    label = _label_named(scope.notation, letter)
    if label is None:
        raise Unreadable(f"the index {m.group(0)}")
    at = _item(ITEM.match(inner.strip("{}")), scope, text)
    decl = scope.notation.problem.symbol(label)
    return Idx(int(np.ravel(scope.inst.values[label])[at.value]), decl.range_)


def _scalar_label(scope: Scope, letter: str) -> Idx | None:
    """A label declared with no shape (one value per instance) spelled ``letter``."""
    label = _label_named(scope.notation, letter)
    if label is None:
        return None
    decl = scope.notation.problem.symbol(label)
    if decl.shape:
        return None
    return Idx(int(np.ravel(scope.inst.values[label])[0]), decl.range_)


def _label_named(notation, letter: str) -> str | None:
    key = ("label", letter)
    if key not in notation.memo:
        notation.memo[key] = _find_label_named(notation, letter)
    return notation.memo[key]


def _find_label_named(notation, letter: str) -> str | None:
    for label in notation.label_names:
        decl = notation.problem.symbol(label)
        if label == letter or letter in decl.latex:
            return label
    return _entry_label(notation, letter)


def _entry_label(notation, letter: str) -> str | None:
    """A label vector spelled by its entry, ``w_k`` (the samples, k an index over their axis):
    the letter w with another subscript (w_i, w_j) is the same vector's entry there."""
    problem = notation.problem
    for label in sorted(notation.label_names):
        decl = problem.symbol(label)
        if len(decl.shape) != 1:
            continue
        for sp in decl.latex:
            m = re.fullmatch(r"([A-Za-z])_\{?\s*([a-z])\s*\}?", sp.strip())
            if m and m.group(1) == letter and any(
                    v.dim == decl.shape[0] and m.group(2) in (v.latex or (v.name,)) for v in problem.indices):
                return label
    return None


def _entry_at_bound(scope, decl) -> "Idx | None":
    """``w_k`` read whole as the label vector: its entry at the bound index its spelling names."""
    for sp in decl.latex:
        m = re.fullmatch(r"([A-Za-z])_\{?\s*([a-z])\s*\}?", sp.strip())
        if m:
            at = scope.bound(m.group(2))
            if at is not None and at.dim == decl.shape[0]:
                return Idx(int(np.ravel(scope.inst.values[decl.name])[at.value]), decl.range_)
    return None


# -- evaluation --------------------------------------------------------------------------------

def evaluate(node: ast.Node, scope: Scope) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = _eval(node, scope)
    if isinstance(out, Idx):
        raise Unreadable("an index where a value is expected")
    if isinstance(out, (Ones, Eye)):
        raise Unreadable("𝟏 or I alone: its size is not known")
    return out


def _value(node, scope: Scope):
    v = _eval(node, scope)
    if isinstance(v, Idx):
        raise Unreadable("an index used as a number")
    return v


def _eval(node, scope: Scope):
    # one dictionary lookup per node, not a chain of isinstance tests: every answer is
    # evaluated at every instance of its question, so this runs for every node many times
    rule = _RULES.get(type(node))
    if rule is None:
        raise Unreadable(type(node).__name__)
    return rule(node, scope)


def _eval_mul(node, scope: Scope):
    out = _value(node.factors[0], scope)
    for i, f in enumerate(node.factors[1:], 1):
        value = _value(f, scope)
        # u \cdot v of two n×1 columns (no plain product): the dot product uᵀv
        out = dot(out, value) if i in node.dots and is_dot(out, value) else multiply(out, value)
    return out


def _eval_div(node, scope: Scope):
    num, den = _value(node.num, scope), _value(node.den, scope)
    if not is_scalar(den):
        raise ShapeError(f"dividing by a {_describe(den)}")
    if isinstance(num, Eye):
        return Eye(num.scale / den[0, 0])
    if isinstance(num, Ones):
        return Ones(num.row, num.scale / den[0, 0])
    return num / den[0, 0]


def _eval_transpose(node, scope: Scope):
    v = _value(node.arg, scope)
    if isinstance(v, Ones):
        return Ones(not v.row, v.scale)
    return v if isinstance(v, Eye) else v.T


def _eval_elementwise(node, scope: Scope):
    a, b = _value(node.left, scope), _value(node.right, scope)
    a, b = _sized(a, b), _sized(b, a)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and not is_scalar(a):
        return a * b
    if node.star:
        return multiply(a, b)
    if is_scalar(a) or is_scalar(b):
        return a * b
    raise ShapeError(f"an elementwise product of a {_describe(a)} and a {_describe(b)}")


def _eval_part(node, scope: Scope):
    v = _value(node.arg, scope)
    items = _items(_row_of(node.sub.text), scope)
    ex = scope.notation.examples_dim
    if (isinstance(v, np.ndarray) and len(items) == 1 and items[0].dim == ex and ex is not None
            and v.shape[0] == scope.inst.dims[ex]):
        return v[items[0].value].reshape(-1, 1)
    if (isinstance(v, np.ndarray) and len(items) == 2 and None not in (items[0].dim, items[1].dim)
            and v.shape == (scope.inst.dims[items[0].dim], scope.inst.dims[items[1].dim])):
        return scalar(v[items[0].value, items[1].value])      # (Q^{-1})_{ij}: an entry of a matrix
    raise Unreadable(f"(…)_{node.sub.text}")


def _eval_derivative(node, scope: Scope):
    if scope.refs is None:
        raise Unreadable("a derivative that is not worked out")
    return scope.refs(node, scope)


def _eval_applied(node, scope: Scope):
    raise Unreadable("a derivative that is not worked out")


def _eval_loss_call(node, scope: Scope):
    raise Unreadable(f"the loss {node.name}({node.args}) itself, not a gradient")


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        return describe_shape(v.shape)
    return "vector of ones" if isinstance(v, Ones) else "identity"


def _broadcast_bias(node, scope: Scope) -> bool:
    """A parameter the file declares as broadcast over rows (b_1 in XW_1 + b_1)."""
    if not isinstance(node, ast.Name) or not node.base.startswith("@") or node.sub is not None:
        return False
    decl = scope.notation.problem.symbol(scope.choose(node.base[1:]))
    return decl is not None and "broadcast" in decl.meaning


@dataclass(frozen=True)
class _Tiled:
    """𝟏bᵀ in a sum (XW_1 + 𝟏b_1ᵀ): the row bᵀ repeated over as many rows as the sum has."""
    row: np.ndarray


def _term(t, scope: Scope):
    if isinstance(t, ast.Mul) and len(t.factors) >= 2:
        first = _value(t.factors[0], scope)
        if isinstance(first, Ones) and not first.row:
            rest = _value(t.factors[1], scope)
            for f in t.factors[2:]:
                rest = multiply(rest, _value(f, scope))
            if isinstance(rest, np.ndarray) and rest.shape[0] == 1 and rest.shape[1] > 1:
                return _Tiled(first.scale * rest)
            return multiply(first, rest)
    return _value(t, scope)


def _add(terms, scope: Scope):
    values = [(sign, _term(t, scope), t) for sign, t in terms]
    arrays = [v for _, v, _ in values if isinstance(v, np.ndarray)]
    shape = next((a.shape for a in arrays if not is_scalar(a)), arrays[0].shape if arrays else None)
    if shape is None:
        raise Unreadable("a sum of 𝟏 or I alone")
    total = None
    for sign, v, t in values:
        if isinstance(v, Eye):
            if shape[0] != shape[1]:
                raise ShapeError(f"adding I to a {describe_shape(shape)}")
            v = v.scale * np.eye(shape[0])
        elif isinstance(v, Ones):
            v = v.scale * np.ones(shape) if 1 in shape else None
            if v is None:
                raise ShapeError("adding 𝟏 to a matrix")
        elif isinstance(v, _Tiled):
            if len(shape) != 2 or v.row.shape[1] != shape[1]:
                raise ShapeError(f"adding 𝟏 times a {describe_shape(v.row.shape)} to a {describe_shape(shape)}")
            v = np.broadcast_to(v.row, shape)
        elif v.shape != shape:
            if is_scalar(v) and isinstance(t, ast.Num):
                v = np.full(shape, v[0, 0])          # 1 − σ(Xθ): a literal number against a vector
            elif (len(shape) == 2 and v.shape in ((shape[1], 1), (1, shape[1])) and shape[0] > 1
                  and _broadcast_bias(t, scope)):
                v = np.broadcast_to(v.reshape(1, -1), shape)   # XW_1 + b_1: declared broadcast
            else:
                raise ShapeError(f"adding a {describe_shape(v.shape)} to a {describe_shape(shape)}")
        if total is None:
            total = v.astype(float) if sign > 0 else -v     # a new array: the terms may be cached values
        else:
            total = total + v if sign > 0 else total - v if sign < 0 else total + sign * v
    return total


def _sized(a, other):
    """𝟏 or I given the size the other operand needs (elementwise products)."""
    if isinstance(a, Eye) and isinstance(other, np.ndarray) and other.shape[0] == other.shape[1]:
        return a.scale * np.eye(other.shape[0])
    return a


def multiply(a, b):
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(a.scale * b.scale)
    if isinstance(a, Eye) and is_scalar(b):
        return Eye(a.scale * b[0, 0])          # λI stays an identity until a sum sizes it
    if isinstance(b, Eye) and is_scalar(a):
        return Eye(b.scale * a[0, 0])
    if isinstance(a, Eye):
        return a.scale * b if isinstance(b, np.ndarray) else _ones_error()
    if isinstance(b, Eye):
        return b.scale * a if isinstance(a, np.ndarray) else _ones_error()
    if isinstance(a, Ones) and is_scalar(b):
        return Ones(a.row, a.scale * b[0, 0])
    if isinstance(b, Ones) and is_scalar(a):
        return Ones(b.row, b.scale * a[0, 0])
    if isinstance(a, Ones):
        if not isinstance(b, np.ndarray):
            _ones_error()
        if not a.row:
            raise ShapeError("𝟏 (a column) times a value on its right")
        return a.scale * (np.ones((1, b.shape[0])) @ b)
    if isinstance(b, Ones):
        if b.row:
            raise ShapeError("a value times 𝟏ᵀ (a row) on its right")
        return b.scale * (a @ np.ones((a.shape[1], 1)))
    if is_scalar(a) or is_scalar(b):
        return a * b
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"multiplying a {describe_shape(a.shape)} by a {describe_shape(b.shape)}")
    return a @ b


def _ones_error():
    raise Unreadable("a product of 𝟏 and I")


def _power(node: ast.Pow, scope: Scope):
    base, exp = _value(node.base, scope), _value(node.exp, scope)
    if not is_scalar(exp):
        raise ShapeError("a power with a non-scalar exponent")
    e = exp[0, 0]
    if isinstance(base, np.ndarray) and is_scalar(base):
        return np.power(base, e)
    if isinstance(base, np.ndarray) and e == -1:
        if base.shape[0] != base.shape[1]:
            raise ShapeError(f"the inverse of a {describe_shape(base.shape)}")
        return np.linalg.inv(base)
    if isinstance(base, np.ndarray) and e == 2 and base.shape[1] == 1:
        raise ShapeError(f"the square of a {describe_shape(base.shape)} (write xᵀx or ‖x‖²)")
    raise ShapeError(f"a power of a {_describe(base)}")


def _softmax(v: np.ndarray, scope: Scope | None = None) -> np.ndarray:
    if 1 not in v.shape:
        # softmax(S) of a matrix whose rows are the examples (and only they): each example's row
        ex = scope.notation.examples_dim if scope is not None else None
        n = scope.inst.dims.get(ex) if ex is not None else None
        if n is not None and v.shape[0] == n != v.shape[1]:
            e = np.exp(v - v.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        raise Unreadable("softmax of a matrix (say along which axis)")
    e = np.exp(v - v.max())
    return e / e.sum()


def _call(node: ast.Call, scope: Scope):
    v = _value(node.arg, scope)
    if not isinstance(v, np.ndarray):
        raise Unreadable(f"{node.func} of 𝟏 or I")
    f = node.func
    if f == "sigma":
        return 1.0 / (1.0 + np.exp(-v))
    if f == "exp":
        return np.exp(v)
    if f == "log":
        return np.log(v)
    if f == "softmax":
        return _softmax(v, scope)
    if f == "relu":
        return np.maximum(v, 0.0)
    if f == "drelu":
        return (v > 0).astype(float)
    if f == "diag":
        if v.shape[1] == 1 or v.shape[0] == 1:
            return np.diag(np.ravel(v))
        if v.shape[0] == v.shape[1]:
            return np.diag(v).reshape(-1, 1)
        raise ShapeError(f"diag of a {describe_shape(v.shape)}")
    if f in ("tr", "det"):
        if v.shape[0] != v.shape[1]:
            raise ShapeError(f"{f} of a {describe_shape(v.shape)}")
        return scalar(np.trace(v) if f == "tr" else np.linalg.det(v))
    if f == "sqnorm":
        return scalar(np.sum(v * v))
    if f == "norm":
        return scalar(np.sqrt(np.sum(v * v)))
    raise Unreadable(f"the function {f}")


OPS = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal, "=": np.equal,
       "!=": np.not_equal}


def _index_side(node, scope: Scope):
    """A side of 𝟙[j = y_i]: a label with its subscript is the label's value there; a
    one-valued label (o in 𝟙[w = o]) is its value."""
    if isinstance(node, ast.Name) and node.sub is None and node.base.startswith("@"):
        decl = scope.notation.problem.symbol(scope.choose(node.base[1:]))
        if decl is not None and decl.role == "label" and not decl.shape:
            return Idx(int(np.ravel(scope.inst.values[decl.name])[0]), decl.range_)
        if decl is not None and decl.role == "label" and len(decl.shape) == 1:
            at = _entry_at_bound(scope, decl)        # 𝟙[w_i = w_k]: w_k, the sample at k
            if at is not None:
                return at
    if isinstance(node, ast.Name) and node.sub is not None and not node.base.startswith("@") \
            and _entry_label(scope.notation, node.base) is not None:
        return _items(f"{node.base}_{{{node.sub.text}}}", scope)[0]       # w_i: the sample at i
    if isinstance(node, ast.Name) and node.sub is not None and node.base.startswith("@") \
            and scope.choose(node.base[1:]) in scope.notation.label_names:
        return _items(f"{scope.choose(node.base[1:])}_{{{node.sub.text}}}", scope)[0] \
            if _label_named(scope.notation, scope.choose(node.base[1:])) else _eval(node, scope)
    return _eval(node, scope)


def _compare(node: ast.Compare, scope: Scope):
    a, b = _index_side(node.left, scope), _index_side(node.right, scope)
    if isinstance(a, Idx) or isinstance(b, Idx):
        if not (isinstance(a, Idx) and isinstance(b, Idx)) or node.op not in ("=", "!="):
            raise Unreadable("a comparison of an index with a value")
        return scalar(float((a.value == b.value) == (node.op == "=")))
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        raise Unreadable("a comparison with 𝟏 or I")
    if a.shape != b.shape and not (is_scalar(a) or is_scalar(b)):
        raise ShapeError(f"comparing a {describe_shape(a.shape)} with a {describe_shape(b.shape)}")
    return OPS[node.op](a, b).astype(float)


# -- sums ------------------------------------------------------------------------------------

def _sum(node: ast.Sum, scope: Scope):
    var = node.var
    if var is None or len(var) != 1:
        raise Unreadable("a Σ without its variable")
    dim = _variable_dim(var, node.body, scope)
    same = [c for c in node.conditions if c[0] == "same" and c[1] == var]
    if dim is None and len(same) == 1:
        # Σ_{i: w_i = w_k}: i runs over the axis of the label w_k is an entry of
        lab = _entry_label(scope.notation, same[0][2].split("_")[0].strip("{} "))
        dim = scope.notation.problem.symbol(lab).shape[0] if lab is not None else None
    if dim is None and scope.defs and any(isinstance(n, ast.Name) and n.base in scope.defs and n.sub is not None
                                          and re.sub(r"[{}\s]", "", n.sub.text) == var for n in walk(node.body)):
        # Σ_{j≠0} U δ_j with the student's δ_j = ŷ − y_{t+j}: the body hides the window's word in a
        # shorthand at j; a Σ written with the window's own variable and limits runs over the window
        dims = {w.dim for w in scope.notation.windows if w.var == var and _window_limits(node, w)}
        dim = dims.pop() if len(dims) == 1 else None
    if dim is None:
        raise Unreadable(f"a Σ over {var} whose range is not known")
    win = next((w for w in scope.notation.windows if w.dim == dim and w.var == var), None)
    if win is None:
        _check_limits(node, dim, scope)
    elif not _window_limits(node, win):
        raise Unreadable(f"a Σ over {var} whose limits are not the window's")
    values = list(range(scope.inst.dims[dim]))
    for cond in node.conditions:
        if win is not None and cond in (("neq", var, "0"), ("range", f"-{win.half}", var, win.half)):
            continue
        if cond[0] == "neq" and cond[1] == var:
            other = _items(cond[2], scope)
            values = [v for v in values if v != other[0].value]
        elif cond[0] == "same" and cond[1] == var and (lab := _entry_label(
                scope.notation, cond[2].split("_")[0].strip("{} "))) is not None \
                and scope.notation.problem.symbol(lab).shape[0] == dim:
            # Σ_{i: w_i = w_k}: the positions whose entry equals w_k
            want = _items(cond[2], scope)[0].value
            entries = np.ravel(scope.inst.values[lab])
            values = [v for v in values if int(entries[v]) == want]
        elif cond[0] == "in" and cond[1] == var and _whole_range(cond[2], dim, scope):
            continue        # Σ_{w ∈ V}, Σ_{w ∈ Vocab}: the whole range
        elif cond[0] != "neq":
            raise Unreadable(f"a Σ over {cond[2] if len(cond) > 2 else cond}")
    total = None
    for v in values:
        term = _value(node.body, scope.bind(var, Idx(v, dim)))
        if not isinstance(term, np.ndarray):
            raise Unreadable("a Σ of 𝟏 or I")
        if total is not None and term.shape != total.shape:
            raise ShapeError("terms of a Σ with different shapes")
        total = term if total is None else total + term
    if total is None:
        raise Unreadable("an empty Σ")
    return total


def _window_limits(node: ast.Sum, win) -> bool:
    """Σ_j, Σ_{j≠0}, Σ_{−m≤j≤m, j≠0}, Σ_{j=−m, j≠0}^{m}: the whole window, 0 left out
    (a sum from −m to m that keeps j = 0 is not the window)."""
    h = win.half
    low, up = node.lower, node.upper
    if (low is None) != (up is None):
        return False
    if low is not None:
        if h is None or not (isinstance(up, ast.Name) and up.base == h and up.sub is None):
            return False
        if not (isinstance(low, ast.Add) and len(low.terms) == 1 and low.terms[0][0] == -1
                and isinstance(low.terms[0][1], ast.Name) and low.terms[0][1].base == h):
            return False
    ranged = any(c[0] == "range" for c in node.conditions)
    if ranged and not any(c == ("range", f"-{h}", win.var, h) for c in node.conditions):
        return False
    if (ranged or low is not None) and ("neq", win.var, "0") not in node.conditions:
        return False
    return True


def _whole_range(text: str, dim: str, scope: Scope) -> bool:
    """A set that is a dimension's whole range: one of its spellings ([W], |V|) or, for the range
    the file's labels index, a name of the whole vocabulary its [reader] declares (Vocab)."""
    clean = re.sub(r"\\(?:text|mathrm|mathcal|operatorname|mathbb)|[{}\s\\]", "", text)
    spelled = {k for k, v in scope.notation.dim_names.items() if v == dim} | {dim}
    if clean in spelled or clean.strip("[]") in spelled:
        return True
    # {1, …, K} (read as ⟨1...K⟩ or ⟨1dotsK⟩), {0, …, K−1}: the range enumerated from one end to the other
    m = re.fullmatch(r"⟨?(?:1(?:\.{2,3}|…|[lcd]?dots)(.+?)|0(?:\.{2,3}|…|[lcd]?dots)(.+?)-1)⟩?", clean)
    if m and (m.group(1) or m.group(2)) in spelled:
        return True
    problem = scope.notation.problem
    words = problem.reader.vocabulary_sets if problem.reader is not None else ()
    return clean in words and any(problem.symbol(n).range_ == dim for n in scope.notation.label_names)


def _check_limits(node: ast.Sum, dim: str, scope: Scope) -> None:
    """Σ_{i=1}^{N}, Σ_{j=0}^{C−1}: only sums over a whole dimension are read."""
    spelled = {k for k, v in scope.notation.dim_names.items() if v == dim} | {dim}   # every spelling (N, m)
    up = node.upper
    if up is None:
        return
    if isinstance(up, ast.Name) and up.sub is None and up.base.lstrip("@") in spelled:
        return          # a spelling of the dimension (|V| for W), even one that is also a symbol's
    if (isinstance(up, ast.Add) and len(up.terms) == 2 and isinstance(up.terms[0][1], ast.Name)
            and up.terms[0][1].base in spelled and up.terms[1] == (-1, ast.Num(1.0))):
        return
    raise Unreadable("a Σ whose upper limit is not a whole dimension")


def _row_of(sub: str) -> str:
    """(…)_{i,:}, NumPy's row slice, is the row (…)_i."""
    return re.sub(r"\s*,\s*:\s*$", "", sub)


def _variable_dim(var: str, body, scope: Scope) -> str | None:
    nt = scope.notation
    for v in nt.problem.indices:
        if v.name == var:
            return v.dim
    for win in nt.windows:
        if win.var == var and _mentions_window(body, win):
            return win.dim
    for n in walk(body):
        if isinstance(n, ast.Part) and _row_of(n.sub.text) == var and nt.examples_dim is not None:
            return nt.examples_dim
        if isinstance(n, ast.Compare):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if isinstance(a, ast.Name) and a.base == var and a.sub is None and isinstance(b, ast.Name) \
                        and b.sub is not None:
                    label = _label_named(nt, b.base.lstrip("@"))
                    if label is not None:
                        return nt.problem.symbol(label).range_
        if not isinstance(n, ast.Name) or n.sub is None:
            continue
        text = n.sub.text.replace("{", "").replace("}", "").replace(",", "").replace(" ", "")
        if text == var and not n.base.startswith("@") and (lab := _entry_label(nt, n.base)) is not None:
            return nt.problem.symbol(lab).shape[0]      # Σ_i 𝟙[w_i = w_k]: i runs over the samples
        m = re.fullmatch(r"([A-Za-z])_([a-z])", text)
        if m and m.group(2) == var and (lab := _entry_label(nt, m.group(1))) is not None:
            return nt.problem.symbol(lab).shape[0]      # Σ_s u_{w_s}: s runs over the samples
        parts = [m.group(0) for m in ITEM.finditer(text)]
        if var not in parts:
            continue
        pos = parts.index(var)
        dims = _dims_of(n, scope)
        if dims is None:
            continue
        lower = not n.base.startswith("@")
        if len(dims) == 1:
            return dims[0]
        if len(parts) == 2:
            return dims[pos]
        if dims[0] == nt.examples_dim:
            return dims[1] if lower and scope.bound("i") is not None else dims[0]
        return dims[1]
    return None


def _mentions_window(body, win) -> bool:
    """The body names the window's word (y_{t+j}, u_{w_{t+j}}, J(v_c, w_{t+j}, U))."""
    for n in walk(body):
        if isinstance(n, ast.Derivative):
            n = n.of
        if isinstance(n, ast.Name) and n.sub is not None and (win.offset in re.sub(r"[{}\s]", "", n.sub.text)):
            return True
        if isinstance(n, ast.LossCall) and win.offset in re.sub(r"[{}\s]", "", n.args):
            return True
    return False


def _dims_of(n: ast.Name, scope: Scope):
    nt = scope.notation
    try:
        if n.base.startswith("@") and n.base[1:] in ("ones", "I", "sigma_bare"):
            return None
        if n.base.startswith("@"):
            dims, decl = _declared(nt.problem, scope.choose(n.base[1:]))
            if not dims and getattr(decl, "latex", ()) and len(decl.latex[0]) == 1:
                return _dims_of(ast.Name(decl.latex[0], n.sub), scope)
            return dims
        if len(n.base) == 1 and n.base.islower():
            targets = _lower_targets(nt, n.base)
            if targets:
                return _declared(nt.problem, targets[0])[0]
    except Unreadable:
        return None
    return None


def _children(node):
    get = _CHILDREN.get(type(node))
    return get(node) if get is not None else []


_CHILDREN = {
    ast.Add: lambda n: [t for _, t in n.terms],
    ast.Mul: lambda n: list(n.factors),
    ast.Div: lambda n: [n.num, n.den],
    ast.Pow: lambda n: [n.base, n.exp],
    ast.Transpose: lambda n: [n.arg],
    ast.Call: lambda n: [n.arg],
    ast.Part: lambda n: [n.arg],
    ast.Sum: lambda n: [n.body],
    ast.Compare: lambda n: [n.left, n.right],
    ast.Elementwise: lambda n: [n.left, n.right],
}


def walk(node):
    """The node and every value node under it, in order (not inside derivatives)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_children(n)))


# -- readings -------------------------------------------------------------------------------

def readings(node, preferred: set) -> list[tuple]:
    """Every choice for the spellings two symbols share (A: A or At), restricted to the
    symbols the question's loss uses when that settles it."""
    keys = sorted({n.base[1:] for n in walk(node) if isinstance(n, ast.Name) and "|" in n.base})
    options = []
    for k in keys:
        names = k.split("|")
        narrowed = [n for n in names if n in preferred] or names
        options.append([(k, n) for n in narrowed])
    return [tuple(c) for c in itertools.product(*options)] or [()]


_RULES = {
    ast.Num: lambda node, scope: scalar(node.value),
    ast.Name: name,
    ast.Add: lambda node, scope: _add(node.terms, scope),
    ast.Mul: _eval_mul,
    ast.Div: _eval_div,
    ast.Pow: _power,
    ast.Transpose: _eval_transpose,
    ast.Call: _call,
    ast.Compare: _compare,
    ast.Elementwise: _eval_elementwise,
    ast.Sum: _sum,
    ast.Part: _eval_part,
    ast.Derivative: _eval_derivative,
    ast.Applied: _eval_applied,
    ast.LossCall: _eval_loss_call,
}
