"""How a function of formula code maps to the problem set.

A problem file's ``[code]`` table declares each function: its arguments (a
value of the file and how it is handed over — ``as = "rows"``, ``"int"``,
``"token"``, a ``dataset`` queue, a loss function replayed from a table …),
its outputs (``loss``, ``grad:NAME`` with a layout) and the loss the truth
is derived from. An :class:`Adapter` is built from one such declaration: it
turns an instance into the call (one converter per kind, :data:`CONVERTERS`)
and the derived truth into the outputs in the code's layout. Nothing here
names a problem set: word2vec's CS224n functions are the ``[code]`` table of
``derive/problems/word2vec.toml`` (:func:`default_adapters`).

An adapter takes an instance of its problem file (``derive.draw.GenericInstance``:
dims, named arrays, labels and indices); the truth is the file's own derivation
(``derive.truth``: the loss written entry by entry, differentiated and cached
per dimensions), so nothing here depends on one problem set's structure.

A user's TOML map (``gradkey code --map``, :func:`load_map`) is the same
declaration written with the older shorthand kinds (``U_rows``, ``base_loss``,
…), translated here into ``[code]`` arguments (:data:`SHORTHAND`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from gradkey.verify.code.protocol import Handle, encode


DATASET = Handle("dataset")


@dataclass(frozen=True)
class Call:
    """One call of the function under test, in the code's own layout."""
    args: list
    kwargs: dict = field(default_factory=dict)
    samples: tuple = ()        # the queue the dataset hands out
    tables: dict = field(default_factory=dict)   # replay tables (protocol.py), by handle name
    base_window: tuple = ()    # a replayed loss: the labels it must be called with, in any order
    target: dict | None = None # default: the module function of the adapter
    stands_for: dict = field(default_factory=dict)  # table handle -> the module function it replaces
    base_args: dict = field(default_factory=dict)   # a replayed loss: "center"/"outside" it must be handed

    def request(self, function: str) -> dict:
        """The call in the wire format of protocol.py."""
        return {"target": self.target or {"function": function},
                "args": [encode(a) for a in self.args],
                "kwargs": {k: encode(v) for k, v in self.kwargs.items()},
                "dataset": [int(s) for s in self.samples],
                "tables": {name: [{k: encode(v) for k, v in e.items()} for e in table]
                           for name, table in self.tables.items()},
                "stands_for": dict(self.stands_for)}


# -- the truth at an instance ----------------------------------------------------------------------
# SymPy loads with gradkey.derive: imported on first use, so that the names of
# a layout are known without it (an import failure is reported at once)

class Truth:
    """The derived loss and gradients of one loss at one instance (``.loss``,
    ``[name]``), each gradient derived (and cached per dims) when first asked."""

    def __init__(self, problem, loss: str, inst, first: str = ""):
        self.problem, self.loss_name, self.inst = problem, loss, inst
        self.first = first          # the gradient asked for anyway: its derivation gives the loss too
        self.grads: dict = {}
        self._loss = None

    def _derive(self, wrt: str):
        from gradkey.derive.truth import derivation
        with np.errstate(over="ignore"):
            value, grad = derivation(self.problem, self.loss_name, wrt, 1, self.inst.dims).evaluate(self.inst)
        self._loss = value
        self.grads[wrt] = np.asarray(grad, dtype=float)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.grads:
            self._derive(name)
        return self.grads[name]

    @property
    def loss(self) -> float:
        if self._loss is None:
            self._derive(self.first or _a_parameter(self.problem, self.loss_name))
        return self._loss


def _a_parameter(problem, loss: str) -> str:
    """A parameter the loss reads (any derivation gives the loss's value)."""
    reads = _reads(problem, loss)
    return next((s.name for s in problem.symbols if s.role == "parameter" and s.name in reads),
                next(s.name for s in problem.symbols if s.role == "parameter"))


