"""Problem files: a homework as data (TOML), loaded and validated.

A problem file declares its dimensions and check dimensions, symbols (role,
shape, premises, LaTeX spellings), index variables, named definitions,
losses, questions (closed forms, key steps, known mistakes) and code
layouts; the README's "Writing a problem file" documents every key. Loading
checks structure and shapes and refuses a file with a message naming the
file, the key, what is wrong and what is allowed; :func:`prove` (run by
``gradkey problems --check`` and before a set is used) then checks every
closed form, step and mistake against the derived truth.
"""
from __future__ import annotations

import difflib
import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gradkey.derive import arraylang as al

ROLES = ("parameter", "data", "label", "constant")
ARRAY_PREMISES = ("symmetric", "posdef", "invertible", "det_positive", "nonnegative", "positive", "binary")
LABEL_PREMISES = ("distinct",)

BUNDLED = Path(__file__).resolve().parent / "problems"


class ProblemFileError(ValueError):
    """A problem file that cannot be used: file, key, what is wrong, what to do."""

    def __init__(self, file: str, key: str, message: str):
        self.file, self.key, self.message = file, key, message
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


# -- the model ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dim:
    name: str
    meaning: str = ""
    latex: str = ""
    min: int = 1
    max: int = 5
    aliases: tuple = ()             # further spellings of its size (CS229's m for N): latex = ["N", "m"]


@dataclass(frozen=True)
class SymbolDecl:
    name: str
    role: str
    shape: tuple
    meaning: str = ""
    latex: tuple = ()
    premises: tuple = ()
    range_: str = ""              # labels: values in range(range_)
    distinct_from: tuple = ()     # labels: values differ from these index variables/labels

    @property
    def kind(self) -> str:       # for notation tables
        return {0: "scalar", 1: "vector"}.get(len(self.shape), "matrix") if self.role != "label" else "index"


@dataclass(frozen=True)
class IndexVar:
    name: str
    dim: str
    meaning: str = ""
    latex: tuple = ()


@dataclass(frozen=True)
class Expr:
    """An array-language expression with its parsed tree and type."""

    text: str
    node: al.Node = field(compare=False, repr=False)
    type: al.Type = field(compare=False, repr=False)


@dataclass(frozen=True)
class Definition:
    name: str
    expr: Expr
    latex: tuple = ()
    meaning: str = ""


@dataclass(frozen=True)
class Loss:
    name: str
    expr: Expr
    latex: str = ""
    names: tuple = ()            # what students call it: J, L, L_i, \mathcal{L}
    title: str = ""


@dataclass(frozen=True)
class Form:
    """A closed form: its array-language value, LaTeX and plain text."""

    expr: Expr
    latex: str
    text: str = ""
    question: "GenericQuestion" = field(default=None, compare=False, repr=False)
    by_loss: dict = field(default_factory=dict, compare=False, repr=False)   # base loss -> Expr

    def expr_for(self, loss: str | None = None) -> Expr:
        """The value for one base loss of a question with several (skip-gram's
        naive and neg); the one value otherwise."""
        return self.by_loss.get(loss, self.expr)

    def evaluate(self, inst, xp=None, loss=None):
        """The closed form at an instance (floats, or SymPy with xp=SYMBOLIC)."""
        return inst.evaluate(self.expr_for(loss), symbolic=xp is not None and getattr(xp, "name", "") == "symbolic")


@dataclass(frozen=True)
class Step:
    latex: str
    expr: Expr
    by_loss: dict = field(default_factory=dict, compare=False, repr=False)

    def expr_for(self, loss: str | None = None) -> Expr:
        return self.by_loss.get(loss, self.expr)


@dataclass(frozen=True)
class Mistake:
    code: str                    # stable code, e.g. linear.softmax.W.MISSING_1_OVER_N
    expr: Expr
    latex: str
    feedback: str
    by_loss: dict = field(default_factory=dict, compare=False, repr=False)

    def expr_for(self, loss: str | None = None) -> Expr:
        return self.by_loss.get(loss, self.expr)


@dataclass(frozen=True)
class GenericQuestion:
    id: str
    asks: str
    loss: str
    wrt: str                      # a parameter, data symbol or definition
    part: tuple                   # index items applied to the gradient (al nodes), () for all of it
    order: int                    # 1 gradient, 2 Hessian
    lhs: tuple                    # LaTeX left-hand sides students write
    condition: str                # branch condition in LaTeX (e.g. j \neq y_i), "" if none
    where: Expr | None            # the same condition in the array language
    closed_forms: tuple
    steps: tuple
    mistakes: tuple
    shape: tuple                  # in dimension names
    distinct: tuple = ()          # labels whose values must be pairwise distinct here
    repeated: tuple = ()          # labels that must repeat a value here
    problem: "GenericProblem" = field(default=None, compare=False, repr=False)
    bases: tuple = ()             # every loss the question is asked about (skip-gram: naive and neg); loss first
    repeated_at: tuple = ()       # (label, index variable): the entry label[var] itself repeats (n_k > 1)

    def __hash__(self) -> int:
        # by id alone (equal questions have equal ids): the checker's caches are keyed by
        # the question, and hashing every field (closed forms, mistakes) cost ~10 µs a lookup
        return hash(self.id)

    def __repr__(self) -> str:       # short: Hypothesis prints strategies' arguments (tens of kB otherwise)
        return f"GenericQuestion({self.id!r})"

    @property
    def losses(self) -> tuple:
        return self.bases or (self.loss,)

    @property
    def needs(self) -> str:
        return "repeated" if self.repeated else "distinct" if self.distinct else ""

    @property
    def part_text(self) -> str:
        return self.wrt + (self._part_src if self.part else "")

    _part_src: str = ""

    def truth(self, inst, loss: str | None = None):
        """The derived answer at an instance (the derivative of the loss, or
        of the named base loss when the question has several)."""
        if loss is not None and loss not in self.losses:
            raise ValueError(f"{self.id} is about {', '.join(self.losses)}, not {loss}")
        from gradkey.derive.truth import question_truth
        return question_truth(self, inst, loss)

    def suits(self, inst) -> bool:
        from gradkey.derive.draw import satisfies
        return satisfies(self, inst)

    def concrete_shape(self, dims: dict) -> tuple:
        return tuple(dims[d] if isinstance(d, str) else d for d in self.shape)


#: What an argument of student code may be (``as = KIND`` in ``[code]``), with
#: the keys each kind takes besides ``name``, ``as`` and ``keyword``.
ARG_KINDS = {
    "array": "a float64 copy of the value (the default for arrays)",
    "rows": "a matrix transposed, its columns handed over as rows (outside vectors as rows)",
    "float": "a Python float (the default for scalars)",
    "int": "a Python int (one label, or a size such as K)",
    "labels": "an int64 array (the default for labels)",
    "token": "a label as a word string w0, w1, … (a label array: a list of them)",
    "token_index": "a dict from each word string of dimension `over` to its index (word2Ind)",
    "points": "an array of values of the scalar `value`, taken from the entries of `from` times `scale`, "
              "then the value itself: the function is applied elementwise",
    "dataset": "an object whose sampleTokenIdx() hands out the label array `draws`, each entry after the "
               "label `rejects` when given (code must redraw when it gets that label)",
    "function": "a loss function of this [code] table (`replays`), answered from a table the grader derives, "
                "once per entry of the label array `over` put in the place of the label `label`",
}
_ARG_KEYS = {"array": {"value"}, "rows": {"value"}, "float": {"value"}, "int": {"value"}, "labels": {"value"},
             "token": {"value"}, "token_index": {"over"}, "points": {"value", "from", "scale"},
             "dataset": {"draws", "rejects"}, "function": {"replays", "over", "label", "rows"}}


