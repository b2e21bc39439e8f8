"""Judge one read expression against the derived truth.

An answer is evaluated at seeded instances (d ≠ W, indices anywhere, a
repeated sample where the question is about repeats) under every reading the
notation allows; shape mismatch or a value mismatch at a well-conditioned
instance makes a reading incorrect, agreement at every instance makes it
correct. All readings correct: correct; all incorrect: incorrect; mixed:
review. Nothing readable: unparsed.
"""
from __future__ import annotations

import dataclasses

import functools
from dataclasses import dataclass

import numpy as np

from gradkey.derive.signature import Instance

from gradkey.verify.check import constants, evaluate as ev
from gradkey.verify.check.answers import Outcome, Policy  # noqa: F401 (shared with the file-driven checker)
from gradkey.verify.numerics.compare import compare
from gradkey.verify.check.identify import Target
from gradkey.derive.signature import seeded_instances   # word2vec's old Instance, retiring with this checker
from gradkey.verify.check.mistakes import MISTAKES
from gradkey.verify.read import ast
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse


def _question(qid: str):
    """word2vec's question in the Python core this checker still evaluates on
    (closed forms and truth over word2vec's fixed ``Instance``); the public
    problem set, ``derive.problem_set("word2vec")``, is the problem file."""
    from gradkey.derive.word2vec import WORD2VEC
    return WORD2VEC.question(qid)

N_INSTANCES = 4
ROLES = {"o": lambda i: i.o, "w": lambda i: i.w, "k": lambda i: i.samples[i.k], "v": lambda i: i.v}


@functools.lru_cache(maxsize=32)
def instances_for(needs: str) -> tuple[Instance, ...]:
    return tuple(seeded_instances(N_INSTANCES, seed=20261121, needs=needs))


def bases(qid: str) -> list[str]:
    return list(_question(qid).losses)


MATRIX_OF_U = ("naive.U", "sg.U")   # questions whose answer has U's layout


_TRUTHS: dict = {}
MAX_TRUTHS = 4096


def truth(target: Target, inst: Instance, loss: str, policy: Policy = Policy()) -> np.ndarray:
    """The derived value at an instance (read-only). Judging asks for the same truth for
    every reading, every candidate question and every step of a chain: it is computed once
    per (question, instance, loss, layout) and kept; the instance is kept with it, so an
    id reused by a new object never returns another instance's value."""
    key = (target.qid, target.column, id(inst), loss, policy.rows_U and target.qid in MATRIX_OF_U)
    hit = _TRUTHS.get(key)
    if hit is not None and hit[0] is inst:
        return hit[1]
    value = np.array(_truth(target, inst, loss, policy))     # our own copy, then frozen
    value.flags.writeable = False
    if len(_TRUTHS) >= MAX_TRUTHS:
        _TRUTHS.clear()
    _TRUTHS[key] = (inst, value)
    return value


def _truth(target: Target, inst: Instance, loss: str, policy: Policy = Policy()) -> np.ndarray:
    q = _question(target.qid)
    value = q.truth(inst, loss)
    if target.column:
        value = np.asarray(value)[:, ROLES[target.column](inst)]
    value = as_2d(value)
    if policy.rows_U and target.qid in MATRIX_OF_U and not target.column:
        value = value.T               # declared: U is W × d, so is its gradient
    return value


def as_2d(value) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def scope_for(target: Target, inst: Instance, base: str, reading: ev.Reading, policy: Policy = Policy()) -> ev.Scope:
    subjects = []
    for text, role in target.subjects:
        word = ROLES[role](inst)
        subjects.append((text, word))
        # u_{w_k} and u_k name the same vector: either spelling of the subject
        if text.startswith("w_") and len(text) > 2:
            subjects.append((text[2:].strip("{}"), word))
        elif len(text) == 1 and text not in "wω":
            subjects.append((f"w_{text}", word))
    subjects = tuple(subjects)
    # j outside any Σ (∂J(v_c, w_{t+j}, U)/∂U, ŷ − y_{t+j}) is one context word: it
    # names one term of the window sum, so it is bound to the first position (a Σ_j
    # inside the answer rebinds it)
    loops = (("j", "window", 0),) if target.qid.startswith("sg.") else ()
    return ev.Scope(inst, base.removeprefix("sg_") if base.startswith("sg_") else "naive", subjects, loops, reading,
                    rows_U=policy.rows_U, row_y=policy.row_y)