def truth(problem, loss: str, inst, first: str = "") -> Truth:
    """The derived loss and gradients at ``inst`` (``.loss``, ``[name]``), once
    per instance and loss: the call's replay table, the judging and the
    messages read the same numbers. ``first``: a gradient that will be asked
    for (its derivation gives the loss, so none other is needed for it)."""
    return inst.once(("code.truth", loss), lambda: Truth(problem, loss, inst, first))


def loss_at(problem, loss: str, inst, changes: dict):
    """The loss evaluated with some symbols replaced (an array of points for a
    scalar: the loss at each point)."""
    with np.errstate(over="ignore"):  # e^{-x} overflows to inf for x << 0 and σ is then exactly 0
        return np.asarray(inst.replace(**changes).evaluate(problem.loss(loss).expr), dtype=float)


def context(spec, inst, j: int, draws: str = ""):
    """The instance seen by the j-th call of a replayed loss (argument ``spec``):
    its label ``spec.label`` is the j-th entry of ``spec.over``, and the label
    array it draws (``draws``, the replayed function's dataset) is row j of
    ``spec.rows``. Memoised per instance: the call and its table read it."""
    def make():
        changes = {spec.label: int(np.asarray(inst.value(spec.over)).ravel()[j])}
        if draws and spec.rows:
            changes[draws] = np.asarray(inst.value(spec.rows))[j].copy()
        return inst.replace(**changes)
    return inst.once(("code.context", spec.name, spec.label, spec.over, spec.rows, draws, j), make)


# -- converters: one per argument kind (derive/problemfile.py ARG_KINDS) -------------------------

def token(j) -> str:
    """A word index as the string the code's word2Ind maps back to it."""
    return f"w{int(j)}"


def _default(spec, g):
    """Handed over by type: labels as int64 arrays, scalars as floats, arrays as float64 copies."""
    s = g.problem.symbol(spec.value)
    v = _value(spec, g)
    if s is not None and s.role == "label":
        return np.asarray(v, dtype=np.int64).copy()
    if np.ndim(v) == 0:
        return float(v)
    return np.array(v, dtype=np.float64)


def _value(spec, g):
    if spec.value in g.values and spec.value not in g.overrides:      # a symbol: no evaluation needed
        return g.values[spec.value]
    if g.problem.definition(spec.value) is not None:
        return g.value(spec.value)
    return g.evaluate(_parsed(g.problem, spec.value))


_PARSED: dict = {}      # (id of the problem, text) -> (problem, parsed expression): parsed once, not per call


def _parsed(problem, text: str):
    hit = _PARSED.get((id(problem), text))
    if hit is None or hit[0] is not problem:
        hit = _PARSED[(id(problem), text)] = (problem, problem.parse(text))
    return hit[1]


def _points(spec, g):
    return np.append(np.asarray(g.values[spec.points], dtype=float).ravel() * spec.scale, float(g.values[spec.value]))


def _tokens(spec, g):
    v = np.asarray(_value(spec, g))
    return token(v) if v.ndim == 0 else [token(j) for j in v.ravel()]


CONVERTERS = {
    "": _default,
    "array": lambda spec, g: np.array(_value(spec, g), dtype=np.float64),
    "rows": lambda spec, g: np.array(np.asarray(_value(spec, g)).T, dtype=np.float64),
    "float": lambda spec, g: float(_value(spec, g)),
    "int": lambda spec, g: int(round(float(_value(spec, g)))),
    "labels": lambda spec, g: np.asarray(_value(spec, g), dtype=np.int64).copy(),
    "token": _tokens,
    "token_index": lambda spec, g: {token(n): n for n in range(g.dims[spec.over])},
    "points": _points,
    "dataset": lambda spec, g: DATASET,
    "function": lambda spec, g: Handle(_table(spec)),
    "list": lambda spec, g: [int(s) for s in np.asarray(_value(spec, g)).ravel()],   # --map shorthand: samples
}


def _table(spec) -> str:
    """The replay table's handle (never "dataset", the dataset's)."""
    return f"replay:{spec.name}"


