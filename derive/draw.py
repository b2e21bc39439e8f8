"""Instances of a problem file: dimensions, named arrays, labels and indices.

An instance is the unit of comparison. :func:`draw` makes one from a seeded
NumPy generator (the CLI, judging); ``verify.strategies.problem_instances``
draws the same kinds with Hypothesis. Both respect the file's premises
(labels in range and distinct from what they must differ from, symmetric,
positive-definite or invertible matrices with det > 0, binary data) and the
question's (a branch condition such as j != y[i], distinct or repeated
labels), and both stay away from kinks: every relu/abs/maximum/minimum
argument and every compared difference the loss evaluates is at least
:data:`KINK_MARGIN` away from 0, so the derivative exists and central
differences do not straddle a kink.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradkey.derive import arraylang as al
from gradkey.derive.problemfile import Expr, GenericProblem, GenericQuestion

#: Values drawn in [-VALUE_RANGE, VALUE_RANGE]: scores stay moderate, softmax and σ unsaturated.
VALUE_RANGE = 1.5
#: Minimum distance of every kink argument from 0 (central-difference steps are ~1e-5).
KINK_MARGIN = 1e-2


class InstanceError(ValueError):
    """No instance satisfies the premises (e.g. j != y[i] with C = 1)."""


@dataclass(frozen=True, eq=False, repr=False)
class GenericInstance:
    """Dimensions and values (arrays by symbol name, integer arrays for labels,
    integers for index variables). ``overrides`` replace definitions (the
    derivative by an intermediate such as Z1 holds Z1 fixed as an input)."""

    problem: GenericProblem
    dims: dict
    values: dict
    overrides: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"GenericInstance({self.problem.name}, {self.describe()})"

    def _repr_pretty_(self, p, cycle) -> None:
        # Hypothesis pretty-prints a dataclass field by field (the whole problem
        # file, ~100 kB for word2vec) unless it is given this
        p.text(repr(self))

    # -- evaluation --
    def evaluate(self, expr: Expr | str, symbolic: bool = False, backend=None):
        node = (self.problem.parse(expr) if isinstance(expr, str) else expr).node
        if symbolic:
            backend = backend or al.Symbolic()
            values = self.symbolic_values()
        else:
            backend = backend or al.Numeric()
            values = self.values
        return _Scope(self.problem, self.dims, values, self.overrides, backend)(node)

    def evaluate_once(self, expr: Expr):
        """``evaluate(expr)`` in floats, computed once per instance and expression: a
        question's mistakes and closed forms are judged against every answer at the
        same instances, and neither depends on the answer. Read-only."""
        memo = self.__dict__.setdefault("_memo", {})
        hit = memo.get(id(expr))
        if hit is not None and hit[0] is expr:      # the expression itself is kept: ids are not reused
            return hit[1]
        out = np.asarray(self.evaluate(expr), dtype=float)
        out.setflags(write=False)
        memo[id(expr)] = (expr, out)
        return out

    def once(self, key: tuple, compute):
        """``compute()``, once per instance and key: values that depend only on the
        instance (the base loss's derivative at a window position), not on an answer."""
        memo = self.__dict__.setdefault("_once", {})
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def symbolic_values(self) -> dict:
        """Arrays replaced by symbols named after their entries (labels and
        indices stay concrete): the twin used by symbolic proofs."""
        out = {}
        for s in self.problem.symbols:
            out[s.name] = self.values[s.name] if s.role == "label" else symbol_array(s.name, np.shape(self.values[s.name]))
        for v in self.problem.indices:
            out[v.name] = self.values[v.name]
        return out

    def symbol_values(self) -> dict:
        """The substitution giving the symbolic twin's numbers back."""
        subs = {}
        for s in self.problem.symbols:
            if s.role != "label":
                syms = symbol_array(s.name, np.shape(self.values[s.name]))
                for idx in np.ndindex(syms.shape):
                    subs[syms[idx]] = float(np.asarray(self.values[s.name])[idx])
        return subs

    def replace(self, **changes) -> "GenericInstance":
        values, overrides = dict(self.values), dict(self.overrides)
        for k, v in changes.items():
            if self.problem.definition(k) is not None:
                overrides[k] = v
            else:
                values[k] = v
        return GenericInstance(self.problem, self.dims, values, overrides)

    def value(self, name: str):
        """A symbol's, index's or definition's value at this instance."""
        if name in self.values and name not in self.overrides:      # a symbol or index: no evaluation
            return self.values[name]
        return _Scope(self.problem, self.dims, self.values, self.overrides, al.Numeric())(al.Name(0, name))

    def kink_margin(self, loss: str) -> float:
        """The smallest |argument| of a kinked function the loss evaluates (inf if none)."""
        backend = al.Numeric()
        self.evaluate(self.problem.loss(loss).expr, backend=backend)
        return min(backend.kinks, default=float("inf"))

    def error_scale(self) -> float:
        """A bound on the magnitude of the terms whose rounding reaches a
        gradient entry: products of up to three values (|v| <= big) summed over
        every dimension, times the squared condition number of any matrix
        that is inverted (premised invertible / positive definite).
        Computed once per instance: judging compares every answer at the same
        few instances, and instances are never changed in place (``replace``
        makes a new one)."""
        cached = self.__dict__.get("_error_scale")
        if cached is not None:
            return cached
        big = 1.0
        cond = 1.0
        for s in self.problem.symbols:
            if s.role == "label":
                continue
            v = np.asarray(self.values[s.name], dtype=float)
            if v.size:
                big = max(big, float(np.max(np.abs(v))))
            if set(s.premises) & {"invertible", "det_positive", "posdef"}:
                cond = max(cond, float(np.linalg.cond(v)))
        n = 1 + sum(self.dims.values())
        out = big ** 3 * n * n * cond * cond
        object.__setattr__(self, "_error_scale", out)     # frozen dataclass: a memo, not state
        return out

    def describe(self) -> dict:
        """Plain data for reports and counterexamples (computed once per instance: every
        incorrect answer at an instance describes it; the caller gets its own dict)."""
        cached = self.__dict__.get("_described")
        if cached is None:
            cached = self._describe()
            object.__setattr__(self, "_described", cached)     # frozen dataclass: a memo, not state
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in cached.items()}

    def _describe(self) -> dict:
        out = {"dims": dict(self.dims)}
        for s in self.problem.symbols:
            v = np.asarray(self.values[s.name])
            out[s.name] = v.tolist() if s.role == "label" else np.round(v.astype(float), 6).tolist()
        for v in self.problem.indices:
            out[v.name] = int(self.values[v.name])
        for d in self.problem.definitions:      # v_c = V[:, c]: the part students name
            if al.selected_from(d.expr.node) is not None:
                out[d.name] = np.round(np.asarray(self.value(d.name), dtype=float), 6).tolist()
        out["problem"] = self.problem.source    # which file's names these are (reports look them up)
        return out


