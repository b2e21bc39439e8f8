"""The truth of a problem file: the derivative of the loss written entry by
entry, by SymPy's differentiation rules, lambdified with ``cse``, cached in
memory and on disk.

At concrete dimensions every array of the file becomes a grid of real
symbols (``W_0_1`` …); the loss is evaluated on them by the array language's
SymPy backend, so it is the literal formula, entry by entry. Labels and the
question's index variables (y_i, the example i) are one-hot vectors of
symbols: indexing by them is a contraction, so one derivation serves every
label assignment and the cache key is just (file, loss, what is
differentiated, dims). The derivative by every entry of the asked symbol
(twice for a Hessian) is the gradient; ``cse`` and SymPy's Python code
printer turn it into one function of a flat argument list. SymPy's
MatrixSymbol ``.diff`` is not used (it returns wrong gradients for such
losses in SymPy 1.14).

Two routes differentiate the same expression J:

* ``"reverse"`` (the default): one reverse-accumulation pass over J with
  SymPy's own local rules (``derive/reverse.py``), all entries at once;
* ``"diff"`` (the reference): ``sympy.diff(J, x)`` for every entry x, one
  walk of J per entry (seconds for a hinge or a network: it recomputes free
  symbols at every node).

``tests/test_fast_truth.py`` proves both equal for every question of every
bundled file. Kinks (relu, max, indicators) are :class:`arraylang.Step`
factors, whose derivative is 0 off the kink.

The disk cache (``$GRADKEY_CACHE_DIR``, else ``$XDG_CACHE_HOME/gradkey``, else
``~/.cache/gradkey``) holds the generated source as JSON, keyed by a hash of
the file's bytes, the loss, the differentiated symbol, the dims and this
module's format version. A file that is corrupt, from another key or format,
or not owned by the user (or writable by others: it is executed) is ignored
and rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.pycode import MpmathPrinter, PythonCodePrinter

from gradkey.derive import arraylang as al
from gradkey.derive import reverse
from gradkey.derive.draw import GenericInstance, symbol_array
from gradkey.derive.problemfile import GenericProblem, GenericQuestion

FORMAT = 2          # 2: Step instead of Piecewise, routes
ROUTES = ("reverse", "diff")
_MEMORY: dict = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    if os.environ.get("GRADKEY_CACHE_DIR"):
        return Path(os.environ["GRADKEY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradkey"


class Derivation:
    """The loss and its derivatives by one symbol (or definition, held fixed
    as an input) at concrete dims, as a compiled function of a flat list."""

    def __init__(self, problem: GenericProblem, loss: str, wrt: str, order: int, dims: dict,
                 route: str = "reverse"):
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r} (routes: {', '.join(ROUTES)})")
        self.problem, self.loss_name, self.wrt, self.order, self.route = problem, loss, wrt, order, route
        self.dims = dict(dims)
        self.key = (problem.digest, loss, wrt, order, tuple(sorted(self.dims.items())), route, FORMAT)
        self.inputs = self._inputs()
        self._exprs = None
        self.source = _load(self.key)
        if self.source is None:
            self.source = self._generate(_PythonPrinter)
            _store(self.key, self.source)
        self._fn = _compile(self.source)
        self._precise = None

    # -- the symbolic side --
    def _inputs(self) -> list[tuple[str, str, tuple]]:
        """(name, kind, shape) of every argument, in order: the arrays the loss
        reads (the cut definition instead of what defines it), then labels and
        index variables as one-hot vectors."""
        p, dims = self.problem, self.dims
        needed, todo, seen = [], [p.loss(self.loss_name).expr.node], set()
        while todo:
            node = todo.pop()
            for name in sorted(al.names(node)):
                if name in seen or name in dims:
                    continue
                seen.add(name)
                d = p.definition(name)
                if d is not None and name != self.wrt:
                    todo.append(d.expr.node)
                else:
                    needed.append(name)
        out = []
        for name in sorted(needed):
            s, d, v = p.symbol(name), p.definition(name), next((v for v in p.indices if v.name == name), None)
            if s is not None and s.role == "label":
                out.append((name, "onehot", tuple(dims[x] for x in s.shape) + (dims[s.range_],)))
            elif v is not None:
                out.append((name, "onehot", (dims[v.dim],)))
            else:
                shape = tuple(dims[x] for x in (s.shape if s is not None else d.expr.type.shape))
                out.append((name, "array", shape))
        if self.wrt not in needed:
            s, d = p.symbol(self.wrt), p.definition(self.wrt)
            shape = tuple(dims[x] for x in (s.shape if s is not None else d.expr.type.shape))
            out.append((self.wrt, "array", shape))   # the loss does not depend on it: gradient 0
        return out

    def expressions(self) -> list:
        """[J, dJ/dx for every entry x of wrt (row-major)] (order 2: the Hessian's entries)."""
        if self._exprs is not None:
            return self._exprs
        values, arrays = {}, {}
        for name, kind, shape in self.inputs:
            syms = symbol_array(name, shape)
            arrays[name] = syms
            values[name] = al.OneHot(syms) if kind == "onehot" else syms
        inst = GenericInstance(self.problem, self.dims, {}, {})
        scope_values = {k: v for k, v in values.items() if self.problem.definition(k) is None}
        overrides = {k: v for k, v in values.items() if self.problem.definition(k) is not None}
        from gradkey.derive.draw import _Scope
        scope = _Scope(self.problem, inst.dims, scope_values, overrides, al.Symbolic())
        J = sp.sympify(_scalar(scope(self.problem.loss(self.loss_name).expr.node)))
        targets = list(arrays[self.wrt].ravel())
        if self.route == "diff":
            grads = [sp.diff(J, t) for t in targets]
            if self.order == 2:
                grads = [sp.diff(g, t) for g in grads for t in targets]
        else:
            grads = reverse.gradient(J, targets)
            if self.order == 2:
                grads = [h for g in grads for h in reverse.gradient(g, targets)]
        self._exprs = [J, *grads]
        self._arrays = arrays
        return self._exprs

    def _arg_symbols(self) -> list:
        self.expressions()
        return [s for name, _, _ in self.inputs for s in self._arrays[name].ravel()]

    def _generate(self, printer_class) -> str:
        exprs = self.expressions()
        args = self._arg_symbols()
        # order="none": SymPy's canonical ordering of the expressions costs more than the cse itself
        replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_c"), order="none")
        printer = printer_class({"fully_qualified_modules": True, "standard": "python3", "order": "none"})
        rename = {s: sp.Symbol(f"v_{s.name}") for s in args}
        lines = ["def truth(_args):"]
        if args:
            lines.append("    " + ", ".join(f"v_{s.name}" for s in args) + (", = _args" if len(args) == 1 else " = _args"))
        for sym, e in replacements:
            lines.append(f"    {sym} = {printer.doprint(e.xreplace(rename))}")
        lines.append("    return [" + ", ".join(printer.doprint(e.xreplace(rename)) for e in reduced) + "]")
        return "\n".join(lines) + "\n"

    # -- evaluation --
    def arguments(self, inst: GenericInstance) -> list:
        out = []
        for name, kind, shape in self.inputs:
            if kind == "onehot":
                v = np.asarray(inst.value(name))
                out.extend(np.eye(shape[-1])[v].ravel().tolist())
            else:
                out.extend(np.asarray(inst.value(name), dtype=float).ravel().tolist())
        return out

    def evaluate(self, inst: GenericInstance) -> tuple[float, np.ndarray]:
        """(J, the derivative by wrt, shaped like wrt, or wrt+wrt for a Hessian)."""
        args = self.arguments(inst)
        try:
            out = self._fn(args)
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            if isinstance(exc, ValueError) and "math domain error" not in str(exc):
                raise
            out = self._evaluate_precise(args)
        shape = next(s for n, _, s in self.inputs if n == self.wrt)
        grad = np.asarray(out[1:], dtype=float).reshape(shape + (shape if self.order == 2 else ()))
        return float(out[0]), grad

    def _evaluate_precise(self, args) -> list:
        """Overflowing float arithmetic: the same expressions in mpmath."""
        if self._precise is None:
            self._precise = _compile(self._generate(_MpmathPrinter), {"mpmath": mpmath})
        with mpmath.workdps(40):
            return [float(x) for x in self._precise([mpmath.mpf(a) for a in args])]


class _PythonPrinter(PythonCodePrinter):
    def _print_Step(self, e):
        return f"(1.0 if {self._print(e.args[0])} > 0 else 0.0)"


class _MpmathPrinter(MpmathPrinter):
    def _print_Step(self, e):
        return f"(mpmath.mpf(1) if {self._print(e.args[0])} > 0 else mpmath.mpf(0))"


def _scalar(x):
    return x.item() if isinstance(x, np.ndarray) else x


def _compile(source: str, namespace: dict | None = None):
    ns = {"math": math} if namespace is None else dict(namespace)
    exec(compile(source, "<gradkey-truth>", "exec"), ns)  # our own generated code, never submission text
    return ns["truth"]


def _path(key) -> Path:
    return cache_dir() / f"truth-{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}.json"


def _load(key) -> str | None:
    path = _path(key)
    try:
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            return None        # someone else's file is never executed
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != repr(key) or not isinstance(data.get("source"), str):
            return None
        source = data["source"]
        if not source.startswith("def truth(_args):"):
            return None
        compile(source, "<gradkey-truth>", "exec")
        return source
    except (OSError, ValueError, SyntaxError, TypeError, AttributeError):
        return None


def _store(key, source: str) -> None:
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".truth-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"format": FORMAT, "key": repr(key), "source": source}, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        pass               # a read-only cache only costs time


def derivation(problem: GenericProblem, loss: str, wrt: str, order: int, dims: dict,
               route: str = "reverse") -> Derivation:
    """The cached derivation (memory, then disk, then SymPy)."""
    key = (problem.digest, loss, wrt, order, tuple(sorted(dims.items())), route)
    with _LOCK:
        if key not in _MEMORY:
            _MEMORY[key] = Derivation(problem, loss, wrt, order, dims, route)
        return _MEMORY[key]


def clear_memory() -> None:
    _MEMORY.clear()


def full_gradient(q: GenericQuestion, inst: GenericInstance, loss: str | None = None) -> np.ndarray:
    """The derivative by the whole wrt symbol (before the question's part), of
    the question's loss or of the named one of its base losses."""
    return derivation(q.problem, loss or q.loss, q.wrt, q.order, inst.dims).evaluate(inst)[1]


def select_part(q: GenericQuestion, G, inst: GenericInstance, symbolic: bool = False):
    """The question's part (a column, a row, an entry) of a full gradient."""
    if not q.part:
        return G
    from gradkey.derive.draw import _Scope
    values = dict(inst.values)
    values["__G__"] = G
    backend = al.Symbolic() if symbolic else al.Numeric()
    return _Scope(inst.problem, inst.dims, values, inst.overrides, backend)(al.Index(0, al.Name(0, "__G__"), q.part))


def question_truth(q: GenericQuestion, inst: GenericInstance, loss: str | None = None):
    return select_part(q, full_gradient(q, inst, loss), inst)


def symbolic_truth(q: GenericQuestion, inst: GenericInstance, loss: str | None = None) -> np.ndarray:
    """The derived answer as SymPy expressions in the instance's symbolic twin
    (labels and indices substituted by their one-hot values)."""
    der = derivation(q.problem, loss or q.loss, q.wrt, q.order, inst.dims)
    exprs = der.expressions()
    subs = {}
    for name, kind, shape in der.inputs:
        if kind == "onehot":
            onehot = np.eye(shape[-1])[np.asarray(inst.value(name))]
            for idx in np.ndindex(shape):
                subs[der._arrays[name][idx]] = int(onehot[idx])
        elif inst.problem.definition(name) is not None:
            # a cut definition: its entries in terms of the twin's symbols
            twin = inst.evaluate(inst.problem.definition(name).expr, symbolic=True)
            for idx in np.ndindex(shape):
                subs[der._arrays[name][idx]] = twin[idx]
    shape = next(s for n, _, s in der.inputs if n == q.wrt)
    G = np.array([e.xreplace(subs) for e in exprs[1:]], dtype=object).reshape(
        shape + (shape if q.order == 2 else ()))
    return select_part(q, G, inst, symbolic=True)