def queue(spec, g) -> tuple:
    """What a dataset argument's sampleTokenIdx() hands out: the label array
    ``draws``, each entry after the label ``rejects`` when declared. Code
    written for the course redraws when it gets that label (word2vec's o), so
    correct code ends up with exactly the draws; code that keeps it (a real
    bug: o then counts as its own negative sample) does not."""
    if not spec.draws:
        return ()
    drawn = [int(s) for s in np.asarray(g.value(spec.draws)).ravel()]
    if not spec.rejects:
        return tuple(drawn)
    rejected = int(g.value(spec.rejects))
    return tuple(x for s in drawn for x in (rejected, s))


# -- adapters -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Adapter:
    function: str              # as declared: NAME or NAME:variant
    loss: str                  # the loss the truth is derived from
    outputs: tuple = ()        # the code's names of the returned values
    arguments: tuple = ()      # the code's names of its arguments (for messages)
    make_call: object = None   # inst -> Call
    make_truth: object = None  # inst -> list of expected outputs, in the code's layout
    stability: bool = True     # judged on large-magnitude probes too (loss and gradient functions)
    problem: object = None     # the problem file it was declared in
    rows: frozenset = frozenset()          # outputs handed back transposed: one row per word
    label_outputs: frozenset = frozenset() # outputs that are labels (integers are right)
    draws: str = ""            # the label array a dataset argument hands out ("" none)
    rejects: str = ""          # the label it hands out before each draw
    checks_draws: bool = False # the loss reads the draws: the code must use exactly them
    replays: tuple = ()        # outputs the replayed loss also returns (summed over its calls)
    declaration: object = None # the [code] declaration (derive.problemfile.CodeLayout)
    points: str = ""           # the scalar a points argument varies (an elementwise function), "" none

    def call(self, inst) -> Call:
        return self.make_call(inst)

    def expected(self, inst) -> list[np.ndarray]:
        return self.make_truth(inst)

    def values(self, inst):
        """The instance's named values (an instance of the problem file is its own)."""
        return inst


def _reads(problem, loss: str) -> set:
    """The names the loss reads, through its definitions."""
    from gradkey.derive import arraylang as al
    seen, todo = set(), set(al.names(problem.loss(loss).expr.node))
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        d = problem.definition(n)
        if d is not None:
            todo |= set(al.names(d.expr.node))
    return seen


def _output_value(problem, out, loss: str, points, inst, grads):
    kind, _, target = out.what.partition(":")
    if kind == "loss":
        v = np.float64(grads().loss)
    elif kind == "grad":
        v = np.asarray(grads()[target], dtype=float)
    elif target == "loss":
        v = loss_at(problem, loss, inst, {points.value: _points(points, inst)})
    else:
        v = np.asarray(inst.value(target), dtype=float)
    return v.T if out.layout == "rows" else v