class _Scope:
    """Name lookup for evaluating at an instance: symbols, indices, dimensions
    and definitions (computed once, in the same backend)."""

    def __init__(self, problem, dims, values, overrides, backend):
        self.problem, self.dims, self.values, self.overrides = problem, dims, values, overrides
        self.cache: dict = {}
        self.ev = al.Evaluator(backend, self.lookup, dims)

    def __call__(self, node):
        return self.ev(node)

    def lookup(self, name: str):
        if name in self.overrides:
            return self.overrides[name]
        if name in self.values:
            return self.values[name]
        if name in self.cache:
            return self.cache[name]
        d = self.problem.definition(name)
        if d is not None:
            self.cache[name] = self.ev(d.expr.node)
            return self.cache[name]
        if name in self.dims:
            return self.ev.xp.const(self.dims[name])
        raise KeyError(f"{name!r} has no value at this instance")


def symbol_array(name: str, shape: tuple) -> np.ndarray:
    """Real SymPy symbols for the entries of an array, named name_i_j."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = sp.Symbol("_".join([name, *map(str, idx)]))
    return out


# -- premises ----------------------------------------------------------------------------

def shape_of(problem: GenericProblem, shape: tuple, dims: dict) -> tuple:
    return tuple(dims[d] for d in shape)


def shape_premise(values: np.ndarray, premises: tuple, scale: float) -> np.ndarray:
    """Turn uniform draws into a matrix/vector meeting the premises."""
    v = values
    if "binary" in premises:
        return (v > 0).astype(float)
    if "symmetric" in premises:
        v = (v + v.T) / 2
    if "posdef" in premises:
        n = v.shape[0]
        v = v @ v.T / max(scale, 1e-12) + np.eye(n) * scale
    elif "invertible" in premises or "det_positive" in premises:
        # strictly diagonally dominant with a positive diagonal: invertible, det > 0
        n = v.shape[0]
        v = v + np.eye(n) * (scale * n + 1.0)
    if "nonnegative" in premises:
        v = np.abs(v)
    if "positive" in premises:
        v = np.abs(v) + 0.1
    return v


def satisfies(q: GenericQuestion, inst: GenericInstance) -> bool:
    """Whether the instance meets the question's premises."""
    if q.where is not None and not bool(inst.evaluate(q.where)):
        return False
    for lab in q.distinct:
        v = list(np.ravel(inst.values[lab]))
        if len(set(v)) != len(v):
            return False
    for lab in q.repeated:
        v = list(np.ravel(inst.values[lab]))
        if len(set(v)) == len(v):
            return False
    for lab, var in q.repeated_at:
        v = list(np.ravel(inst.values[lab]))
        if v.count(v[int(inst.values[var])]) < 2:
            return False
    return True


