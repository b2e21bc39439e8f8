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
        return tuple(self.decl.args)

    @functools.cached_property
    def parts(self) -> tuple:
        out = []
        for n, spec in enumerate(self.decl.outputs):
            if spec == "loss":
                out.append(Part("loss", "loss", position=n))
            elif spec.startswith("grad:"):
                sym = spec[5:]
                out.append(Part(f"d{sym}", "grad", sym, position=n))
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
        names = {"loss": "loss", "grads": "grads"}
        return ", ".join(names.get(s, f"d{s[5:]}" if s.startswith("grad:") else s) for s in self.decl.outputs)

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
        """The symbols the code is handed that are differentiated (grad outputs)."""
        return tuple(dict.fromkeys(p.symbol for p in self.parts if p.symbol))

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
            out[p.name] = np.float64(loss) if p.kind == "loss" else np.asarray(grads[p.symbol], dtype=float)
        return out

    def _any_symbol(self) -> str:
        return next(s.name for s in self.problem.symbols if s.role == "parameter")

    def shape(self, part: Part, inst: GenericInstance) -> tuple:
        return () if part.kind == "loss" else tuple(np.shape(inst.value(part.symbol)))

    # -- the call ------------------------------------------------------------------------
    def argument(self, name: str, inst: GenericInstance):
        s = self.problem.symbol(name)
        v = inst.value(name)
        if s is not None and s.role == "label":
            return np.asarray(v, dtype=np.int64).copy()
        if np.ndim(v) == 0:
            return float(v)
        return np.array(v, dtype=np.float64)

    def call(self, inst: GenericInstance) -> Call:
        args = [self.argument(a, inst) for a in self.decl.args]
        if not self.is_method:
            return Call(args)
        cls, method = self.decl.name.split(".", 1)
        init = [int(inst.dims[d]) for d in self.decl.constructor.values()]
        params = {k: np.array(inst.value(sym), dtype=np.float64) for k, sym in self.decl.params.items()}
        target = {"class": cls, "init": {"args": init, "kwargs": {}}, "set": {"params": encode(params)},
                  "method": method}
        return Call(args, target=target)

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
        for a in self.decl.args:
            v = self.argument(a, inst)
            out[a] = v.tolist() if isinstance(v, np.ndarray) and v.dtype.kind in "iu" else (
                plain(v) if isinstance(v, np.ndarray) else round(v, 6))
        return out


# -- finding the layouts of a file -----------------------------------------------------

def layouts(problem: GenericProblem) -> list[FileLayout]:
    return [FileLayout(problem, d) for d in problem.code]


_DEF = re.compile(r"^[ \t]*(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def defined_names(source: str) -> set:
    """Names a module defines with def/class at any indentation — read from
    the text, never run (Python 2 files included)."""
    return set(_DEF.findall(source))


def present(layout: FileLayout, names: set) -> bool:
    if layout.is_method:
        cls, method = layout.function.split(".", 1)
        return cls in names and method in names
    return layout.function in names


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
    """The bundled problem files that declare code layouts (a file without a
    [code] table is not loaded: read with tomllib alone, that is cheap)."""
    import tomllib
    from gradkey.derive.problemfile import bundled, load
    out = []
    for f in bundled().values():
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
