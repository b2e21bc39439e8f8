"""Why a loss-and-gradient function of a problem-file layout is wrong: the
regulariser convention it follows and the term at fault, from evidence.

At the failing instance the derived truth is split into its data term D (the
truth with every regulariser strength at 0) and its regulariser term R_c
(the truth under convention c minus D). The student's code is also run at
the same instance with the strengths at 0, which separates *its* data term
from its regulariser term. Each wrong output is then matched against a small
set of alternatives built from those terms — the regulariser missing,
divided by a dimension too, of the other convention, applied to parameters
the loss does not regularise; the data term not averaged or averaged twice;
``dW /= N + reg*W`` precedence; a parameter left out of the forward pass —
and against the problem file's own typical mistakes for that gradient
(``[[questions.X.mistakes]]``). The first alternative that reproduces the
output is the message; nothing is read from the source text.

The term texts (``2·reg·W``, ``0.5·reg·(‖W1‖² + ‖W2‖²)``) are measured too:
the ratio of R_c to reg·W and to reg·Σ‖W‖².
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradkey.derive.draw import GenericInstance
from gradkey.verify.code.filelayout import FileLayout, Part
from gradkey.verify.numerics.compare import compare

#: Matching an alternative: looser than the verdict's float64 tolerance (the
#: alternatives are distinct at a generic instance), still far below any
#: real difference between them.
MATCH_RTOL = 1e-9


def close(a, b, inst: GenericInstance, rtol: float = MATCH_RTOL) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape and not (a.size == 1 and b.size == 1):
        return False
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    return bool(compare(a.reshape(b.shape), b, scale=inst.error_scale(), rtol=rtol))


def _factor(k: float) -> str:
    for v, text in ((1.0, ""), (2.0, "2·"), (0.5, "0.5·")):
        if abs(k - v) < 1e-6:
            return text
    return f"{k:.3g}·"


@dataclass
class Terms:
    """The regulariser of one convention, measured at an instance."""
    name: str
    loss_factor: float | None          # R_loss = factor · reg · Σ_{regularised} ‖P‖²
    grad_factor: dict                  # symbol -> factor (R_grad = factor · reg · P)
    regularised: tuple                 # symbols with a regulariser term
    reg: str                           # the strength's name

    def loss_text(self) -> str:
        if self.loss_factor is None or not self.regularised:
            return "the regulariser"
        norms = " + ".join(f"‖{p}‖²" for p in self.regularised)
        return f"{_factor(self.loss_factor)}{self.reg}·{norms if len(self.regularised) == 1 else '(' + norms + ')'}"

    def grad_text(self, symbol: str) -> str:
        k = self.grad_factor.get(symbol)
        return "its gradient" if k is None else f"{_factor(k)}{self.reg}·{symbol}"

    def describe(self) -> str:
        grads = ", ".join(self.grad_text(p) for p in self.regularised)
        text = f"{self.loss_text()} in the loss, gradient {grads}"
        return f"{self.name} convention ({text})" if self.name else text


class Evidence:
    """The truths and the student's outputs at one instance."""

    def __init__(self, layout: FileLayout, inst: GenericInstance, got: dict, got0: dict | None):
        self.layout, self.inst, self.got, self.got0 = layout, inst, got, got0
        self.truth = {c: layout.truth(inst, c) for c in layout.conventions}
        self.data = layout.truth(layout.without_reg(inst)) if layout.reg_symbols else None
        self.terms = {c: self._terms(c) for c in layout.conventions}

    # -- measuring the regulariser --
    def _reg_value(self) -> float | None:
        if len(self.layout.reg_symbols) != 1:
            return None
        v = float(self.inst.value(self.layout.reg_symbols[0]))
        return v if v != 0 else None

    def _terms(self, c: str) -> Terms:
        lay, inst = self.layout, self.inst
        reg = self._reg_value()
        name = lay.reg_symbols[0] if len(lay.reg_symbols) == 1 else "λ"
        if self.data is None or reg is None:
            return Terms(c, None, {}, (), name)
        grad_factor, regularised = {}, []
        for p in lay.parts:
            if p.kind == "loss" or p.symbol in grad_factor:
                continue
            r = self.truth[c][p.name] - self.data[p.name]
            P = np.asarray(inst.value(p.symbol), dtype=float)
            if np.max(np.abs(r), initial=0.0) <= 1e-12 * (1 + np.max(np.abs(P), initial=0.0)):
                continue
            mask = np.abs(P) > 1e-3
            if not mask.any():
                continue
            k = float(np.median(r[mask] / (reg * P[mask])))
            if close(r, k * reg * P, inst, 1e-7):
                grad_factor[p.symbol] = k
                regularised.append(p.symbol)
        loss_factor = None
        if regularised and any(p.kind == "loss" for p in lay.parts):
            norm = sum(float(np.sum(np.asarray(inst.value(s), dtype=float) ** 2)) for s in regularised)
            r = self.truth[c]["loss"] - self.data["loss"]
            if norm > 0:
                loss_factor = float(r / (reg * norm))
        return Terms(c, loss_factor, grad_factor, tuple(regularised), name)

    # -- matching --
    def matches(self, part: Part, c: str) -> bool:
        return close(self.got[part.name], self.truth[c][part.name], self.inst, 1e-9)

    def matched(self, c: str) -> list:
        return [p for p in self.layout.parts if self.matches(p, c)]