def adapter(problem, decl, declared: dict | None = None) -> Adapter:
    """The adapter of one ``[code]`` function of ``problem``. ``declared``:
    the file's functions by name (a ``function`` argument replays one)."""
    declared = declared if declared is not None else {d.name: d for d in problem.code}
    specs = decl.arg_specs
    points = next((s for s in specs if s.kind == "points"), None)
    dataset = next((s for s in specs if s.kind == "dataset"), None)
    replayed = {s.name: _replayed(problem, declared, s, decl) for s in specs if s.kind == "function"}

    def make_call(inst):
        g = inst
        args, kwargs = [], {}
        for s in specs:
            if s.keyword:
                kwargs[s.name] = CONVERTERS[s.kind](s, g)
            else:
                args.append(CONVERTERS[s.kind](s, g))
        tables, stands_for, window, base_args = {}, {}, (), {}
        for s in specs:
            if s.kind != "function":
                continue
            inner, base = replayed[s.name]
            labels = [int(w) for w in np.asarray(g.value(s.over)).ravel()]
            tables[_table(s)] = [_replay_entry(inner, context(s, inst, j, inner.draws), w)
                                 for j, w in enumerate(labels)]
            stands_for[_table(s)] = module_name(inner.function)
            window = tuple(labels)
            sent = inner.call(inst).args
            base_args = {"center": (base[0], sent[base[0]]), "outside": (base[2], sent[base[2]])}
        return Call(args, kwargs, samples=queue(dataset, g) if dataset else (), tables=tables,
                    base_window=window, stands_for=stands_for, base_args=base_args)

    def make_truth(inst):
        memo = {}

        def grads():
            if "grads" not in memo:
                memo["grads"] = truth(problem, decl.loss, inst, first)
            return memo["grads"]
        return [_output_value(problem, o, decl.loss, points, inst, grads) for o in decl.output_specs]

    outs = decl.output_specs
    first = next((o.what[5:] for o in outs if o.what.startswith("grad:")), "")
    reads = _reads(problem, decl.loss)
    replay_outputs = {o.what for inner, _ in replayed.values() for o in inner.declaration.output_specs}
    return Adapter(
        decl.name, decl.loss, outputs=tuple(o.name for o in outs),
        arguments=tuple(s.name for s in specs if not s.keyword),   # positional, as call.args (keywords: call.kwargs)
        make_call=make_call, make_truth=make_truth, problem=problem, declaration=decl,
        stability=any(o.what == "loss" or o.what.startswith("grad:") or o.what == "value:loss" for o in outs),
        rows=frozenset(o.name for o in outs if o.layout == "rows"),
        label_outputs=frozenset(o.name for o in outs if o.what.startswith("value:") and o.what != "value:loss"),
        draws=dataset.draws if dataset else "", rejects=dataset.rejects if dataset else "",
        checks_draws=bool(dataset and dataset.draws and dataset.draws in reads), points=points.value if points else "",
        replays=tuple(o.name for o in outs if o.what in replay_outputs and o.what.startswith("grad:")))


def _replayed(problem, declared, spec, outer) -> tuple:
    """The adapter of the function a ``function`` argument stands for, and
    where its vector, label and matrix arguments are. The sandbox's replay
    (worker.py) answers calls f(vector, label, matrix, dataset=None, K=None)
    with (loss, ∂/∂vector, ∂/∂matrix): the replayed function must be one."""
    decl = declared.get(spec.replays)
    where = f"{problem.source}: [code.functions.{outer.name}] argument {spec.name}"
    if decl is None:
        raise ValueError(f"{where}: replays {spec.replays!r}, which is not a function of the file")
    kinds = [s.kind or "array" for s in decl.arg_specs]
    vec = next((n for n, k in enumerate(kinds) if k == "array"), None)
    lab = next((n for n, s in enumerate(decl.arg_specs) if s.kind == "int" and s.value == spec.label), None)
    mat = next((n for n, k in enumerate(kinds) if k in ("rows", "array") and n != vec), None)
    whats = [o.what for o in decl.output_specs]
    if None in (vec, lab, mat) or len(whats) != 3 or whats[0] != "loss" or not all(w.startswith("grad:") for w in whats[1:]):
        raise ValueError(f"{where}: a replayed loss answers calls f(vector, {spec.label}, matrix, …) with "
                         f"(loss, ∂/∂vector, ∂/∂matrix); {spec.replays} is declared otherwise")
    return adapter(problem, decl, declared), (vec, lab, mat)


def _replay_entry(inner: Adapter, ctx, label: int) -> dict:
    """What the replayed loss returns for one label, derived: the outer function
    is judged on its own, with a replayed loss that is right by construction
    (no derived truth inside the sandbox, only these numbers)."""
    loss, center, outside = inner.expected(ctx)
    return {"o": int(label), "loss": float(loss), "center": np.asarray(center, dtype=float),
            "outside": np.asarray(outside, dtype=float)}


def module_name(function: str) -> str:
    """The name looked up in the module (NAME:variant is NAME, e.g.
    skipgram:neg is skipgram with the negative-sampling base loss)."""
    return function.split(":")[0]