def _labels(rng, s, dims: dict, values: dict, q: GenericQuestion | None) -> np.ndarray:
    """Labels in range(s.range_), distinct from the labels and indices named
    by ``distinct_from``: a scalar is avoided everywhere, a label array row by
    row (window_samples[j, :] avoids window[j]); distinct or repeated as the
    file or the question asks."""
    shape = tuple(dims[d] for d in s.shape)
    n = dims[s.range_]
    everywhere = {int(values[o]) for o in s.distinct_from if o in values and np.ndim(values[o]) == 0}
    rowwise = [np.asarray(values[o]) for o in s.distinct_from if o in values and np.ndim(values[o]) > 0]
    lead = max((a.ndim for a in rowwise), default=0)
    out = np.zeros(shape, dtype=int)
    for block in np.ndindex(shape[:lead]):
        avoid = everywhere | {int(a[block[:a.ndim]]) for a in rowwise}
        out[block] = _label_block(rng, s, shape[lead:], n, avoid, q, whole=lead == 0)
    return out


def _label_block(rng, s, shape: tuple, n: int, avoid: set, q, whole: bool) -> np.ndarray:
    allowed = [k for k in range(n) if k not in avoid]
    if not allowed:
        raise InstanceError(f"no value of {s.name} in range({s.range_}={n}) differs from {sorted(avoid)}")
    size = int(np.prod(shape)) if shape else 1
    if ("distinct" in s.premises or (q is not None and s.name in q.distinct)):
        if size > len(allowed):
            raise InstanceError(f"{size} distinct values of {s.name} need {s.range_} >= {size + len(avoid)}")
        out = rng.permutation(allowed)[:size]
    else:
        out = rng.choice(allowed, size=size)
        if whole and q is not None and s.name in q.repeated:
            if size < 2:
                raise InstanceError(f"a repeated value of {s.name} needs at least two entries")
            out[1] = out[0]
    return np.asarray(out, dtype=int).reshape(shape)


def _point_at_repeats(rng, q: GenericQuestion, values: dict) -> None:
    """For a premise such as samples[k] repeated: k at an entry drawn twice or more."""
    for lab, var in q.repeated_at:
        v = np.asarray(values[lab]).ravel()
        repeats = [p for p in range(v.size) if np.count_nonzero(v == v[p]) > 1]
        if repeats:
            values[var] = int(repeats[int(rng.integers(len(repeats)))])


