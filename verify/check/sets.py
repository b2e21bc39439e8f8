"""Checking written answers for a problem file (``gradkey check --problem NAME|PATH``).

The front end is word2vec's (``read/extract.py`` cuts the chains, ``read/normalise.py``
unifies spellings, ``read/latex.py`` parses); what is problem-specific comes from
the file through its :class:`~gradkey.verify.read.notation.Notation`:

- **identification**: a chain's left-hand side (``∂L/∂W_1``, ``\\nabla_{w_{y_i}} L_i``,
  ``dW2``, ``∂²J/∂θ∂θᵀ``, a declared left-hand side such as ``H``) is matched with the
  questions' declared left-hand sides by the variable, the loss named (``L_i`` is a
  per-example loss) or, for an expression (``∂ tr(AX)/∂X``), by its value; a section
  heading naming a loss ("SVM", "softmax") settles the rest; a bare answer after a
  label ("column $w_j$:") is identified by the label; failing all, by value;
- **judging** (``check/arrays.py``): every reading evaluated at seeded instances of the
  question drawn from the file (premises, branch conditions, away from kinks) against
  the derived truth; all correct → correct, all wrong → incorrect, mixed → review;
- **mistakes** come from the file (array-language values, codes, feedback) and are
  matched by value;
- **the student's names**: an entrywise definition in the file (``M_{ij} = …`` for
  ``j ≠ y_i``, ``M_{iy_i} = …``), a constant (``Δ = 1``) and an earlier answer
  (``dS``, ``dZ_1``, ``∂L/∂S`` used in a later step) are read with their definition;
- **conventions**: a file that declares ½λ‖W‖² is judged against the truth with the
  file's regulariser halved (the problem file's ``[code.conventions] half``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import numpy as np

from gradkey.derive import arraylang as al
from gradkey.derive.draw import InstanceError, seeded
from gradkey.verify.check import arrays as ar, constants
from gradkey.verify.check.answers import DETERMINATE, Answer, Outcome, Policy, StepResult
from gradkey.verify.check.answers import context as _context
from gradkey.verify.check.shapes import ShapeError, Unreadable
from gradkey.verify.numerics.compare import compare
from gradkey.verify.read import ast, extract, ocr, remarks
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import FUNCTION_WORDS, family, notation_for
from gradkey.verify.read.plain import plain_as_math
from gradkey.verify.read.show import GREEK, show
from gradkey.verify.read.vocabulary import vocabulary_for

N_INSTANCES = 6
SEED = 20261122

HALF = re.compile(r"\\frac\s*\{?\s*1\s*\}?\s*\{?\s*2\s*\}?\s*\\lambda|\\frac\s*\{\s*\\lambda\s*\}\s*\{\s*2\s*\}|\\tfrac\s*\{?1\}?\s*\{?2\}?\s*\\lambda|"
                  r"0?\.5\s*\*\s*reg|½\s*(?:λ|\\lambda)|\\frac12\s*\\lambda|\\lambda\s*/\s*2")


# the words before an answer that replace an earlier one: a forum post's EDIT, an erratum
CORRECTION = re.compile(r"\b(?:EDIT|UPDATE|Edit|Update|Correction|Corrected|Erratum|Fixed)\b\s*[:*)\]]|"
                        r"\*\*\s*(?:EDIT|UPDATE|Edit|Update|Correction)\b|\b(?:corrected|fixed) (?:answer|version)\b|"
                        r"更正|修正")


# "the loss has λΣW², not ½λΣW²", "instead of λ/2": ½λ named to be ruled out declares nothing
NOT_HALF = re.compile(r"(?:\bnot|\bn't|instead\s+of|rather\s+than|\bno|\bwithout|\bnor)\W{0,12}$", re.IGNORECASE)


def _declares_half(text: str) -> bool:
    """Whether the submission writes its regulariser as ½λ‖W‖² (some mention not ruled out)."""
    return any(not NOT_HALF.search(text[max(0, m.start() - 40):m.start()].split("\n")[-1])
               for m in HALF.finditer(text))


@dataclass(frozen=True)
class SetTarget:
    qid: str
    entry: str | None = None        # ∂L_i/∂s_k: the answer is entry k, for every k
    how: str = ""
    given: tuple = ()               # (letter, label): ∂J/∂u_w judged at w = o (a branch condition)
    reread: str = ""                # the left-hand side named it only in the file's letter reading (∂/∂v_0 as ∂/∂u_0)
    column_of: str = ""             # ∂/∂u_k for a question about the whole U: a column is no verdict on it


@dataclass
class Context:
    """What one submission declares: conventions, its own names, its earlier answers."""
    problem: object
    half: bool = False
    defs: dict = None
    answered: dict = None           # qid -> final node of an earlier answer
    notes: tuple = ()
    base: str | None = None         # the base loss judged (a question asked of several)
    named: dict = None              # base -> [(line, node or None)]: the student's own X = … (None: unread)
    line: int = 0                   # the line being judged: the definition in force there is used
    functions: dict = None          # (name, subscript) -> [(line, variable, body)]: h_θ(x) = g(θᵀx)
    bound: tuple = ()               # (letter, Idx): a variable fixed for one evaluation (a window position)
    transposed: frozenset = frozenset()     # names the submission declares it writes transposed (U: rows u_wᵀ)
    same_as: tuple = ()             # (letter, index): the student's letter for the question's index (w_s for w_k)
    einstein: bool = False          # the file declares the summation convention (repeated indices summed)
    stands_for: tuple = ()          # (student's name, file's name): dσ(x_i)/dx_i answers the question about x
    placeholders: dict = None       # base -> [(line, subscript, node or None)]: the student's s_o = σ(u_oᵀv_c)


# -- instances and truth ------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _instances(problem_key, qid: str):
    problem = _PROBLEMS[problem_key]
    q = problem.question(qid)
    try:
        return tuple(seeded(problem, N_INSTANCES, SEED, q))
    except InstanceError:
        return ()


_PROBLEMS: dict = {}


def instances(problem, qid: str):
    key = (problem.source, problem.digest)
    _PROBLEMS[key] = problem
    return _instances(key, qid)


def truth(problem, qid: str, inst, half: bool, base: str | None = None) -> np.ndarray:
    return _truth(problem.question(qid), inst, half, base)


@functools.lru_cache(maxsize=4096)
def _truth(q, inst, half: bool, base: str | None = None) -> np.ndarray:
    if half:
        inst = _halved(q.problem, inst)
    out = ar.as_2d(q.truth(inst, base))
    out.setflags(write=False)
    return out


def _halved(problem, inst):
    """The instance under the declared ½λ convention (the file's ``half`` convention)."""
    conv = (problem.conventions or {}).get("half") or {}
    changes = {}
    for const, expr in conv.items():
        changes[const] = np.asarray(inst.evaluate(expr), dtype=float)
    return inst.replace(**changes) if changes else inst


@functools.lru_cache(maxsize=256)
def _used(q) -> frozenset:
    used = set(al.names(q.problem.loss(q.loss).expr.node))
    for item in q.part:
        used |= set(al.names(item))
    if q.where is not None:
        used |= set(al.names(q.where.node))
    return frozenset(used)


def _bindings(problem, q, inst) -> tuple:
    """The question's own indices (the example i, the class j) bound to the instance's values."""
    used = _used(q)
    out = []
    for v in problem.indices:
        if v.name in used:
            for letter in (v.latex or (v.name,)):
                out.append((letter, ar.Idx(int(inst.values[v.name]), v.dim)))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _preferred(problem_or_none, q) -> frozenset:
    """Names the question's loss uses (with the definitions it reaches): a spelling two
    symbols share is read as the one this question is about."""
    problem = q.problem
    seen, todo = set(), list(al.names(problem.loss(q.loss).expr.node))
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        d = problem.definition(n)
        if d is not None:
            todo.extend(al.names(d.expr.node))
    return frozenset(seen)


# -- judging ------------------------------------------------------------------------------

@dataclass
class _ReadingResult:
    verdict: str                    # correct | incorrect | illtyped | unreadable
    detail: str = ""
    counterexample: dict | None = None
    got: list | None = None
    layout: bool = False
    reading: tuple = ()


def _scope(ctx: Context, q, inst, reading) -> ar.Scope:
    nt = notation_for(ctx.problem)
    return ar.Scope(inst, nt, _bindings(ctx.problem, q, inst), reading, _defs_at(ctx), _refs(ctx))


@dataclass(frozen=True)
class _Contents:
    """What a tree holds, for the rewrites that change only trees holding something
    (an applied ∂/∂x, a count n_*, diag): found in one walk per tree, not one per rewrite,
    reading and instance."""
    kinds: frozenset            # node classes
    functions: frozenset        # σ, exp, diag, … applied
    subscripted: frozenset      # the bases of names written with a subscript


def _contents(node) -> _Contents:
    hit = _CALLED.get(id(node))
    if hit is not None and hit[0] is node:      # the node is kept in the value: its id is not reused
        return hit[1]
    if len(_CALLED) > 4096:
        _CALLED.clear()
    nodes = list(ast.every_node(node))
    out = _Contents(frozenset(type(n) for n in nodes),
                    frozenset(n.func for n in nodes if type(n) is ast.Call),
                    frozenset(n.base for n in nodes if type(n) is ast.Name and n.sub is not None))
    _CALLED[id(node)] = (node, out)
    return out


def _functions_called(node) -> frozenset:
    """The functions an answer applies (σ, exp, diag): asked at every instance."""
    return _contents(node).functions


_CALLED: dict = {}


def _evaluate(node, target: SetTarget, ctx: Context, q, inst, reading):
    node = _constant_window_sums(node, ctx.problem, q, inst)
    node = _numbered_shorthands(node, ctx.placeholders)
    scope = _scope(ctx, q, inst, reading)
    for letter, idx in ctx.bound:
        scope = scope.bind(letter, idx)
    for letter, index in ctx.same_as:
        if (at := scope.bound(index)) is not None:
            scope = scope.bind(letter, at)
    for letter, label in target.given:
        if "[" in label:        # samples[k]: the label vector's entry at the question's index
            name, at = label.rstrip("]").split("[")
            decl = ctx.problem.symbol(name)
            value = np.ravel(inst.values[name])[int(np.ravel(inst.values[at])[0])]
        else:
            decl = ctx.problem.symbol(label)
            value = np.ravel(inst.values[label])[0]
        scope = scope.bind(letter, ar.Idx(int(value), decl.range_))
    if ctx.einstein:        # X_{nd}(P_{nc} − Y_{nc}) with repeated n summed, as the file declares
        node = ast.summed_repeated(node, frozenset(v for v, _ in scope.bindings) | frozenset(target.entry or ""))
    if target.entry is None:
        return ar.evaluate(node, scope)
    if len(target.entry) == 2 and len(q.shape) == 2:
        # ∂L/∂W_{dc} = …: one entry per (d, c), in the question's matrix
        rows, cols = (q.concrete_shape(inst.dims))
        out = np.empty((rows, cols))
        for a in range(rows):
            for b in range(cols):
                v = ar.evaluate(node, scope.bind(target.entry[0], ar.Idx(a, q.shape[0]))
                                .bind(target.entry[1], ar.Idx(b, q.shape[1])))
                if v.shape != (1, 1):
                    raise ShapeError(f"an entry ∂/∂{target.entry} that is a {ar.describe_shape(v.shape)}")
                out[a, b] = v[0, 0]
        return out
    # ∂L_i/∂s_k = p_k − 𝟙(k = y_i): one entry per k, stacked like the question's vector
    size = int(np.prod(q.concrete_shape(inst.dims))) if q.shape else 1
    dim = q.shape[-1] if q.shape else None
    out = []
    for k in range(size):
        v = ar.evaluate(node, scope.bind(target.entry, ar.Idx(k, dim)))
        if v.shape != (1, 1):
            raise ShapeError(f"an entry ∂/∂{target.entry} that is a {ar.describe_shape(v.shape)}")
        out.append(v[0, 0])
    return np.asarray(out, dtype=float).reshape(-1, 1)


def judge(node, target: SetTarget, ctx: Context, policy: Policy = Policy()) -> Outcome:
    """The verdict as written and, where the file declares a letter reading (v_w may be
    meant as u_w), as so read: correct only when every reading is; a reading right and
    another not is for review, with both in the note."""
    node = _applied_as_derivative(node)
    out = _judge_written(node, target, ctx, policy)
    if out.verdict == "incorrect" and out.note.startswith("ill-typed") and "diag" in _functions_called(node):
        entrywise = _diag_products_entrywise(node)
        if entrywise is not node and _judge_written(entrywise, target, ctx, policy).verdict == "correct":
            # diag(h(1 − h)) with h a column: no matrix product exists there; read entrywise (the ⊙
            # many write without a sign) it is right. Ambiguity is a grader's to settle, not ours
            return Outcome("review", note=READINGS_DISAGREE + "as written: incorrect (" + out.note + "); with the "
                           "product inside diag(·) read entrywise (⊙): correct")
    variants = _letter_variants(respell(node, ctx.problem), ctx.problem)
    if not variants:
        return out
    outs = [("as written", out)] + [(what, _judge_written(v, target, ctx, policy)) for what, v in variants]
    verdicts = [o.verdict for _, o in outs]
    if all(v == "correct" for v in verdicts):
        return out
    if "correct" in verdicts:
        return Outcome("review", note=READINGS_DISAGREE + "; ".join(f"{what}: {o.verdict}" for what, o in outs))
    # right in no reading: the written one decides when it is determinate
    return out if out.verdict in DETERMINATE else next((o for _, o in outs if o.verdict in DETERMINATE), out)


READINGS_DISAGREE = "readings disagree: "


def _diag_products_entrywise(node):
    """The answer with every product of two factors directly inside diag(·) read as ⊙."""
    def fix(n):
        if type(n) is ast.Call and n.func == "diag" and type(n.arg) is ast.Mul and len(n.arg.factors) == 2 \
                and not n.arg.dots:
            return ast.Call("diag", ast.Elementwise(*n.arg.factors))
        return ast.rebuilt(n, fix)
    return fix(node)


def _letter_readings(problem) -> dict:
    reader = getattr(problem, "reader", None)
    return dict(getattr(reader, "letter_readings", ()) or ())


def _letter_variants(node, problem) -> list:
    """(what the reading says, the node so read) for each letter of the file's [reader]
    letter_readings the answer uses with a subscript (v_0, v_k: columns the file does not
    name otherwise); [] when it uses none."""
    pairs = _letter_readings(problem)
    if not pairs:
        return []
    used = sorted(_contents(node).subscripted & pairs.keys())
    out = []
    for letter in used:
        renamed = respell(_renamed_letter(node, letter, pairs[letter], notation_for(problem)), problem)
        out.append((f"{letter}_… read as {pairs[letter]}_… (the file's letter readings)", renamed))
    return out


def _names_in(node):
    return (n for n in ast.every_node(node) if type(n) is ast.Name)


def _renamed_letter(node, letter: str, other: str, nt):
    """The node with every ``letter_x`` written ``other_x`` as the file spells it (v_k → u_k,
    the k-th sample's column, not column k)."""
    if isinstance(node, ast.Name):
        if node.base != letter or node.sub is None:
            return node
        try:
            again, _ = parse(f"{other}_{{{node.sub.text}}}", nt)
        except ReadError:
            again = None
        return again if isinstance(again, ast.Name) else ast.Name(other, node.sub)
    return ast.rebuilt(node, lambda x: _renamed_letter(x, letter, other, nt))


def _indexed_definitions(problem_key) -> dict:
    """Definitions spelled with a letter and one index of the file (n_k): letter -> spelling."""
    problem = _PROBLEMS[problem_key]
    nt = notation_for(problem)
    found: dict = {}
    for d in problem.definitions:
        for sp in d.latex:
            m = re.fullmatch(r"([A-Za-z])_\{?([a-z])\}?", sp.strip())
            if m and m.group(2) in nt.index_names:
                found.setdefault(m.group(1), set()).add(sp.strip())
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def _at_the_questions_index(node, problem):
    """n_{*} (a count a sentence declared for the question's own sample) and n_s (s a letter of
    the student's, not an index or label of the file) read as the file's one definition spelled
    with that letter and an index (n_k)."""
    key = (problem.source, problem.digest)
    _PROBLEMS[key] = problem
    table = _INDEXED.get(key)
    if table is None:
        table = _INDEXED[key] = _indexed_definitions(key)
    if not table or not (_contents(node).subscripted & table.keys()):
        return node
    nt = notation_for(problem)

    def walk(n):
        if isinstance(n, ast.Name):
            if n.base in table and n.sub is not None and (n.sub.text == "*" or _students_letter(n.sub.text, nt)):
                try:
                    again, _ = parse(table[n.base], nt)
                except ReadError:
                    return n
                return again
            return n
        return ast.rebuilt(n, walk)
    return walk(node)


_INDEXED: dict = {}


def _judge_written(node, target: SetTarget, ctx: Context, policy: Policy = Policy()) -> Outcome:
    """The verdict of one reading per shared spelling; a question asked of several base
    losses (skip-gram over naive softmax or negative sampling) is correct when the
    answer is right for one of them at every instance."""
    problem = ctx.problem
    node = _at_the_questions_index(respell(node, problem), problem)
    if ctx.transposed:
        # a name the student defines (ŷ = softmax((U v_c)ᵀ)) is already in the student's layout
        node = _as_declared(node, ctx.transposed - {b.lstrip("@") for b in (ctx.named or {})})
    q = problem.question(target.qid)
    if len(q.losses) == 1:
        return _judge_base(node, target, ctx, policy, None)
    outs = []
    for base in q.losses:       # the first base the answer is right for decides: the rest are not judged
        out = _judge_base(node, target, ctx, policy, base)
        if out.verdict == "correct":
            out.note = "; ".join(filter(None, [out.note, f"with the base loss {base}"]))
            return out
        outs.append(out)
    return next((o for o in outs if o.verdict == "incorrect" and o.code), None) or \
        next((o for o in outs if o.verdict == "incorrect"), outs[0])


def _judge_base(node, target: SetTarget, ctx: Context, policy: Policy, base) -> Outcome:
    problem = ctx.problem
    q = problem.question(target.qid)
    insts = instances(problem, target.qid)
    if not insts:
        return Outcome("review", note=f"no instance of {target.qid} could be drawn at the check dimensions")
    if base is not None:
        ctx = replace(ctx, base=base)
    node = _bare_function_applied(node, q)
    free = _free_entry_letters(node, problem)
    if free:
        ctx = replace(ctx, same_as=ctx.same_as + free)
    win = _free_window(node, problem, q)
    if win is not None:
        one = _one_window_term(node, target, ctx, q, insts, win, policy)
        if one is not None:
            return one
    fixed, win = _fixed_window_word(node, problem, q)
    if fixed is not None:
        # ∂J(v_c, w_{t+1}, U)/∂v_c, U(ŷ − y_{t-m}): the window's word at one position; wrong when
        # at no position is that one term the gradient (whichever position the student meant)
        one = _one_window_term(fixed, target, ctx, q, insts, win, policy)
        if one is not None:
            one.note = one.note.replace("one term of the sum", "the term at one position of the sum", 1)
            return one
    results = []
    memo: dict = {}             # (reading, instance number) -> the answer's value: _mistake reuses it
    for reading in ar.readings(node, _preferred(None, q)):
        results.append(_judge_reading(node, target, ctx, q, insts, reading, policy, memo))
        results[-1].reading = reading
    typed = [r for r in results if r.verdict in ("correct", "incorrect")]
    if not typed:
        ill = [r for r in results if r.verdict == "illtyped"]
        if ill:   # every reading is ill-typed: incorrect, with the first reason
            return Outcome("incorrect", note=ill[0].detail, counterexample=ill[0].counterexample)
        return Outcome("review", note=results[0].detail if results else "")
    verdicts = {r.verdict for r in typed}
    out = Outcome(verdicts.pop() if len(verdicts) == 1 else "review")
    first = typed[0]
    if out.verdict == "incorrect":
        out.note, out.counterexample = first.detail, first.counterexample
        out.code, out.feedback = _mistake(node, target, ctx, q, insts, first.reading, memo)
    elif out.verdict == "correct" and (extreme := constants.review_note(node)):
        out.verdict, out.note = "review", extreme
    elif out.verdict == "correct":
        notes = []
        if any(r.layout for r in typed):
            notes.append("a row vector where a column is meant (accepted: lenient layout)")
        if ctx.half:
            notes.append("judged with the file's declared ½λ‖W‖² regulariser")
        out.note = "; ".join(notes)
    else:
        out.note = "readings disagree: " + "; ".join(r.verdict for r in typed)
    return out


ENTRY_SUB = re.compile(r"^\{?\s*([A-Za-z])\s*_\s*\{?\s*([a-z])\s*\}?\s*\}?$")


def _entry_spelling(problem, letter: str):
    """(label, its index letter) when the file spells a label vector by its entry, letter_k."""
    nt = notation_for(problem)
    label = ar._entry_label(nt, letter)
    if label is None:
        return None
    for sp in problem.symbol(label).latex:
        m = ENTRY_SUB.match(sp.strip())
        if m and m.group(1) == letter:
            return label, m.group(2)
    return None


def _free_entry_letters(node, problem) -> tuple:
    """u_{w_s}, 𝟙[w_k = w_s] with s bound by no Σ and declared nowhere: the student's letter for
    the sample the question asks about (the file's w_k), so s is read as k."""
    nt = notation_for(problem)
    summed = {n.var for n in ar.walk(node) if isinstance(n, ast.Sum)}
    declared = set(nt.index_names) | {l for v in problem.indices for l in (v.latex or ())} | set(nt.dim_names) \
        | {s.name for s in problem.symbols}
    out = {}
    for n in ar.walk(node):
        if not isinstance(n, ast.Name) or n.sub is None:
            continue
        text = n.sub.text
        pairs = []
        m = ENTRY_SUB.match(text)
        if m:
            pairs.append((m.group(1), m.group(2)))
        elif len(text.strip("{} ")) == 1 and not n.base.startswith("@") and len(n.base) == 1:
            pairs.append((n.base, text.strip("{} ")))
        for letter, x in pairs:
            found = _entry_spelling(problem, letter)
            if found is not None and x != found[1] and x not in summed and x not in declared:
                out[x] = found[1]
    return tuple(sorted(out.items()))


def _free_window(node, problem, q):
    """The window of the question's loss whose word (y_{t+j}, ∂J(v_c, w_{t+j}, U)/∂U) the
    answer names outside any Σ over its variable: one term of the window sum."""
    reached = set()
    for loss in q.losses:
        reached |= _labels_reached(problem, loss)
    for w in notation_for(problem).windows:
        if w.label in reached and _outside_sum(node, w):
            return w
    return None


def _outside_sum(node, win) -> bool:
    if isinstance(node, ast.Sum) and node.var == win.var:
        return False
    if isinstance(node, (ast.Name, ast.Derivative, ast.LossCall)):
        return ar._mentions_window(node, win)
    return any(_outside_sum(c, win) for c in ar._children(node))


def _applied_as_derivative(node):
    """∂/∂U J(v_c, w_{t+j}, U) inside an answer (the operator written before what it
    differentiates) is the derivative ∂J(v_c, w_{t+j}, U)/∂U, as on a left-hand side."""
    if type(node) is ast.Name or ast.Applied not in _contents(node).kinds:
        return node
    if isinstance(node, ast.Applied) and node.op.of is None:
        return ast.Derivative(_applied_as_derivative(node.arg), node.op.wrt, node.op.order)
    return ast.rebuilt(node, _applied_as_derivative)


def _window_of_question(problem, q):
    reached = set()
    for loss in q.losses:
        reached |= _labels_reached(problem, loss)
    return [w for w in notation_for(problem).windows if w.label in reached]


def _fixed_window_word(node, problem, q):
    """(the answer with each window word at a fixed position — w_{t+1}, y_{t-m}: the window's
    spelling with its variable replaced by a number or the half-width — spelled at the window's
    variable instead, the window) when the question's loss runs over a window and the answer
    names such a word outside any Σ over the variable; (None, None) otherwise."""
    for win in _window_of_question(problem, q):
        centre = win.offset[0]
        at = re.compile(re.escape(centre) + r"\s*([+-])\s*(?:\d+|" + re.escape(win.half or "\x00") + r")(?![A-Za-z0-9])")

        def fix(n):
            if isinstance(n, ast.Index):
                t = at.sub(f"{centre}+{win.var}", n.text)
                return n if t == n.text else ast.Index(t, ())
            if isinstance(n, ast.LossCall):
                t = at.sub(f"{centre}+{win.var}", n.args)
                return n if t == n.args else replace(n, args=t)
            if isinstance(n, tuple):
                return tuple(fix(x) for x in n)
            if isinstance(n, ast.Sum) and n.var == win.var:
                return n
            if isinstance(n, ast.Node) and hasattr(n, "__dataclass_fields__"):
                return replace(n, **{f: fix(getattr(n, f)) for f in n.__dataclass_fields__})
            return n
        fixed = fix(node)
        if fixed != node and _outside_sum(fixed, win):
            return fixed, win
    return None, None


def _mentions_letter(node, letter: str) -> bool:
    """Whether a letter appears in the node anywhere (a name, a subscript, a call's arguments)."""
    token = re.compile(r"(?<![A-Za-z])" + re.escape(letter) + r"(?![A-Za-z])")
    for n in _every_node(node):
        if isinstance(n, ast.Name) and (n.base.lstrip("@") == letter or n.sub is not None and token.search(n.sub.text)):
            return True
        if isinstance(n, ast.LossCall) and token.search(n.args):
            return True
        if isinstance(n, ast.Sum) and n.var == letter:
            return True
    return False


def _every_node(node):
    """Every AST node under ``node``, inside derivatives too."""
    return ast.every_node(node)


_WINDOW_SUMS: dict = {}     # (id(node), file, question, window size) -> (node, rewritten): once per answer, not per evaluation


def _constant_window_sums(node, problem, q, inst):
    wins = _window_of_question(problem, q)
    size = int(inst.dims[wins[0].dim]) if wins else 0
    key = (id(node), problem.source, problem.digest, q.id, size)
    hit = _WINDOW_SUMS.get(key)
    if hit is not None and hit[0] is node:      # the node is kept in the value, so its id is not reused
        return hit[1]
    if len(_WINDOW_SUMS) > 4096:
        _WINDOW_SUMS.clear()
    out = _rewrite_window_sums(node, problem, q, inst)
    _WINDOW_SUMS[key] = (node, out)
    return out


def _rewrite_window_sums(node, problem, q, inst):
    """Σ_{j≠0} v_c(ŷ − y)ᵀ, Σ_j U(ŷ − y) for a question whose loss runs over the window: a Σ
    written with the window's variable and limits whose summand ignores the variable is its
    summand counted once per window position at this instance (2m copies of one term), so it is
    judged, not left unread; and the half-width the file spells the window's size with (m of
    2m) is half that size (U(2mŷ − Σ_j y_{t+j}))."""
    if not any(isinstance(n, ast.Sum) or isinstance(n, ast.Name) and n.sub is None and len(n.base) == 1
               for n in _every_node(node)):
        return node
    wins = _window_of_question(problem, q)
    if len({w.dim for w in wins}) != 1 or any(_outside_sum(node, w) for w in wins):
        # U(Σ_j ŷ − y_{t+j}): the window's word outside the Σ beside it — the student's bracket
        # was likely meant around both; which is not for this reading to decide
        return node
    size = int(inst.dims[wins[0].dim])
    half = {w.half for w in wins if w.half}
    half = half.pop() if len(half) == 1 else None

    def fix(n):
        if isinstance(n, tuple):
            return tuple(fix(x) for x in n)
        if half and isinstance(n, ast.Name) and n.base == half and n.sub is None:
            return ast.Num(size / 2)        # 2m ŷ: the window's half-width, as the file spells its size
        if isinstance(n, ast.Sum) and any(w.var == n.var and ar._window_limits(n, w) for w in wins) \
                and not _mentions_letter(n.body, n.var):
            return ast.Mul((ast.Num(float(size)), fix(n.body)))
        if isinstance(n, ast.Sum):
            return replace(n, body=fix(n.body))       # its limits (−m ≤ j ≤ m) stay as written
        if isinstance(n, ast.Node) and hasattr(n, "__dataclass_fields__"):
            return replace(n, **{f: fix(getattr(n, f)) for f in n.__dataclass_fields__})
        return n
    return fix(node)


def _one_window_term(node, target, ctx: Context, q, insts, win, policy: Policy):
    """An answer with the window variable free (the sum over j dropped) is incorrect when, for
    every reading, some instance has no window position j at which it equals the truth;
    None (judged as usual) when it cannot be evaluated or matches at some position."""
    wrong = None
    for reading in ar.readings(node, _preferred(None, q)):
        found = None
        for inst in insts:
            expected = _expected(ctx, target, q, inst)
            got_any, last = False, None
            for j in range(int(inst.dims[win.dim])):
                at = replace(ctx, bound=((win.var, ar.Idx(j, win.dim)),))
                try:
                    got = _evaluate(node, target, at, q, inst, reading)
                except (Unreadable, ShapeError, np.linalg.LinAlgError, IndexError, ValueError, ZeroDivisionError,
                        OverflowError, KeyError):
                    return None
                verdict, _ = _compare(expected, got, inst, policy)
                if verdict is True:
                    got_any = True
                    break
                last = (verdict, _example(inst, expected, got) if got.shape == expected.shape else inst.describe())
            if not got_any:
                found = last
                break
        if found is None:
            return None
        wrong = wrong or found
    if wrong is None:
        return None
    return Outcome("incorrect", note=f"one term of the sum over {win.var} (the window): at no window position "
                                     f"does it equal the gradient ({wrong[0]})", counterexample=wrong[1])


@functools.lru_cache(maxsize=64)
def _loss_function(q):
    """(reader function, parameter) when the question's loss is a function of the loss's
    parameter that a name of the loss spells (σ(x)): σ written bare in its answer is σ(x)."""
    loss = q.problem.loss(q.loss)
    node = loss.expr.node
    if not (isinstance(node, al.Call) and len(node.args) == 1 and isinstance(node.args[0], al.Name)
            and node.args[0].id == q.wrt):
        return None
    func = next((r for r, a in _READ_FUNCS.items() if a == node.func), None)
    if func is None or not any(n.strip().startswith("\\" + func) for n in loss.names):
        return None
    return func, q.wrt


def _bare_function_applied(node, q):
    """σ(1 − σ) for dσ(x)/dx: the bare function (read as ``@sigma_bare``) is the loss itself."""
    found = _loss_function(q)
    if found is None:
        return node
    func, param = found
    bare = "@" + func + "_bare"
    if not any(isinstance(n, ast.Name) and n.base == bare for n in _walk_all(node)):
        return node
    return _replace_names(node, bare, ast.Call(func, ast.Name("@" + param)))


def _replace_names(node, base: str, value):
    if isinstance(node, ast.Name):
        return value if node.base == base and node.sub is None else node
    if isinstance(node, tuple):
        return tuple(_replace_names(x, base, value) for x in node)
    if isinstance(node, ast.Node) and hasattr(node, "__dataclass_fields__"):
        return replace(node, **{f: _replace_names(getattr(node, f), base, value) for f in node.__dataclass_fields__})
    return node


def _judge_reading(node, target, ctx: Context, q, insts, reading, policy: Policy, memo=None) -> _ReadingResult:
    for n, inst in enumerate(insts):
        try:
            got = _evaluate_memo(memo, node, target, ctx, q, insts, n, reading)
        except Unreadable as exc:
            return _ReadingResult("unreadable", f"could not read {exc}")
        except ShapeError as exc:
            return _ReadingResult("illtyped", f"ill-typed: {exc}", _example(inst, None, None))
        except (np.linalg.LinAlgError, IndexError, ValueError, ZeroDivisionError, OverflowError) as exc:
            return _ReadingResult("unreadable", f"could not evaluate ({type(exc).__name__})")
        expected = _expected(ctx, target, q, inst)
        if isinstance(node, ast.Num) and node.value == 0 and got.shape == (1, 1):
            got = np.zeros(expected.shape)      # 0 for a zero vector or matrix
        verdict, layout = _compare(expected, got, inst, policy)
        if verdict is not True:
            return _ReadingResult("incorrect", verdict, _example(inst, expected, got))
    return _ReadingResult("correct", layout=layout)


def _compare(expected: np.ndarray, got: np.ndarray, inst, policy: Policy):
    layout = False
    if got.shape != expected.shape:
        is_vector = expected.shape[1] == 1 and expected.shape[0] > 1
        if is_vector and got.T.shape == expected.shape and not policy.strict_layout:
            got, layout = got.T, True
        elif expected.shape == (1, 1) or got.shape != expected.shape:
            return (f"a {ar.describe_shape(got.shape)} where a {ar.describe_shape(expected.shape)} is expected"
                    + (" (strict layout)" if is_vector and got.T.shape == expected.shape else "")), False
    c = compare(expected, got, scale=inst.error_scale())
    return (True, layout) if c else (f"wrong value: {c.describe()}", False)


def _example(inst, expected, got) -> dict:
    out = inst.describe()
    if expected is not None:
        out["expected"] = np.round(expected, 6).tolist()
        out["got"] = np.round(got, 6).tolist()
    return out


def _evaluate_memo(memo, node, target, ctx, q, insts, n: int, reading):
    """``_evaluate`` at instance n, once per judging (memo: its value or the exception it raised)."""
    if memo is None:
        return _evaluate(node, target, ctx, q, insts[n], reading)
    hit = memo.get((reading, n))
    if hit is None:
        try:
            hit = (True, _evaluate(node, target, ctx, q, insts[n], reading))
        except Exception as exc:     # noqa: BLE001 - kept and raised again, as evaluating again would
            hit = (False, exc)
        memo[(reading, n)] = hit
    if not hit[0]:
        raise hit[1]
    return hit[1]


def _mistake(node, target, ctx: Context, q, insts, reading=(), memo=None):
    """The first mistake of the file that the answer equals at every instance (the
    answer's values come from the judging's memo; the mistakes' from the instance's)."""
    for m in q.mistakes:
        same = True
        for n, inst in enumerate(insts):
            try:
                a = _evaluate_memo(memo, node, target, ctx, q, insts, n, reading)
                b = ar.as_2d(inst.evaluate_once(m.expr_for(ctx.base)))
            except (Unreadable, ShapeError, ValueError, IndexError, np.linalg.LinAlgError):
                same = False
                break
            if a.shape != b.shape and a.T.shape == b.shape:
                a = a.T
            if a.shape != b.shape or not compare(b, a, scale=inst.error_scale()):
                same = False
                break
        if same:
            return m.code, m.feedback
    return None, None


# -- a layout the submission declares ([reader.conventions] transposes) ---------------------------

def declared_transposed(text: str, problem) -> tuple[frozenset, tuple]:
    """The names a submission declares it writes transposed ("U is |V| × d with rows u_wᵀ",
    "ŷ and y are row vectors": the file's [reader.conventions] with ``transposes``), and a
    note per declaration saying where and what it means."""
    names, notes = set(), []
    for c in (problem.reader.conventions if problem.reader is not None else ()):
        if not c.transposes:
            continue
        for pattern in c.patterns:
            m = re.search(pattern, text, re.IGNORECASE | re.DOTALL)
            if m:
                names |= set(c.transposes)
                notes.append(f"declared on line {text.count(chr(10), 0, m.start()) + 1}: {c.means}; "
                             "answers are judged in that layout")
                break
    return frozenset(names), tuple(notes)


def _as_declared(node, names: frozenset):
    """The answer in the file's layout: every name the submission writes transposed is read
    as the transpose of the file's (its U is the file's Uᵀ; a scalar entry stays itself)."""
    if isinstance(node, ast.Name):
        if node.base.startswith("@") and node.base[1:] in names:
            return ast.Transpose(node)
        return node
    return ast.rebuilt(node, lambda x: _as_declared(x, names))


def _expected(ctx: Context, target: SetTarget, q, inst) -> np.ndarray:
    """The truth in the submission's declared layout: ∂J/∂U transposed when it writes U transposed."""
    out = truth(ctx.problem, target.qid, inst, ctx.half, ctx.base)
    if ctx.transposed and q.wrt in ctx.transposed and not q.part:
        return out.T
    return out


# -- other spellings of index letters and labels ------------------------------------------------

@functools.lru_cache(maxsize=64)
def _respellings(problem_key) -> tuple:
    """(letters, labels): an index's other spellings (ω for w) and a one-valued label's
    other spellings that are not names (0 for o: handwriting and OCR), from the file."""
    problem = _PROBLEMS[problem_key]
    letters, labels = {}, {}
    for v in problem.indices:
        spelled = [_letter(sp) for sp in (v.latex or (v.name,))]
        for sp in spelled[1:]:
            if sp and sp != spelled[0]:
                letters.setdefault(sp, spelled[0])
    for sym in problem.symbols:
        if sym.role == "label" and not sym.shape and sym.latex:
            for sp in sym.latex[1:]:
                if re.fullmatch(r"\d", sp.strip()):
                    labels[sp.strip()] = _letter(sym.latex[0])
    return tuple(sorted(letters.items())), tuple(sorted(labels.items()))


def _letter(spelling: str) -> str:
    t = spelling.strip()
    return GREEK.get(t.lstrip("\\"), t) if t.startswith("\\") else t


def respell(node, problem):
    """The answer with the file's other spellings of index letters (Σ_ω u_ω ŷ_ω → Σ_w u_w ŷ_w)
    and of labels in subscripts (u_0, ŷ_0 → u_o, ŷ_o) written the file's first way."""
    key = (problem.source, problem.digest)
    _PROBLEMS[key] = problem
    letters, labels = _respellings(key)
    if not letters and not labels:
        return node
    memo = (id(node), key)
    hit = _RESPELT.get(memo)
    if hit is not None and hit[0] is node:      # the node is kept in the value: its id is not reused
        return hit[1]
    if len(_RESPELT) > 4096:
        _RESPELT.clear()
    out = _respelled(node, _letter_patterns(letters), dict(labels))
    # an answer is respelled when judged, its letter readings and each of their judgings:
    # once per node, and a respelled node is its own respelling
    _RESPELT[memo] = (node, out)
    _RESPELT[(id(out), key)] = (out, out)
    return out


_RESPELT: dict = {}


@functools.lru_cache(maxsize=64)
def _letter_patterns(letters: tuple) -> dict:
    """other spelling -> (the file's letter, its pattern as a whole letter in a subscript),
    compiled once: every Index of every answer is respelled."""
    return {other: (letter, re.compile(r"(?<![A-Za-z0-9\\])" + re.escape(other) + r"(?![A-Za-z0-9])"))
            for other, letter in letters}


def respell_text(text: str, problem) -> str:
    """A branch condition's text with the same spellings (ω = 0 → w = o)."""
    key = (problem.source, problem.digest)
    _PROBLEMS[key] = problem
    letters, labels = _respellings(key)
    for other, letter in letters:
        name = next((k for k, v in GREEK.items() if v == other), None)
        text = re.sub(r"\\" + name + r"(?![A-Za-z])" if name else re.escape(other), letter, text)
        text = text.replace(other, letter)
    for digit, label in labels:
        text = re.sub(r"((?:=|\\neq?(?![A-Za-z])|≠)\s*\{?\s*)" + digit + r"(?![\d.])", lambda m: m.group(1) + label, text)
    return text


def _letter_of(letters: dict, x: str) -> str:
    return letters[x][0] if x in letters else x


def _respelled(node, letters: dict, labels: dict, in_sub: bool = False):
    if isinstance(node, ast.Index):
        text = node.text
        if text in labels:
            text = labels[text]
        else:
            for other, (letter, pattern) in letters.items():
                if other in text:
                    text = pattern.sub(letter, text)
        parts = tuple(_respelled(p, letters, labels, True) for p in node.parts)
        return node if (text, parts) == (node.text, node.parts) else ast.Index(text, parts)
    if isinstance(node, str):
        return letters[node][0] if in_sub and node in letters else node
    if isinstance(node, tuple):
        return ast.rebuilt(node, lambda x: _respelled(x, letters, labels, in_sub))
    if isinstance(node, ast.Sum):
        conds = tuple(tuple(_letter_of(letters, x) if isinstance(x, str) else _respelled(x, letters, labels) for x in c)
                      for c in node.conditions)
        changes = dict(var=_letter_of(letters, node.var), conditions=conds,
                       lower=_respelled(node.lower, letters, labels), upper=_respelled(node.upper, letters, labels),
                       body=_respelled(node.body, letters, labels))
        if all(v is getattr(node, f) or v == getattr(node, f) and isinstance(v, str) for f, v in changes.items()) \
                and conds == node.conditions:
            return node
        return replace(node, **changes)
    return ast.rebuilt(node, lambda x: _respelled(x, letters, labels))


# -- references: ∂L/∂S inside a later step, dS, dZ_1 ------------------------------------------

_WINDOW_BASES: dict = {}


def window_base(problem, loss: str):
    """(base loss, ((label, window label), …)) when ``loss`` is a sum over a window of
    another loss of the file with each of that loss's labels taken from a label of
    one more (leading) axis: skip-gram's Σ_j J_naive(v_c, w_{t+j}, U) has o ← window[j]
    (and negative sampling's samples ← window_samples[j, :]). Found from the shapes the
    file declares and proven on the question's instances (the sum of the base at each
    window position equals the loss), so nothing here names a loss; None otherwise."""
    key = (problem.source, problem.digest, loss)
    if key not in _WINDOW_BASES:
        _WINDOW_BASES[key] = _find_window_base(problem, loss)
    return _WINDOW_BASES[key]


_LABELS_REACHED: dict = {}


def _labels_reached(problem, loss: str) -> set:
    key = (problem.source, problem.digest, loss)      # asked for every answer judged: found once
    if key not in _LABELS_REACHED:
        _LABELS_REACHED[key] = frozenset(_find_labels_reached(problem, loss))
    return set(_LABELS_REACHED[key])


def _find_labels_reached(problem, loss: str) -> set:
    seen, todo = set(), list(al.names(problem.loss(loss).expr.node))
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        d = problem.definition(n)
        if d is not None:
            todo.extend(al.names(d.expr.node))
    return {n for n in seen if (s := problem.symbol(n)) is not None and s.role == "label"}


def _find_window_base(problem, loss: str):
    mine = _labels_reached(problem, loss)
    q = next((q for q in problem.questions if loss in q.losses), None)
    if q is None or not mine:
        return None
    insts = instances(problem, q.id)[:2]
    for other in problem.loss_decls:
        if other.name == loss:
            continue
        theirs = _labels_reached(problem, other.name) - mine     # shared labels (the centre c) stay
        if not theirs:
            continue
        mapping, axis = [], None
        for label in sorted(theirs):
            decl = problem.symbol(label)
            found = [m for m in sorted(mine) if problem.symbol(m).range_ == decl.range_
                     and len(problem.symbol(m).shape) == len(decl.shape) + 1
                     and tuple(problem.symbol(m).shape[1:]) == tuple(decl.shape)]
            if len(found) != 1 or axis not in (None, problem.symbol(found[0]).shape[0]):
                mapping = None
                break
            axis = problem.symbol(found[0]).shape[0]
            mapping.append((label, found[0]))
        if not mapping or not insts:
            continue
        try:
            ok = all(np.allclose(float(np.asarray(inst.evaluate(problem.loss(loss).expr))),
                                 sum(float(np.asarray(_at_position(inst, mapping, j).evaluate(other.expr)))
                                     for j in range(inst.dims[axis])))
                     for inst in insts)
        except (ValueError, IndexError, KeyError):
            ok = False
        if ok:
            return other.name, tuple(mapping)
    return None


def _at_position(inst, mapping, j: int):
    return inst.replace(**{label: np.asarray(inst.values[win])[j] for label, win in mapping})


def _window_ref(node: ast.Derivative, win, scope: ar.Scope, ctx: Context):
    """∂J(v_c, w_{t+j}, U)/∂U inside Σ_j: the base loss's derivative at the window's j-th word."""
    j = scope.bound(win.var)
    found = window_base(ctx.problem, ctx.base) if ctx.base else None
    if j is None or found is None:
        raise Unreadable("a derivative at a window word outside its sum")
    base, mapping = found
    wkey = _key(node.wrt)
    cands = list(dict.fromkeys(qid for qid, w, _, o, _ in declared(ctx.problem)
                               if w is not None and w == wkey and o == node.order
                               and ctx.base in ctx.problem.question(qid).losses))
    if len(cands) != 1:
        raise Unreadable("a derivative at a window word by a variable no question asks about")
    q = ctx.problem.question(cands[0])
    from gradkey.derive.truth import derivation, select_part

    def at_position():          # the answer does not enter: once per instance, base, question and j
        inst = _at_position(scope.inst, mapping, j.value)
        G = derivation(ctx.problem, base, q.wrt, q.order, inst.dims).evaluate(inst)[1]
        out = ar.as_2d(np.asarray(select_part(q, G, inst), dtype=float))
        out.setflags(write=False)
        return out
    out = scope.inst.once(("window_ref", base, mapping, q.id, j.value), at_position)
    return out.T if ctx.transposed and q.wrt in ctx.transposed and not q.part else out


def _refs(ctx: Context):
    def resolve(node: ast.Derivative, scope: ar.Scope):
        nt = notation_for(ctx.problem)
        win = next((w for w in nt.windows if ar._mentions_window(node, w)), None)
        if win is not None:
            return _window_ref(node, win, scope, ctx)
        targets = identify(node, ctx.problem, families=set())
        if len(targets) != 1 or targets[0].entry is not None:
            raise Unreadable("a derivative that is not worked out")
        qid = targets[0].qid
        q = ctx.problem.question(qid)
        if ctx.answered and qid in ctx.answered:
            answered = ctx.answered[qid]
            if answered is node:
                raise Unreadable("an answer defined by itself")
            return ar.evaluate(answered, ar.Scope(scope.inst, scope.notation, _bindings(ctx.problem, q, scope.inst),
                                                  scope.choices, scope.defs, scope.refs))
        if not q.suits(scope.inst):
            raise Unreadable(f"∂ of {qid} at an instance it does not apply to")
        out = truth(ctx.problem, qid, scope.inst, ctx.half, ctx.base if ctx.base in q.losses else None)
        return out.T if ctx.transposed and q.wrt in ctx.transposed and not q.part else out
    return resolve


# -- identification -------------------------------------------------------------------------

def _key(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.base + (f"_{node.sub.text}" if node.sub is not None else "")
    if isinstance(node, ast.Transpose):
        return _key(node.arg)
    return None


def _of_key(node) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Name) and not node.base.startswith("@"):
        return node.base + (f"_{node.sub.text}" if node.sub is not None else "")
    if isinstance(node, ast.LossCall):      # J_{naive-softmax}(v_c, o, U): the loss by its name
        return node.name + (f"_{node.sub}" if node.sub else "")
    return "expr"


@functools.lru_cache(maxsize=64)
def _declared_lhs(problem_key) -> tuple:
    """(qid, wrt key, of key, order, normalised text) for every declared left-hand side."""
    problem = _PROBLEMS[problem_key]
    nt = notation_for(problem)
    out = []
    for q in problem.questions:
        for lhs in q.lhs:
            text = _flat(lhs)
            try:
                node, _ = parse(lhs, nt)
                node = as_derivative(node)
            except ReadError:
                out.append((q.id, None, "", q.order, text))
                continue
            if isinstance(node, ast.Derivative):
                out.append((q.id, _key(node.wrt), _of_key(node.of), node.order, text))
            else:
                out.append((q.id, None, "", q.order, text))
    return tuple(out)


def _flat(text: str) -> str:
    return re.sub(r"\s+|\\[,;!]", "", text)


def declared(problem):
    key = (problem.source, problem.digest)
    _PROBLEMS[key] = problem
    return _declared_lhs(key)


def as_derivative(node):
    """ReLU'(z) and d/dz max(0, z) are derivatives too."""
    if isinstance(node, ast.Call) and node.func == "drelu":
        return ast.Derivative(ast.Call("relu", node.arg), node.arg)
    if isinstance(node, ast.Applied) and node.op.of is None:
        return ast.Derivative(node.arg, node.op.wrt, node.op.order)
    return node


def identify(node, problem, families: set, text: str = "") -> list[SetTarget]:
    """The questions a left-hand side names (several when only the value can tell)."""
    node = respell(as_derivative(node), problem)
    if isinstance(node, ast.Derivative) and isinstance(node.wrt, ast.Name) and node.wrt is not None \
            and len(node.wrt.base) == 1 and node.wrt.sub is not None:
        # u_ω respelled u_w: the name the file spells that way (u_w), as if written so
        try:
            again, _ = parse(f"{node.wrt.base}_{{{node.wrt.sub.text}}}", notation_for(problem))
        except ReadError:
            again = None
        if isinstance(again, ast.Name) and again.base.startswith("@"):
            node = ast.Derivative(node.of, again, node.order)
        else:
            # ∂J/∂u_{w_s}: the sample the question asks about, in the student's letter (w_k)
            m = ENTRY_SUB.match(node.wrt.sub.text)
            found = _entry_spelling(problem, m.group(1)) if m else None
            named = _loss_named_by(node.of, problem)
            if found is not None and named and not any(found[0] in _labels_reached(problem, d.name)
                                                       for d in problem.loss_decls if family(d.name) in named):
                # ∂J_CE/∂u_{w_i}: the loss named draws no samples, so w_i is a word w (u_w), not w_k
                try:
                    again, _ = parse(f"{node.wrt.base}_{{{m.group(1)}}}", notation_for(problem))
                except ReadError:
                    again = None
                if isinstance(again, ast.Name) and again.base.startswith("@"):
                    node = ast.Derivative(node.of, again, node.order)
                found = None
            if found is not None:
                try:
                    again, _ = parse(f"{node.wrt.base}_{{{m.group(1)}_{found[1]}}}", notation_for(problem))
                except ReadError:
                    again = None
                if isinstance(again, ast.Name) and again.base.startswith("@"):
                    node = ast.Derivative(node.of, again, node.order)
    table = declared(problem)
    exact = []
    if text:
        flat = _flat(text)
        exact = list(dict.fromkeys(qid for qid, _, _, _, t in table if t == flat))
    if exact and not isinstance(node, ast.Derivative):
        return _narrow(exact, None, problem, families, f"left-hand side '{text.strip()}'")
    if not isinstance(node, ast.Derivative):
        return []
    of = node.of
    if isinstance(of, ast.Name) and of.sub is None and of.base.startswith("@") and of.base.endswith("_bare") \
            and isinstance(node.wrt, ast.Name):
        # dσ/dx: the function written without its argument is applied to the variable
        of = ast.Call(of.base[1:-len("_bare")], node.wrt)
        node = ast.Derivative(of, node.wrt, node.order)
    if isinstance(of, ast.Name) and (of.base.startswith("@") or len(of.base) == 1 and of.base.islower()
                                     and ar._lower_targets(notation_for(problem), of.base)):
        return []       # ∂s_j/∂w_j = x_i: a chain-rule factor of a declared quantity, not of a loss
    if isinstance(of, ast.Name) and of.sub is not None and len(of.base) == 1 and of.base.islower() \
            and of.base not in vocabulary_for(problem).loss_letters and of.base not in LOSS_LIKE_LETTERS:
        return []       # ∂z_i/∂θ_k = X_ik: a chain-rule factor of the student's own z_i, not of a loss
    if isinstance(node.wrt, ast.Name) and node.wrt.base == "gradvar":
        # a table's "f | ∂f/∂(·)" row: the questions whose loss is the left cell's function
        cands = list(dict.fromkeys(qid for qid, w, _, o, _ in table if w is not None and o == node.order
                                   and node.of is not None and _same_loss(node.of, problem, qid)))
        how = f"the function {show(node.of)} in a table's left cell" if node.of is not None else ""
        return [SetTarget(q, None, how if len(cands) == 1 else "by value") for q in cands]
    wrt = node.wrt
    m = CONDITION.match(wrt.sub.text.replace("{", "").replace("}", "")) if (
        isinstance(wrt, ast.Name) and wrt.sub is not None) else None
    if m:
        # ∂J/∂u_{w=o}, ∂J/∂u_{w≠o}: the branch written in the subscript names the column
        try:
            wrt, _ = parse(f"{wrt.base.lstrip('@')}_{m.group(3) if m.group(2) == '=' else m.group(1)}",
                           notation_for(problem))
        except ReadError:
            return []
        node = ast.Derivative(node.of, wrt, node.order)
    wkey, order = _key(node.wrt), node.order
    entry = None
    cands = exact or [qid for qid, w, _, o, _ in table if w is not None and w == wkey and o == order]
    if not cands and order == 2 and node.wrt2 is not None:
        # ∂²J/∂θ_k∂θ_l, ∂_{θ_k}∂_{θ_l} J: entry (k, l) of the Hessian, for every k and l
        letters = node.wrt.sub.text + node.wrt2.sub.text
        cands = [qid for qid, w, _, o, _ in table if w == node.wrt.base and o == 2
                 and len(problem.question(qid).shape) == 2]
        entry = letters if cands and not set(letters) & nt_index_names(problem) else None
        cands = cands if entry else []
    if not cands and isinstance(node.wrt, ast.Name) and node.wrt.sub is not None and len(node.wrt.sub.text) == 1:
        nt = notation_for(problem)
        letter = node.wrt.sub.text
        if letter not in nt.index_names:        # ∂L_i/∂s_k: entry k of ∂L_i/∂s
            bare = node.wrt.base
            cands = [qid for qid, w, _, o, _ in table if w == bare and o == order]
            entry = letter if cands else None
        elif not any(w == wkey for _, w, _, _, _ in table):
            # ∂L_i/∂s_j with j the file's own index over the vector's entries (classes for the C
            # scores): entry j of ∂L_i/∂s, when no question is asked of s_j itself
            bare = node.wrt.base
            cands = [qid for qid, w, _, o, _ in table if w == bare and o == order
                     and _vector_over(problem.question(qid), problem, letter)]
            entry = letter if cands else None
        if not cands and letter not in nt.index_names and letter not in nt.label_names:
            # ∂J/∂v_j (j ≠ c) for the file's ∂J/∂v_w: a column at the student's own index letter
            spelled = {sp for v in problem.indices for sp in (v.latex or (v.name,)) if len(sp) == 1}
            cands = [qid for qid, w, _, o, _ in table
                     if o == order and w in {f"{node.wrt.base}_{sp}" for sp in spelled}]
    if not cands and isinstance(node.wrt, ast.Name) and node.wrt.sub is not None and \
            re.fullmatch(r"[a-z]{2}", node.wrt.sub.text) and not set(node.wrt.sub.text) & nt_index_names(problem):
        # ∂L/∂W_{dc}, ∂f/∂X_{kl}: entry (d, c) of ∂L/∂W, for every d and c
        cands = [qid for qid, w, _, o, _ in table if w == node.wrt.base and o == order
                 and len(problem.question(qid).shape) == 2]
        entry = node.wrt.sub.text if cands else None
    if not cands and isinstance(node.wrt, ast.Name) and node.wrt.sub is not None:
        # ∂L_i/∂S_{ic}, ∂L_i/∂W_{dj}: entry c of the example's row s, entry d of the column w_j
        cands, entry = _entry_of_a_row_or_column(node.wrt, problem, table, order)
    cands = list(dict.fromkeys(cands))
    windowed = _windowed_labels(node.of, problem)
    if windowed and cands:
        # ∂/∂v_c Σ_j F(w_{c+j}, v_c), ∂J(v_c, w_{t-m}, …, w_{t+m}, U)/∂U: what is differentiated is
        # the loss over the whole window, so only the questions of a loss that reaches the window
        within = [q for q in cands if _reaches(problem, q, windowed)]
        if within:
            cands = within
        else:
            return _column_of_whole(node, problem, windowed)
    if not cands:
        return _identify_reread(node, problem, families)
    how = f"left-hand side ∂{show(node.of) if node.of is not None else ''}/∂{show(node.wrt)}"
    return _narrow(cands, node, problem, families, how, entry)


def _loss_named_by(of, problem) -> set:
    """The loss families a differentiated name states by its subscript (J_{CE}, J_{neg-sample}:
    [reader] loss words), or an empty set."""
    if not isinstance(of, (ast.Name, ast.LossCall)):
        return set()
    sub = (of.sub.text if of.sub is not None else "") if isinstance(of, ast.Name) else (of.sub or "")
    letter = of.base if isinstance(of, ast.Name) else of.name
    words = vocabulary_for(problem)
    if not sub or letter not in words.loss_letters:
        return set()
    key = words.loss_named(extract.strip_text_commands(sub))
    return _declared_families({key}, problem) if key else set()


def _windowed_labels(of, problem) -> frozenset:
    """The window labels a differentiated expression runs over as a whole: a Σ over a window's
    variable of a term naming its word (Σ_j F(w_{c+j}, v_c), Σ_j J(v_c, w_{t+j}, U)), or a loss
    applied to the window's first and last words (J(v_c, w_{t-m}, …, w_{t+m}, U)); empty otherwise."""
    if of is None:
        return frozenset()
    nt = notation_for(problem)
    out = set()
    for win in nt.windows:
        if isinstance(of, ast.Sum) and of.var == win.var and ar._mentions_window(of.body, win):
            out.add(win.label)
        elif isinstance(of, ast.LossCall) and win.half:
            centre, sign = win.offset[0], re.escape
            args = re.sub(r"[{}\s]", "", of.args)
            ends = re.findall(sign(centre) + r"([+-])" + sign(win.half) + r"(?![A-Za-z0-9])", args)
            if set(ends) == {"+", "-"}:
                out.add(win.label)
    return frozenset(out)


def _reaches(problem, qid: str, labels: frozenset) -> bool:
    return any(labels & _labels_reached(problem, loss) for loss in problem.question(qid).losses)


def _column_of_whole(node, problem, windowed) -> list[SetTarget]:
    """∂/∂u_k of the whole window's loss, whose questions ask only for the whole U: the
    question about the matrix the column u_k belongs to (u_k = U[:, …] in the file), marked
    so read: a column is not the matrix asked for, so its verdict is at most review."""
    wrt = node.wrt
    if not (isinstance(wrt, ast.Name) and wrt.base.startswith("@") and wrt.sub is None):
        return []
    d = problem.definition(wrt.base[1:].split("|")[0])
    m = re.match(r"^\s*([A-Za-z]\w*)\s*\[\s*:\s*,", d.expr.text) if d is not None else None
    if not m:
        return []
    whole = [q.id for q in problem.questions if q.wrt == m.group(1) and q.order == node.order
             and _reaches(problem, q.id, windowed)]
    what = f"∂/∂{show(wrt)}: a column of {m.group(1)}, whose question asks for the whole matrix"
    return [SetTarget(q, None, "by value" if len(whole) > 1 else f"left-hand side; {what}", reread=what,
                      column_of=what) for q in whole]


# lower-case letters students give a per-example loss or cost (l_i, f_i, c_i): never taken for a
# chain-rule factor by their look alone
LOSS_LIKE_LETTERS = frozenset("lfc")


def _vector_over(q, problem, letter: str) -> bool:
    """Whether question q asks for a vector whose length is the dimension the file's index
    ``letter`` runs over (s ∈ ℝ^C and j over the C classes)."""
    shape = tuple(q.shape)
    index = next((v for v in problem.indices if letter in (v.latex or (v.name,)) or v.name == letter), None)
    return index is not None and len(shape) == 1 and shape[0] == index.dim


def nt_index_names(problem) -> frozenset:
    return frozenset(notation_for(problem).index_names)


def _entry_of_a_row_or_column(wrt, problem, table, order) -> tuple[list, str | None]:
    """M_{ab} with one of a, b the file's index (i over examples, j over classes) and the other a
    letter of the student's: entry b of row a (the lower-case vector m the file asks for per
    example) or entry a of column b (m_b), when a question asks for that vector."""
    sub = wrt.sub.text
    idx = [k for k, c in enumerate(sub) if c in notation_for(problem).index_names]
    if not (re.fullmatch(r"[a-z]{2}", sub) and len(idx) == 1 and wrt.base.startswith("@")):
        return [], None
    name = wrt.base[1:].split("|")[0]
    dims, decl = ar._declared(problem, name)
    spelled = next((sp for sp in (getattr(decl, "latex", ()) or ()) if re.fullmatch(r"[A-Z]", sp)), None)
    at, letter = idx[0], sub[idx[0]]
    dim = next((v.dim for v in problem.indices if v.name == letter), None)
    if spelled is None or len(dims) != 2 or dims[at] != dim:
        return [], None
    key = spelled.lower() if at == 0 else f"{spelled.lower()}_{letter}"
    cands = [qid for qid, w, _, o, _ in table if w == key and o == order]
    return cands, (sub[1 - at] if cands else None)


def _identify_reread(node, problem, families) -> list[SetTarget]:
    """∂J/∂v_0 naming no question: in the file's letter reading (v_0 as u_0) the question it
    names, if any, marked as so read (its verdict is then at most review)."""
    pairs = _letter_readings(problem)
    wrt = node.wrt
    nt = notation_for(problem)
    if isinstance(wrt, ast.Name) and wrt.sub is not None and wrt.base not in pairs:
        # ∂/∂u_c with u for every vector (u_{c+j}, u_c): a reading the other way, only where the
        # name as written is the file's nowhere and the name so read is declared (v_c)
        back = [v for v, u in pairs.items() if u == wrt.base]
        renamed = _renamed_letter(wrt, wrt.base, back[0], nt) if len(back) == 1 else None
        if renamed is None or not (isinstance(renamed, ast.Name) and renamed.base.startswith("@")):
            return []
        found = identify(ast.Derivative(_renamed_letter(node.of, wrt.base, back[0], nt), renamed, node.order),
                         problem, families)
        what = f"∂/∂{wrt.base}_{wrt.sub.text} read as ∂/∂{back[0]}_{wrt.sub.text} (the file's letter readings, reversed)"
        return [replace(t, reread=what) for t in found]
    if not (isinstance(wrt, ast.Name) and wrt.base in pairs and wrt.sub is not None):
        return []
    renamed = _renamed_letter(wrt, wrt.base, pairs[wrt.base], nt)
    found = identify(ast.Derivative(node.of, renamed, node.order), problem, families)
    what = f"∂/∂{wrt.base}_{wrt.sub.text} read as ∂/∂{pairs[wrt.base]}_{wrt.sub.text} (the file's letter readings)"
    return [replace(t, reread=what) for t in found]


def _narrow(cands, node, problem, families, how, entry=None) -> list[SetTarget]:
    """Candidates narrowed by the loss named (L_i, J), the expression differentiated
    (by value) and the section; what remains is decided by value."""
    of = _of_key(node.of) if node is not None else ""
    if len(cands) > 1 and of and of != "expr":
        named = [q for q in cands if of in _loss_names(problem, q)]
        if not named and "_" in of:
            # J_{CE}, J_{res-sample}: a subscript the file does not declare, named by its [reader] loss words
            words = vocabulary_for(problem)
            letter, sub = of.split("_", 1)
            key = words.loss_named(extract.strip_text_commands(sub)) if letter in words.loss_letters else None
            named = [q for q in cands if key and any(x == key or x.startswith(key + "_")
                                                      for x in problem.question(q).losses)]
            if key and not named and any(x == key or x.startswith(key + "_")
                                         for q in problem.questions for x in q.losses):
                # ∇_U J_{neg-sample}: the loss named is the file's, and none of its questions asks
                # for this variable — a derivation beyond the questions, not another loss's answer
                return []
        fam = [q for q in cands if family(problem.question(q).loss) in families] if families else []
        if named and fam and not set(named) & set(fam) and \
                len({q.loss for q in problem.questions if of in _loss_names(problem, q.id)}) > 1:
            # ∂J/∂U under a "skip-gram" heading: J names several losses of the file (naive, neg), so
            # the section says which one; a name of one loss alone (J_{naive}) still decides
            named = fam
            how += "; section"
        cands = named or cands
    if of == "expr":
        matches = {q: _loss_match(node.of, problem, q) for q in cands}
        if matches and not any(m is not False for m in matches.values()):
            # ∂/∂v_c(−log σ(u_oᵀv_c)): read, and no question's loss in value — a term's derivative,
            # a step of the derivation (an expression that cannot be evaluated still goes by value)
            return []
        by_value = [q for q, m in matches.items() if m]
        cands = by_value or cands
    if len(cands) > 1 and families:
        fam = [q for q in cands if family(problem.question(q).loss) in families]
        if fam:
            cands = fam
            how += "; section"
    if len(cands) > 1:
        return [SetTarget(q, entry, "by value") for q in cands]
    return [SetTarget(cands[0], entry, how)]


def _loss_names(problem, qid: str) -> set:
    loss = problem.loss(problem.question(qid).loss)
    out = set()
    for n in loss.names:
        try:
            node, _ = parse(n, notation_for(problem))
            out.add(_of_key(node))
        except ReadError:
            continue
    return out


def _same_loss(of_node, problem, qid: str) -> bool:
    """∂ tr(AX)/∂X: the expression differentiated is this question's loss (by value)."""
    return _loss_match(of_node, problem, qid) is True


def _loss_match(of_node, problem, qid: str) -> bool | None:
    """True when a reading of the expression differentiated equals this question's loss at the
    instances tried, False when every reading evaluates and differs from it, None when some
    reading cannot be evaluated (undecided)."""
    q = problem.question(qid)
    insts = instances(problem, qid)
    if not insts:
        return None
    ctx = Context(problem)
    undecided = False
    for reading in ar.readings(of_node, _preferred(None, q)):
        ok = True
        for inst in insts[:2]:
            try:
                got = _evaluate(of_node, SetTarget(qid), ctx, q, inst, reading)
            except (Unreadable, ShapeError, ValueError, IndexError, np.linalg.LinAlgError):
                ok, undecided = False, True
                break
            want = ar.as_2d(np.asarray(inst.evaluate(problem.loss(q.loss).expr), dtype=float))
            if got.shape != want.shape or not compare(want, got, scale=inst.error_scale()):
                ok = False
                break
        if ok:
            return True
    return None if undecided else False


# -- a submission ----------------------------------------------------------------------------

# a .tex homework pasted as Markdown: \section*{…}, \subsection{…}, \paragraph{…}, and an
# enumerate item opening with its bold label (\item \textbf{SVM, the correct class.})
LATEX_HEADING = re.compile(r"\\(?:(?:sub)*section|paragraph)\*?\s*\{|\\item\s*(?:\[[^\]]{0,20}\])?\s*\\textbf\s*\{")


def _sections(text: str, nt) -> list:
    """The loss families named by the heading-like line in force at each line."""
    out, current = [], set()
    for line in text.split("\n"):
        stripped = line.strip()
        heading = bool(re.match(r"^(?:#{1,6}\s|\*\*|Q\s*\d|\d+\s*[.)]\s|\(?[a-h]\)\s)", stripped)) or (
            0 < len(stripped) < 50 and "$" not in stripped) or bool(LATEX_HEADING.match(stripped))
        if heading:
            named = _declared_families(nt.families_named(re.sub(r"\$[^$]*\$", " ", stripped)), nt.problem) or \
                _loss_in_heading_math(stripped, nt.problem)
            if named:
                current = named
        elif (named := _loss_in_prose(stripped, nt.problem)):
            current = named
        out.append(current)
    return out


def _declared_families(named: set, problem) -> set:
    """The loss families of the file a [reader] loss word names: "sg" names sg_naive and sg_neg
    (a loss asked over several bases), as _loss_in_prose reads them, so that a section's
    families match its questions' losses."""
    return {family(d.name) for d in problem.loss_decls for key in named
            if d.name == key or d.name.startswith(key + "_") or family(d.name) == key}


# a loss letter with its subscript inside a heading's math: "(h) $J_{skip\_gram}(v_c, …) = …$"
LOSS_SUBSCRIPT = re.compile(r"(?<![A-Za-z\\])(?:\\mathcal\s*\{\s*)?([A-Z])\s*\}?\s*_\s*(\{(?:[^{}$]|\{[^{}$]*\}){1,60}\}|[A-Za-z]+)")


def _loss_in_heading_math(line: str, problem) -> set:
    """The loss families a heading names only inside its math, by a loss letter's subscript
    ("(h) $J_{skip\\_gram}(…) = Σ_j J(…)$": sg); the math's other words (\\neq) are not read."""
    words = vocabulary_for(problem)
    named = set()
    for math in re.findall(r"\$+([^$]{1,400})\$+", line):
        for m in LOSS_SUBSCRIPT.finditer(math):
            key = words.loss_named(extract.strip_text_commands(m.group(2))) if m.group(1) in words.loss_letters else None
            if key:
                named.add(key)
    return _declared_families(named, problem) if named else set()


# "For $J_{neg}$:", "With $J = -\log\sigma(u_o^\top v_c) - …$:": a short line of prose naming the
# loss of what follows, by its name or its formula
LOSS_PROSE = re.compile(r"^\W{0,3}(?:for|with|let|using|now|consider|given)\b[^$]{0,30}\$([^$]{1,300})\$[^$]{0,40}:\W{0,3}$",
                        re.IGNORECASE)


def _loss_in_prose(line: str, problem) -> set:
    m = LOSS_PROSE.match(line)
    if not m:
        return set()
    words = vocabulary_for(problem)
    math = m.group(1)
    parts = extract._split_top(math, "=")
    lhs = re.sub(r"\\(?:mathcal|mathrm|text|boldsymbol)\s*\{?|[{}\s]", "", parts[0])
    if not lhs or lhs[0] not in words.loss_letters:
        return set()
    key = words.loss_by_content(parts[-1]) if len(parts) > 1 else words.loss_named(extract.strip_text_commands(lhs[1:]))
    return {family(d.name) for d in problem.loss_decls if key and (d.name == key or d.name.startswith(key + "_"))}


def _definitions(text: str, nt, ctx: Context) -> None:
    """The student's own names: entrywise definitions (M_{ij} = … for j ≠ y_i,
    M_{iy_i} = …) and constants (Δ = 1), from every math block of the file."""
    entries: dict = {}
    consts: dict = {}
    for seg in extract.segments(extract.prepare(text)):
        body = seg.body
        parts = extract._split_top(body, "=")
        for k in range(len(parts) - 1):
            lhs = parts[k].strip()
            rhs, remark = extract.clean_step(parts[k + 1])
            try:
                lnode, _ = parse(re.sub(r"^.*?(?:\\text\s*\{[^}]*\}|,)\s*", "", lhs) if "\\text" in lhs else lhs, nt)
            except ReadError:
                continue
            if not isinstance(lnode, ast.Name) or lnode.base.startswith("@") and lnode.sub is None:
                continue
            try:
                rnode, _ = parse(rhs, nt)
            except ReadError:
                continue
            if lnode.sub is None and isinstance(rnode, ast.Num) and len(lnode.base) > 1:
                consts[lnode.base] = rnode.value       # \Delta = 1
            elif lnode.sub is not None and lnode.base.lstrip("@")[:1].isupper():
                # M_{ij} = …: the student's own entries win over the file's M
                cond = remark + " " + _after(text, seg)
                entries.setdefault(lnode.base, []).append((lnode.sub.text, rnode, cond))
    defs = {}
    for base, value in consts.items():
        defs[base] = (lambda v: lambda node, scope: ar.scalar(v))(value)
    for base, rules in entries.items():
        fn = _entry_definition(base, rules, nt)
        if fn is not None:
            defs[base] = fn
    ctx.defs = defs
    ctx.named = _named(text, nt, ctx.problem)
    ctx.functions = _functions(text, nt)
    ctx.placeholders = _placeholders(text, nt, ctx.problem, set(defs))


# "$A$ is the center word vector $B$", "$A$ denotes $B$", "$A$ (i.e. $B$)": a name declared in prose
PROSE_ALIAS = re.compile(r"\$([^$\n]{1,80})\$\s*(?:is|denotes|stands for|means|for|\(i\.e\.,?|\(=)\s+"
                         r"(?:the\s+|our\s+|my\s+|a\s+|an\s+)?[^$\n]{0,60}?\$([^$\n]{1,40})\$")


def _prose_aliases(text: str, nt) -> str:
    """The student's own spelling of a file's name, declared in prose ("$\\mathbf{v}_{\\text{center}}$
    is the center word vector $v_c$"): every occurrence of that spelling written as the file's
    name. Only a spelling the file does not know, declared as exactly one of the file's arrays."""
    aliases = {}
    for m in PROSE_ALIAS.finditer(text):
        mine, theirs = m.group(1).strip(), m.group(2).strip()
        if mine in aliases or len(mine) < 2:
            continue
        try:
            a, _ = parse(mine, nt)
            b, _ = parse(theirs, nt)
        except (ReadError, RecursionError):
            continue
        if isinstance(a, ast.Name) and not a.base.startswith("@") and isinstance(b, ast.Name) \
                and b.base.startswith("@") and b.sub is None:
            aliases[mine] = theirs
    # U_{\text{outside}}, W_{\text{out}}: a word subscripted to one of the file's matrices names the
    # matrix (as code names its variables), where the file spells nothing so
    for m in TEXT_SUBSCRIPT.finditer(text):
        mine = m.group()
        if mine in aliases:
            continue
        try:
            a, _ = parse(mine, nt)
            b, _ = parse(m.group(1), nt)
        except (ReadError, RecursionError):
            continue
        if isinstance(a, ast.Name) and isinstance(b, ast.Name) and b.base.startswith("@") and b.sub is None \
                and a.base == b.base and a.sub is not None:      # read as an index of the file's U: the word is a label
            aliases[mine] = m.group(1)
    for mine in sorted(aliases, key=len, reverse=True):      # the longest spelling first
        # in braces: "^\top\mathbf{v}_{…}" must not become "^\topv_c"
        text = text.replace(mine, "{" + aliases[mine] + "}")
    return text


TEXT_SUBSCRIPT = re.compile(r"(?<![A-Za-z\\])([A-Z])_\{\s*\\(?:text|mathrm|textrm)\s*\{\s*[A-Za-z]{3,}\s*\}\s*\}")


def _functions(text: str, nt) -> dict:
    """The student's own functions, ``h_\\theta(x) = g(\\theta^T x)``, ``g(z) = 1/(1 + e^{-z})``:
    a name applied to a letter the file does not declare (the function's variable)."""
    out: dict = {}
    for line, row in extract.equation_rows(text):
        parts = extract._split_top(row, "=")
        for k in range(len(parts) - 1):
            lhs = DEF_SEPARATOR.split(parts[k])[-1].strip()
            try:
                node, repairs = parse(lhs, nt) if lhs else (None, True)
            except (ReadError, RecursionError):
                continue
            if repairs or not (isinstance(node, ast.Mul) and len(node.factors) == 2
                               and all(isinstance(f, ast.Name) for f in node.factors)):
                continue
            fn, var = node.factors
            # the variable: a letter the file does not declare, or a scalar it declares (σ's x:
            # "δ(x) = 1/(1 + e^{−x})" defines δ, whose argument replaces x in its body)
            if var.sub is not None or len(var.base.lstrip("@")) != 1 or fn.base == var.base \
                    or (var.base.startswith("@") and (fn.base.startswith("@") or nt.problem.symbol(var.base[1:]) is None
                                                      or nt.problem.symbol(var.base[1:]).shape)):
                continue
            if fn.base.startswith("@") and fn.sub is None:
                continue      # h(t) with h the file's H: a declared name followed by a bracket is a product
            rhs, _ = extract.clean_step(DEF_SEPARATOR.split(parts[k + 1])[0])
            try:
                body, _ = parse(rhs, nt)
            except (ReadError, RecursionError):
                continue
            out.setdefault((fn.base, fn.sub.text if fn.sub else None), []).append((line, var.base, body))
    return out


def _substitute(node, var: str, value):
    """``node`` with the bare letter ``var`` replaced by ``value``."""
    if isinstance(node, ast.Name):
        return value if node.base == var and node.sub is None else node
    if isinstance(node, tuple):
        return tuple(_substitute(x, var, value) for x in node)
    if isinstance(node, ast.Node) and hasattr(node, "__dataclass_fields__"):
        return replace(node, **{f: _substitute(getattr(node, f), var, value) for f in node.__dataclass_fields__})
    return node


def _apply_functions(node, ctx: Context, active: frozenset = frozenset(), budget: list | None = None):
    """h_θ(x^{(i)}) — read as the product h_θ · x_i — is the student's function h_θ applied
    to x_i: its body with the variable replaced (functions inside it applied in turn; a
    function is never applied inside its own body, and at most 200 applications are made
    per answer, so g(z) = g(z)g(z) or a tower of functions cannot blow up)."""
    budget = [200] if budget is None else budget
    if not ctx.functions:
        return node
    if isinstance(node, tuple):
        return tuple(_apply_functions(x, ctx, active, budget) for x in node)
    if not (isinstance(node, ast.Node) and hasattr(node, "__dataclass_fields__")) or isinstance(node, ast.Name):
        return node
    node = replace(node, **{f: _apply_functions(getattr(node, f), ctx, active, budget)
                            for f in node.__dataclass_fields__})
    if not isinstance(node, ast.Mul):
        return node
    factors, out, i = list(node.factors), [], 0
    while i < len(factors):
        f = factors[i]
        key = (f.base, f.sub.text if f.sub else None) if isinstance(f, ast.Name) else None
        rules = ctx.functions.get(key) if key is not None and key not in active else None
        if rules and i + 1 < len(factors) and budget[0] > 0:
            budget[0] -= 1
            before = [r for r in rules if r[0] <= ctx.line]
            _, var, body = before[-1] if before else rules[0]
            out.append(_apply_functions(_substitute(body, var, factors[i + 1]), ctx, active | {key}, budget))
            i += 2
            continue
        out.append(f)
        i += 1
    return out[0] if len(out) == 1 else ast.Mul(tuple(out))


def _definable(lhs: str, nt, problem) -> str | None:
    """The name a student's ``X = …`` defines, when it is one this checker must take from the
    student: a name the file defines (δ_1, δ_S, Z_1, H, h) or one the reader has no other
    meaning for (S = diag(…), B). The file's inputs (X, W_1, θ), index letters, dimensions and
    lower-case letters read as rows of their capital keep their meaning."""
    try:
        node, repairs = parse(lhs, nt)
    except (ReadError, RecursionError):
        return None
    if (isinstance(node, ast.Mul) and len(node.factors) == 2 and isinstance(node.factors[0], ast.Name)
            and not node.factors[0].base.startswith("@") and isinstance(node.factors[1], ast.Name)
            and node.factors[1].base.startswith("@") and node.factors[1].sub is None):
        node = node.factors[0]      # f(\mathbf{x}) = …: the objective f of a declared variable
    if repairs or not isinstance(node, ast.Name) or node.sub is not None:
        return None
    base = node.base
    if base.startswith("@"):
        names = base[1:].split("|")
        if all(problem.definition(n) is not None and problem.symbol(n) is None for n in names):
            return base
        return None
    if base in nt.dim_names or base == "e" or any(base in (v.latex or (v.name,)) for v in problem.indices):
        return None
    return base


def _named(text: str, nt, problem) -> dict:
    """Every ``X = …`` of the submission whose X is :func:`_definable`: base -> [(line, node)],
    node None when the right-hand side cannot be read (then the answers that use X are for
    review: the file's meaning must not stand in for the student's). In a chain
    (δ_1 = ∂L/∂Z_1 = …) the last member is the definition."""
    out: dict = {}
    # math blocks, and lines typed without delimiters ("forward:  Z1 = X W1 + b1 ,  H = max(0, Z1)")
    plain = [(n, re.sub(r"^[^=:]*:\s+", "", lhs) + " = " + " = ".join(steps))
             for n, lhs, steps, _ in extract.plain_equations(text)]
    # "∇²J(θ) = (1/N) Xᵀ S X,   where S = diag(…)": a definition in the remark after a formula
    plain += [(n, extract.plain_math(m.group(1))) for n, _, _, remark in extract.plain_equations(text)
              if (m := WHERE_DEFINITION.match(remark))]
    for line, row in sorted(extract.equation_rows(text) + plain):
        parts = extract._split_top(row, "=")
        for k in range(len(parts) - 1):
            # "L_i = … , \qquad \Delta = 1": a separator starts another equation on the row
            lhs = DEF_SEPARATOR.split(parts[k])[-1].strip()
            base = _definable(lhs, nt, problem) if lhs else None
            if base is None:
                continue
            members = []
            for nxt in parts[k + 1:]:
                members.append(DEF_SEPARATOR.split(nxt)[0])
                if members[-1] != nxt:
                    break
            # the last member that reads: every member equals the definition (θ = [u_1ᵀv_c; …] =
            # Uᵀv_c ∈ ℝ^W: the matrix with "…" does not read, Uᵀv_c does once "∈ W" is cut)
            node = None
            for member in reversed(members):
                rhs, _ = extract.clean_step(extract.plain_calls(member))
                cut = re.sub(r"\s*(?:\\in|∈)(?![A-Za-z])[^=]*$", "", rhs)
                for candidate in dict.fromkeys((rhs, cut, _without_prose_tail(cut))):
                    try:
                        node, _ = parse(candidate, nt) if candidate.strip() else (None, None)
                    except (ReadError, RecursionError):
                        node = None
                    if node is not None and _spelled_out_word(node):
                        node = None       # "by rows" read letter by letter: try without the words
                    if node is not None:
                        break
                if node is not None:
                    break
            if node is not None and _spelled_out_word(node):
                node = None       # CE(y, ŷ): an unknown word read letter by letter is not read
            if node is None and base.startswith("@") and all(len(m) <= 2000 and ELIDED_ARRAY.search(m) for m in members):
                # y = [0 … 1 … 0]ᵀ for the file's own y: an illustration of its entries, which cannot be
                # read as a definition; the file's meaning stands (any other unread definition: review)
                continue
            out.setdefault(base, []).append((line, node))
    for base in [b for b in out if b.startswith("@")]:
        # ŷ = softmax(θ) with θ defined nowhere: the file's own definition (softmax of its scores)
        # restated with a letter for the argument; the file's meaning stands, nothing is guessed
        kept = [(ln, n) for ln, n in out[base] if not _restates_the_file(base, n, problem, out)]
        if kept:
            out[base] = kept
        else:
            del out[base]
    return out


WHERE_DEFINITION = re.compile(r"^\s*(?:where|with|and|here)\s+([A-Za-z\\][^=]{0,40}=.+)$", re.IGNORECASE)
PROSE_TAIL = re.compile(r"(?<=[)\]}\w'])\s+(?:[a-z][a-z-]+\s*)+\.?\s*$")


def _without_prose_tail(rhs: str) -> str:
    """"softmax(S) by rows", "σ(z) elementwise": the formula without the words after it (tried only
    when the whole does not read). Words that change the meaning (by columns) are kept, so the
    definition stays unread and its uses go to review."""
    m = PROSE_TAIL.search(rhs)
    if m is None or re.search(r"col|transpos|except|not|without|plus|minus|times", m.group()):
        return rhs
    return rhs[:m.start()]


def _restates_the_file(base: str, node, problem, named: dict) -> bool:
    """A definition f(θ) of a name the file defines as f(…), θ a bare letter neither the file nor
    the submission defines."""
    if not (isinstance(node, ast.Call) and isinstance(node.arg, ast.Name) and node.arg.sub is None
            and not node.arg.base.startswith("@") and node.arg.base not in named):
        return False
    names = base[1:].split("|")
    defs = [problem.definition(n) for n in names]
    return len(defs) == 1 and defs[0] is not None and isinstance(defs[0].expr.node, al.Call) \
        and defs[0].expr.node.func == node.func


# an array written with its entries elided: [0, …, 1, …, 0], \begin{matrix} u_1 & … \end{matrix}
# (bounded: the entries before the first ellipsis are few, so a long hostile row costs linear time)
ELIDED_ARRAY = re.compile(r"(?:\\begin\s*\{[pbvBV]?matrix\}|\[|\\left\s*[\[(]).{0,200}?(?:\\[lcvd]?dots|\.\.\.|…)", re.S)


DEF_SEPARATOR = re.compile(r"\\q?quad|\\text\s*\{[^{}]*\}|(?<![{\w\\]),(?![^{]*\})|;")


def _students_objective(lhs, ctx: Context):
    """∇_x f where the student defined f (f(x) = ‖Bx − b‖² + λ‖x‖²): the derivative of that
    expression, so the question is found by its value, not by the letter f."""
    if not (isinstance(lhs, ast.Derivative) and isinstance(lhs.of, ast.Name) and lhs.of.sub is None
            and not lhs.of.base.startswith("@") and lhs.of.base in (ctx.named or {})):
        return lhs
    if any(_of_key(lhs.of) in _loss_names(ctx.problem, q.id) for q in ctx.problem.questions):
        return lhs      # L, J: the file's own loss names keep identifying by name and section
    rules = ctx.named[lhs.of.base]
    before = [r for r in rules if r[0] <= ctx.line]
    node = (before[-1] if before else rules[0])[1]
    return lhs if node is None else ast.Derivative(node, lhs.wrt, lhs.order)


def _spelled_out_word(node) -> bool:
    """A product with three or more bare undeclared letters in a row (s·o·f·t·m·a·x)."""
    if isinstance(node, ast.Mul):
        run = 0
        for f in node.factors:
            bare = isinstance(f, ast.Name) and f.sub is None and len(f.base) == 1 and not f.base.startswith("@")
            run = run + 1 if bare else 0
            if run >= 3:
                return True
    if isinstance(node, tuple):
        return any(_spelled_out_word(x) for x in node)
    if isinstance(node, ast.Node) and hasattr(node, "__dataclass_fields__"):
        return any(_spelled_out_word(getattr(node, f)) for f in node.__dataclass_fields__)
    return False


def _defs_at(ctx: Context) -> dict:
    """The student's names in force at the line judged: the latest definition of each at or
    before it (the first one when the answer comes before its "where X = …")."""
    defs = dict(ctx.defs or {})
    for base, rules in (ctx.named or {}).items():
        if base in defs:
            continue            # entrywise M_{ij} = … already read
        before = [r for r in rules if r[0] <= ctx.line]
        line, node = before[-1] if before else rules[0]
        if node is not None and ctx.transposed:
            node = _as_declared(node, ctx.transposed)       # ŷ = softmax(U v_c) with U's rows declared
        defs[base] = _student_value(base, line, node)
    for base, rules in (ctx.placeholders or {}).items():
        by_sub: dict = {}
        for line, sub, node in rules:       # per subscript, the latest definition at or before the line
            if sub not in by_sub or line <= ctx.line:
                by_sub[sub] = (line, node)
        if ctx.transposed:
            by_sub = {k: (ln, _as_declared(n, ctx.transposed) if n is not None else None)
                      for k, (ln, n) in by_sub.items()}
        defs[base] = _placeholder_value(base, by_sub, defs.get(base))
    return defs


def _placeholders(text: str, nt, problem, taken: set) -> dict:
    """The student's subscripted shorthands, ``s_o = σ(u_oᵀv_c)``, ``s_k = σ(−u_kᵀv_c)``,
    ``δ_j = ŷ − y_{t+j}`` (in display or inline math, several on a row apart by "," or \\quad,
    before or after the answers using them): base -> [(line, subscript, node or None)]. Only
    names the file does not have (u_o, ŷ_w keep the file's meaning), never a loss letter (J_{neg}
    names the loss), a letter the file reads as its matrix's columns (u_x = αu_y is a statement
    about a column) or a base the submission defines otherwise (entrywise M_{ij} = …)."""
    words = vocabulary_for(problem)
    out: dict = {}
    for line, row in extract.equation_rows(text):
        parts = extract._split_top(row, "=")
        for k in range(len(parts) - 1):
            lhs = DEF_SEPARATOR.split(parts[k])[-1].strip()
            if k > 0 and (after := re.search(r",\s+([A-Za-z\\][\w{}\\^]{0,12})\s*$", lhs)):
                lhs = after.group(1)        # "… = u_oᵀv_c, s2 = …": the name after ", " is the next one defined
            try:
                lnode, repairs = parse(lhs, nt) if lhs else (None, ())
            except (ReadError, RecursionError):
                continue
            if isinstance(lnode, ast.Mul) and len(lnode.factors) == 2 and isinstance(lnode.factors[0], ast.Name) \
                    and lnode.factors[0].sub is None and isinstance(lnode.factors[1], ast.Num) \
                    and re.fullmatch(r"[A-Za-z]\d{1,2}", re.sub(r"\s", "", lhs)):
                # s1 = u_oᵀv_c, s2 = u_kᵀv_c: a letter and a number typed together name a shorthand
                lnode = ast.Name(lnode.factors[0].base, ast.Index(re.sub(r"\D", "", lhs), ()))
            if repairs or not isinstance(lnode, ast.Name) or lnode.sub is None or lnode.base.startswith("@"):
                continue
            sub = _sub_key(lnode.sub.text)
            if (lnode.base in words.loss_letters or lnode.base in nt.dim_names or lnode.base in taken
                    or lnode.base == "e" or not sub or len(sub) > 4
                    or len(lnode.base) == 1 and ar._lower_targets(nt, lnode.base)):
                continue
            member = DEF_SEPARATOR.split(parts[k + 1])[0]
            tail = re.match(r"^(.*),\s+([A-Za-z\\][\w{}\\^]{0,12})\s*$", member, re.S) if k + 2 < len(parts) else None
            if tail:
                member = tail.group(1)      # "s1 = u_oᵀv_c, s2 = …": the next definition's name after ", "
            rhs, _ = extract.clean_step(member)
            try:
                node, _ = parse(rhs, nt) if rhs.strip() else (None, None)
            except (ReadError, RecursionError):
                node = None       # defined, but not readable: its uses are for review, never the file's guess
            out.setdefault(lnode.base, []).append((line, sub, node))
    return out


def _numbered_shorthands(node, placeholders):
    """σ(s1) read as σ(s·1): the letter and number the submission defined together (s1 = …) are
    its shorthand s_1 again wherever they stand side by side in a product."""
    numbered = {b for b, rules in (placeholders or {}).items() if any(sub.isdigit() for _, sub, _ in rules)}
    if not numbered:
        return node

    def fix(n):
        if isinstance(n, tuple):
            return tuple(fix(x) for x in n)
        if isinstance(n, ast.Mul):
            out, fs, i = [], [fix(f) for f in n.factors], 0
            while i < len(fs):
                f = fs[i]
                if isinstance(f, ast.Name) and f.base in numbered and f.sub is None and i + 1 < len(fs) \
                        and isinstance(fs[i + 1], ast.Num) and float(fs[i + 1].value).is_integer():
                    out.append(ast.Name(f.base, ast.Index(str(int(fs[i + 1].value)), ())))
                    i += 2
                    continue
                out.append(f)
                i += 1
            return out[0] if len(out) == 1 else replace(n, factors=tuple(out))
        if isinstance(n, ast.Node) and hasattr(n, "__dataclass_fields__") and not isinstance(n, ast.Name):
            return replace(n, **{f: fix(getattr(n, f)) for f in n.__dataclass_fields__})
        return n
    return fix(node)


def _sub_key(text: str) -> str:
    return re.sub(r"[{}\s]", "", text)


def _placeholder_value(base: str, by_sub: dict, otherwise):
    """The value of a use of the student's shorthand: the definition of that very subscript
    (s_o, δ_j inside Σ_j with j bound where it is used); any other subscript is not guessed
    from a sibling's definition (s_k = σ(−u_kᵀv_c) says nothing of s_o) and stays unread."""
    shown = base.lstrip("@")

    def value(use: ast.Name, scope: ar.Scope):
        key = _sub_key(use.sub.text) if use.sub is not None else None
        if key not in by_sub:
            if otherwise is not None:
                return otherwise(use, scope)
            # any other subscript means what it meant without the shorthand (unread if nothing)
            return ar.name(use, replace(scope, defs={k: v for k, v in scope.defs.items() if k != base}))
        line, node = by_sub[key]
        if node is None:
            raise Unreadable(f"the submission's own definition of {shown}_{key} (line {line})")
        inner = replace(scope, defs={k: v for k, v in scope.defs.items() if k != base})
        try:
            return ar.evaluate(node, inner)
        except ShapeError as exc:
            raise Unreadable(f"the submission's own definition of {shown}_{key} (line {line}): {exc}") from None
    return value


def _student_value(base: str, line: int, node):
    shown = base.lstrip("@")
    memo: dict = {}     # A = B + B, B = C + C, …: each definition evaluated once per scope, not 2^n times

    def value(use: ast.Name, scope: ar.Scope):
        if node is None:
            raise Unreadable(f"the submission's own definition of {shown} (line {line})")
        # inside its own definition the name means what it meant before (h = σ(Xθ) spelled h)
        inner = replace(scope, defs={k: v for k, v in scope.defs.items() if k != base})
        key = (id(scope.inst), scope.bindings, scope.choices, frozenset(inner.defs))
        if key not in memo:
            try:
                memo[key] = (ar.evaluate(node, inner), None)
            except ShapeError as exc:
                memo[key] = (None, f"the submission's own definition of {shown} (line {line}): {exc}")
            except Unreadable as exc:
                memo[key] = (None, str(exc))
        v, why = memo[key]
        if v is None:
            raise Unreadable(why)
        if use.sub is None:
            return v
        if base.startswith("@"):
            chosen = scope.choose(base[1:])
            dims, _ = ar._declared(scope.notation.problem, chosen)
            file_value = ar.value_at(scope.inst, chosen)
            fv = ar.as_2d(file_value)
            # ŷ = softmax((U v_c)ᵀ), a row where the file's ŷ is a column: its entries are the same
            if fv.shape != v.shape and not (fv.shape == v.T.shape and 1 in v.shape):
                raise Unreadable(f"{shown}_{use.sub.text} of the submission's {shown} (line {line}), "
                                 f"a {ar.describe_shape(v.shape)}")
            arr = v.reshape(file_value.shape)
            return ar._subscripted(arr, dims, use.sub, scope, lower=False, what=shown)
        items = ar._items(use.sub.text, scope)
        ex = scope.notation.examples_dim
        if items and ex is not None and items[0].dim == ex and len(items) <= 2 and scope.bound("i") is not None:
            # p_i, s_{ij} where the student's p, s are per example (s = Wᵀx_i): at example i (entry j)
            try:
                at = ar.evaluate(node, inner.bind("i", items[0]))
            except ShapeError as exc:
                raise Unreadable(f"the submission's own definition of {shown} (line {line}): {exc}") from None
            if len(items) == 1:
                return at
            if 1 in at.shape and items[1].value < at.size:
                return ar.scalar(at.reshape(-1)[items[1].value])
            raise Unreadable(f"{shown}_{use.sub.text} of the submission's {shown} (line {line})")
        if len(items) == 1 and 1 in v.shape:
            return ar.scalar(v.reshape(-1)[items[0].value])
        if len(items) == 2 and v.ndim == 2 and items[0].value < v.shape[0] and items[1].value < v.shape[1]:
            return ar.scalar(v[items[0].value, items[1].value])
        raise Unreadable(f"{shown}_{use.sub.text} of the submission's {shown} (line {line})")
    return value


def _after(text: str, seg) -> str:
    return text[seg.end:seg.end + 40].split("$")[0]


# a condition in words or a comparison after an entrywise definition (the index inequality
# j ≠ y_i is the rule's own and is not one)
PROSE_CASE = re.compile(r"[<>≤≥]|\\(?:[lg]eq?|[lg]t)\b|\b(?:positive|negative|margin|violat\w*|active|greater|less|"
                        r"exceeds?|larger|smaller|otherwise)\b", re.IGNORECASE)


def _entry_definition(base: str, rules, nt):
    """M from M_{ij} = f(i, j) (for j ≠ y_i) and M_{iy_i} = g(i)."""
    general = label_rule = None
    for sub, node, cond in rules:
        items = [m.group(0) for m in ar.ITEM.finditer(sub.replace("{", "").replace("}", "").replace(",", "")
                                                       .replace(" ", ""))]
        if len(items) != 2:
            continue
        if "_" in items[1]:
            label_rule = (items[0], items[1], node)
        elif general is None:
            general = (items[0], items[1], node, cond)
    if general is None:
        return None
    if PROSE_CASE.search(general[3]):
        # "M_{ij} = 1 for a positive margin": a case the prose states and the rule does not
        # hold; read without it the definition would be wrong everywhere else, so it is not read
        def unread(node: ast.Name, scope: ar.Scope):
            raise Unreadable(f"{base.lstrip('@')}, defined entry by entry under a condition stated in words")
        return unread
    row_var, col_var, gnode = general[:3]
    dims = {v.name: v.dim for v in nt.problem.indices}
    if row_var not in dims or col_var not in dims:
        return None

    def matrix(scope: ar.Scope) -> np.ndarray:
        R, C = scope.inst.dims[dims[row_var]], scope.inst.dims[dims[col_var]]
        out = np.zeros((R, C))
        for r in range(R):
            s1 = scope.bind(row_var, ar.Idx(r, dims[row_var]))
            label_at = None
            if label_rule is not None:
                label_at = ar._items(label_rule[1], s1)[0].value
            for c in range(C):
                s2 = s1.bind(col_var, ar.Idx(c, dims[col_var]))
                rule = label_rule[2] if label_rule is not None and c == label_at else gnode
                v = ar.evaluate(rule, s2)
                if v.shape != (1, 1):
                    raise ShapeError(f"an entry of {base} that is a {ar.describe_shape(v.shape)}")
                out[r, c] = v[0, 0]
        return out

    def value(node: ast.Name, scope: ar.Scope):
        if node.sub is None:
            return matrix(scope)
        items = ar._items(node.sub.text, scope)
        if len(items) == 2:
            if label_rule is not None and items[1].value == ar._items(label_rule[1], scope.bind(
                    row_var, items[0]))[0].value:
                return ar.evaluate(label_rule[2], scope.bind(row_var, items[0]).bind(col_var, items[1]))
            return ar.evaluate(gnode, scope.bind(row_var, items[0]).bind(col_var, items[1]))
        if len(items) == 1:
            return matrix(scope)[items[0].value].reshape(-1, 1)
        raise Unreadable(f"{base}_{node.sub.text}")
    return value


SPACED_CONDITION = re.compile(r"(?:\\[;:,>]|\\q?quad|\s{2,})\s*(?:\\[;:,>]\s*|\\q?quad\s*)*"
                              r"\(\s*([A-Za-z]\s*(?:\\neq?(?![A-Za-z])|≠|=)\s*[A-Za-z0-9])\s*\)\s*[.,]?\s*$")


def _section_or_content(targets, lhs, chain, problem) -> list:
    """A question placed only by the section in force (a heading naming naive softmax, then
    "**(e)**" naming nothing) whose answer holds another loss's formulas ([reader]
    loss_content: σ for negative sampling): the question of the loss the answer is written in.
    The same for ∂J/∂v_c with J a bare loss letter every loss of the file is written with, and
    for an answer only its value would place: "**(e)**", "(f)(i)" name nothing, its σ or its
    w_{t+j} say which loss."""
    words = vocabulary_for(problem)
    bare = isinstance(lhs, ast.Derivative) and isinstance(lhs.of, ast.Name) and lhs.of.sub is None \
        and lhs.of.base in words.loss_letters
    by_value = len(targets) > 1 and all(t.how == "by value" for t in targets)
    if not targets or not (all("section" in (t.how or "") for t in targets) or bare or by_value):
        return targets
    steps = " ".join(s.text for s in chain.steps if not s.branches)
    key = words.loss_by_content(steps) if steps else None
    fams = {family(d.name) for d in problem.loss_decls if key and (d.name == key or d.name.startswith(key + "_"))}
    # written with the window's size (U(2mŷ − y)): a window loss over one of them (skip-gram's
    # Σ_j J_naive) holds its base's formulas too, and the section's window question stays
    held = set(fams)
    nt = notation_for(problem)
    sizes = {sp for w in nt.windows for sp, d in nt.dim_names.items() if d == w.dim and len(sp) > 1}
    if fams and any(re.search(r"(?<![A-Za-z0-9])" + re.escape(sp) + r"(?![A-Za-z])", steps) for sp in sizes):
        held |= {family(d.name) for d in problem.loss_decls if (wb := window_base(problem, d.name))
                 and family(wb[0]) in fams}
    if not fams or all(family(problem.question(t.qid).loss) in held for t in targets):
        return targets
    if any(family(problem.question(t.qid).loss) in fams for t in targets) and not by_value:
        return targets
    other = identify(lhs, problem, fams, chain.lhs)
    if not (other and all(family(problem.question(t.qid).loss) in fams for t in other)) and (bare or by_value) \
            and isinstance(lhs, ast.Derivative):
        other = identify(ast.Derivative(None, lhs.wrt, lhs.order), problem, fams)
    if other and all(family(problem.question(t.qid).loss) in fams for t in other):
        return [replace(t, how=t.how.replace("section", "the loss its formulas hold") if "section" in t.how
                        else f"{t.how}; the loss its formulas hold") for t in other]
    return targets


def _students_variable(lhs, targets, problem) -> tuple:
    """dσ(x_i)/dx_i naming a question about the file's scalar x: the student's x_i is that x in
    the answer too (σ(x_i)(1 − σ(x_i))). () unless every question named differentiates a
    declared scalar the left-hand side spells another way."""
    if not (targets and isinstance(lhs, ast.Derivative) and isinstance(lhs.wrt, ast.Name)
            and lhs.wrt.sub is not None):
        return ()
    wrts = {problem.question(t.qid).wrt for t in targets}
    if len(wrts) != 1:
        return ()
    name = wrts.pop()
    sym = problem.symbol(name)
    if sym is None or sym.shape or not any(problem.question(t.qid).part == () for t in targets):
        return ()
    try:
        file_node, _ = parse((sym.latex or (name,))[0], notation_for(problem))
    except ReadError:
        return ()
    if not isinstance(file_node, ast.Name) or lhs.wrt.base not in (file_node.base, (sym.latex or (name,))[0]):
        return ()
    return ((lhs.wrt, file_node),)


def _swap_names(node, pairs):
    for old, new in pairs:
        node = _swapped(node, old, new)
    return node


def _swapped(node, old, new):
    if isinstance(node, ast.Name):
        return new if node == old else node
    if isinstance(node, tuple):
        return tuple(_swapped(x, old, new) for x in node)
    if isinstance(node, ast.Node) and hasattr(node, "__dataclass_fields__"):
        return replace(node, **{f: _swapped(getattr(node, f), old, new) for f in node.__dataclass_fields__})
    return node


def judge_steps(steps, target: SetTarget, ctx: Context, policy: Policy, noisy: bool, cond: str = "") -> Answer:
    nt = notation_for(ctx.problem)
    rows = []
    for line, latex in steps:
        # "0 \;\; (w \neq c)": a condition set apart after the value is a remark, not a factor
        latex = SPACED_CONDITION.sub("", latex)
        try:
            node, repairs = parse(latex, nt)
        except ReadError as exc:
            rows.append((line, latex, Outcome("unparsed", note=str(exc)), "", None))
            continue
        except RecursionError:
            rows.append((line, latex, Outcome("unparsed", note="nested too deeply"), "", None))
            continue
        node = _apply_functions(node, ctx)
        if ctx.stands_for:
            node = _swap_names(node, ctx.stands_for)
        out = judge(node, target, ctx, policy)
        if repairs:
            out.note = "; ".join(filter(None, [out.note, "OCR repairs: " + ", ".join(repairs)]))
        rows.append((line, latex, out, show(node), node))
    step_rows = [StepResult(line, latex, out.verdict, understood, out.note) for line, latex, out, understood, _ in rows]
    first_wrong = next((i for i, r in enumerate(rows) if r[2].verdict == "incorrect"), None)
    line, latex, final, understood, node = rows[-1]
    verdict, note = final.verdict, final.note
    if verdict in ("unparsed", "review") and len(rows) > 1:
        agreeing = [r[0] for r in rows[:-1] if r[2].verdict == "correct"]
        if verdict == "unparsed" or agreeing:
            verdict = "review"
            note = f"the final step could not be evaluated ({final.note})" + (
                f"; the step on line {agreeing[-1]} is correct" if agreeing else "")
    if verdict == "correct" and node is not None and _unworked(node, ctx):
        verdict = "review"
        note = "; ".join(filter(None, [note, "the final answer is written in terms of a derivative this file "
                                             "does not work out"]))
    if noisy and verdict in DETERMINATE:
        verdict = "review"
        note = "; ".join(filter(None, [note, f"would be {final.verdict}, but the line mixes math with OCR text"]))
    if target.reread and verdict == "correct":
        verdict = "review"
        note = "; ".join(filter(None, [note, f"right only if {target.reread}: a grader must confirm"]))
    if target.column_of and verdict == "incorrect":
        # a column's gradient is not the matrix's: "wrong" here may be the left-hand side's slip
        verdict = "review"
        note = "; ".join(filter(None, [note, f"would be incorrect, but {target.column_of}: a grader decides"]))
    if first_wrong is not None and first_wrong < len(rows) - 1 and verdict == "correct":
        note = "; ".join(filter(None, [note, f"the step on line {rows[first_wrong][0]} "
                                             f"({rows[first_wrong][1][:40]}) is wrong"]))
    a = Answer(target.qid, line, latex, verdict, understood, target.how, cond, note, final.code,
               final.feedback, final.counterexample, [s.__dict__ for s in step_rows], first_wrong)
    a._node = node
    return a


# \right|_{\theta = \theta_t}: a derivative evaluated at a point named as its variable decorated
# (θ_t, θ_0, θ_{k}, θ^{(t)}, θ^*)
EVALUATION_POINT = re.compile(r"(?:\\right\s*|\\big+l?\s*|\\Big+l?\s*)?(?:\||\\vert|\\rvert)\s*_\s*\{\s*(\\?[A-Za-z]+)\s*=\s*"
                              r"(\1\s*(?:_\s*(?:\{\s*[A-Za-z0-9]\s*\}|[A-Za-z0-9])|\^\s*\{\s*\(\s*[A-Za-z0-9]\s*\)\s*\}"
                              r"|\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?))\s*\}")


def _evaluation_points(text: str, problem) -> str:
    """A gradient the file states at a named point of its variable ("\\left.\\nabla J(\\theta)
    \\right|_{\\theta = \\theta_t} = X^\\top(\\mu_t - y)", with μ_t = σ(Xθ_t) in the prose): the point's
    name is the variable throughout the file, so θ_t reads as θ (a Newton step's θ_{t+1} is
    another name and stays). Only for a spelling of one of the file's parameters."""
    if "_" not in text or "|" not in text and "vert" not in text:
        return text
    spellings = {sp for sym in problem.symbols if sym.role == "parameter" for sp in (sym.latex or (sym.name,))}
    points = {m.group(2) for m in EVALUATION_POINT.finditer(text) if m.group(1) in spellings}
    for point in sorted(points, key=len, reverse=True):
        base = re.match(r"\\?[A-Za-z]+", point).group()
        text = re.sub(re.escape(point) + r"(?![A-Za-z0-9])", lambda _m: base, text)
    return text


# "(k = y_i)", "j \neq y_i": a condition on one letter, as a remark after an entry's formula
ENTRY_CONDITION = re.compile(r"(?:\s|\\q?quad|\\[,;:!]|,)*\(?\s*(?:\\text\s*\{\s*(?:for|if|when)\s*\}\s*)?"
                             r"([A-Za-z])\s*(=|\\neq?(?![A-Za-z])|≠)"
                             r"\s*([^=]{1,40}?)\s*\)?\s*[.,;]?\s*")


def _entry_branches_paired(chains: list, problem, sections) -> list:
    """Two formulas for the same entry of a vector, each under its condition on the entry's
    letter (∂L_i/∂s_j = p_j − 1 for j = y_i, then = p_j for j ≠ y_i: written as two equations, or
    two evaluation bars): one piecewise answer, judged as the cases table it is. Either alone
    would be judged at every entry, calling a right branch wrong. Only for an entry of a
    question's vector (the condition's letter is the entry's), so two questions a file asks
    under conditions (word2vec's u_w for w = o and for w ≠ o) stay two answers."""
    out, k = [], 0
    nt = notation_for(problem)
    while k < len(chains):
        a = chains[k]
        b = chains[k + 1] if k + 1 < len(chains) else None
        pair = b is not None and a.lhs.strip() == b.lhs.strip() and len(a.steps) == 1 and len(b.steps) == 1 \
            and not a.steps[0].branches and not b.steps[0].branches
        ca = ENTRY_CONDITION.fullmatch(a.remark or "") if pair else None
        cb = ENTRY_CONDITION.fullmatch(b.remark or "") if pair else None
        if ca and cb and ca.group(1) == cb.group(1) and re.sub(r"\s", "", ca.group(3)) == re.sub(r"\s", "", cb.group(3)) \
                and (ca.group(2) == "=") != (cb.group(2) == "="):
            try:
                lhs, _ = parse(a.lhs, nt)
            except ReadError:
                lhs = None
            families = sections[a.line - 1] if 0 < a.line <= len(sections) else set()
            targets = identify(lhs, problem, families, a.lhs) if lhs is not None else []
            if targets and all(t.entry == ca.group(1) for t in targets):
                said = [f"{c.group(1)} {'=' if c.group(2) == '=' else chr(92) + 'neq'} {c.group(3)}" for c in (ca, cb)]
                merged = replace(a, steps=[extract.Step("cases", a.steps[0].line, branches=[
                    (a.steps[0].text, said[0]), (b.steps[0].text, said[1])])], remark="")
                out.append(merged)
                k += 2
                continue
        out.append(a)
        k += 1
    return out


def _unworked(node, ctx: Context) -> bool:
    nt = notation_for(ctx.problem)
    for n in ar.walk(node):
        if isinstance(n, ast.Derivative) and any(ar._mentions_window(n, w) for w in nt.windows):
            continue        # Σ_j ∂J(v_c, w_{t+j}, U)/∂U: the file's own base loss, judged at each window word
        if isinstance(n, ast.Derivative):
            targets = identify(n, ctx.problem, set())
            if not (len(targets) == 1 and ctx.answered and targets[0].qid in ctx.answered):
                return True
    return False


def _walk_all(node):
    yield node
    if isinstance(node, ast.Derivative):
        return
    for child in ar._children(node):
        yield from _walk_all(child)


FUNCTION_TEXT = re.compile(r"\\(?:text|textrm|mathrm)\s*\{\s*(" + "|".join(sorted(FUNCTION_WORDS, key=len, reverse=True))
                           + r")\s*\}")
LABEL_MATH = re.compile(r"\$([^$]{1,80})\$")


def answers_in(text: str, problem, policy: Policy = Policy()) -> list[Answer]:
    """Every answer in a submission for a problem file, with what became of it."""
    nt = notation_for(problem)
    # \text{ReLU}(z) is a function, not a remark: the extractor cuts \text{…} tails
    text = FUNCTION_TEXT.sub(lambda m: "\\operatorname{" + m.group(1) + "}", text)
    # phone-OCR lines (Unicode subscripts, subscripts glued on: uₒ, uoTvc, ŷw) repaired as for
    # every reader of submissions (read/ocr.py)
    text = ocr.plain_cases(ocr.repair_lines(text))
    # formulas typed without delimiters ("dJ/dv_c = U (yhat - y)") as display math, as word2vec's
    # own reader does (one implementation: it moves with Answer when that checker is deleted)
    text = _plain_as_math_where_unread(text, notation_for(problem))
    text = ocr.plain_slash_derivatives(text)      # what the ASCII converter left: "dσ/dx = σ(x)(1-σ(x))"
    # "$w=0: \quad \frac{dJ}{du_w} = …$": the condition first, then the formula it holds for
    text = CONDITION_FIRST.sub(lambda m: "$" + m.group(2) + r" \quad \text{for } " + m.group(1) + "$", text)
    text = _prose_aliases(text, nt)     # "$\mathbf{v}_{\text{center}}$ is the center word vector $v_c$"
    text = _evaluation_points(text, problem)    # ∇J(θ)|_{θ = θ_t} = Xᵀ(σ(Xθ_t) − y)/N: θ_t is θ
    ctx = Context(problem, half=_declares_half(text) and "half" in (problem.conventions or {}), answered={})
    ctx.transposed, layout_notes = declared_transposed(text, problem)
    ctx.einstein = vocabulary_for(problem).einstein(text)
    _definitions(text, nt, ctx)
    sections = _sections(extract.prepare(text), nt)
    found: list[Answer] = []
    lines = extract.prepare(text).split("\n")
    # the file's [reader] words: the aliases a submission declares (ỹ = softmax(…) is ŷ, f = σ)
    chains = extract.chains(text, vocabulary_for(problem))
    # ⓐ = …, ⓐ ∂L/∂u_0 = …: a chain a label names, used as a branch of a table elsewhere
    labelled = {c.label: c for c in chains if c.label}
    chains = _entry_branches_paired(chains, problem, sections)
    entrywise: set = set()          # ids of the answers an entrywise left side (∂f/∂X_{kl}) gave
    for chain in chains:
        ctx.line = chain.line
        families = sections[chain.line - 1] if 0 < chain.line <= len(sections) else set()
        if chain.context and len(said := notation_for(problem).families_named(chain.context)) == 1:
            families = said     # "Follow-up question on the SVM part": the prose just before names it
        if chain.noisy and 0 < chain.line <= len(lines) and ocr.only_case_prefix(lines[chain.line - 1], chain.prefix):
            chain.noisy = False   # "w=o: $…$", org's "- w = o :: \(…\)": a condition, not OCR text beside the math
        if chain.error:
            found.append(Answer(None, chain.line, chain.lhs, "unparsed", status="unreadable", reason=chain.error,
                                column=chain.column))
            continue
        plain = [(s.line, s.text) for s in chain.steps if not s.branches]
        boxed = [i for i, s in enumerate(chain.steps) if s.boxed and not s.branches]
        if boxed:
            plain = [(s.line, s.text) for s in chain.steps[:boxed[-1] + 1] if not s.branches]
        # [∂J/∂u_1, …, ∂J/∂u_|V|]: the definition restated as columns, not a step of the answer
        plain = extract.without_column_lists(plain)
        try:
            lhs, _ = parse(chain.lhs, nt)
        except ReadError as exc:
            lhs, lhs_error = None, str(exc)
        else:
            lhs_error = ""
        lhs = _students_objective(lhs, ctx)
        targets = identify(lhs, problem, families, chain.lhs) if chain.lhs.strip() else []
        lhs = as_derivative(lhs)
        targets = _section_or_content(targets, lhs, chain, problem)
        ctx.stands_for = _students_variable(lhs, targets, problem)
        if ctx.stands_for:      # x_i is the scalar itself, not an entry of it
            targets = [replace(t, entry=None) for t in targets]
        first = len(found)
        targets = _under_premise(targets, chain, lines, problem)
        if targets and not any(s.branches for s in chain.steps):
            # "For $w = o$:" before the block, "\text{for $w = o$}" after it: the branch it answers
            targets = _under_condition(targets, _stated_condition(chain), ctx)
        stated = _the_questions_condition(lines, chain, targets, problem) if targets and not chain.display else []
        if stated:
            targets = [replace(t, how="left-hand side and the condition after it") for t in stated] \
                if len(stated) == 1 else stated
        elif targets and not chain.display and _conditional(lines, chain):
            found.append(_context(chain, "one case of a statement continued in prose ('= 1 if z > 0, …')"))
            general = _general_after(lines, chain)
            if general:
                # "… = 2σ(u_kᵀv_c)v_c when w_k appears twice, and in general $Σ_i 𝟙[w_i = w_k] …$": the
                # formula the sentence gives for every case is the answer to the same left-hand side
                for a in _judged([(chain.line, general)], targets, ctx, policy, chain):
                    a.note = "; ".join(filter(None, [a.note, "the general formula after one case in the same sentence"]))
                    found.append(a)
            continue
        wrapped = {}
        if targets and plain and isinstance(lhs, ast.Derivative) and isinstance(lhs.wrt, ast.Transpose):
            # ∂J/∂Uᵀ is (∂J/∂U)ᵀ in any layout: each step judged transposed, for U's question
            wrapped = {f"\\left({t}\\right)^{{\\top}}": t for _, t in plain}
            plain = [(ln, f"\\left({t}\\right)^{{\\top}}") for ln, t in plain]
        tabled = isinstance(lhs, ast.Derivative) and any(s.branches for s in chain.steps)
        index = _index_placeholder(chain, targets, problem) if tabled and targets else None
        placed = _placeholder_table(chain, lhs, labelled, ctx, policy, families, index, targets) if tabled and (
            not targets or index is not None or _placeholder_subscript(lhs, problem)) else []
        if placed:
            found.extend(placed)
        elif targets and (plain or any(s.branches for s in chain.steps)):
            if plain:
                found.extend(_judged_or_heading(plain, targets, ctx, policy, chain, families))
                if not any(s.branches for s in chain.steps):
                    found.extend(_general_formula(plain, targets, ctx, policy, chain, lhs))
            for step in chain.steps:
                if step.branches and not _labels_only(step, labelled):
                    found.extend(_cases(step, targets, ctx, policy, chain, lhs))
        elif isinstance(lhs, ast.Derivative) and plain:
            found.append(_context(chain, f"an intermediate derivative ∂{show(lhs.of) if lhs.of else ''}/∂"
                                         f"{show(lhs.wrt)} (no question of {problem.name} asks for it)"))
        elif chain.steps:
            found.append(_context(chain, "an equation whose left-hand side is not a derivative"
                                  + (f"; {lhs_error}" if lhs_error and chain.display else "")))
        elif lhs is not None:
            found.extend(_bare(chain, lhs, problem, families, ctx, policy))
        elif chain.display:
            found.append(Answer(None, chain.line, chain.lhs[:300], "unparsed", status="unreadable",
                                reason=lhs_error, column=chain.column))
        branch = ENTRY_CONDITION.fullmatch(chain.remark or "") if targets and chain.remark else None
        corrects = bool(CORRECTION.search((chain.context or "") + "\n" + (chain.prefix or "")))
        for a in found[first:]:
            a.corrects = corrects and a.status == "judged"
            a.note = "; ".join(filter(None, [a.note, *chain.notes]))
            a.column = a.column or chain.column
            if branch and a.verdict == "incorrect" and all(t.entry == branch.group(1) for t in targets):
                # one branch of an entrywise answer (p_j − 1 for j = y_i) with no other branch paired
                # with it: judged at every entry it is wrong where it does not claim to hold
                a.verdict = "review"
                a.note = "; ".join(filter(None, [a.note, f"only the entries where {chain.remark.strip()} are "
                                                         "given: a grader judges that branch"]))
            if a.latex in wrapped:
                a.latex = wrapped[a.latex]
                if a.understood:        # (A·B)ᵀ, shown with its bracket (show() would print A·Bᵀ)
                    try:
                        a.understood = f"({show(parse(a.latex, nt)[0])})ᵀ"
                    except (ReadError, RecursionError):
                        pass
                a.note = "; ".join(filter(None, [a.note, f"a derivative with respect to {show(lhs.wrt)}: "
                                                 "its transpose judged"]))
        if any(t.entry and len(t.entry) == 2 for t in targets):
            entrywise.update(map(id, found[first:]))
    for a in found:
        later = [b.line for b in found if b.question == a.question and b.status == "judged" and b.line > a.line
                 and id(b) not in entrywise] if id(a) in entrywise and a.status == "judged" else []
        if later:   # ∂f/∂X_{kl} = A_{lk}, "so" ∇_X f = …: a step of the derivation; the matrix form is the answer
            a.status, a.reason = "context", f"the entrywise form; the matrix answer on line {later[0]} is the final one"
    found.extend(_text_lines(text, problem, sections, ctx, policy))
    found.extend(_labelled_numbers(text, problem, sections, ctx, policy))
    found.extend(_ocr_remarked(text, problem, ctx, policy))
    _quoted_superseded(found, text.split("\n"))      # as typed: prepare() blanks the quote marks
    if layout_notes:
        for a in found:
            if a.status == "judged":
                a.note = "; ".join(filter(None, [a.note, *layout_notes]))
    for a in found if ctx.einstein else ():
        if a.status == "judged":
            a.note = "; ".join(filter(None, [a.note, "repeated indices summed (the file declares Einstein's convention)"]))
    foreign = vocabulary_for(problem).foreign_layouts(text, nt.examples_dim is not None)
    for a in found if foreign else ():
        if a.status == "judged" and a.verdict == "incorrect":
            # wrong in the problem's layout, perhaps right in the one the file declares (Q^{-1} for
            # ∂ log det Q/∂Q in numerator layout): a grader decides; right as written stays right
            a.verdict, a.code, a.feedback = "review", None, None
            a.note = "; ".join(filter(None, [a.note, *foreign, "not right in the problem's layout: a grader decides"]))
    _stacked(found, ctx, policy)
    found = _resolve_by_value(found, problem)
    for a in found:
        hedged = getattr(a, "_hedge", "")
        if hedged and a.verdict == "correct":
            a.verdict, a.note = "review", "; ".join(filter(None, [a.note, hedged]))
    return found


def _stacked(found: list[Answer], ctx: Context, policy: Policy) -> None:
    """"Overall, ∂J/∂u_w = (ŷ − y)v_cᵀ": an answer to a column's question whose value is the
    whole matrix's gradient (in the file's layout or transposed: the columns stacked as rows) is
    a summary of every column, not the column asked for: listed as context, not judged wrong."""
    problem = ctx.problem
    for a in found:
        node = getattr(a, "_node", None)
        if a.status != "judged" or a.verdict != "incorrect" or not a.question or node is None \
                or " matrix where a " not in (a.note or ""):
            continue
        q = problem.question(a.question)
        if not q.part:
            continue
        for whole in problem.questions:
            if whole.wrt != q.wrt or whole.part or whole.losses != q.losses or whole.order != q.order:
                continue
            answered = any(b.question == whole.id and b.status == "judged" and b.verdict in DETERMINATE
                           for b in found)
            as_written = judge(node, SetTarget(whole.id), ctx, policy)
            if not answered and as_written.verdict == "correct":
                # v_c(ŷ − y)ᵀ under ∂J/∂u_w, and the file answers ∂J/∂U nowhere else: the left-hand
                # side's slip (a column named for the matrix); judged for the matrix's question
                a.question, a.verdict, a.how = whole.id, "correct", a.how + "; its value has the matrix's shape"
                a.note = (f"the left-hand side names a column ({q.id}), but the value is {whole.id}'s shape and "
                          f"the file answers {whole.id} nowhere else: judged for {whole.id}")
                break
            if as_written.verdict == "correct" or judge(ast.Transpose(node), SetTarget(whole.id), ctx,
                                                        policy).verdict == "correct":
                a.status, a.question, a.guess = "context", None, a.question
                a.reason = (f"the gradient of the whole {whole.wrt} (every column stacked), a summary rather "
                            f"than the column {q.id} asks for; {whole.id} would call it correct")
                break
    for a in found:
        node = getattr(a, "_node", None)
        if a.status != "judged" or a.verdict != "incorrect" or not a.question or node is None \
                or not SHAPE_SLIP.match(a.note or ""):
            continue
        # ∂J/∂v_c = v_c(ŷ − y)ᵀ under "(c) … the whole outside matrix": the value has another question's
        # shape and is right for it, and nothing else answers that question — the left-hand side's slip
        q = problem.question(a.question)
        taken = {b.question for b in found if b.status == "judged" and b.verdict in DETERMINATE and b is not a}
        fits = []
        for other in problem.questions:
            if other.id == q.id or other.losses != q.losses or other.order != q.order:
                continue
            out = judge(node, SetTarget(other.id), ctx, policy)
            if out.verdict == "correct" or out.verdict == "incorrect" and not SHAPE_SLIP.match(out.note or "") \
                    and not (out.note or "").startswith("ill-typed"):
                fits.append((other, out))       # the value has this question's shape
        # only when one question of the loss has the value's shape, the value is right for it and
        # nothing else answers it (a d-vector under ∂J_sg/∂U fits both sg.v_c and sg.v_w, and a
        # wrong matrix under ∂J/∂v_c is no slip: both stay incorrect for the left-hand side's question)
        if len(fits) == 1 and fits[0][1].verdict == "correct" and fits[0][0].id not in taken:
            other, out = fits[0]
            a.note = "; ".join(filter(None, [
                f"the left-hand side names {q.id}, but the value has the shape of {other.id} alone and the file "
                f"answers {other.id} nowhere else: judged for {other.id} (the label is wrong)", out.note]))
            a.question, a.verdict, a.how = other.id, out.verdict, a.how + "; its value's shape"
            a.code, a.feedback, a.counterexample = out.code, out.feedback, out.counterexample


# "a 3×6 matrix where a column vector of size 3 is expected": the value has another shape than the question's
SHAPE_SLIP = re.compile(r"^an? [^;]{1,60} where an? [^;]{1,60} is expected")


CIRCLED = re.compile(r"^\s*\\textcircled\s*\{(\w)\}\s*$")


def _placeholder_subscript(lhs, problem) -> bool:
    """∂J/∂v_i with i a letter of the student's (the table's conditions say what it is)."""
    w = lhs.wrt
    return isinstance(w, ast.Name) and not w.base.startswith("@") and w.sub is not None and \
        _students_letter(w.sub.text, notation_for(problem))


def _labels_only(step, labelled: dict) -> bool:
    """A table whose every branch is a label (ⓐ, ⓑ) that a chain of the file works out on its
    own: that chain is the answer (judged where it stands), the table only points to it."""
    return all((m := CIRCLED.match(e)) and m.group(1) in labelled for e, _ in step.branches)


# a branch condition naming the variable a placeholder stands for: "ξ = ν_c", "ξ ∈ U = [u_1, …]"
PLACEHOLDER_COND = re.compile(r"^\s*(\\[A-Za-z]+|[A-Za-z])\s*(?:=|\\in(?![A-Za-z])|∈)\s*([^=,]+?)\s*(?:=\s*[\[(].*)?$")


def _students_letter(text: str, nt) -> bool:
    """A single index letter the file declares neither as an index nor as a label (i in v_i)."""
    return bool(re.fullmatch(r"[a-z]", text)) and text not in nt.index_names and \
        ar._label_named(nt, text) is None


INDEX_WRT = re.compile(r"\\partial\s*\{?\s*(?:\\(?:boldsymbol|mathbf|bm|vec)\s*\{?\s*)?([A-Za-z])_\{?\s*([a-z])\s*\}?\s*\}*\s*$")


def _index_placeholder(chain, targets, problem) -> tuple | None:
    """∂J/∂u_k = {… if k = o; … if k ≠ o}: an index letter of the file used for every word —
    (base, letter) when the questions the left-hand side names declare no branch of their own
    and a branch equates the letter with a label naming another declared variable (u_o)."""
    m = INDEX_WRT.search(chain.lhs.strip())
    nt = notation_for(problem)
    if m is None or m.group(2) not in nt.index_names or not targets or \
            any(problem.question(t.qid).condition for t in targets):
        return None
    base, letter = m.group(1), m.group(2)
    for step in chain.steps:
        for _, cond in step.branches:
            c = PLACEHOLDER_COND.match(cond.replace("$", "").strip())
            if c and c.group(1) == letter and ar._label_named(nt, c.group(2).strip()) is not None:
                try:
                    named, _ = parse(f"{base}_{{{c.group(2).strip()}}}", nt)
                except ReadError:
                    continue
                if isinstance(named, ast.Name) and named.base.startswith("@") and \
                        identify(ast.Derivative(None, named), problem, set()):
                    return base, letter
    return None


def _placeholder_table(chain, lhs, labelled: dict, ctx: Context, policy: Policy, families,
                       index: tuple | None = None, lhs_targets=()) -> list[Answer]:
    """∂J/∂ξ = {ⓐ if ξ ∈ U; ⓑ if ξ = v_c; 0 otherwise}: a derivative with respect to a
    placeholder the file does not declare, whose branches say what it stands for. Each
    branch is ∂J/∂(what it names), its value the branch (or the chain its label names);
    among questions of several losses, the one whose formulas (the file's [reader]
    loss_content) the branch and its chain hold. The 'otherwise' branch is judged by value
    among the other questions of the losses the table answers. [] when the conditions
    name nothing."""
    problem, nt = ctx.problem, notation_for(ctx.problem)
    m = re.search(r"\\partial\s*(\\[A-Za-z]+|[A-Za-z])\s*\}?\s*$", chain.lhs.strip())
    w = lhs.wrt
    # ∂J/∂v_i = {… if i = c; 0 if i = others}: the subscript is the placeholder, v_c what i = c names
    sub_var = w.sub.text if (isinstance(w, ast.Name) and not w.base.startswith("@") and w.sub is not None
                             and _students_letter(w.sub.text, nt)) else None
    if index is not None:       # ∂J/∂u_k over k = o, k ≠ o (the file's letter k, as the student uses it)
        w, sub_var, m = ast.Name(index[0], ast.Index(index[1])), index[1], None
    if m is None and sub_var is None:
        return []
    var = m.group(1) if m is not None else None
    vocab = vocabulary_for(problem)
    out, others, asked = [], [], set()
    for step in chain.steps:
        for expr, cond in step.branches:
            cond = cond.replace("$", "").strip()
            if OTHERWISE.match(cond) or (sub_var and re.match(rf"^\s*{sub_var}\s*=\s*(?:\\text\s*\{{\s*)?"
                                                               r"(?:others?|else|otherwise)\b", cond)):
                others.append((step.line, expr, cond))
                continue
            c = PLACEHOLDER_COND.match(extract.strip_text_commands(cond) if "\\text" in cond else cond)
            if c is None and index is not None and re.match(rf"^\s*{sub_var}\s*(?:\\neq?(?![A-Za-z])|≠|!=)", cond):
                # k ≠ o: the questions the left-hand side names (the samples' u_k)
                for t in lhs_targets:
                    ctx.line = step.line
                    a = judge_steps([(step.line, expr)], t, ctx, policy, chain.noisy, cond)
                    a.how = "by value" if t.how == "by value" else t.how + "; the branch of the table for its condition"
                    out.append(a)
                    asked.add(t.qid)
                continue
            if c is None or c.group(1) not in (var, sub_var):
                continue
            try:
                wrt, _ = parse(c.group(2) if c.group(1) == var else f"{w.base}_{{{c.group(2)}}}", nt)
            except ReadError:
                continue
            if c.group(1) == sub_var and not (isinstance(wrt, ast.Name) and wrt.base.startswith("@")):
                continue        # i = c must name a declared variable (v_c), not another free column
            label = CIRCLED.match(expr)
            source = labelled.get(label.group(1)) if label else None
            steps = [(s.line, s.text) for s in source.steps if not s.branches] if source is not None else []
            steps = steps or [(step.line, expr)]
            node = ast.Derivative(lhs.of, wrt, lhs.order)
            # every question about the variable: J may name the losses by their formulas only
            targets = identify(ast.Derivative(None, wrt, lhs.order), problem, set())
            if len(targets) > 1:
                # the loss whose formulas the branch holds decides before the section does
                key = vocab.loss_by_content(" ".join(t for _, t in steps) + " " + (source.text if source else ""))
                mine = [t for t in targets if key and any(x == key or x.startswith(key + "_")
                                                          for x in problem.question(t.qid).losses)]
                targets = [replace(mine[0], how="")] if len(mine) == 1 else identify(node, problem, families)
            for t in targets:
                ctx.line = step.line
                a = judge_steps(steps, t, ctx, policy, chain.noisy, cond)
                a.how = (t.how + "; " if t.how and t.how != "by value" else "") + \
                    f"a table over the placeholder {var or w.sub.text}, whose branch names the variable" if t.how != "by value" \
                    else "by value"
                out.append(a)
                asked.add(t.qid)
    if not out:
        return []
    losses = {x for q in asked for x in problem.question(q).losses}
    rest = [q.id for q in problem.questions if q.id not in asked and q.order == lhs.order
            and losses & set(q.losses)]
    for line, expr, cond in others:
        ctx.line = line
        for q in rest:
            a = judge_steps([(line, expr)], SetTarget(q, how="by value"), ctx, policy, chain.noisy, cond)
            a.how = "by value"
            out.append(a)
    return out


CONDITION_FIRST = re.compile(r"\$\s*([A-Za-z]\s*(?:=|\\neq?(?![A-Za-z])|≠)\s*[A-Za-z0-9])\s*:\s*(?:\\q?quad|\\[,;:])*\s*"
                             r"((?:\\frac\s*\{\s*(?:d|\\partial)|\\partial|\\nabla)[^$\n]*=[^$\n]*)\$")


def _plain_as_math_where_unread(text: str, nt) -> str:
    """The shared ASCII front end (``read.plain.plain_as_math``: "dJ/dv_c = U^T (yhat - y)", "yhat_w * v_c
    when w != o" as display math). When it leaves a line the file's notation reads as typed
    (its grammar is word2vec's), the lines it reads stay as typed too, for ``_text_lines``,
    which judges them in line with their neighbours (X' dL/dZ1 after dL/dZ1 = … on an
    earlier plain line): one route for all of a file's plain lines."""
    converted = plain_as_math(text)
    if converted == text:
        return text
    readable = set()
    for n, left, rights, _ in extract.plain_equations(text):
        try:
            parse(left, nt)
            parse(rights[-1], nt)
        except (ReadError, RecursionError):
            continue
        readable.add(n)
    old, new = text.split("\n"), converted.split("\n")
    if len(old) != len(new) or all(old[n - 1] != new[n - 1] for n in readable):
        return converted        # every line the notation reads was converted too: one route for all
    out, keep = [], False
    for n, (o, c) in enumerate(zip(old, new), 1):
        if o != c and c.strip():
            keep = n in readable            # a converted line: kept as typed when it reads
        out.append(o if (o != c and keep) else c)
    return "\n".join(out)


def _general_formula(plain, targets, ctx: Context, policy: Policy, chain, lhs) -> list[Answer]:
    """∂J/∂u_w = (ŷ_w − y_w) v_c with no branch: a formula for every w also answers the questions
    declared under w = X (naive.u_o), read at w = X, when it is right there; a formula for
    w ≠ o alone (ŷ_w v_c) is not the student's answer at w = o, so nothing is recorded then."""
    siblings = [t for t in _branch_siblings(targets, ctx, lhs) if t.qid not in (ctx.answered or {})]
    if not siblings:
        return []
    saved = dict(ctx.answered)
    out = []
    for a in _judged(plain, siblings, ctx, policy, chain):
        if a.verdict == "correct":
            a.how = "a formula for every w, read at the branch " + a.how
            out.append(a)
        else:
            ctx.answered.pop(a.question, None) if a.question not in saved else None
    return out


def _judged_or_heading(plain, targets, ctx: Context, policy: Policy, chain, families) -> list[Answer]:
    """The answers of a chain for the questions its left-hand side names; when it is right for
    none of them but the heading above asks about another variable ([reader.variable_words]:
    "(d) … with respect to $U$") and the answer is right for that question, the left-hand side
    is a slip (∂J/∂v_c written for ∂J/∂U) and the answer is that question's."""
    out = _judged(plain, targets, ctx, policy, chain)
    if any(a.verdict == "correct" for a in out) or not chain.heading:
        return out
    key = vocabulary_for(ctx.problem).variable_named(chain.heading)
    if key is None:
        return out
    asked = {t.qid for t in targets}
    other = [t for t in _questions_named(key, ctx.problem, families) if t.qid not in asked]
    if not other:
        return out
    saved = dict(ctx.answered)
    alt = [a for a in _judged(plain, other, ctx, policy, chain) if a.verdict == "correct"]
    if not alt:
        ctx.answered.clear()
        ctx.answered.update(saved)
        return out
    for a in alt:
        a.how = f"heading '{chain.heading.strip()[:40]}' and its value (the left-hand side names {', '.join(sorted(asked))})"
    for qid in asked:
        ctx.answered.pop(qid, None) if qid not in saved else None
    return alt


def _conditional(lines: list, chain) -> bool:
    """Inline math followed by "if"/"for"/"when" prose: a case, not the whole answer."""
    if not 0 < chain.line <= len(lines):
        return False
    line = lines[chain.line - 1]
    start = chain.column - 1
    if not line[start:start + 1] == "$":
        return False
    end = line.find("$", start + 1)
    m = re.match(r"\s*(?:if|for|when|whenever)\b([^.;]*)", line[end + 1:]) if end > 0 else None
    # a case states a condition ("if z > 0", "when $x$ is negative"); "for the true word" only
    # says which question the formula answers
    return bool(m) and bool(CASE_WORDS.search(m.group(1)))


CASE_WORDS = re.compile(r"[$<>=≤≥≠]|\\[lg]eq?\b|\\neq?\b|\b(?:positive|negative|zero|non-?zero|otherwise|else|"
                        r"greater|less|larger|smaller|exceeds?|at least|at most|equals?|not|only)\b", re.I)


# "and in general $…$", "; more generally $…$": the formula for every case after one case
GENERAL = r"(?:in general|generally|in the general case|in all cases|for any count)"
GENERAL_AFTER = re.compile(r"^(?:[^$]|\$[^$]{0,20}\$){0,120}?(?:\b" + GENERAL + r"\b[^$]{0,30}\$([^$]+)\$"
                           r"|[,;]\s*(?:and\s+)?\$([^$]+)\$\s*" + GENERAL + r"\b)", re.IGNORECASE)


def _general_after(lines: list, chain) -> str:
    """The inline formula the prose after a case offers as the general one ("when w_k appears
    twice, and in general $…$"), or ""."""
    if not 0 < chain.line <= len(lines):
        return ""
    line = lines[chain.line - 1]
    start = chain.column - 1
    end = line.find("$", start + 1)
    m = GENERAL_AFTER.match(line[end + 1:]) if end > 0 else None
    return (m.group(1) or m.group(2)).strip() if m else ""


def _cond_key(text: str) -> str:
    return re.sub(r"[\s{}]", "", re.sub(r"\\neq?(?![A-Za-z])|≠|!=", "≠", text))


def _the_questions_condition(lines: list, chain, targets, problem) -> list:
    """"$∇_{w_j} L_i = …$ for $j \\ne y_i$": the prose after the formula states the very
    condition some of the questions named are declared under (svm.w_j, not softmax.w_j):
    the formula is their answer, not one case of a statement continued in prose."""
    line = lines[chain.line - 1]
    end = line.find("$", chain.column)
    # the condition ends the sentence or clause: "for $w \ne c$.", "…$ (no $v_w$ appears)", "…$; so"
    m = re.match(r"\s*(?:if|for|when|whenever)\s+\$([^$]{1,40})\$\s*(?:[.,;:]|\(|$)", line[end + 1:]) if end > 0 else None
    if not m:
        return []
    return [t for t in targets if _cond_key(problem.question(t.qid).condition or "") == _cond_key(m.group(1))]


TEXT_LABEL = re.compile(r"^\s*(?:\(?[a-h]\)|\(?[ivx]+\)|\d+\s*[.)])\s*")


def _text_lines(text: str, problem, sections, ctx: Context, policy: Policy) -> list[Answer]:
    """OCR lines that lost their delimiters, such as "(a) d(a^T x)/dx = a",
    "grad_x ( a'x ) = a", "dL/dW = 1/N X' (P - Y)" continued by "+ 2 lambda W" on the
    next line (``extract.plain_equations``): judged when the left-hand side is a
    derivative and the final step reads."""
    nt = notation_for(problem)
    out = []
    for n, left, rights, remark in extract.plain_equations(text):
        try:
            lhs, _ = parse(left, nt)
        except (ReadError, RecursionError):
            continue
        # a right-hand side that does not read is still the answer a derivative on the left
        # announces: judged unparsed (a human reads it), not dropped
        lhs = as_derivative(lhs)
        if not isinstance(lhs, ast.Derivative):
            continue
        families = sections[n - 1] if 0 < n <= len(sections) else set()
        ctx.line = n
        for t in identify(lhs, problem, families):
            a = judge_steps([(n, r) for r in rights], t, ctx, policy, False, remark)
            node = getattr(a, "_node", None)
            if node is not None and t.how != "by value" and t.entry is None and a.verdict in DETERMINATE:
                ctx.answered[t.qid] = node        # "X' dL/dZ1" on a later line means this answer
            a.how = (t.how + "; " if t.how != "by value" else "") + "a line without math delimiters"
            if t.how == "by value":
                a.how = "by value"
            out.append(a)
    return out


def _ocr_remarked(text: str, problem, ctx: Context, policy: Policy) -> list[Answer]:
    """OCR lines of the form "EXPR, CONDITION, LOSS w.r.t VARIABLE" (a handwritten summary
    that lost its delimiters: "(σ(uovc)-1)vc, ω=0, neg-samp w.r.t u"). The loss is the one
    the remark names in the file's [reader] loss words, the variable the file's symbol the
    token after "w.r.t" spells (a glued subscript, a Greek look-alike and the letters OCR
    misreads undone), the branch the condition states. Where such a formula ends cannot
    be known, so the verdict is at most review; the note says how it read."""
    if "r" not in text or "t" not in text:
        return []
    vocab = vocabulary_for(problem)
    out = []
    for n, line in extract.text_lines(text):
        for expr, cond_text, wrt, segment in ocr.answers(line):
            named = ocr.loss_words_relaxed(segment, vocab.loss_named)
            if named is None:
                continue
            losses = {d.name for d in problem.loss_decls if d.name == named or d.name.startswith(named + "_")}
            targets = _ocr_wrt_targets(wrt, problem, losses)
            targets = _ocr_condition(targets, ocr.latin(cond_text), problem)
            if not re.search(vocab.repeat_words, segment):
                targets = [t for t in targets if problem.question(t.qid).needs != "repeated"] or targets
            ctx.line = n
            latex = ocr.repair(expr)
            for t in targets:
                a = judge_steps([(n, latex)], t, ctx, policy, False, cond_text)
                would = a.verdict
                a.verdict = "review"
                a.how = "an OCR line without math delimiters: its remark names the loss and the variable"
                a.note = (f"found in OCR text without math delimiters; reads as {a.understood or latex!r}"
                          f" ({would}{': ' + a.note if a.note else ''})")
                out.append(a)
    return out


def _ocr_wrt_targets(wrt: str, problem, losses: set) -> list[SetTarget]:
    """The questions of these losses about the variable an OCR'd "w.r.t" token spells:
    a name with its subscript glued on (Ve: v_e, read v_c), a lower-case letter naming a
    matrix's columns (u: every question about a column of U), or an index letter (w:
    every question about a column at that index)."""
    token = re.sub(r"[^A-Za-z0-9]", "", ocr.latin(wrt))
    if not token or len(token) > 2:
        return []
    nt = notation_for(problem)
    rows = [(qid, key) for qid, key, _, order, _ in declared(problem) if key and order == 1
            and losses & set(problem.question(qid).losses)]
    for cand in ocr.misreadings(token):
        if len(cand) == 2:
            try:
                node, _ = parse(f"{cand[0].lower()}_{{{cand[1]}}}", nt)
            except ReadError:
                continue
            key = _key(node) if isinstance(node, ast.Name) else None
            qids = [q for q, k in rows if k == key]
        elif cand.islower():
            qids = [q for q, k in rows if re.fullmatch(rf"@?{cand}_\w+|@?[A-Za-z]_{cand}", k)]
        else:
            qids = []
        if qids:
            qids = list(dict.fromkeys(qids))
            how = "by value" if len(qids) > 1 else ""
            return [SetTarget(q, how=how) for q in qids]
    return []


def _ocr_condition(targets, cond: str, problem) -> list[SetTarget]:
    """Targets narrowed by an OCR'd condition "w=0", "ω≠0": equal to a label (0: the
    spelling OCR gives o), the question about that label's column or declared under
    that branch; different from it, the others. Unchanged when nothing states it."""
    m = re.search(r"(?<![A-Za-z])([a-z])\s*(=|≠|!=|\\neq?)\s*([A-Za-z0-9])(?![A-Za-z0-9])", cond)
    if not m or not targets:
        return targets
    nt = notation_for(problem)
    label = ar._label_named(nt, m.group(3))
    if label is None:
        return targets
    equal = m.group(2) == "="

    def names_label(q) -> bool:
        c = CONDITION.match(q.condition or "")
        return bool(re.search(rf"[\[,]\s*{re.escape(label)}\s*\]", q.part_text or "")) or bool(
            c and c.group(2) == "=" and ar._label_named(nt, c.group(3)) == label)

    # the branch may be another question about the same parameter (w = o: ∂J/∂u_o, declared apart)
    asked = {(problem.question(t.qid).wrt, problem.question(t.qid).losses) for t in targets}
    pool = list(targets) + [SetTarget(q.id) for q in problem.questions if (q.wrt, q.losses) in asked
                            and q.part and q.id not in {t.qid for t in targets}]
    kept = [t for t in pool if names_label(problem.question(t.qid)) == equal]
    if not kept:
        return targets
    return [replace(t, how="the condition in the OCR line") if len(kept) == 1 else t for t in kept]


LABELLED_NUMBER = re.compile(r"^\s*(?:[-*]\s*)?\(?\s*(?:i{1,3}|iv|vi{0,3}|[a-h])\s*[).]\s*(\d+)\s*\.?\s*$")


def _labelled_numbers(text: str, problem, sections, ctx: Context, policy: Policy) -> list[Answer]:
    """"(iii) 0": a part label and a number alone on a line without math delimiters: judged
    by value among the section's questions (a number names none)."""
    out = []
    for n, line in extract.text_lines(text):
        m = LABELLED_NUMBER.match(line)
        if not m:
            continue
        families = sections[n - 1] if 0 < n <= len(sections) else set()
        qs = [q.id for q in problem.questions if not families or family(q.loss) in families]
        ctx.line = n
        for t in [SetTarget(q, how="by value") for q in qs]:
            a = judge_steps([(n, m.group(1))], t, ctx, policy, False)
            a.how = "by value"
            out.append(a)
    return out


def _judged(plain, targets, ctx: Context, policy: Policy, chain) -> list[Answer]:
    out = []
    hedged = remarks.hedge(chain.remark)     # "\quad\text{or}\quad Uŷ" cut from the answer
    for t in targets:
        a = judge_steps(plain, t, ctx, policy, chain.noisy)
        a.how = t.how
        a._hedge = hedged       # applied once the question is settled (by value it is chosen by verdict)
        node = getattr(a, "_node", None)
        if node is not None and t.how != "by value" and t.entry is None and a.verdict in DETERMINATE:
            ctx.answered[t.qid] = node        # dS, ∂L/∂S in a later step mean this answer
        out.append(a)
    return out


OTHERWISE = re.compile(r"^\s*(?:\\text\s*\{\s*)?(?:otherwise|others?|else|elsewhere|o/w|"
                       r"(?:for\s+)?(?:all\s+)?other\s+\w+|其他|其它|否则)\s*\}?\s*$", re.IGNORECASE)
CONDITION = re.compile(r"^\s*([A-Za-z])\s*(=|\\?neq?|≠)\s*([A-Za-z])\s*$")


def _branch_siblings(targets, ctx: Context, lhs) -> list[SetTarget]:
    """∂J/∂u_w written as a cases table over w: the questions whose declared branch
    condition is w = X (naive.u_o: w = o) are answered by the same table, read at w = X."""
    lhs = respell(lhs, ctx.problem)
    if not isinstance(lhs, ast.Derivative) or not isinstance(lhs.wrt, ast.Name):
        return []
    # the table's variable: the subscript of ∂/∂u_w, or the letter of the asked question's condition
    letters = {lhs.wrt.sub.text.strip("{} ")} if lhs.wrt.sub is not None else set()
    for t in targets:
        m = CONDITION.match(ctx.problem.question(t.qid).condition or "")
        if m:
            letters.add(m.group(1))
    if len(letters) != 1:
        return []
    letter = letters.pop()
    losses = {ctx.problem.question(t.qid).loss for t in targets}
    have = {t.qid for t in targets}
    out = []
    for q in ctx.problem.questions:
        m = CONDITION.match(q.condition or "")
        if q.id in have or q.loss not in losses or not m or m.group(1) != letter or m.group(2) != "=":
            continue
        label = ar._label_named(notation_for(ctx.problem), m.group(3))
        if label is not None and not ctx.problem.symbol(label).shape:
            out.append(SetTarget(q.id, None, "branch condition", ((letter, label),)))
    return out


def _table_loss(targets, ctx: Context, lhs, step) -> list[SetTarget]:
    """A cases table over a column (∂J/∂u_w, w = o / w ≠ o) whose formulas are another loss's
    ([reader.loss_content]: σ is negative sampling's) while the left-hand side named a question
    of one loss (naive.u_w): the table answers that loss's questions about a column at a
    one-valued label (neg.u_o at w = o), not the question named."""
    problem = ctx.problem
    content = vocabulary_for(problem).loss_by_content(" ".join(e for e, _ in step.branches))
    losses = {problem.question(t.qid).loss for t in targets}
    if content is None or content in losses or content not in {l.name for l in problem.loss_decls}:
        return targets
    asked = [problem.question(t.qid) for t in targets]
    # the table's variable: the index of the column the named questions ask about (u_w: w)
    letters = {q.part[1].id for q in asked if len(q.part) == 2 and isinstance(q.part[1], al.Name)}
    if len(letters) != 1 or not asked or any(len(q.part) != 2 for q in asked):
        return targets
    letter = letters.pop()
    if problem.symbol(letter) is not None:
        return targets          # a column at a label (u_o), not at an index variable
    columns = asked
    out = []
    for q in problem.questions:
        if q.loss != content or q.wrt != columns[0].wrt or len(q.part) != 2 or type(q.part[0]) is not type(columns[0].part[0]) \
                or not isinstance(q.part[1], al.Name):
            continue
        label = problem.symbol(q.part[1].id)
        if label is not None and label.role == "label" and not label.shape:
            out.append(SetTarget(q.id, None, "a cases table of its loss's formulas, branch " f"{letter} = {q.part[1].id}",
                                 ((letter, label.name),)))
    for q in problem.questions:
        # a column at a label vector's entry (U[:, samples[k]]): the branch w = w_k
        part = q.part[1] if len(q.part) == 2 else None
        if q.loss != content or q.wrt != columns[0].wrt or q.needs == "repeated" or not isinstance(part, al.Index) \
                or not isinstance(part.base, al.Name) or len(part.items) != 1 or not isinstance(part.items[0], al.Name):
            continue
        label = problem.symbol(part.base.id)
        if label is not None and label.role == "label" and len(label.shape) == 1 and label.latex:
            out.append(SetTarget(q.id, None, f"a cases table of its loss's formulas, branch {letter} = {label.latex[0]}",
                                 ((letter, f"{label.name}[{part.items[0].id}]"),)))
    return out or targets


# "w ∈ [1, K]", "w \in \{1, \dots, K\}", "w ∈ [K]": an index in the range of an axis
RANGE_COND = re.compile(r"^\s*([A-Za-z])\s*(?:\\in|∈)\s*(?:\\\{|\[|\{)\s*(?:1\s*,\s*(?:\\[lc]?dots\s*,?\s*|\.\.\.\s*,?\s*)?"
                        r"|1\s*\.\.\s*)?([A-Za-z])\s*(?:\\\}|\]|\})\s*$")


def _unclosed(cond: str) -> str:
    """The punctuation closing a table's sentence dropped: "w = o,", "\text{otherwise.}"."""
    return re.sub(r"[.;,]\s*(\}?)\s*$", r"\1", cond.strip())


def _unwrapped(cond: str) -> str:
    """\text{for $w = o$}, \text{for  w \neq o }: the condition a text command holds, its word dropped."""
    m = re.fullmatch(r"\s*\\text\s*\{\s*(?:if|for|when)?\s*\$?([^${}]*?)\$?\s*\}\s*", cond)
    if m and re.fullmatch(r"\s*[A-Za-z]\s*(?:=|≠|\\neq?(?![A-Za-z]))\s*[A-Za-z0-9]\s*", m.group(1)):
        return m.group(1)
    return cond


# "w ∈ {w_1, …, w_K}": an index among a label vector's entries, spelled by its entry's letter
ENTRIES_COND = re.compile(r"^\s*([A-Za-z])\s*(?:\\in|∈)\s*(?:\\\{|\{)\s*([A-Za-z])_\{?1\}?\s*,\s*"
                          r"(?:\\[lc]?dots|\.\.\.|…)\s*,\s*\2_\{?([A-Za-z])\}?\s*(?:\\\}|\})\s*$")


def _range_as_label(cond: str, problem) -> str:
    """A branch condition putting a word index in the range of a label vector's axis (w ∈ [1, K]
    for K samples w_1 … w_K: w is one of the samples) written as the file spells that: w = w_k.
    Unchanged unless the axis is a label vector's and the letter indexes what the labels do."""
    bare = re.sub(r"^\s*(?:\\text\s*\{\s*(?:if|for|when)\s*\}|\b(?:if|for|when)\b)\s*", "", cond.replace("$", ""))
    m = RANGE_COND.match(bare)
    entries = ENTRIES_COND.match(bare) if not m else None
    if entries:
        # {w_1, …, w_K}: the label spelled w_k whose axis is K
        letter, dim = entries.group(1), entries.group(3)
        label = next((sym for sym in problem.symbols if sym.role == "label" and len(sym.shape) == 1
                      and any(re.fullmatch(rf"{entries.group(2)}_\{{?[a-z]\}}?", sp) for sp in sym.latex)), None)
        if label is None or notation_for(problem).dim_names.get(dim, dim) != label.shape[0]:
            return cond
        return f"{letter} = " + next(sp for sp in label.latex if re.fullmatch(rf"{entries.group(2)}_\{{?[a-z]\}}?", sp))
    if not m:
        return cond
    letter, dim = m.group(1), m.group(2)
    nt = notation_for(problem)
    dim = nt.dim_names.get(dim, dim)
    index = next((v for v in problem.indices if letter in (v.latex or (v.name,)) or v.name == letter), None)
    for sym in problem.symbols:
        if sym.role == "label" and list(sym.shape) == [dim] and index is not None and index.dim == sym.range_:
            entry = next((sp for sp in sym.latex if re.fullmatch(r"[A-Za-z]_\{?[a-z]\}?", sp)), None)
            if entry:
                return f"{letter} = {entry}"
    return cond


def _cases(step, targets, ctx, policy, chain, lhs=None) -> list[Answer]:
    """A cases table (d/dz max(0, z) = 1 for z > 0, 0 for z < 0) is one answer:
    Σ_k value_k · 𝟙[condition_k] ("otherwise": 1 − the others), judged like any
    other, for the question asked and the questions whose branch condition the
    table covers. A table whose conditions are not comparisons is listed for review."""
    parts, others = [], []
    conds = []
    # "\text{if } w \neq o." closing the table's sentence: the period is not part of the condition
    step = replace(step, branches=[(e, _range_as_label(_unclosed(_unwrapped(c)), ctx.problem))
                                   for e, c in step.branches])
    for expr, cond in step.branches:
        c = respell_text(re.sub(r"\\text\s*\{\s*(?:if|for|when)?\s*\}|\b(?:if|for|when)\b|,", " ", cond).strip(),
                         ctx.problem)
        if OTHERWISE.match(cond.replace("$", "")):
            others.append(expr)
            continue
        conds.append(c)
        parts.append(f"({expr})\\indicator[{c}]")
    if len(others) > 1 or (others and not conds):
        return [Answer(None, step.line, step.text, "review", status="unmatched",
                       reason="a cases table with no condition to be 'otherwise' to", column=chain.column)]
    for expr in others:
        parts.append(f"({expr})(1 - " + " - ".join(f"\\indicator[{c}]" for c in conds) + ")")
    latex = " + ".join(parts)
    other = _table_loss(list(targets), ctx, lhs, step)
    targets = other if other != list(targets) else list(targets) + _branch_siblings(targets, ctx, lhs)
    try:
        parse(latex, notation_for(ctx.problem))
    except ReadError as exc:
        return [Answer(None, step.line, step.text, "review", status="unmatched",
                       reason=f"a cases table whose conditions could not be read ({exc})", column=chain.column)]
    # a question declared under one branch's condition is answered by that branch alone: at its
    # instances the sum is that branch, and another branch's slip (a scalar where a vector
    # belongs) must not make its answer ill-typed
    branches = [(_cond_key(c), e) for (e, _), c in zip([b for b in step.branches
                                                         if not OTHERWISE.match(b[1].replace("$", ""))], conds)]
    if others and len(conds) == 1:
        m = CONDITION.match(conds[0])
        if m:
            branches.append((_cond_key(f"{m.group(1)}{'≠' if m.group(2) == '=' else '='}{m.group(3)}"), others[0]))
    out, whole = [], []
    for t in targets:
        key = _cond_key(ctx.problem.question(t.qid).condition or "")
        if not key and len(t.given) == 1:        # neg.u_o from a table over w: its branch is w = o
            letter, label = t.given[0]
            name = label.split("[")[0]
            key = _cond_key(f"{letter}={_letter((ctx.problem.symbol(name).latex or (name,))[0])}")
        mine = [e for k, e in branches if key and k == key]
        if len(mine) == 1:
            for a in _judged([(step.line, mine[0])], [t], ctx, policy, chain):
                a.latex = latex
                a.note = "; ".join(filter(None, [a.note, "the branch of the cases table for its condition"]))
                out.append(a)
        else:
            whole.append(t)
    if whole:
        out.extend(_judged([(step.line, latex)], whole, ctx, policy, chain))
    return out


def _bare(chain, lhs, problem, families, ctx: Context, policy: Policy) -> list[Answer]:
    """An expression after a label ("column $w_j$:", "$w_{y_i}$:", "u_o:"): the label names the
    variable; failing that, a [reader] variable word in the label, the heading above it or the
    line of prose before it ("with respect to $U$", "center vector"); failing those, the
    section's questions by value. A branch stated in the prose before it ("For $w = o$:")
    narrows to the question declared under that condition."""
    prefix = chain.prefix.strip()
    targets = []
    nt = notation_for(problem)
    plain_label = re.fullmatch(r"[-*>\s]*([A-Za-z](?:_\{?\w\}?)?)\s*[:：]", re.sub(r"\$[^$]*\$", " ", prefix).strip())
    for m in list(reversed(LABEL_MATH.findall(prefix))) + ([plain_label.group(1)] if plain_label else []):
        try:
            node, _ = parse(m, nt)
        except ReadError:
            continue
        if isinstance(node, ast.Name):
            targets = identify(ast.Derivative(None, node), problem, families)
            if targets:
                targets = [SetTarget(t.qid, t.entry, f"label '{prefix[:40]}'" if t.how != "by value" else t.how)
                           for t in targets]
                break
    if not targets:
        words = vocabulary_for(problem)
        for where, text in (("label", prefix), ("heading", chain.heading), ("prose before it", _last_line(chain.context))):
            key = words.variable_named(text) if text else None
            if key is not None:
                targets = [replace(t, how=f"{where} '{text.strip()[:40]}'" if t.how != "by value" else t.how)
                           for t in _questions_named(key, problem, families)]
                if targets:
                    break
    if targets:
        targets = _under_condition(targets, _stated_condition(chain), ctx)
    if not targets and (chain.display or isinstance(lhs, (ast.Name, ast.Num))):
        return [_context(chain, "a formula mentioned, not an answer (no label names a question)")]
    if not targets:
        qs = [q.id for q in problem.questions if not families or family(q.loss) in families]
        targets = [SetTarget(q, how="by value") for q in qs]
    return _judged([(chain.line, chain.lhs)], targets, ctx, policy, chain)


def _questions_named(key: str, problem, families) -> list[SetTarget]:
    """The questions a [reader] variable word names. Its key is a variable in the file's
    notation (U, v_c, u_w: the questions asked about it), a loss of the file (the questions
    of that loss), or a premise, "repeated" or "distinct" (the questions asked under it)."""
    losses = {loss.name for loss in problem.loss_decls}
    if key in losses or key in ("repeated", "distinct"):
        qs = [q.id for q in problem.questions if (key in q.losses if key in losses else q.needs == key)]
        fam = [q for q in qs if family(problem.question(q).loss) in families] if families else []
        qs = fam or qs
        how = "by value" if len(qs) > 1 else ""
        return [SetTarget(q, how=how) for q in qs]
    try:
        node, _ = parse(key, notation_for(problem))
    except ReadError:
        return []
    if not isinstance(node, ast.Name):
        return []
    return identify(ast.Derivative(None, node), problem, families)


def _last_line(context: str) -> str:
    lines = [ln for ln in (context or "").strip().split("\n") if ln.strip()]
    return lines[-1] if lines else ""


PROSE_CONDITION = re.compile(r"(?<![A-Za-z\\])([A-Za-z])\s*(=|\\neq?(?![A-Za-z])|≠|!=)\s*([A-Za-z0-9])(?![A-Za-z0-9_]|\.\d)")


INLINE_MATH = re.compile(r"\$([^$]*)\$|\\{1,2}\((.*?)\\{1,2}\)|<math>(.*?)</math>")


BARE_CONDITION = re.compile(r"^\s*\(?\s*[A-Za-z]\s*(?:=|\\neq?(?![A-Za-z])|≠|!=)\s*[A-Za-z0-9]\s*\)?\s*:?\s*(?:\\\\)?\s*$")


def _stated_condition(chain) -> tuple | None:
    """(letter, '=' or '≠', other) stated for this block: in a remark after it ("\\text{for
    $w = o$}", "(w \\neq o)") or in the short line of prose just before it ("For $w = o$:",
    "$w = o$ 时：", "> For $w \\neq o$:"); None when none is stated, or when that prose names
    both branches or is a heading."""
    candidates = [chain.remark]
    # a lone ":" (MediaWiki's indent) or "<p>\\" opening the display is not the line of prose before it
    lines = [ln for ln in (chain.context or "").strip().split("\n")
             if re.search(r"\w", re.sub(r"<[^>]*>|\\", "", ln))]
    if lines and len(lines[-1]) <= 120 and not re.match(r"^\s*#", lines[-1]):
        # inline math in $…$, \(…\) (also \\( in HTML exports) or MediaWiki's <math>…</math>
        candidates.append(" ".join(m for g in INLINE_MATH.findall(lines[-1]) for m in g if m))
        if BARE_CONDITION.match(lines[-1]):
            candidates.append(lines[-1])    # "(w\neq o)\\" a row of its own above the formula in the display
    if chain.prefix and not chain.display:
        said = [ln for ln in (chain.context or "").split("\n") if ln.strip()]
        if said and OTHERWISE.match(said[-1].strip(" \t;,.:")):
            # "If $w = o$ then $…$; otherwise $…$": the other branch of the one stated before it
            before = {(m.group(1), m.group(2), m.group(3)) for math in re.findall(r"\$([^$]*)\$", chain.prefix)
                      for m in PROSE_CONDITION.finditer(math)}
            if len(before) == 1:
                letter, op, other = before.pop()
                return letter, "≠" if op == "=" else "=", other
            return None
        candidates.append(" ".join(re.findall(r"\$([^$]*)\$", chain.prefix)))
        if ocr.CASE_PREFIX.match(chain.prefix):   # "2(c) w=o: $…$": the condition typed as plain text
            candidates.append(chain.prefix)
    for text in candidates:
        found = {(m.group(1), "=" if m.group(2) == "=" else "≠", m.group(3))
                 for m in PROSE_CONDITION.finditer(text or "")}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None
    return None


QUOTED = re.compile(r"^\s*>(?!\s*\[!)")        # a Markdown blockquote line, not an Obsidian callout


def _quoted_superseded(found: list, lines: list) -> None:
    """An answer inside a blockquote (a forum reply quoting the asker's "I had ∇(xᵀAx) = 2Ax")
    is someone else's words when the submission answers the same question outside the quote:
    it is listed as context, and the student's own answer decides."""
    def quoted(a):
        return 0 < a.line <= len(lines) and bool(QUOTED.match(lines[a.line - 1]))
    # only a quote before the own answer: a reply follows what it quotes, while a final answer set in
    # a blockquote for emphasis comes after the drafts
    own: dict = {}
    for a in found:
        if a.status == "judged" and a.question and not quoted(a):
            own[a.question] = max(own.get(a.question, 0), a.line)
    for a in found:
        if a.status == "judged" and a.line < own.get(a.question, 0) and quoted(a):
            a.status, a.reason = "context", "quoted text (a blockquote): the answer outside the quote decides"


def _premise_text(chain, lines: list) -> str:
    """The words that may state a premise for this block: the prose since the previous block
    (a card's front, "(g) When a word is drawn more than once:"), the heading above it, the text
    before it on its line, its remarks ("\\text{(repeated samples)}") and, for math inline in
    prose, the rest of its line ("… if $w_k$ is drawn several times")."""
    parts = [chain.context or "", chain.heading or "", chain.prefix or "", chain.remark or ""]
    if not chain.display and 0 < chain.line <= len(lines):
        parts.append(lines[chain.line - 1])
    return "\n".join(parts)


def _under_premise(targets, chain, lines: list, problem) -> list[SetTarget]:
    """Targets that differ only by a premise (the same loss, variable and part: ∂J/∂u_k for
    distinct or for repeated samples) narrowed to the questions asked under the premise the
    words around the block state ([reader.variable_words] keyed by a premise, "repeated" or
    "distinct"). Unchanged when no such words are there (the value decides, as before) or when
    they state more than one premise."""
    if len(targets) < 2:
        return targets
    qs = [problem.question(t.qid) for t in targets]
    if len({(q.loss, q.wrt, q.part_text) for q in qs}) != 1 or len({q.needs for q in qs}) < 2:
        return targets
    words = dict(vocabulary_for(problem).variable_words)
    text = _premise_text(chain, lines)
    stated = {key for key in ("repeated", "distinct") if key in words
              and re.search(words[key], text, re.IGNORECASE)}
    if len(stated) != 1:
        return targets
    key = stated.pop()
    why = f"the premise stated for it ({key} samples)"
    kept = [replace(t, how=f"{t.how}; {why}" if t.how and t.how != "by value" else why) for t, q in zip(targets, qs)
            if q.needs == key]
    return kept or targets


def _under_condition(targets, stated, ctx: Context) -> list[SetTarget]:
    """The targets narrowed to the branch stated for the block: the questions declared under
    that very condition (naive.u_w under w ≠ o), or, for "w = X", the questions of the same
    losses declared under w = X (naive.u_o), read at w = X. Unchanged when nothing matches."""
    if stated is None:
        return targets
    letter, op, other = stated
    problem = ctx.problem
    if other.isdigit():
        # w = 0: the digit a label is also spelled (o's "0", handwriting and OCR), written the file's way
        label = ar._label_named(notation_for(problem), other)
        if label is None:
            return targets
        other = _letter((problem.symbol(label).latex or (label,))[0])
    key = _cond_key(f"{letter}{op}{other}")
    same = [t for t in targets if _cond_key(problem.question(t.qid).condition or "") == key]
    if same:
        return [replace(t, how=(t.how + "; " if t.how and t.how != "by value" else "") + "the branch stated for it")
                if len(same) == 1 else t for t in same]
    if op != "=":
        return targets
    losses = {problem.question(t.qid).loss for t in targets}
    label = ar._label_named(notation_for(problem), other)
    if label is None or problem.symbol(label).shape:
        return targets
    out = []
    for q in problem.questions:
        m = CONDITION.match(q.condition or "")
        if q.loss in losses and m and m.group(1) == letter and m.group(2) == "=" and m.group(3) == other:
            out.append(SetTarget(q.id, None, "the branch stated for it", ((letter, label),)))
    return out or targets


@functools.lru_cache(maxsize=256)
def _vocabulary(q) -> frozenset:
    """The names a question is written in: its loss, closed forms, key steps and
    mistakes (ŷ for naive softmax, σ and n_k for negative sampling), with the
    functions they apply. An answer that uses a name outside this set is not
    written in this question's terms."""
    problem = q.problem
    nodes = [problem.loss(loss).expr.node for loss in q.losses]
    for item in (*q.closed_forms, *q.steps, *q.mistakes):
        for expr in _exprs_of(item):
            nodes.append(expr.node)
    out = set()
    for node in nodes:
        out |= al.names(node)
        out |= {n.func for n in al.walk(node) if isinstance(n, al.Call)}
    return frozenset(out)


def _exprs_of(item) -> list:
    out = [item.expr] if hasattr(getattr(item, "expr", None), "node") else []
    out.extend(x for x in (getattr(item, "by_loss", None) or {}).values() if hasattr(x, "node"))
    return out


# a function of the reader and its name in the array language
_READ_FUNCS = {"sigma": "sigmoid", "exp": "exp", "log": "log", "softmax": "softmax", "relu": "relu",
               "tr": "trace", "det": "det", "diag": "diag"}


def _answer_names(node) -> set:
    out = set()
    for n in _walk_all(node):
        if isinstance(n, ast.Name) and n.base.startswith("@") and "|" not in n.base \
                and n.base[1:] not in ("ones", "I", "sigma_bare"):
            out.add(n.base[1:])
        elif isinstance(n, ast.Call) and n.func in _READ_FUNCS:
            out.add(_READ_FUNCS[n.func])
    return out


def _fits_vocabulary(a: Answer, problem) -> bool:
    node = getattr(a, "_node", None)
    if node is None:
        return False
    return _answer_names(node) <= _vocabulary(problem.question(a.question))


def _by_words(cands, problem):
    """A wrong answer right for none of its candidates, placed by the file's [reader] words:
    between questions that differ only by a premise (neg.u_k, neg.u_k_repeated), the
    repeated one when the answer says the samples repeat (repeat_words: n_k, 𝟙[w_i = w_k]),
    else the other; between losses, the one loss whose formulas it holds (loss_content: σ).
    None when the words do not single one out."""
    wrong = [a for a in cands if a.verdict == "incorrect" and a.question]
    if len(wrong) != len(cands) or len(wrong) < 2:
        return None
    qs = [problem.question(a.question) for a in wrong]
    words = vocabulary_for(problem)
    latex = wrong[0].latex or ""
    pick = []
    if len({(q.loss, q.wrt, q.part_text) for q in qs}) == 1:
        repeated = bool(re.search(words.repeat_words, latex, re.IGNORECASE))
        pick = [a for a, q in zip(wrong, qs) if (q.needs == "repeated") == repeated]
        why = "the samples' premise its words state" if repeated else "no word of it says the samples repeat"
    else:
        key = words.loss_by_content(latex)
        if key is not None:
            pick = [a for a, q in zip(wrong, qs) if q.loss == key]
        why = f"its formulas are {key}'s" if key else ""
    if len(pick) != 1:
        return None
    a = pick[0]
    a.note = "; ".join(filter(None, [a.note, f"nothing named the question: {why}"]))
    return a


def _resolve_by_value(found: list[Answer], problem=None) -> list[Answer]:
    """Answers identified only by value keep the question they are correct for (among
    several, the one whose terms they are written in: n_k(…) is the repeated-samples
    question even though it equals the distinct one when n_k = 1). Correct for none,
    an answer goes to the one candidate that the file lists the mistake of, or the
    one whose terms it is written in, or the one no other answer of the file took;
    failing all, it is listed as unmatched (review) with the best guess."""
    out, groups = [], {}
    for a in found:
        if a.how == "by value" and a.status == "judged":
            groups.setdefault((a.line, a.latex), []).append(a)
        else:
            out.append(a)
    pending = []
    for cands in groups.values():
        good = [a for a in cands if a.verdict == "correct"]
        if len(good) > 1 and problem is not None:
            fit = [a for a in good if _fits_vocabulary(a, problem)]
            if len(fit) == 1 or (fit and len(fit) < len(good)):
                good = fit
            # premises: the question asked under the more general one (repeated samples)
            general = [a for a in good if problem.question(a.question).repeated]
            good = general or good
        if len(good) >= 1:
            good[0].note = "; ".join(filter(None, [good[0].note, "nothing named the question: assigned by "
                                                   "matching its truth"]))
            out.append(good[0])
            continue
        # right in one of the file's letter readings only (review): the one question it fits so
        partial = [a for a in cands if a.verdict == "review" and a.note.startswith(READINGS_DISAGREE)
                   and ": correct" in a.note]
        if len({a.question for a in partial}) == 1:
            partial[0].note += "; nothing named the question: assigned by matching its truth in one reading"
            out.append(partial[0])
            continue
        # wrong for every candidate but one, which a grader must look at (a term below float
        # resolution, a hedge): that one, still for review
        doubtful = [a for a in cands if a.verdict == "review"]
        if len(doubtful) == 1 and all(a.verdict == "incorrect" for a in cands if a is not doubtful[0]):
            doubtful[0].note += "; nothing named the question: the only one it may answer"
            out.append(doubtful[0])
            continue
        chosen, why = None, ""
        known = [a for a in cands if a.verdict == "incorrect" and a.code]
        premise_only = problem is not None and len(cands) > 1 and len(
            {(problem.question(a.question).loss, problem.question(a.question).part_text) for a in cands}) == 1
        if premise_only and (placed := _by_words(cands, problem)) is not None:
            # neg.u_k or neg.u_k_repeated: the answer's words (n_s, 𝟙[w_i = w_k]) say which premise,
            # before a mistake of the other question that it equals where the premises meet (n_k = 1)
            out.append(placed)
            continue
        if len({a.question for a in known}) == 1:
            chosen, why = known[0], f"nothing named the question: it is the file's mistake {known[0].code}"
        elif problem is not None:
            fit = [a for a in cands if a.verdict == "incorrect" and _fits_vocabulary(a, problem)]
            if len(fit) == 1:
                chosen, why = fit[0], "nothing named the question: the only one written in its terms"
        if chosen is not None:
            chosen.how = "by value"
            chosen.note = "; ".join(filter(None, [chosen.note, why]))
            out.append(chosen)
            continue
        pending.append(cands)
    taken = {a.question for a in out if a.status == "judged" and a.question}
    for cands in pending:
        chosen = _by_words(cands, problem) if problem is not None else None
        if chosen is not None:
            out.append(chosen)
            taken.add(chosen.question)
            continue
        free = [a for a in cands if a.question not in taken and a.verdict == "incorrect"]
        if len(free) == 1 and len({a.question for a in cands if a.question not in taken}) == 1:
            a = free[0]
            a.note = "; ".join(filter(None, [a.note, "nothing named the question: the only candidate "
                                             f"({', '.join(c.question for c in cands)}) no other answer took"]))
            out.append(a)
            taken.add(a.question)
            continue
        shaped = [a for a in cands if a.verdict == "incorrect" and not a.note.startswith(("a ", "ill-typed"))]
        best = (shaped or cands)[0]
        best.reason = f"nothing named the question and it matches none of {', '.join(c.question for c in cands)}"
        best.guess, best.question, best.status = best.question, None, "unmatched"
        best.note = "; ".join(filter(None, [best.reason, f"best guess {best.guess}: {best.verdict}", best.note]))
        out.append(best)
    for a in out:
        if hasattr(a, "_node"):
            del a._node
    return sorted(out, key=lambda a: a.line)