@dataclass
class ReadingResult:
    reading: ev.Reading
    verdict: str                    # correct | incorrect | unreadable
    detail: str = ""
    counterexample: dict | None = None
    layout: bool = False
    base: str | None = None


def _element_as_scalar(node: ast.Node) -> ast.Node:
    """σ(x_i)(1 − σ(x_i)): the derivative of σ at one element x_i of a vector is the
    scalar question about x, when x appears with that one index everywhere (x_i
    beside x_j or a bare x is left as written, and stays unread)."""
    xs = {n.sub.text if n.sub else None for n in ev.walk(node) if isinstance(n, ast.Name) and n.base == "x"}
    if len(xs) != 1 or None in xs:
        return node
    return _rename_x(node)


def _rename_x(node):
    if isinstance(node, ast.Name) and node.base == "x":
        return ast.Name("x")
    if isinstance(node, ast.Node) and dataclasses.is_dataclass(node):
        changes = {}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            new = _rename_x_value(value)
            if new is not value:
                changes[f.name] = new
        return dataclasses.replace(node, **changes) if changes else node
    return node


def _rename_x_value(value):
    if isinstance(value, ast.Node):
        return _rename_x(value)
    if isinstance(value, tuple):
        new = tuple(_rename_x_value(v) for v in value)
        return value if all(a is b for a, b in zip(new, value)) else new
    return value


def judge_node(node: ast.Node, target: Target, policy: Policy = Policy()) -> Outcome:
    if target.qid == "sigmoid.grad":
        element = _element_as_scalar(node)
        if element is not node:
            out = judge_node(element, target, policy)
            out.note = "; ".join(filter(None, [out.note, "x with one index throughout read as the scalar x"]))
            return out
    q = _question(target.qid)
    insts = instances_for(q.needs)
    results = [_judge_reading(node, target, r, insts, policy) for r in ev.readings(node, any(role != "o" for _, role in target.subjects))]
    readable = [r for r in results if r.verdict != "unreadable"]
    if not readable:  # read, but it names something that cannot be evaluated
        return Outcome("review", note=results[0].detail if results else "", readings=_describe(results))
    verdicts = {r.verdict for r in readable}
    out = Outcome(verdicts.pop() if len(verdicts) == 1 else "review", readings=_describe(results))
    if out.verdict == "incorrect":
        first = readable[0]
        out.note, out.counterexample = first.detail, first.counterexample
        out.code, out.feedback = _mistake(node, target, first.reading, policy)
    elif out.verdict == "correct" and (extreme := constants.review_note(node)):
        out.verdict, out.note = "review", extreme
    elif out.verdict == "correct":
        notes = []
        if any(r.layout for r in readable):
            notes.append("a row vector where a column is meant (accepted: lenient layout)")
        if len(readable) > 1:
            notes.append("correct under every reading: " + "; ".join(r.reading.describe() for r in readable))
        base = {r.base for r in readable if r.base}
        if base and len(bases(target.qid)) > 1 and len(base) == 1:
            notes.append(f"matches J_sg with J = {base.pop()}")
        out.note = "; ".join(notes)
    else:
        out.note = "readings disagree: " + "; ".join(f"{r.reading.describe()}: {r.verdict}" for r in readable)
    return out


def _describe(results) -> list:
    return [{"reading": r.reading.describe(), "verdict": r.verdict, "detail": r.detail} for r in results]


