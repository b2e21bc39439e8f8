"""Code layouts generated from a problem file's ``[code]`` section.

A problem file declares, per function or ``Class.method`` of student code,
the loss it computes, its arguments (symbols of the file, in call order),
its outputs (``loss``, ``grad:<symbol>``, ``grads``: a dict keyed like the
method's ``params``) and, for a method, the ``params`` dict set on the object
and the constructor's arguments (dimensions). ``[code.conventions]`` names
the regulariser conventions accepted (a substitution per convention, e.g.
``half = { reg = "reg / 2" }`` for ½λ‖W‖² with gradient λW).

:class:`FileLayout` turns that declaration into what the search needs — the
call in the code's layout (labels as integer arrays, constants as Python
floats, arrays as float64 copies, the object built and its ``params`` set),
the derived truth of every output under each convention, the output names
students know (``dW``, ``grads['b1']``) — with no Python special case per
problem set: everything comes from the file.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradkey.derive.draw import GenericInstance
from gradkey.derive.problemfile import CodeLayout, GenericProblem
from gradkey.verify.code.layout import Call
from gradkey.verify.code.protocol import encode


@dataclass(frozen=True)
class Part:
    """One compared output: ``kind`` is loss, grad (of ``symbol``) or grads
    (the dict entry ``key``, the gradient of ``symbol``)."""
    name: str                  # as students know it: loss, dW, grads['b1']
    kind: str
    symbol: str | None = None
    key: str | None = None
    position: int = 0          # which returned value holds it
    layout: str = ""           # "rows": handed back transposed

    @property
    def meaning(self) -> str:
        return "the loss" if self.kind == "loss" else f"∂L/∂{self.symbol}"


@dataclass(frozen=True, eq=False)
class FileLayout:
    problem: GenericProblem
    decl: CodeLayout
    needs: str = ""
    stability: bool = True
    loss_name: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "loss_name", self.decl.loss)
        for spec in self.decl.arg_specs:
            if spec.kind == "function":
                # the replay (a table per call, layout.context) is implemented by
                # search.py's adapters, which serve files with their own probes
                raise ValueError(f"{self.problem.source}: [code.functions.{self.decl.name}] argument {spec.name}: "
                                 "a replayed loss argument (as = \"function\") is checked only for a problem set "
                                 "whose [code] declares its stability probes ([code.probes.NAME], as word2vec.toml "
                                 "does); declare them, or the outer function's own loss instead")

    # -- names ---------------------------------------------------------------------
    @property
    def function(self) -> str:
        return self.decl.name

    @property
    def loss(self) -> str:
        return self.decl.loss

    @property
    def is_method(self) -> bool:
        return self.decl.kind == "method"

    @property
    def class_name(self) -> str | None:
        return self.decl.name.split(".")[0] if self.is_method else None

    @property
    def arguments(self) -> tuple:
        """The positional arguments' names, as call.args (keywords go in call.kwargs)."""
        return tuple(s.name for s in self._specs if not s.keyword)

    @property
    def _specs(self) -> tuple:
        from gradkey.derive.problemfile import CodeArg
        return self.decl.arg_specs or tuple(CodeArg(a, a) for a in self.decl.args)

    @functools.cached_property
    def parts(self) -> tuple:
        out = []
        specs = self.decl.output_specs or ()
        for n, spec in enumerate(self.decl.outputs):
            # a table output names itself; a string one is named as students know it (dW)
            named = specs[n].name if n < len(specs) and specs[n].name != spec else None
            layout = specs[n].layout if n < len(specs) else ""
            if spec == "loss":
                out.append(Part(named or "loss", "loss", position=n))
            elif spec.startswith("grad:"):
                sym = spec[5:]
                out.append(Part(named or f"d{sym}", "grad", sym, position=n, layout=layout))
            elif spec.startswith("value:"):
                out.append(Part(named or spec[6:], "value", spec[6:], position=n))
            elif spec == "grads":
                for key, sym in self.decl.params.items():
                    out.append(Part(f"grads['{key}']", "grads", sym, key, position=n))
        return tuple(out)

    @property
    def outputs(self) -> tuple:
        return tuple(p.name for p in self.parts)

    @property
    def returns(self) -> int:
        return len(self.decl.outputs)

    def returns_text(self) -> str:
        by_position = {}
        for p in self.parts:
            by_position.setdefault(p.position, "grads" if p.kind == "grads" else p.name)
        return ", ".join(by_position[n] for n in range(self.returns))

    # -- conventions -------------------------------------------------------------------
    @functools.cached_property
    def conventions(self) -> dict:
        """name -> {symbol: parsed substitute}; one unnamed convention when the file declares none."""
        declared = self.problem.conventions or {"": {}}
        return {name: {sym: self.problem.parse(text, f"code.conventions.{name}.{sym}") for sym, text in subs.items()}
                for name, subs in declared.items()}

    @functools.cached_property
    def reg_symbols(self) -> tuple:
        """The constants the conventions rescale: the regulariser strengths."""
        return tuple(sorted({s for subs in self.conventions.values() for s in subs}))

    def under(self, inst: GenericInstance, convention: str) -> GenericInstance:
        subs = self.conventions[convention]
        if not subs:
            return inst
        return inst.replace(**{s: np.float64(inst.evaluate(e)) for s, e in subs.items()})

    def without_reg(self, inst: GenericInstance) -> GenericInstance:
        return inst.replace(**{s: np.float64(0.0) for s in self.reg_symbols}) if self.reg_symbols else inst

    @functools.cached_property
    def parameters(self) -> tuple:
        """The symbols (or definitions) that are differentiated (grad outputs)."""
        return tuple(dict.fromkeys(p.symbol for p in self.parts if p.symbol and p.kind in ("grad", "grads")))

    # -- the truth -----------------------------------------------------------------------
    def truth(self, inst: GenericInstance, convention: str | None = None) -> dict:
        """Every part's derived value (float64), at ``inst`` under ``convention``
        (None: the instance as it is)."""
        from gradkey.derive.truth import derivation
        at = inst if convention is None else self.under(inst, convention)
        out, loss = {}, None
        grads = {}
        for sym in self.parameters or (self._any_symbol(),):
            value, grad = derivation(self.problem, self.loss, sym, 1, inst.dims).evaluate(at)
            loss = value
            grads[sym] = grad
        for p in self.parts:
            if p.kind == "loss":
                out[p.name] = np.float64(loss)
            elif p.kind == "value":
                out[p.name] = self._value(p, at)
            else:
                g = np.asarray(grads[p.symbol], dtype=float)
                out[p.name] = g.T if p.layout == "rows" else g
        return out

    def _value(self, part: Part, inst: GenericInstance) -> np.ndarray:
        """A returned value: a label symbol's own (the samples drawn), or with a
        points argument the loss at every point."""
        if part.symbol != "loss":
            return np.asarray(inst.value(part.symbol), dtype=float)
        from gradkey.verify.code.layout import CONVERTERS
        spec = next(s for s in self._specs if s.kind == "points")
        with np.errstate(over="ignore"):
            return np.asarray(inst.replace(**{spec.value: CONVERTERS["points"](spec, inst)}).evaluate(
                self.problem.loss(self.loss).expr), dtype=float)

    def _any_symbol(self) -> str:
        return next(s.name for s in self.problem.symbols if s.role == "parameter")

    def shape(self, part: Part, inst: GenericInstance) -> tuple:
        if part.kind == "loss":
            return ()
        if part.kind == "value":
            return tuple(np.shape(self._value(part, inst)))
        shape = tuple(np.shape(inst.value(part.symbol)))
        return shape[::-1] if part.layout == "rows" else shape

    # -- the call ------------------------------------------------------------------------
    def call(self, inst: GenericInstance) -> Call:
        # one converter per argument kind, shared with search.py's adapters (layout.CONVERTERS)
        from gradkey.verify.code.layout import CONVERTERS, queue
        args, kwargs, samples = [], {}, ()
        for spec in self._specs:
            value = CONVERTERS[spec.kind](spec, inst)
            if spec.keyword:
                kwargs[spec.name] = value
            else:
                args.append(value)
            if spec.kind == "dataset":
                samples = queue(spec, inst)
        if not self.is_method:
            return Call(args, kwargs, samples=samples)
        cls, method = self.decl.name.split(".", 1)
        init = [int(inst.dims[d]) for d in self.decl.constructor.values()]
        params = {k: np.array(inst.value(sym), dtype=np.float64) for k, sym in self.decl.params.items()}
        target = {"class": cls, "init": {"args": init, "kwargs": {}}, "set": {"params": encode(params)},
                  "method": method}
        return Call(args, kwargs, samples=samples, target=target)

    def state(self, inst: GenericInstance) -> dict:
        """What the call sets on the object, to find it modified afterwards."""
        if not self.is_method:
            return {}
        return {"params": {k: np.array(inst.value(sym), dtype=np.float64) for k, sym in self.decl.params.items()}}

    def shown_inputs(self, inst: GenericInstance) -> dict:
        from gradkey.verify.code.search import plain
        out = {}
        if self.is_method:
            out[f"{self.class_name}({', '.join(f'{k}={inst.dims[d]}' for k, d in self.decl.constructor.items())})"
                ] = "params below"
            for k, sym in self.decl.params.items():
                out[f"params['{k}']"] = plain(inst.value(sym))
        call = self.call(inst)
        for spec, v in zip([s for s in self._specs if not s.keyword] + [s for s in self._specs if s.keyword],
                           list(call.args) + list(call.kwargs.values())):
            if spec.kind in ("dataset", "function"):
                out[spec.name] = f"(controlled: hands out {list(call.samples)})" if spec.kind == "dataset" else \
                    "(the derived base loss)"
            elif isinstance(v, np.ndarray):
                out[spec.name] = v.tolist() if v.dtype.kind in "iu" else plain(v)
            else:
                out[spec.name] = round(v, 6) if isinstance(v, float) else v
        return out