@dataclass(frozen=True)
class CodeArg:
    """One argument of student code: its name in the code, the value (an
    array-language expression over the file's names) and how it is handed
    over (``kind``: one of ARG_KINDS; "" is the default by type)."""

    name: str
    value: str = ""
    kind: str = ""
    keyword: bool = False         # passed as name=value
    draws: str = ""               # dataset: the label array handed out
    rejects: str = ""             # dataset: the label handed out before each draw (to be redrawn)
    over: str = ""                # token_index: a dimension; function: a label array
    replays: str = ""             # function: the [code.functions] entry it stands for
    label: str = ""               # function: the label each entry of `over` replaces
    rows: str = ""                # function: the label array whose row j the j-th call's dataset draws
    points: str = ""              # points: the array whose entries give the points
    scale: float = 1.0            # points: their factor


@dataclass(frozen=True)
class CodeProbe:
    """A large-magnitude input at which ``gradkey code`` judges a function's
    numerical stability (``[code.probes.NAME]``): an instance drawn at the
    first code dimensions, then the symbols of ``set`` assigned (each
    expression evaluated at the drawn instance), then, with ``value``, the
    least-norm change of ``by`` that makes ``value`` equal ``equals``
    (evaluated at the drawn instance; ``value`` must be linear in ``by``).
    It probes the functions of ``losses``, and is kept only where the file's
    own loss and closed forms are finite and right there."""

    name: str
    what: str                     # for messages: "every score near 780, where exp overflows"
    losses: tuple                 # the losses whose functions it probes
    set: tuple = ()               # (symbol, expression text), in order
    value: str = ""               # an expression linear in `by` (the scores U.T @ v_c)
    equals: str = ""              # what it is made equal to
    by: str = ""                  # the array symbol changed
    advice: dict = field(default_factory=dict)   # loss -> what to do when a function fails it


@dataclass(frozen=True)
class CodeOutput:
    """One returned value: ``what`` is loss, scores, grads, grad:<name> (the
    gradient by a symbol or definition) or value:<name> (a symbol's own
    value: the samples drawn; with a points argument, value:loss is the
    loss at every point); ``layout`` "rows" hands a matrix back transposed."""

    name: str                     # the code's name for it (messages): gradOutsideVecs
    what: str
    layout: str = ""


@dataclass(frozen=True)
class CodeLayout:
    """How student code presents a loss (consumed by ``gradkey code``)."""

    name: str                     # function name, or Class.method; name:variant for a second layout of one function
    kind: str                     # "function" or "method"
    loss: str
    args: tuple                   # the argument names in call order (for a plain symbol: its name)
    outputs: tuple                # "loss", "grad:<symbol>", "grads" (dict keyed by params), "value:<name>", "scores"
    params: dict = field(default_factory=dict)   # method layouts: dict key -> symbol
    constructor: dict = field(default_factory=dict)
    arg_specs: tuple = ()         # CodeArg, one per argument
    output_specs: tuple = ()      # CodeOutput, one per returned value
    instead_of: str = ""          # another function of the table this one stands in for (an older API's name)


@dataclass(frozen=True)
class ReaderConvention:
    """A layout an author may declare for a whole submission ("U is W × d with
    rows u_wᵀ"): the switch it turns on, what it means (shown in every judged
    answer's note) and the sentences (regexes) that declare it."""

    switch: str                   # one of READER_SWITCHES
    means: str
    patterns: tuple
    transposes: tuple = ()        # names (symbols, definitions) the submission writes transposed


@dataclass(frozen=True)
class ReaderAlias:
    """A spelling read as another one when the submission declares it
    ("ỹ = softmax(…)" makes \\tilde y read as \\hat{y})."""

    when: str                     # regex over the whole submission: the declaration
    pattern: str                  # regex over each formula: what is rewritten
    read_as: str                  # constant LaTeX it becomes
    note: str


@dataclass(frozen=True)
class ReaderWords:
    """[reader]: the words students use for this set, as validated regexes
    (strings, compiled on load). Empty means the reader's generic default
    (verify/read/vocabulary.py). Tuples, not dicts: the problem stays hashable."""

    loss_words: tuple = ()        # (loss key, regex over lower-cased prose), first match wins
    loss_content: tuple = ()      # (loss key, regex over LaTeX only that loss's formulas contain)
    loss_letters: tuple = ()      # letters naming the loss on a left-hand side
    vocabulary_sets: tuple = ()   # names of the whole index set under a Σ
    variable_words: tuple = ()    # (variable, regex over a heading or remark asking about it)
    otherwise_words: str = ""
    repeat_words: str = ""
    sigmoid_words: str = ""
    problem_capitals: str = ""    # capitals the problem's formulas use (never a student's count)
    conventions: tuple = ()       # ReaderConvention
    aliases: tuple = ()           # ReaderAlias
    letter_readings: tuple = ()   # (letter, other): a column written v_w may be meant as u_w; both are judged


# what a declared convention may switch: the layouts the judge implements
READER_SWITCHES = {"rows_U": "U is W × d: its rows are the outside vectors u_wᵀ",
                   "row_y": "ŷ and y are row vectors"}