def _dims(layout: FileLayout, inst: GenericInstance):
    """(name, size, meaning) of the dimensions an average could run over."""
    return [(d.name, inst.dims[d.name], d.meaning or d.name) for d in layout.problem.dims if inst.dims[d.name] > 1]


def explain(ev: Evidence, part: Part, c: str) -> str | None:
    """A message for a wrong output under convention ``c``, when an
    alternative reproduces it; else None."""
    lay, inst = ev.layout, ev.inst
    got = ev.got[part.name]
    t = ev.truth[c][part.name]
    terms = ev.terms[c]
    name = part.name
    reg = terms.reg
    if ev.data is not None:
        d = ev.data[part.name]
        r = t - d
        has_reg = np.max(np.abs(r), initial=0.0) > 0
        if has_reg and close(got, d, inst):
            if part.kind == "loss":
                return (f"the loss leaves out the regulariser: add {terms.loss_text()} "
                        f"(the gradients have its gradient)")
            return (f"{name} leaves out the regulariser's gradient: add {terms.grad_text(part.symbol)}, the "
                    f"gradient of {terms.loss_text()} in the loss")
        for other in lay.conventions:
            if other != c and has_reg and close(got, ev.truth[other][part.name], inst):
                o = ev.terms[other]
                if part.kind == "loss":
                    return (f"the loss has {o.loss_text()} ({other} convention) but the gradients follow the "
                            f"{c} convention ({terms.describe()})")
                return (f"regulariser conventions mixed: the loss has {terms.loss_text()} ({c} convention), whose "
                        f"gradient is {terms.grad_text(part.symbol)}, but {name} adds "
                        f"{o.grad_text(part.symbol)}, the gradient of {o.loss_text()} ({other} convention); "
                        f"make the loss and {name} follow one convention")
        for dim, n, meaning in _dims(lay, inst):
            if has_reg and close(got, d + r / n, inst):
                return (f"the regulariser in {name} is divided by {dim} too: only the data term is averaged over "
                        f"the {meaning}; add {terms.loss_text() if part.kind == 'loss' else terms.grad_text(part.symbol)} "
                        f"after dividing")
            if close(got, n * d + r, inst):
                return (f"the data term of {name} is not divided by {dim}: the loss averages over the {meaning}, "
                        f"so {name}'s sum over them is divided by {dim} too")
            if close(got, d / n + r, inst):
                return f"the data term of {name} is divided by {dim} twice"
            if part.kind != "loss" and reg is not None and ev._reg_value() is not None:
                P = np.asarray(inst.value(part.symbol), dtype=float)
                for k in (0.5, 1.0, 2.0):
                    with np.errstate(divide="ignore", invalid="ignore"):
                        cand = n * d / (n + k * ev._reg_value() * P)
                    if close(got, cand, inst):
                        return (f"{name} is its summed data term divided elementwise by ({dim} + "
                                f"{_factor(k)}{reg}·{part.symbol}) — operator precedence: `{name} /= {dim} + "
                                f"{reg}*{part.symbol}` divides by the sum; divide by {dim} first, then add "
                                f"{terms.grad_text(part.symbol)}")
        unregularised = [p.symbol for p in lay.parts if p.kind != "loss" and p.symbol not in terms.regularised]
        unregularised = list(dict.fromkeys(unregularised))
        if part.kind == "loss" and unregularised and terms.loss_factor is not None and ev._reg_value():
            k = terms.loss_factor * ev._reg_value()
            for n in range(1, 1 << len(unregularised)):
                chosen = [s for b, s in enumerate(unregularised) if n >> b & 1]
                extra = sum(float(np.sum(np.asarray(inst.value(s), dtype=float) ** 2)) for s in chosen)
                if close(got, t + k * extra, inst):
                    return (f"the loss also regularises {', '.join(chosen)}, which the problem's regulariser "
                            f"{terms.loss_text()} leaves out (its gradients in grads have no such term)")
        if part.kind != "loss" and part.symbol in unregularised and ev._reg_value():
            for k in {2 * (terms.loss_factor or 1.0), terms.loss_factor or 1.0}:
                P = np.asarray(inst.value(part.symbol), dtype=float)
                if close(got, t + k * ev._reg_value() * P, inst):
                    return (f"{name} has a regulariser gradient {_factor(k)}{reg}·{part.symbol}, but the loss does "
                            f"not regularise {part.symbol} (its regulariser is {terms.loss_text()})")
    # the problem file's typical mistakes for this gradient
    if part.kind != "loss":
        at = lay.under(inst, c)
        for q in lay.problem.questions:
            if q.loss != lay.loss or q.wrt != part.symbol or q.part or q.order != 1:
                continue
            for m in q.mistakes:
                try:
                    with np.errstate(all="ignore"):
                        value = np.asarray(at.evaluate(m.expr), dtype=float)
                except Exception:  # noqa: BLE001 - a mistake that does not evaluate here is no explanation
                    continue
                if value.shape == np.shape(got) and close(got, value, inst):
                    return f"{name}: {m.feedback} ({m.code})"
    # a parameter left out (a bias missing in the forward pass)
    for s in lay.problem.symbols:
        if s.role != "parameter" or not s.shape:
            continue
        v = np.asarray(inst.value(s.name), dtype=float)
        if not np.any(v):
            continue
        zeroed = lay.truth(inst.replace(**{s.name: np.zeros_like(v)}), c)[part.name]
        if not close(zeroed, t, inst) and close(got, zeroed, inst):
            return (f"{name} is what it would be with {s.name} = 0: is {s.name} left out of the forward pass "
                    f"(or of this gradient)?")
    return None