# -- finding the layouts of a file -----------------------------------------------------

def layouts(problem: GenericProblem) -> list:
    """The file's [code] functions: search.py's adapters where the file declares
    its own stability probes (layout.own_probes), filesearch.py's layouts otherwise;
    both on the file's own instances."""
    from gradkey.verify.code import layout
    if layout.own_probes(problem):
        return list(layout.adapters(problem))
    return [FileLayout(problem, d) for d in problem.code]


_DEF = re.compile(r"^[ \t]*(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def defined_names(source: str) -> set:
    """Names a module defines with def/class at any indentation — read from
    the text, never run (Python 2 files included)."""
    return set(_DEF.findall(source))


def present(layout, names: set) -> bool:
    if getattr(layout, "is_method", False):
        cls, method = layout.function.split(".", 1)
        return cls in names and method in names
    return layout.function.split(":", 1)[0] in names      # NAME:variant is NAME


def detect(path: str | Path, problems: list[GenericProblem]) -> tuple[GenericProblem, list[FileLayout]] | None:
    """The problem set whose declared functions the file defines (most of
    them wins), and those of its layouts that the file defines."""
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return detect_source(source, problems)


def detect_source(source: str, problems: list[GenericProblem]) -> tuple[GenericProblem, list[FileLayout]] | None:
    names = defined_names(source)
    best = None
    for p in problems:
        found = [l for l in layouts(p) if present(l, names)]
        if found and (best is None or len(found) > len(best[1])):
            best = (p, found)
    return best


def bundled_with_code() -> list[GenericProblem]:
    """The bundled problem files that declare code layouts, besides the default
    set (preflight.DEFAULT_PROBLEM: checked whole when none of these is found).
    A file without a [code] table is not loaded: read with tomllib alone, that is cheap."""
    import tomllib
    from gradkey.derive.problemfile import bundled, load
    from gradkey.verify.code.preflight import DEFAULT_PROBLEM
    out = []
    for name, f in bundled().items():
        if name == DEFAULT_PROBLEM:
            continue
        try:
            if "code" not in tomllib.loads(f.read_text(encoding="utf-8")):
                continue
        except (OSError, ValueError):
            continue
        out.append(load(f))
    return out


def load_problem(name_or_path) -> GenericProblem:
    """A bundled problem set by name, or a problem file by path, that declares code layouts."""
    from gradkey.derive.problemfile import ProblemFileError, bundled, load
    files = bundled()
    path = files.get(str(name_or_path)) or Path(name_or_path)
    if not Path(path).is_file():
        raise ProblemFileError(str(name_or_path), "", f"no such problem set or file (bundled: {', '.join(files)})")
    p = load(path)
    if not p.code:
        raise ProblemFileError(p.source, "code", "declares no code layouts ([code.functions.NAME] or "
                                                 "[code.methods.\"Class.method\"]); `gradkey code` has nothing to call")
    return p


def detect_entries(entries) -> GenericProblem | None:
    """The bundled problem set of a batch's files (for the rubric's list of
    functions): the one most of its gradable files define functions of."""
    problems = bundled_with_code()
    votes: dict = {}
    for e in entries:
        if getattr(e, "data", None) is None:
            continue
        found = detect_source(e.data[:2_000_000].decode("utf-8", errors="replace"), problems)
        if found:
            votes[found[0].name] = votes.get(found[0].name, 0) + 1
    if not votes:
        return None
    name = max(votes, key=votes.get)
    return next(p for p in problems if p.name == name)