@dataclass(frozen=True, repr=False)
class GenericProblem:
    name: str
    title: str
    source: str                   # path of the file, for messages
    digest: str                   # sha256 of the file's bytes: the derivation cache key
    dims: tuple                   # Dim
    check_dims: tuple             # dicts name -> size
    proof_dims: dict
    symbols: tuple                # SymbolDecl
    indices: tuple                # IndexVar
    definitions: tuple            # Definition, in dependency order
    loss_decls: tuple             # Loss
    questions: tuple              # GenericQuestion
    code: tuple = ()              # CodeLayout
    conventions: dict = field(default_factory=dict)   # name -> {constant: expression text}
    helpers: tuple = ()           # course helper modules (folders under derive/problems/helpers)
    aliases: dict = field(default_factory=dict)
    reader: ReaderWords = ReaderWords()   # [reader]: the words students use (verify/read/vocabulary.py)
    code_dims: tuple = ()         # [code] dims: where code is checked (default: check_dims)
    code_probes: tuple = ()       # [code.probes]: CodeProbe, the stability probes
    code_advice: str = ""         # [code] advice: what to do about a failed probe without its own advice

    def __repr__(self) -> str:       # short: Hypothesis prints strategies' arguments
        return f"GenericProblem({self.name!r}, {self.source!r})"

    # -- the ProblemSet interface (shared with word2vec) --
    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def question(self, qid: str) -> GenericQuestion:
        q = self._by_name[2].get(qid)
        if q is not None:
            return q
        from gradkey.derive.problems import UnknownQuestion
        close = difflib.get_close_matches(qid, self.ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownQuestion(f"unknown question id {qid!r} in problem set {self.name!r}{hint} "
                              f"(known: {', '.join(self.ids)})")

    @property
    def losses(self) -> tuple:
        """(LaTeX name, LaTeX definition) per loss, for the answer key."""
        plain = lambda name: r"\text{" + name.replace("_", r"\_") + "}"  # noqa: E731
        return tuple(((l.names[0] if l.names else plain(l.name)), l.latex) for l in self.loss_decls)

    def loss(self, name: str) -> Loss:
        return next(l for l in self.loss_decls if l.name == name)

    def symbol(self, name: str) -> SymbolDecl | None:
        return self._by_name[0].get(name)

    def definition(self, name: str) -> Definition | None:
        return self._by_name[1].get(name)

    @functools.cached_property
    def _by_name(self) -> tuple:
        """Symbols, definitions and questions by name (the first of a name, as a scan
        would find): the checker looks names up for every name of every answer read."""
        out: tuple = ({}, {}, {})
        for table, items, key in ((out[0], self.symbols, "name"), (out[1], self.definitions, "name"),
                                  (out[2], self.questions, "id")):
            for item in items:
                table.setdefault(getattr(item, key), item)
        return out

    @property
    def dim_names(self) -> tuple:
        return tuple(d.name for d in self.dims)

    def parse(self, text: str, where: str = "expression") -> Expr:
        """Parse and type an array-language expression in this problem's names."""
        return _expr(text, self._type_env(), self.source, where)

    def _type_env(self) -> al.TypeEnv:
        types = {}
        for s in self.symbols:
            types[s.name] = al.Type("index", s.shape, s.range_) if s.role == "label" else al.Type("array", s.shape)
        for v in self.indices:
            types[v.name] = al.Type("index", (), v.dim)
        for d in self.definitions:
            types[d.name] = d.expr.type
        return al.TypeEnv(self.dim_names, types)


# -- loading -----------------------------------------------------------------------------------

_TOP = {"problem", "dims", "check", "symbols", "indices", "definitions", "losses", "questions", "code", "reader"}


class _Reader:
    """Walks the TOML document, with the file name and key path for errors."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, message: str):
        raise ProblemFileError(self.file, key, message)

    def table(self, value, key: str, allowed: set | None = None, required: tuple = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {type(value).__name__}")
        if allowed is not None:
            for k in value:
                if k not in allowed:
                    close = difflib.get_close_matches(k, sorted(allowed), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    self.fail(f"{key}.{k}" if key else k,
                              f"unknown key{hint} (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value:
                self.fail(key, f"missing required key {k!r}")
        return value

    def string(self, value, key: str, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def strings(self, value, key: str) -> tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a string or a list of strings, got {value!r}")
        return tuple(value)

    def integer(self, value, key: str, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(key, f"must be an integer >= {low}, got {value!r}")
        return value


def _expr(text, env: al.TypeEnv, file: str, key: str) -> Expr:
    if not isinstance(text, str):
        raise ProblemFileError(file, key, f"must be an array-language expression (a string), got {text!r}")
    env.text = text
    try:
        node = al.parse(text)
        t = al.infer(node, env)
    except al.ArrayLangError as exc:
        hint = ""
        if exc.message.startswith("unknown name"):
            known = sorted(set(env.types) | env.dims)
            bad = exc.message.split("'")[1]
            close = difflib.get_close_matches(bad, known, n=1)
            hint = (f"; did you mean {close[0]!r}?" if close else "") + \
                f" (declare it under [symbols], [indices] or [definitions]; known: {', '.join(known)})"
        raise ProblemFileError(file, key, f"{exc}{hint}") from None
    return Expr(text, node, t)


def load(source: str | Path, *, name: str | None = None) -> GenericProblem:
    """Load and validate a problem file (structure and shapes). Raises
    ProblemFileError naming the file and key of the first problem found."""
    path = Path(source)
    file = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProblemFileError(str(path), "", f"cannot read the file: {exc.strerror}") from None
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProblemFileError(file, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProblemFileError(file, "", f"is not valid TOML: {exc}") from None
    return build(doc, file=file, digest=hashlib.sha256(data).hexdigest(), source=str(path), name=name)


def loads(text: str, file: str = "<string>") -> GenericProblem:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProblemFileError(file, "", f"is not valid TOML: {exc}") from None
    return build(doc, file=file, digest=hashlib.sha256(text.encode()).hexdigest(), source=file)


def build(doc: dict, *, file: str, digest: str, source: str, name: str | None = None) -> GenericProblem:
    r = _Reader(file)
    r.table(doc, "", _TOP, required=("problem", "dims", "symbols", "losses", "questions"))
    meta = r.table(doc["problem"], "problem", {"name", "title", "helpers", "aliases"}, required=("name",))
    pname = r.string(meta["name"], "problem.name")
    title = r.string(meta.get("title", pname), "problem.title")
    helpers = r.strings(meta.get("helpers", []), "problem.helpers")
    aliases = r.table(meta.get("aliases", {}), "problem.aliases")

    # dimensions
    dims = []
    for dname, spec in r.table(doc["dims"], "dims").items():
        key = f"dims.{dname}"
        if not dname.isidentifier() or dname in al.RESERVED:
            r.fail(key, "a dimension name must be an identifier that is not a function name")
        spec = r.table(spec, key, {"meaning", "latex", "min", "max"})
        low = r.integer(spec.get("min", 1), f"{key}.min", 1)
        high = r.integer(spec.get("max", max(low, 5)), f"{key}.max", low)
        spelled = r.strings(spec.get("latex", dname), f"{key}.latex") or (dname,)
        dims.append(Dim(dname, spec.get("meaning", ""), spelled[0], low, high, spelled[1:]))
    if not dims:
        r.fail("dims", "declare at least one dimension, e.g. N = { meaning = \"examples\" }")
    dim_names = {d.name for d in dims}
    check = r.table(doc.get("check", {}), "check", {"dims", "proof"}, required=("dims",))
    check_dims = []
    raw = check["dims"]
    if not isinstance(raw, list) or not raw:
        r.fail("check.dims", "must be a non-empty list of tables such as { N = 2, D = 3, C = 4 }")
    for n, t in enumerate(raw):
        check_dims.append(_dim_tuple(r, t, f"check.dims[{n}]", dims, distinct=True))
    proof = _dim_tuple(r, check.get("proof", check_dims[0]), "check.proof", dims, distinct=False)

    # symbols and index variables
    symbols, types = [], {}
    for sname, spec in r.table(doc["symbols"], "symbols").items():
        key = f"symbols.{sname}"
        _check_name(r, sname, key, dim_names, types)
        spec = r.table(spec, key, {"role", "shape", "meaning", "latex", "premises", "range", "distinct_from"},
                       required=("role",))
        role = spec["role"]
        if role not in ROLES:
            r.fail(f"{key}.role", f"unknown role {role!r} (allowed: {', '.join(ROLES)})")
        shape = r.strings(spec.get("shape", []), f"{key}.shape")
        for d in shape:
            if d not in dim_names:
                r.fail(f"{key}.shape", f"unknown dimension {d!r} (declared: {', '.join(sorted(dim_names))})")
        premises = r.strings(spec.get("premises", []), f"{key}.premises")
        allowed = LABEL_PREMISES if role == "label" else ARRAY_PREMISES
        for p in premises:
            if p not in allowed:
                r.fail(f"{key}.premises", f"unknown premise {p!r} for a {role} (allowed: {', '.join(allowed)})")
            if p in ("symmetric", "posdef", "invertible", "det_positive") and (len(shape) != 2 or shape[0] != shape[1]):
                r.fail(f"{key}.premises", f"{p!r} needs a square matrix, but the shape is {al._show(shape)}")
        range_ = ""
        if role == "label":
            range_ = r.string(spec.get("range", ""), f"{key}.range")
            if range_ not in dim_names:
                r.fail(f"{key}.range", f"a label's range must be a dimension (declared: {', '.join(sorted(dim_names))})")
        elif "range" in spec:
            r.fail(f"{key}.range", "only labels have a range (role = \"label\")")
        sym = SymbolDecl(sname, role, shape, spec.get("meaning", ""), r.strings(spec.get("latex", [sname]), f"{key}.latex"),
                         premises, range_, r.strings(spec.get("distinct_from", []), f"{key}.distinct_from"))
        symbols.append(sym)
        types[sname] = al.Type("index", shape, range_) if role == "label" else al.Type("array", shape)
    indices = []
    for iname, spec in r.table(doc.get("indices", {}), "indices").items():
        key = f"indices.{iname}"
        _check_name(r, iname, key, dim_names, types)
        spec = r.table({"dim": spec} if isinstance(spec, str) else spec, key, {"dim", "meaning", "latex"}, required=("dim",))
        if spec["dim"] not in dim_names:
            r.fail(f"{key}.dim", f"unknown dimension {spec['dim']!r} (declared: {', '.join(sorted(dim_names))})")
        indices.append(IndexVar(iname, spec["dim"], spec.get("meaning", ""), r.strings(spec.get("latex", [iname]), f"{key}.latex")))
        types[iname] = al.Type("index", (), spec["dim"])
    for s in symbols:
        for other in s.distinct_from:
            if other not in types or types[other].kind != "index":
                r.fail(f"symbols.{s.name}.distinct_from", f"{other!r} is not a label or an index variable")
            if types[other].shape != tuple(s.shape[:len(types[other].shape)]):
                r.fail(f"symbols.{s.name}.distinct_from",
                       f"{other!r} has shape {al._show(types[other].shape)}, which does not lead {s.name}'s shape "
                       f"{al._show(s.shape)}: a label array is distinct from a scalar everywhere or from an array "
                       "row by row (window_samples (M, K) from window (M,))")
    env = al.TypeEnv(dim_names, types)

    # definitions, in file order: each may use the names above it
    definitions = []
    for dname, spec in r.table(doc.get("definitions", {}), "definitions").items():
        key = f"definitions.{dname}"
        _check_name(r, dname, key, dim_names, env.types)
        spec = r.table({"value": spec} if isinstance(spec, str) else spec, key, {"value", "latex", "meaning"},
                       required=("value",))
        e = _expr(spec["value"], env, file, f"{key}.value")
        if e.type.kind != "array":
            r.fail(f"{key}.value", f"a definition must be an array of numbers, got {e.type.show()}")
        definitions.append(Definition(dname, e, r.strings(spec.get("latex", [dname]), f"{key}.latex"), spec.get("meaning", "")))
        env.types[dname] = e.type

    losses = []
    for lname, spec in r.table(doc["losses"], "losses").items():
        key = f"losses.{lname}"
        spec = r.table({"value": spec} if isinstance(spec, str) else spec, key,
                       {"value", "latex", "names", "title"}, required=("value",))
        e = _expr(spec["value"], env, file, f"{key}.value")
        if e.type != al.SCALAR:
            r.fail(f"{key}.value", f"a loss must be a scalar, got {e.type.show()} (sum it, e.g. sum(…) / N)")
        losses.append(Loss(lname, e, spec.get("latex", ""), r.strings(spec.get("names", []), f"{key}.names"),
                           spec.get("title", lname)))
    loss_names = {l.name for l in losses}

    questions = []
    for qid, spec in r.table(doc["questions"], "questions").items():
        questions.append(_question(r, qid, spec, env, file, loss_names, symbols, definitions, pname))
    if not questions:
        r.fail("questions", "declare at least one question")

    code, conventions = _code(r, doc.get("code", {}), types, loss_names, env, file)
    code_dims, code_probes, code_advice = _code_checking(r, doc.get("code", {}), dims, check_dims, types, env, file,
                                                         loss_names)
    problem = GenericProblem(
        name=name or pname, title=title, source=source, digest=digest, dims=tuple(dims),
        check_dims=tuple(check_dims), proof_dims=proof, symbols=tuple(symbols), indices=tuple(indices),
        definitions=tuple(definitions), loss_decls=tuple(losses), questions=tuple(questions), code=code,
        conventions=conventions, helpers=helpers, aliases=dict(aliases),
        code_dims=code_dims, code_probes=code_probes, code_advice=code_advice,
        reader=_reader_words(r, doc.get("reader", {}), loss_names, questions, set(types) | {d.name for d in definitions}))
    for q in questions:                   # back references (frozen dataclasses)
        object.__setattr__(q, "problem", problem)
        for f in q.closed_forms:
            object.__setattr__(f, "question", q)
    return problem


def _dim_tuple(r: _Reader, t, key: str, dims, distinct: bool) -> dict:
    t = r.table(t, key, {d.name for d in dims}, required=tuple(d.name for d in dims))
    out = {}
    for d in dims:
        v = r.integer(t[d.name], f"{key}.{d.name}", 1)
        if not d.min <= v <= max(d.max, v) or v < d.min:
            r.fail(f"{key}.{d.name}", f"{v} is below the dimension's minimum {d.min}")
        out[d.name] = v
    if distinct:
        seen = {}
        for k, v in out.items():
            if v in seen:
                r.fail(key, f"check dimensions must be pairwise distinct so that a missing transpose is a "
                            f"shape error, but {seen[v]} = {k} = {v}")
            seen[v] = k
    return out


def _check_name(r: _Reader, name: str, key: str, dims: set, taken: dict):
    if not name.isidentifier() or name in al.RESERVED:
        r.fail(key, "a name must be an identifier that is not a function name or keyword")
    if name in dims:
        r.fail(key, f"{name!r} is already a dimension; give one of them another name")
    if name in taken:
        r.fail(key, f"{name!r} is declared twice")


def _shape_words(shape: tuple) -> str:
    return al._show(shape)


def _question(r: _Reader, qid: str, spec, env: al.TypeEnv, file: str, loss_names: set, symbols, definitions,
              pname: str) -> GenericQuestion:
    key = f"questions.{qid}"
    spec = r.table(spec, key, {"asks", "loss", "losses", "wrt", "order", "lhs", "condition", "where", "closed_forms",
                               "steps", "mistakes", "distinct", "repeated"},
                   required=("wrt", "closed_forms"))
    if ("loss" in spec) == ("losses" in spec):
        r.fail(key, "give either loss = \"NAME\" or, for a question asked of several base losses, "
                    "losses = [\"NAME\", …]")
    bases = (r.string(spec["loss"], f"{key}.loss"),) if "loss" in spec else r.strings(spec["losses"], f"{key}.losses")
    lkey = f"{key}.loss" if "loss" in spec else f"{key}.losses"
    if not bases:
        r.fail(lkey, "name at least one loss")
    for loss in bases:
        if loss not in loss_names:
            close = difflib.get_close_matches(loss, sorted(loss_names), n=1)
            r.fail(lkey, f"unknown loss {loss!r}" + (f"; did you mean {close[0]!r}?" if close else "")
                   + f" (declared: {', '.join(sorted(loss_names))})")
    loss = bases[0]
    wrt_text = r.string(spec["wrt"], f"{key}.wrt")
    wrt_node = _expr(wrt_text, env, file, f"{key}.wrt").node
    base, part = (wrt_node.base, wrt_node.items) if isinstance(wrt_node, al.Index) else (wrt_node, ())
    arrays = {s.name for s in symbols if s.role != "label"} | {d.name for d in definitions}
    if not isinstance(base, al.Name) or base.id not in arrays:
        r.fail(f"{key}.wrt", f"must name a symbol or definition, optionally with a part such as W[:, j] "
                             f"(allowed names: {', '.join(sorted(arrays))})")
    order = r.integer(spec.get("order", 1), f"{key}.order", 1)
    if order > 2:
        r.fail(f"{key}.order", "1 (gradient) or 2 (Hessian)")
    if order == 2 and part:
        r.fail(f"{key}.wrt", "a Hessian question differentiates a whole symbol, without a part")
    whole = env.types[base.id].shape
    part_type = al.infer(wrt_node, env) if part else al.Type("array", whole)
    shape = part_type.shape + (whole if order == 2 else ())
    where = None
    if "where" in spec:
        where = _expr(spec["where"], env, file, f"{key}.where")
        if where.type.kind != "bool" or where.type.shape:
            r.fail(f"{key}.where", "must be one comparison of indices, e.g. j != y[i]")

    def shaped(kind: str, n: int, text) -> Expr:
        e = _expr(text, env, file, f"{key}.{kind}[{n}].value")
        if e.type.kind != "array":
            r.fail(f"{key}.{kind}[{n}].value", f"must be numbers, got {e.type.show()}")
        # a known mistake may have the wrong shape (a transposed answer is a typical one)
        if e.type.shape != shape and kind != "mistakes":
            hint = ""
            if e.type.shape == shape[::-1] and len(shape) == 2:
                hint = "; did you forget a transpose?"
            elif len(e.type.shape) != len(shape):
                hint = "; a vector, a matrix and a scalar are different shapes here (row()/col() convert)"
            r.fail(f"{key}.{kind}[{n}]", f"shape {_shape_words(e.type.shape)} but the question asks for "
                                        f"{wrt_text}'s shape {_shape_words(shape)}{hint}")
        return e

    def valued(kind: str, n: int, value) -> tuple[Expr, dict]:
        """One value, or a table of values by base loss (every base, no other key)."""
        if not isinstance(value, dict):
            return shaped(kind, n, value), {}
        vkey = f"{key}.{kind}[{n}].value"
        if len(bases) < 2:
            r.fail(vkey, "a table of values by loss is for a question with losses = [...]; give one expression")
        for name in value:
            if name not in bases:
                r.fail(f"{vkey}.{name}", f"not one of the question's losses ({', '.join(bases)})")
        for name in bases:
            if name not in value:
                r.fail(vkey, f"missing the value for loss {name!r} (give one per loss: {', '.join(bases)})")
        by_loss = {name: shaped(kind, n, value[name]) for name in bases}
        return by_loss[bases[0]], by_loss

    forms = []
    for n, f in enumerate(_tables(r, spec["closed_forms"], f"{key}.closed_forms")):
        f = r.table(f, f"{key}.closed_forms[{n}]", {"value", "latex", "text"}, required=("value", "latex"))
        e, by_loss = valued("closed_forms", n, f["value"])
        forms.append(Form(e, r.string(f["latex"], f"{key}.closed_forms[{n}].latex"), f.get("text", f["latex"]),
                          by_loss=by_loss))
    if not forms:
        r.fail(f"{key}.closed_forms", "give at least one closed form")
    steps = []
    for n, s in enumerate(_tables(r, spec.get("steps", []), f"{key}.steps")):
        s = r.table(s, f"{key}.steps[{n}]", {"value", "latex"}, required=("value", "latex"))
        e, by_loss = valued("steps", n, s["value"])
        steps.append(Step(r.string(s["latex"], f"{key}.steps[{n}].latex"), e, by_loss))
    mistakes = []
    codes = set()
    for n, m in enumerate(_tables(r, spec.get("mistakes", []), f"{key}.mistakes")):
        m = r.table(m, f"{key}.mistakes[{n}]", {"code", "value", "latex", "feedback"},
                    required=("code", "value", "feedback"))
        code = r.string(m["code"], f"{key}.mistakes[{n}].code")
        if not code.replace("_", "").isalnum() or code.upper() != code:
            r.fail(f"{key}.mistakes[{n}].code", f"a mistake code is UPPER_SNAKE_CASE, got {code!r}")
        if code in codes:
            r.fail(f"{key}.mistakes[{n}].code", f"{code!r} is used twice in this question")
        codes.add(code)
        e, by_loss = valued("mistakes", n, m["value"])
        mistakes.append(Mistake(f"{qid}.{code}", e, m.get("latex", ""),
                                r.string(m["feedback"], f"{key}.mistakes[{n}].feedback"), by_loss))
    labels = {s.name for s in symbols if s.role == "label"}
    premise = {}
    repeated_at = []
    for k in ("distinct", "repeated"):
        names = []
        for entry in r.strings(spec.get(k, []), f"{key}.{k}"):
            lab, var = entry, None
            if k == "repeated" and "[" in entry:
                # "samples[k]": the entry samples[k] itself is drawn more than once
                node = _expr(entry, env, file, f"{key}.{k}").node
                if not (isinstance(node, al.Index) and isinstance(node.base, al.Name) and len(node.items) == 1
                        and isinstance(node.items[0], al.Name) and env.types[node.items[0].id].kind == "index"
                        and env.types[node.base.id].kind == "index" and len(env.types[node.base.id].shape) == 1):
                    r.fail(f"{key}.{k}", f"{entry!r}: a repeated entry is a label vector indexed by an index "
                                         "variable, e.g. samples[k]")
                lab, var = node.base.id, node.items[0].id
                repeated_at.append((lab, var))
            if lab not in labels:
                r.fail(f"{key}.{k}", f"{lab!r} is not a label symbol (labels: {', '.join(sorted(labels)) or 'none'})")
            names.append(lab)
        premise[k] = tuple(names)
    q = GenericQuestion(
        id=qid, asks=spec.get("asks", f"∂{loss}/∂{wrt_text}"), loss=loss, wrt=base.id, part=tuple(part), order=order,
        lhs=r.strings(spec.get("lhs", []), f"{key}.lhs"), condition=spec.get("condition", ""), where=where,
        closed_forms=tuple(forms), steps=tuple(steps), mistakes=tuple(mistakes), shape=shape,
        distinct=premise["distinct"], repeated=premise["repeated"], bases=tuple(bases), repeated_at=tuple(repeated_at))
    object.__setattr__(q, "_part_src", wrt_text[len(base.id):] if part else "")
    return q


def _tables(r: _Reader, value, key: str) -> list:
    if not isinstance(value, list):
        r.fail(key, "must be an array of tables ([[…]] or a list of { value = …, latex = … })")
    return value


def _code(r: _Reader, spec, types: dict, loss_names: set, env, file) -> tuple:
    spec = r.table(spec, "code", {"functions", "methods", "conventions", "dims", "probes", "advice"})
    layouts = []
    declared = {str(n) for n in (spec.get("functions") or {})} if isinstance(spec.get("functions"), dict) else set()
    for kind in ("functions", "methods"):
        for fname, f in r.table(spec.get(kind, {}), f"code.{kind}").items():
            key = f"code.{kind}.{fname}"
            allowed = {"loss", "args", "outputs", "params", "constructor", "instead_of"}
            f = r.table(f, key, allowed, required=("loss", "args", "outputs"))
            if f["loss"] not in loss_names:
                r.fail(f"{key}.loss", f"unknown loss {f['loss']!r} (declared: {', '.join(sorted(loss_names))})")
            if not isinstance(f["args"], list):
                r.fail(f"{key}.args", f"must be a list of symbol names or {{ name = …, value = …, as = … }} tables, "
                                      f"got {f['args']!r}")
            specs = tuple(_code_arg(r, a, f"{key}.args[{n}]", types, env, file, declared - {fname})
                          for n, a in enumerate(f["args"]))
            names = [s.name for s in specs]
            if len(set(names)) != len(names):
                r.fail(f"{key}.args", f"two arguments are named {next(n for n in names if names.count(n) > 1)!r}")
            if not isinstance(f["outputs"], list):
                r.fail(f"{key}.outputs", f"must be a list of outputs, got {f['outputs']!r}")
            points = any(s.kind == "points" for s in specs)
            outs = tuple(_code_output(r, o, f"{key}.outputs[{n}]", types, env, points)
                         for n, o in enumerate(f["outputs"]))
            params = r.table(f.get("params", {}), f"{key}.params")
            for pkey, sym in params.items():
                if sym not in types:
                    r.fail(f"{key}.params.{pkey}", f"{sym!r} is not a symbol")
            if kind == "methods" and "." not in fname:
                r.fail(key, "a method layout is named Class.method, e.g. TwoLayerNet.loss")
            instead = f.get("instead_of", "")
            if instead and (not isinstance(instead, str) or instead not in declared - {fname}):
                r.fail(f"{key}.instead_of", f"must name another function of this [code] table (declared: "
                                            f"{', '.join(sorted(declared - {fname}))}), got {instead!r}")
            layouts.append(CodeLayout(fname, kind[:-1] if kind == "functions" else "method", f["loss"],
                                      tuple(names), tuple(o.what for o in outs), dict(params),
                                      dict(f.get("constructor", {})), specs, outs, instead))
    by_name = {l.name: l for l in layouts}
    for l in layouts:
        for n, a in enumerate(l.arg_specs):
            if a.kind == "function":
                _replayable(r, f"code.functions.{l.name}.args[{n}].replays", by_name[a.replays], a.label)
                _replay_rows(r, f"code.functions.{l.name}.args[{n}]", by_name[a.replays], a, types)
    conventions = {}
    for cname, subs in r.table(spec.get("conventions", {}), "code.conventions").items():
        key = f"code.conventions.{cname}"
        subs = r.table(subs, key)
        for sym, text in subs.items():
            if sym not in types or types[sym].kind != "array":
                r.fail(f"{key}.{sym}", f"{sym!r} is not a symbol to substitute")
            e = _expr(text, env, file, f"{key}.{sym}")
            if e.type.shape != types[sym].shape:
                r.fail(f"{key}.{sym}", f"the substitute has {e.type.show()}, {sym} has {types[sym].show()}")
        conventions[cname] = dict(subs)
    return tuple(layouts), conventions


def _code_checking(r: _Reader, spec, dims, check_dims, types: dict, env, file, loss_names: set) -> tuple:
    """[code] dims (where code is checked; not necessarily pairwise distinct:
    d = W is a case of its own), [code.probes.NAME] and [code] advice."""
    code_dims = tuple(check_dims)
    if "dims" in spec:
        if not isinstance(spec["dims"], list) or not spec["dims"]:
            r.fail("code.dims", "must be a non-empty list of tables such as { N = 2, D = 3, C = 4 }")
        code_dims = tuple(_dim_tuple(r, t, f"code.dims[{n}]", dims, distinct=False) for n, t in enumerate(spec["dims"]))
    advice = r.string(spec["advice"], "code.advice") if "advice" in spec else ""
    probes = []
    for pname, p in r.table(spec.get("probes", {}), "code.probes").items():
        key = f"code.probes.{pname}"
        p = r.table(p, key, {"what", "losses", "set", "value", "equals", "by", "advice"}, required=("what", "losses"))
        losses = r.strings(p["losses"], f"{key}.losses")
        for l in losses:
            if l not in loss_names:
                r.fail(f"{key}.losses", f"unknown loss {l!r} (declared: {', '.join(sorted(loss_names))})")
        assigned = []
        for sym, text in r.table(p.get("set", {}), f"{key}.set").items():
            if sym not in types or types[sym].kind != "array":
                r.fail(f"{key}.set.{sym}", f"{sym!r} is not a symbol of numbers to set")
            e = _expr(text, env, file, f"{key}.set.{sym}")
            if e.type.shape != types[sym].shape:
                r.fail(f"{key}.set.{sym}", f"the value has {e.type.show()}, {sym} has {types[sym].show()}")
            assigned.append((sym, text))
        solve = [k for k in ("value", "equals", "by") if k in p]
        if solve and len(solve) != 3:
            r.fail(key, "value, equals and by go together: the least-norm change of `by` that makes `value` "
                        "equal `equals`")
        if solve:
            by = p["by"]
            if by not in types or types[by].kind != "array" or not types[by].shape:
                r.fail(f"{key}.by", f"must name an array symbol to change, got {by!r}")
            v = _expr(p["value"], env, file, f"{key}.value")
            e = _expr(p["equals"], env, file, f"{key}.equals")
            if v.type.shape != e.type.shape:
                r.fail(f"{key}.equals", f"has {e.type.show()}, but value has {v.type.show()}")
        tips = r.table(p.get("advice", {}), f"{key}.advice")
        for l, text in tips.items():
            if l not in losses:
                r.fail(f"{key}.advice.{l}", f"advice for a loss the probe does not probe (losses: {', '.join(losses)})")
            r.string(text, f"{key}.advice.{l}")
        probes.append(CodeProbe(str(pname), r.string(p["what"], f"{key}.what"), losses, tuple(assigned),
                                p.get("value", ""), p.get("equals", ""), p.get("by", ""), dict(tips)))
    return code_dims, tuple(probes), advice


def _replayable(r: _Reader, key: str, target: CodeLayout, label: str) -> None:
    """A replayed loss is answered from a table by gradkey's sandbox, which takes
    calls f(vector, label, matrix, …) and returns (loss, ∂/∂vector, ∂/∂matrix)."""
    kinds = [a.kind or "array" for a in target.arg_specs]
    ok = (len(kinds) >= 3 and kinds[0] == "array" and kinds[1] == "int" and target.arg_specs[1].value == label
          and kinds[2] in ("array", "rows") and len(target.outputs) == 3 and target.outputs[0] == "loss"
          and all(o.startswith("grad:") for o in target.outputs[1:]))
    if not ok:
        r.fail(key, f"{target.name!r} cannot be replayed: a replayed loss takes (vector, {label} as int, matrix, …) "
                    "and returns (loss, gradient by the vector, gradient by the matrix)")


def _replay_rows(r: _Reader, key: str, target: CodeLayout, arg: CodeArg, types: dict) -> None:
    """A replayed loss whose dataset draws a label array is called once per entry
    of ``over`` with its own draws: ``rows`` names the array whose row j they are."""
    draws = next((a.draws for a in target.arg_specs if a.kind == "dataset" and a.draws), "")
    if not draws:
        return
    if not arg.rows:
        r.fail(key, f"{target.name!r} draws {draws!r} from its dataset: add rows = \"<label array>\", the array "
                    f"whose row j the j-th call draws")
    want = tuple(types[arg.over].shape) + tuple(types[draws].shape)
    if tuple(types[arg.rows].shape) != want:
        r.fail(f"{key}.rows", f"row j of {arg.rows!r} stands for {draws!r} in the j-th call: it needs shape "
                              f"({', '.join(map(str, want))}), but {arg.rows} has {types[arg.rows].show()}")


def _label(r: _Reader, value, key: str, types: dict, array: bool | None = None) -> str:
    """The name of a label symbol (array: must be a label array; False: a single label)."""
    labels = sorted(n for n, t in types.items() if t.kind == "index" and t.range_ and
                    (array is None or bool(t.shape) == array))
    if not isinstance(value, str) or value not in labels:
        what = "a label array" if array else "a single label" if array is False else "a label"
        r.fail(key, f"must name {what} of the file, got {value!r} (allowed: {', '.join(labels) or 'none declared'})")
    return value


def _code_arg(r: _Reader, a, key: str, types: dict, env, file, functions: set) -> CodeArg:
    """One entry of ``args``: a symbol name (handed over by its type), or a table
    { name, value, as, keyword, … } (see ARG_KINDS)."""
    if isinstance(a, str):
        if a not in types:
            r.fail(key, f"{a!r} is not a symbol (symbols: {', '.join(sorted(types))}); for a definition, an "
                        f"expression or another kind write {{ name = \"…\", value = \"{a}\", as = \"…\" }}")
        return CodeArg(a, a)
    kinds = ", ".join(ARG_KINDS)
    if not isinstance(a, dict):
        r.fail(key, f"must be a symbol name or a table {{ name = …, value = …, as = … }}, got {a!r}")
    kind = a.get("as", "")
    if kind and kind not in ARG_KINDS:
        close = difflib.get_close_matches(str(kind), list(ARG_KINDS), n=1)
        r.fail(f"{key}.as", f"unknown argument kind {kind!r}{f'; did you mean {close[0]!r}?' if close else ''} "
                            f"(allowed: {kinds})")
    r.table(a, key, {"name", "as", "keyword"} | _ARG_KEYS.get(kind or "array", set()))
    name = r.string(a.get("name", a.get("value", "")), f"{key}.name")
    if not name.isidentifier():
        r.fail(f"{key}.name", f"{name!r} is not a Python parameter name")
    keyword = a.get("keyword", False)
    if not isinstance(keyword, bool):
        r.fail(f"{key}.keyword", f"must be true or false, got {keyword!r}")
    if kind == "dataset":
        draws = _label(r, a["draws"], f"{key}.draws", types, array=True) if "draws" in a else ""
        rejects = _label(r, a["rejects"], f"{key}.rejects", types, array=False) if "rejects" in a else ""
        if rejects and not draws:
            r.fail(f"{key}.rejects", "a dataset rejects a label only while it draws: add draws = \"<label array>\"")
        return CodeArg(name, "", kind, keyword, draws=draws, rejects=rejects)
    if kind == "function":
        for k in ("replays", "over", "label"):
            if k not in a:
                r.fail(key, f"a function argument needs {k!r}: replays = the [code.functions] entry it stands for, "
                            "over = the label array it is called for, label = the label each entry replaces")
        if a["replays"] not in functions:
            r.fail(f"{key}.replays", f"{a['replays']!r} is not another function of [code.functions] "
                                     f"(declared: {', '.join(sorted(functions)) or 'none'})")
        over = _label(r, a["over"], f"{key}.over", types, array=True)
        rows = _label(r, a["rows"], f"{key}.rows", types, array=True) if "rows" in a else ""
        if rows and tuple(types[rows].shape[:len(types[over].shape)]) != tuple(types[over].shape):
            r.fail(f"{key}.rows", f"the j-th call draws row j of {rows!r}, whose leading axes must be those of "
                                  f"{over!r} ({types[over].show()}); {rows} has {types[rows].show()}")
        return CodeArg(name, "", kind, keyword, over=over, replays=a["replays"],
                       label=_label(r, a["label"], f"{key}.label", types, array=False), rows=rows)
    if kind == "token_index":
        if a.get("over") not in env.dims:
            r.fail(f"{key}.over", f"must name a dimension (declared: {', '.join(sorted(env.dims))}), "
                                  f"got {a.get('over')!r}")
        return CodeArg(name, "", kind, keyword, over=a["over"])
    if "value" not in a:
        r.fail(key, f"missing required key 'value' (an expression over the file's names, e.g. \"{name}\")")
    e = _expr(a["value"], env, file, f"{key}.value")
    t = e.type
    need = {"rows": (t.kind == "array" and len(t.shape) == 2, "a matrix"),
            "float": (t.kind == "array" and not t.shape, "a scalar"),
            "int": (not t.shape and t.kind in ("array", "index"), "a single label or a scalar size"),
            "labels": (t.kind == "index", "labels"),
            "token": (t.kind == "index", "labels"),
            "points": (t.kind == "array" and not t.shape and a["value"] in types, "a scalar symbol"),
            "array": (t.kind == "array", "numbers")}.get(kind or "array")
    if kind and not need[0]:
        r.fail(f"{key}.value", f"as = {kind!r} needs {need[1]}, but {a['value']!r} has {t.show()}")
    if kind == "points":
        src = a.get("from")
        if src not in types or types[src].kind != "array" or not types[src].shape:
            r.fail(f"{key}.from", f"must name an array symbol whose entries give the points, got {src!r}")
        scale = a.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            r.fail(f"{key}.scale", f"must be a positive number, got {scale!r}")
        return CodeArg(name, a["value"], kind, keyword, points=src, scale=float(scale))
    return CodeArg(name, a["value"], kind, keyword)


_OUTPUT_FORMS = "loss, scores, grads, grad:<symbol or definition>, value:<symbol>"


def _code_output(r: _Reader, o, key: str, types: dict, env, points: bool) -> CodeOutput:
    """One entry of ``outputs``: a string (loss, scores, grads, grad:NAME) or a
    table { name, grad = NAME | value = NAME, layout = "rows" }."""
    if isinstance(o, str):
        spec = {"name": o, "what": o}
    elif isinstance(o, dict):
        r.table(o, key, {"name", "grad", "value", "layout"}, required=("name",))
        if ("grad" in o) == ("value" in o):
            r.fail(key, "give exactly one of grad = \"<symbol or definition>\" and value = \"loss\" | "
                        "\"<label symbol>\"")
        what = f"grad:{o['grad']}" if "grad" in o else f"value:{o['value']}"
        spec = {"name": r.string(o["name"], f"{key}.name"), "what": what, "layout": o.get("layout", "")}
    else:
        r.fail(key, f"must be one of {_OUTPUT_FORMS} or a table {{ name = …, grad = … }}, got {o!r}")
    what = spec["what"]
    if what in ("loss", "grads", "scores"):
        pass
    elif what.startswith("grad:"):
        target = what[5:]
        if target not in env.types or env.types[target].kind != "array":
            known = sorted(n for n, t in env.types.items() if t.kind == "array")
            r.fail(key, f"{what!r}: the gradient by {target!r}, which is not a symbol or definition of numbers "
                        f"(known: {', '.join(known)})")
    elif what.startswith("value:"):
        target = what[6:]
        if target == "loss":
            if not points:
                r.fail(key, "value = \"loss\" is the loss at every point: it needs an argument with as = \"points\"")
        elif target not in types or types[target].kind != "index":
            labels = sorted(n for n, t in types.items() if t.kind == "index" and t.range_)
            r.fail(key, f"{what!r}: a returned value is \"loss\" (with points) or a label symbol "
                        f"({', '.join(labels) or 'none declared'})")
    else:
        r.fail(key, f"{what!r}: an output is {_OUTPUT_FORMS}, or a table {{ name = …, grad = …, layout = \"rows\" }}")
    layout = spec.get("layout", "")
    if layout not in ("", "rows", "columns"):
        r.fail(f"{key}.layout", f"unknown layout {layout!r} (allowed: rows, columns)")
    if layout == "rows":
        target = what.split(":", 1)[1] if ":" in what else ""
        if not target or len(env.types.get(target, al.SCALAR).shape) != 2:
            r.fail(f"{key}.layout", f"layout = \"rows\" transposes a matrix, but {what!r} is not one")
    return CodeOutput(spec["name"], what, "" if layout == "columns" else layout)


_READER_KEYS = {"loss_words", "loss_content", "loss_letters", "vocabulary_sets", "variable_words", "otherwise_words",
                "repeat_words", "sigmoid_words", "problem_capitals", "conventions", "aliases", "letter_readings"}


def _regex(r: _Reader, value, key: str) -> str:
    """A regular expression (Python ``re``), compiled now so that a typo is refused
    on load rather than when the first submission is read."""
    if not isinstance(value, str) or not value:
        r.fail(key, f"must be a regular expression (a non-empty string), got {value!r}")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        r.fail(key, f"not a valid regular expression: {exc.msg} at position {exc.pos} "
                    f"({value[max(0, (exc.pos or 0) - 10):(exc.pos or 0) + 10]!r}); Python `re` syntax, and in a "
                    "TOML literal string '…' a backslash is written once ('\\bneg\\b'); escape a literal ( [ { | "
                    "with a backslash")
    if compiled.search("") is not None:
        r.fail(key, f"{value!r} matches the empty text, so it would match every answer; remove the empty "
                    "alternative (a leading or trailing |, or a group that may be empty)")
    return value


def _reader_words(r: _Reader, spec, loss_names: set, questions, names: set = frozenset()) -> ReaderWords:
    """[reader]: every key optional; regexes compiled on load."""
    spec = r.table(spec, "reader", _READER_KEYS)
    # a loss key is what identification returns: a loss of the file or the first part
    # of question ids (word2vec's "sg" asks of sg_naive and sg_neg)
    loss_keys = set(loss_names) | {q.id.split(".")[0] for q in questions}

    def keyed(name: str, keys: set | None) -> tuple:
        out = []
        for k, v in r.table(spec.get(name, {}), f"reader.{name}").items():
            if keys is not None and k not in keys:
                close = difflib.get_close_matches(k, sorted(keys), n=1)
                r.fail(f"reader.{name}.{k}", f"{k!r} is not a loss or question-id prefix"
                       + (f"; did you mean {close[0]!r}?" if close else "") + f" (allowed: {', '.join(sorted(keys))})")
            out.append((k, _regex(r, v, f"reader.{name}.{k}")))
        return tuple(out)

    def words(name: str) -> tuple:
        key = f"reader.{name}"
        out = r.strings(spec.get(name, []), key)
        if any(not w.strip() for w in out):
            r.fail(key, "an empty word; list the spellings, e.g. [\"J\", \"L\"]")
        return out

    conventions = []
    for switch, c in r.table(spec.get("conventions", {}), "reader.conventions").items():
        key = f"reader.conventions.{switch}"
        if switch not in READER_SWITCHES:
            r.fail(key, "unknown convention; the reader can switch "
                        + "; ".join(f"{k} ({v})" for k, v in READER_SWITCHES.items()))
        c = r.table(c, key, {"means", "patterns", "transposes"}, required=("patterns",))
        patterns = r.strings(c["patterns"], f"{key}.patterns")
        if not patterns:
            r.fail(f"{key}.patterns", "give at least one sentence (regex) that declares the convention")
        transposes = r.strings(c.get("transposes", []), f"{key}.transposes")
        for n, t in enumerate(transposes):
            if t not in names:
                r.fail(f"{key}.transposes[{n}]", f"unknown name {t!r}; list symbols or definitions of the file "
                                                 f"({', '.join(sorted(names))}) that the convention writes transposed")
        conventions.append(ReaderConvention(
            switch, r.string(c.get("means", READER_SWITCHES[switch]), f"{key}.means"),
            tuple(_regex(r, p, f"{key}.patterns[{n}]") for n, p in enumerate(patterns)), tuple(transposes)))
    aliases = []
    for n, a in enumerate(_tables(r, spec.get("aliases", []), "reader.aliases")):
        key = f"reader.aliases[{n}]"
        a = r.table(a, key, {"when", "pattern", "read_as", "note"}, required=("when", "pattern", "read_as"))
        read_as = r.string(a["read_as"], f"{key}.read_as")
        aliases.append(ReaderAlias(_regex(r, a["when"], f"{key}.when"), _regex(r, a["pattern"], f"{key}.pattern"),
                                   read_as, r.string(a.get("note", f"declared alias: read as {read_as}"), f"{key}.note")))
    letters = []
    for k, v in r.table(spec.get("letter_readings", {}), "reader.letter_readings").items():
        if not (len(k) == 1 and k.islower() and isinstance(v, str) and len(v) == 1 and v.islower() and v != k):
            r.fail(f"reader.letter_readings.{k}", "a lower-case letter and the other lower-case letter its columns "
                                                  f"may be meant as, e.g. v = \"u\"; got {k} = {v!r}")
        letters.append((k, v))
    single = {k: _regex(r, spec[k], f"reader.{k}") for k in ("otherwise_words", "repeat_words", "sigmoid_words")
              if k in spec}
    capitals = spec.get("problem_capitals", "")
    if "problem_capitals" in spec and not (isinstance(capitals, str) and capitals.isascii() and capitals.isalpha()
                                           and capitals.isupper()):
        r.fail("reader.problem_capitals", f"must be capital letters, e.g. \"UVWK\", got {capitals!r}")
    return ReaderWords(
        loss_words=keyed("loss_words", loss_keys), loss_content=keyed("loss_content", loss_keys),
        loss_letters=words("loss_letters"), vocabulary_sets=words("vocabulary_sets"),
        variable_words=keyed("variable_words", None), problem_capitals=capitals,
        conventions=tuple(conventions), aliases=tuple(aliases), letter_readings=tuple(letters), **single)


def bundled() -> dict[str, Path]:
    """Bundled problem files by name."""
    return {p.stem: p for p in sorted(BUNDLED.glob("*.toml"))}