def module_function(adapter: Adapter) -> str:
    return module_name(adapter.function)


# -- the problem files served by these adapters ---------------------------------------------------

def own_probes(problem) -> bool:
    """Whether the problem file's code is checked with these adapters
    (``search.py``): its ``[code]`` declares its own stability probes
    (``[code.probes]``, word2vec's scores at ±800) and only plain functions
    whose outputs are the loss, gradients and values. Other files are checked
    by ``filesearch.py`` (regulariser conventions, methods, grads dicts, and
    uniform score shifts as probes)."""
    return bool(problem.code and problem.code_probes) and all(
        d.kind == "function" and not ({"grads", "scores"} & set(d.outputs)) for d in problem.code)


@functools.lru_cache(maxsize=None)
def _load(path: str):
    from gradkey.derive.problemfile import load
    return load(path)


def adapters(problem) -> tuple:
    """Every function of the file's ``[code]`` table, as adapters."""
    declared = {d.name: d for d in problem.code}
    return tuple(adapter(problem, d, declared) for d in problem.code)


@functools.lru_cache(maxsize=None)
def default_problem():
    """The problem set checked when none is named or found (the command
    line's default set, preflight.DEFAULT_PROBLEM)."""
    from gradkey.derive.problemfile import bundled
    from gradkey.verify.code.preflight import DEFAULT_PROBLEM
    return _load(str(bundled()[DEFAULT_PROBLEM]))


@functools.lru_cache(maxsize=None)
def default_adapters() -> tuple:
    return adapters(default_problem())


def default_helpers() -> str | None:
    p = default_problem()
    return p.helpers[0] if p.helpers else None


def __getattr__(name):
    # CS224N (the default problem file's adapters) and HELPERS are kept as
    # names for existing callers; built on first use from the problem file
    if name == "CS224N":
        return default_adapters()
    if name == "HELPERS":
        return default_helpers()
    raise AttributeError(name)


# -- declared mappings (--map, the pytest fixture) ---------------------------------------------------

#: The older shorthand argument kinds of a --map file, as [code] arguments over
#: the default problem file's names. Any other NAME is that value of the file,
#: handed over by type (a single label as an int, a label array as a list);
#: NAME_rows is the matrix NAME transposed.
SHORTHAND = {
    "dataset": {"as": "dataset"},
    "center_word": {"value": "c", "as": "token"},
    "window_size": {"value": "M / 2", "as": "int"},
    "window_words": {"value": "window", "as": "token"},
    "word2ind": {"as": "token_index", "over": "W"},
    "base_loss": {"as": "function"},
}


def _shorthand_arg(problem, kind: str, loss: str):
    from gradkey.derive.problemfile import CodeArg
    if kind in SHORTHAND:
        spec = dict(SHORTHAND[kind])
        if spec.get("as") == "function":
            # the loss function argument of the file's own layout of this loss
            own = next((s for d in problem.code if d.loss == loss for s in d.arg_specs if s.kind == "function"), None)
            if own is None:
                raise ValueError(f"base_loss: no function of {problem.name}'s [code] with loss {loss} takes a loss "
                                 "function argument")
            return own
        if spec.get("as") == "dataset":
            # the labels the file's own dataset arguments draw, handed out as
            # they are (no rejected label); none where a replayed loss draws them
            replays = any(s.kind == "function" for d in problem.code if d.loss == loss for s in d.arg_specs)
            draws = next((s.draws for d in problem.code for s in d.arg_specs if s.kind == "dataset" and s.draws), "")
            return CodeArg(kind, "", "dataset", draws="" if replays else draws)
        return CodeArg(kind, **{"value": spec.get("value", ""), "kind": spec["as"], "over": spec.get("over", "")})
    base, rows = (kind[:-5], True) if kind.endswith("_rows") else (kind, False)
    known = [s.name for s in problem.symbols] + [d.name for d in problem.definitions] + [d.name for d in problem.dims]
    if base not in known:
        raise ValueError(f"unknown argument kind {kind!r}; use one of {', '.join(SHORTHAND)}, a name of "
                         f"{problem.name} ({', '.join(known)}) or NAME_rows for a matrix as rows")
    s = problem.symbol(base)
    if rows:
        return CodeArg(kind, base, "rows")
    if s is not None and s.role == "label":
        return CodeArg(kind, base, "int" if not s.shape else "list")
    if base in {d.name for d in problem.dims}:
        return CodeArg(kind, base, "int")
    return CodeArg(kind, base, "array")