def draw(problem: GenericProblem, rng: np.random.Generator, dims: dict | None = None,
         question: GenericQuestion | None = None, scale: float = VALUE_RANGE, tries: int = 200) -> GenericInstance:
    """A seeded instance meeting the file's and the question's premises, away from kinks."""
    dims = dict(dims or problem.check_dims[0])
    losses = [question.loss] if question is not None else [l.name for l in problem.loss_decls]
    for _ in range(tries):
        values = {}
        for v in problem.indices:
            values[v.name] = int(rng.integers(dims[v.dim]))
        for s in problem.symbols:
            if s.role == "label":
                continue
            shape = tuple(dims[d] for d in s.shape)
            values[s.name] = shape_premise(rng.uniform(-scale, scale, size=shape), s.premises, scale)
        for s in problem.symbols:
            if s.role == "label":
                values[s.name] = _labels(rng, s, dims, values, question)
        if question is not None:
            _point_at_repeats(rng, question, values)
        inst = GenericInstance(problem, dims, values)
        if question is not None and question.where is not None:
            inst = _meet_where(rng, question, inst)
            if inst is None:
                continue
        if question is not None and not satisfies(question, inst):
            continue
        if all(not may_kink(problem, l) or inst.kink_margin(l) >= KINK_MARGIN for l in losses):
            return inst
    what = f" for {question.id}" if question is not None else ""
    raise InstanceError(f"no instance{what} at {dims} met the premises away from kinks in {tries} draws")


_MAY_KINK: dict = {}     # (id(problem), loss) -> (problem, answer)


def may_kink(problem: GenericProblem, loss: str) -> bool:
    """Whether the loss may evaluate a kinked function (relu, abs, maximum,
    minimum, a comparison), through the definitions it reads. Conservative (any
    comparison counts, index comparisons included), so that a loss without one
    (word2vec's: softmax, σ, log) needs no evaluation to know it is away from
    kinks: ``kink_margin`` is inf there, always."""
    hit = _MAY_KINK.get((id(problem), loss))
    if hit is not None and hit[0] is problem:
        return hit[1]
    seen, todo, kinked = set(), [problem.loss(loss).expr.node], False
    while todo and not kinked:
        for node in al.walk(todo.pop()):
            if isinstance(node, al.Compare) or (isinstance(node, al.Call) and node.func in al.KINKED):
                kinked = True
                break
            if isinstance(node, al.Name) and node.id not in seen:
                seen.add(node.id)
                d = problem.definition(node.id)
                if d is not None:
                    todo.append(d.expr.node)
    _MAY_KINK[(id(problem), loss)] = (problem, kinked)
    return kinked


def _meet_where(rng, q: GenericQuestion, inst: GenericInstance) -> GenericInstance | None:
    """Re-pick the index variables so that the question's condition holds."""
    if bool(inst.evaluate(q.where)):
        return inst
    free = [v for v in inst.problem.indices if v.name in al.names(q.where.node)]
    choices = [dict(zip([v.name for v in free], combo))
               for combo in itertools.product(*[range(inst.dims[v.dim]) for v in free])]
    good = [c for c in choices if bool(inst.replace(**c).evaluate(q.where))]
    if not good:
        return None
    return inst.replace(**good[int(rng.integers(len(good)))])


def seeded(problem: GenericProblem, n: int, seed: int = 0, question: GenericQuestion | None = None,
           dims: tuple | None = None) -> list[GenericInstance]:
    """n reproducible instances, cycling through the file's check dimensions."""
    rng = np.random.default_rng(seed)
    dims = dims or problem.check_dims
    return [draw(problem, rng, dims[k % len(dims)], question) for k in range(n)]


def analytic(inst: GenericInstance, loss: str) -> bool:
    """Whether the loss is analytic where it is evaluated: it evaluates no
    kinked function (relu, abs, maximum, minimum, a comparison of numbers),
    so that complex-step differentiation applies. Index comparisons such as
    j != y[i] are not kinks."""
    return inst.kink_margin(loss) == float("inf")