def _judge_reading(node, target: Target, reading: ev.Reading, insts, policy: Policy) -> ReadingResult:
    literal_zero = isinstance(node, ast.Num) and node.value == 0
    refs = ev.uses_references(node)
    agreeing_bases, first_failure = [], None
    for base in bases(target.qid):
        failure = None
        for inst in insts:
            try:
                got = ev.evaluate(node, scope_for(target, inst, base, reading, policy))
            except ev.Unreadable as exc:
                return ReadingResult(reading, "unreadable", f"could not read {exc}")
            except ev.ShapeError as exc:
                failure = ReadingResult(reading, "incorrect", f"ill-typed: {exc}", _example(inst, None, None, base))
                break
            expected = truth(target, inst, base, policy)
            verdict = _compare(expected, got, inst, policy, literal_zero)
            if verdict is not True:
                failure = ReadingResult(reading, "incorrect", verdict, _example(inst, expected, got, base))
                break
        if failure is None:
            agreeing_bases.append(base)
        elif first_failure is None:
            first_failure = failure
    all_bases = bases(target.qid)
    ok = (len(agreeing_bases) == len(all_bases)) if refs else bool(agreeing_bases)
    if ok:
        layout = any(_is_row(ev.evaluate(node, scope_for(target, insts[0], b, reading, policy))) for b in agreeing_bases[:1])
        only = agreeing_bases[0].removeprefix("sg_") if len(agreeing_bases) == 1 < len(all_bases) else None
        return ReadingResult(reading, "correct", layout=layout, base=only)
    return first_failure


def _is_row(a: np.ndarray) -> bool:
    return a.shape[0] == 1 and a.shape[1] > 1


def _compare(expected: np.ndarray, got: np.ndarray, inst: Instance, policy: Policy, literal_zero: bool):
    if literal_zero and got.shape == (1, 1):
        got = np.zeros_like(expected)
    if got.shape != expected.shape:
        is_vector = expected.shape[1] == 1 and expected.shape[0] > 1
        if is_vector and got.T.shape == expected.shape and not policy.strict_layout:
            got = got.T
        else:
            return (f"a {ev.describe_shape(got.shape)} where a {ev.describe_shape(expected.shape)} is expected"
                    + (" (strict layout)" if is_vector and got.T.shape == expected.shape else ""))
    c = compare(expected, got, scale=inst.error_scale())
    return True if c else f"wrong value: {c.describe()}"


def _example(inst: Instance, expected, got, base: str) -> dict:
    desc = inst.describe()
    keep = {k: desc[k] for k in ("dims", "o", "w", "samples", "k", "c", "window", "v_c", "U", "x")}
    if expected is not None:
        keep["expected"] = np.round(expected, 6).tolist()
        keep["got"] = np.round(got, 6).tolist()
    keep["loss"] = base
    return keep


@functools.lru_cache(maxsize=256)
def _mistake_node(latex: str) -> ast.Node:
    return parse(latex)[0]


def _mistake(node, target: Target, reading: ev.Reading, policy: Policy = Policy()):
    """The first known mistake the answer equals at every instance."""
    q = _question(target.qid)
    insts = instances_for(q.needs)
    for m in MISTAKES.get(target.qid, []):
        mt = Target(target.qid, _mistake_subjects(target), target.column)
        try:
            same = True
            for inst in insts:
                base = bases(target.qid)[0]
                a = ev.evaluate(node, scope_for(target, inst, base, reading, policy))
                b = ev.evaluate(_mistake_node(m.latex), scope_for(mt, inst, base, ev.Reading()))
                if policy.rows_U and target.qid in MATRIX_OF_U:
                    b = b.T
                if a.shape != b.shape and a.T.shape == b.shape:
                    a = a.T
                if a.shape != b.shape or not compare(b, a, scale=inst.error_scale()):
                    same = False
                    break
            if same:
                return m.code, m.feedback
        except (ev.Unreadable, ev.ShapeError, ReadError):
            continue
    return None, None


def _mistake_subjects(target: Target) -> tuple:
    """Mistake formulas are written with the canonical letters w and k."""
    role = {"naive.u_w": "w", "naive.u_o": "o", "neg.u_k": "k", "neg.u_k_repeated": "k", "sg.v_w": "v"}.get(target.qid)
    return (("w", role), ("k", role)) if role else ()


def value_shape(node: ast.Node, target: Target, policy: Policy = Policy()) -> tuple | None:
    """The shape the answer evaluates to (first reading, first instance), or None."""
    q = _question(target.qid)
    inst = instances_for(q.needs)[0]
    try:
        return ev.evaluate(node, scope_for(target, inst, bases(target.qid)[0], ev.Reading(), policy)).shape
    except (ev.Unreadable, ev.ShapeError, ReadError, ValueError, IndexError, ZeroDivisionError):
        return None


def truth_shape(target: Target, policy: Policy = Policy()) -> tuple:
    q = _question(target.qid)
    inst = instances_for(q.needs)[0]
    return truth(target, inst, bases(target.qid)[0], policy).shape