def _shorthand_output(problem, kind: str):
    from gradkey.derive.problemfile import CodeOutput
    if kind == "loss":
        return CodeOutput("loss", "loss")
    if kind.startswith("grad_"):
        name = kind[5:]
        base, rows = (name[:-5], True) if name.endswith("_rows") else (name, False)
        if problem.symbol(base) is not None or problem.definition(base) is not None:
            return CodeOutput(f"grad_{base} (rows)" if rows else kind, f"grad:{base}", "rows" if rows else "")
    raise ValueError(f"unknown output kind {kind!r}; use loss or grad_NAME (grad_NAME_rows for a matrix as rows) "
                     f"with NAME a symbol or definition of {problem.name}")



def declared(function: str, loss: str, args, outputs, problem=None) -> Adapter:
    """An adapter for any function of the problem set (default: the default
    problem file), from the shorthand kinds of its arguments and outputs, in order."""
    from gradkey.derive.problemfile import CodeLayout
    problem = problem or default_problem()
    losses = [l.name for l in problem.loss_decls]
    if loss not in losses:
        raise ValueError(f"declared functions compute one of {', '.join(losses)}, not {loss!r}")
    specs = tuple(_shorthand_arg(problem, a, loss) for a in args)
    specs = tuple(s if s.name == a else _renamed(s, a) for s, a in zip(specs, args))
    outs = tuple(_shorthand_output(problem, o) for o in outputs)
    decl = CodeLayout(function, "function", loss, tuple(args), tuple(o.what for o in outs), arg_specs=specs,
                      output_specs=outs)
    return adapter(problem, decl, {**{d.name: d for d in problem.code}, function: decl})


def _renamed(spec, name):
    import dataclasses
    return dataclasses.replace(spec, name=name)


def load_map(path, problem=None) -> list[Adapter]:
    """Declared adapters from a TOML file, over ``problem`` (a loaded problem
    file; None: the one the map names by ``problem = NAME|PATH``, else the
    default set)::

        problem = "logreg"                  # optional; `gradkey code --problem` wins
        [functions.my_loss_and_grad]
        loss = "J"
        args = ["X", "y", "theta"]
        outputs = ["loss", "grad_theta"]
    """
    import tomllib
    from pathlib import Path
    with open(path, "rb") as f:
        data = tomllib.load(f)
    functions = data.get("functions")
    if not isinstance(functions, dict) or not functions:
        raise ValueError(f"{path}: expected a [functions.NAME] table for each function to check")
    named = data.get("problem")
    if problem is None and named is not None:
        if not isinstance(named, str):
            raise ValueError(f"{path}: problem = must be a bundled set's name or a .toml path, not {named!r}")
        from gradkey.derive.problemfile import bundled, load
        files = bundled()
        where = files.get(named) or Path(path).parent / named
        if not Path(where).is_file():
            raise ValueError(f"{path}: problem = {named!r} is neither a bundled set ({', '.join(files)}) "
                             "nor a file next to the map")
        problem = load(where)
    out = []
    for name, spec in functions.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: functions.{name} must be a table with loss, args and outputs")
        missing = [k for k in ("loss", "args", "outputs") if k not in spec]
        if missing:
            raise ValueError(f"{path}: [functions.{name}] needs {', '.join(missing)}")
        try:
            out.append(declared(name, spec["loss"], spec["args"], spec["outputs"], problem))
        except ValueError as exc:
            raise ValueError(f"{path}: [functions.{name}]: {exc}") from None
    return out