def term_statement(ev: Evidence, part: Part, c: str) -> str:
    """Which term of a wrong output is wrong, from the run at strength 0."""
    if ev.data is None or ev.got0 is None or part.name not in ev.got0:
        return ""
    d = ev.data[part.name]
    data_ok = close(ev.got0[part.name], d, ev.inst)
    r_got = ev.got[part.name] - ev.got0[part.name]
    r_true = ev.truth[c][part.name] - d
    reg_ok = close(r_got, r_true, ev.inst)
    reg = ev.terms[c].reg
    if data_ok and not reg_ok:
        return (f"with {reg} = 0 it is right, so the regulariser's part is wrong: it should be "
                f"{ev.terms[c].loss_text() if part.kind == 'loss' else ev.terms[c].grad_text(part.symbol)}")
    if not data_ok and reg_ok:
        return f"the data term is wrong (it is wrong with {reg} = 0 too); the regulariser's part is right"
    if not data_ok:
        return f"both the data term (wrong with {reg} = 0 too) and the regulariser's part are wrong"
    return ""


def choose_convention(ev: Evidence) -> str:
    """The convention to judge against: the loss's when the loss follows one,
    else the gradients' when they all follow one, else the one under which
    most outputs are right or explained."""
    lay = ev.layout
    names = list(lay.conventions)
    loss = next((p for p in lay.parts if p.kind == "loss"), None)
    if loss is not None:
        for c in names:
            if ev.matches(loss, c):
                return c
    grads = [p for p in lay.parts if p.kind != "loss"]
    for c in names:
        if grads and all(ev.matches(p, c) for p in grads):
            return c

    def score(c):
        right = len(ev.matched(c))
        explained = sum(1 for p in lay.parts if not ev.matches(p, c) and explain(ev, p, c))
        return (right + explained, right)
    return max(names, key=lambda c: (score(c), -names.index(c)))


def diagnose(layout: FileLayout, inst: GenericInstance, got: dict, got0: dict | None):
    """(convention, the first wrong part, the message) for outputs that no
    convention reproduces."""
    ev = Evidence(layout, inst, got, got0)
    c = choose_convention(ev)
    wrong = [p for p in layout.parts if not ev.matches(p, c)]
    if not wrong:      # right under c after all (the caller saw a looser miss)
        return c, None, ""
    groups: dict = {}          # the same reason for several outputs is said once
    for p in wrong:
        why = explain(ev, p, c)
        if why is None:
            statement = term_statement(ev, p, c)
            why = f"{p.name} is wrong" + (f" ({statement})" if statement else "")
        groups.setdefault(why.replace(p.name, "\0"), []).append(p.name)
    messages = []
    for template, names in groups.items():
        text = template.replace("\0", names[0])
        if len(names) > 1:
            text += f" (the same holds for {', '.join(names[1:])})"
        messages.append(text)
    note = "; also ".join(messages)
    if c and layout.reg_symbols and ev.terms[c].regularised:
        note += f" [judged against the {ev.terms[c].describe()}]"
    return c, wrong[0], note


def convention_text(layout: FileLayout, inst: GenericInstance, c: str) -> str:
    """The convention a correct function follows, as the report says it."""
    if not layout.reg_symbols:
        return ""
    ev = Evidence(layout, inst, {p.name: None for p in layout.parts}, None)
    return ev.terms[c].describe()
