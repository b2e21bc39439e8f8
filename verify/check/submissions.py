"""Check a submission: find its answers, read them, judge them per question."""
from __future__ import annotations

import re
from dataclasses import asdict, replace

import numpy as np

from gradkey import derive

from gradkey.verify.check.identify import (LHS, Condition, Target, condition, loss_named, of_kind, read_lhs,
                                           section_signal, subscript_condition, targets, targets_for, variable)
from gradkey.verify.check.judge import Outcome, Policy, judge_node, truth_shape, value_shape
# the shared records and the front door live on the generic side (answers.py); their old
# names here keep this checker and its tests working until it is deleted
from gradkey.verify.check.answers import (DETERMINATE, MAX_BYTES, WHITESPACE_RUN, Answer,  # noqa: F401
                                          QuestionResult, StepResult, SubmissionError, answers_for,
                                          bounded_whitespace, check_submission, read_text)
from gradkey.verify.check.answers import context as _context
from gradkey.verify.read import ast
from gradkey.verify.read import extract, ocr, remarks
from gradkey.verify.read.plain import plain_as_math
from gradkey.verify.read.errors import ReadError
from gradkey.verify.read.latex import parse
from gradkey.verify.read.show import show
from gradkey.verify.read.vocabulary import Vocabulary, default_vocabulary

def judge_text(latex: str, target: Target, policy: Policy) -> tuple[Outcome, str]:
    try:
        node, repairs = parse(latex)
    except ReadError as exc:
        return Outcome("unparsed", note=str(exc)), ""
    except RecursionError:   # a guard failed somewhere: this step is unread, the file goes on
        return Outcome("unparsed", note="could not read an expression nested too deeply"), ""
    try:
        out = judge_node(node, target, policy)
    except RecursionError:
        return Outcome("review", note="an expression nested too deeply to evaluate"), ""
    if repairs:
        out.note = "; ".join(filter(None, [out.note, "OCR repairs: " + ", ".join(repairs)]))
    return out, show(node)


def _judge_steps(steps: list[tuple[int, str]], target: Target, policy: Policy, noisy: bool,
                 condition: str = "") -> Answer:
    results = []
    for line, latex in steps:
        out, understood = judge_text(latex, target, policy)
        results.append((line, latex, out, understood))
    step_rows = [StepResult(line, latex, out.verdict, understood, out.note) for line, latex, out, understood in results]
    first_wrong = next((i for i, (_, _, out, _) in enumerate(results) if out.verdict == "incorrect"), None)
    line, latex, final, understood = results[-1]
    verdict, note = final.verdict, final.note
    if verdict in ("unparsed", "review") and len(results) > 1:
        agreeing = [ln for ln, _, out, _ in results[:-1] if out.verdict == "correct"]
        if verdict == "unparsed" or agreeing:
            verdict = "review"
            note = f"the final step could not be evaluated ({final.note})" + (
                f"; the step on line {agreeing[-1]} is correct" if agreeing else "")
    if noisy and verdict in DETERMINATE:
        verdict = "review"
        note = "; ".join(filter(None, [note, f"would be {final.verdict}, but the line mixes math with OCR text "
                                             "that may hold the real final answer"]))
    return Answer(target.qid, line, latex, verdict, understood, target.how, condition, note, final.code,
                  final.feedback, final.counterexample, [asdict(s) for s in step_rows], first_wrong, final.readings)


# "s1 = u_o^T v_c, s2 = u_k^T v_c": names the student defines for the rest of the file
# a placeholder's name: a letter, or a Greek letter that is not the problem's own (σ, λ)
_PLACEHOLDER_NAME = (r"(?:[A-Za-z]|\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|kappa|mu|nu|"
                     r"xi|pi|rho|tau|phi|varphi|chi|psi|omega|Delta|Theta|Phi|Psi|Omega|Gamma)(?![A-Za-z]))"
                     r"(?:\d+|_\{?\w{1,3}\}?)?")
PLACEHOLDER = re.compile(r"(?:^|,)\s*(?:\\q?quad\s*|\\[,;]\s*)*(" + _PLACEHOLDER_NAME + r")\s*=\s*"
                         r"([^=]+?)\s*(?=,\s*(?:\\q?quad\s*|\\[,;]\s*)*" + _PLACEHOLDER_NAME + r"\s*=|[.,;]?\s*$)")
# "θ = Uᵀv_c ∈ ℝ^{|V|}": the set it lives in is not part of the definition
_MEMBERSHIP = re.compile(r"\s*(?:\\in\b|∈).*$")


def _placeholders(text: str) -> list[tuple[str, str, int]]:
    """(name, definition, line) for every short name a math block of the file
    defines ("s1 = u_o^\\top v_c, s2 = …", "a = \\sigma(x)"): a row that is only
    definitions, each one '=' deep (a chain of equalities is a derivation, not a
    definition). Read from the block itself: the chain reader cuts ", z_2 = …"
    off as a remark."""
    out = []
    for seg in extract.segments(extract.prepare(text)):
        for row in seg.body.split("\\\\"):
            row = row.replace("&", " ").strip()
            if not row or len(row) > 300:
                continue
            found = list(PLACEHOLDER.finditer(row))
            # every '=' of the row belongs to one of the definitions found
            if found and row.count("=") == len(found):
                out.extend((m.group(1), _MEMBERSHIP.sub("", m.group(2)).strip(), seg.line) for m in found)
    return out


def _judge_defined(steps, target: Target, policy: Policy, noisy: bool, condition: str, placeholders) -> Answer:
    """Judge the steps; when they use a symbol the problem does not know and the
    file defined it earlier ("s1 = u_o^\\top v_c"), judge them again with the
    definition put in its place (parenthesised), and say so. The definition is the
    student's own: a wrong one makes the answer wrong."""
    a = _judge_steps(steps, target, policy, noisy, condition)
    if a.verdict not in ("review", "unparsed") or not placeholders or "the symbol" not in " ".join(
            [a.note] + [st.get("note", "") for st in a.steps]):
        return a
    line = steps[-1][0]
    used, new_steps = [], []
    for ln, text in steps:
        for name, body, at in placeholders:
            if at > line or not _unknown(name, target, policy):
                continue
            pattern = _name_pattern(name)
            if re.search(pattern, text) and not re.search(pattern, body):
                text = re.sub(pattern, lambda _m: "(" + body + ")", text)
                used.append(f"{name} read as its definition on line {at}")
        new_steps.append((ln, text))
    if not used:
        return a
    b = _judge_steps(new_steps, target, policy, noisy, condition)
    b.latex = a.latex
    b.note = "; ".join(filter(None, [b.note, *dict.fromkeys(used)]))
    return b


def _name_pattern(name: str) -> str:
    m = re.fullmatch(r"(\\[A-Za-z]+|[A-Za-z])_\{?(\w+)\}?", name)
    if m:
        return (r"(?<![A-Za-z\\])" + re.escape(m.group(1)) + r"\s*_\s*(?:\{\s*" + m.group(2) + r"\s*\}|" + m.group(2)
                + r")(?![A-Za-z0-9])")
    if name.startswith("\\"):
        return re.escape(name) + r"(?![A-Za-z0-9_])"
    return r"(?<![A-Za-z\\_^])" + re.escape(name) + r"(?![A-Za-z0-9_])"


def _unknown(name: str, target: Target, policy: Policy) -> bool:
    """A name the problem does not know (so the student's definition is the only meaning)."""
    try:
        node, _ = parse(name)
    except (ReadError, RecursionError):
        return True
    if isinstance(node, ast.Mul):          # s1 reads as s·1: known only if every factor is
        return any(value_shape(f, target, policy) is None for f in node.factors)
    return value_shape(node, target, policy) is None


LABEL = re.compile(r"\\textcircled\s*\{(\w)\}")
COLUMN_LIST = extract.COLUMN_LIST      # moved to the reading side (read/extract.py), shared by both checkers
INLINE_MATH = re.compile(r"\$([^$]{1,200})\$")


def answers_in(text: str, policy: Policy = Policy(), vocabulary: Vocabulary | None = None) -> list[Answer]:
    """Every answer found in a submission's text, with what became of it."""
    vocabulary = vocabulary or default_vocabulary()     # word2vec's, from its problem file
    convention = vocabulary.convention(text)
    policy = replace(policy, rows_U=policy.rows_U or convention.rows_U, row_y=policy.row_y or convention.row_y)
    found: list[Answer] = []
    relabelled: list[tuple[Answer, Answer]] = []   # (judged by its shape, as labelled)
    every_w: list[Answer] = []                      # ∂J/∂u_w with no branch, as an answer for u_o
    region = None
    text = plain_as_math(ocr.repair_lines(text))
    chains = extract.chains(text, vocabulary)
    # ⓐ = …: a label defined by one chain and used as a branch of another,
    # whose condition then applies to the chain the label names
    definitions = {c.label: c for c in chains if LABEL.fullmatch(c.lhs.strip())}
    label_conditions = {LABEL.fullmatch(e.strip()).group(1): cond for c in chains for s in c.steps
                        for e, cond in s.branches if LABEL.fullmatch(e.strip())}
    placeholders = _placeholders(text)
    lines = text.split("\n")
    for chain in chains:
        region = section_signal(chain.context) or region
        if chain.noisy and 0 < chain.line <= len(lines) and ocr.only_case_prefix(lines[chain.line - 1], chain.prefix):
            chain.noisy = False   # "w=o: $…$": the condition, then the answer — no OCR text beside it
        heading_loss = loss_named(_prose(chain.heading)) if chain.heading else None
        if chain.error:
            found.append(Answer(None, chain.line, chain.lhs, "unparsed", status="unreadable", reason=chain.error,
                                column=chain.column))
            continue
        if LABEL.fullmatch(chain.lhs.strip()):
            continue  # judged where the label is used
        lhs, lhs_error = read_lhs_or_error(chain.lhs)
        first = len(found)
        if lhs is None:
            defined = _defines(chain)
            region = defined or region
            if chain.steps:
                found.append(_context(chain, f"an equation whose left-hand side is not a derivative"
                                             f"{' (defines the ' + defined + ' loss)' if defined else ''}"
                                      + (f"; {lhs_error}" if lhs_error and chain.display else "")))
                continue
            found.extend(_bare_answer(chain, region, policy, vocabulary))
        else:
            kind = of_kind(lhs.of, lhs.wrt)
            if kind == "intermediate" and (written_out := _loss_written_out(lhs.of)):
                # ∂/∂v_c (−log ŷ_o), ∂(−log p(o|c))/∂u_w: the loss itself, written out
                lhs, kind = LHS(ast.Name("J", ast.Index(written_out)), lhs.wrt, lhs.condition, lhs.text), "loss"
            if kind == "intermediate":
                found.append(_context(chain, f"an intermediate derivative ∂{show(lhs.of) if lhs.of else ''}"
                                             f"/∂{show(lhs.wrt)} (not of the loss)"))
                continue
            if kind == "foreign":
                found.append(_unmatched_text(chain, f"{show(lhs.of)}: a loss this problem set does not define"))
                continue
            if kind == "function" and not _sigmoid_evidence(chain, vocabulary):
                found.append(_unmatched_text(chain, f"{show(lhs.of)}: a function the file does not say is σ"))
                continue
            if kind == "function":
                lhs = LHS(ast.Call("sigma", lhs.wrt), lhs.wrt, lhs.condition, lhs.text)
            wrt, sub_cond = subscript_condition(lhs.wrt)
            lhs = LHS(lhs.of, wrt, lhs.condition or sub_cond, lhs.text)
            chain_condition = label_conditions.get(chain.label, "") if chain.label else ""
            prose_cond = _prose_condition(chain.context)
            cond = lhs.condition or chain_condition or _branch_remark(chain.remark) or prose_cond
            plain = [(s.line, s.text) for s in chain.steps if not s.branches]
            # [∂J/∂u_1, …, ∂J/∂u_|V|]: the definition restated between the left-hand side and the
            # answer, not an answer (kept when it is all there is: a list alone is for review)
            plain = extract.without_column_lists(plain)
            boxed = [i for i, s in enumerate(chain.steps) if s.boxed and not s.branches]
            if boxed:
                plain = [(s.line, s.text) for s in chain.steps[:boxed[-1] + 1] if not s.branches]
            evidence = _evidence(lhs, chain, region, heading_loss, cond)
            if plain:
                # the heading counts as context: "8. Same as before, but the samples may repeat."
                tlist = targets(lhs, chain.text, region, cond_text=cond, context=chain.context + "\n" + chain.heading)
                if not tlist:
                    found.append(_unmatched_text(chain, f"the left-hand side ∂{show(lhs.of)}/∂{show(lhs.wrt)} "
                                                        "names no question of this problem set"))
                hedge = _hedge(chain.remark)
                for target in tlist:
                    a = _judge_defined(plain, target, policy, chain.noisy, cond, placeholders)
                    a.how = _how(target, evidence)
                    if hedge and a.verdict == "correct":
                        a.verdict = "review"
                        a.note = "; ".join(filter(None, [a.note, hedge]))
                    refit = _refit(a, plain, target, chain, policy, region)
                    if refit is not a:
                        relabelled.append((refit, a))
                    if refit is a and target.qid == "naive.u_o" and target.how != "branch condition" \
                            and target.subjects and target.subjects[0][0] not in ("o", "0", "O"):
                        every_w.append(a)   # ∂J/∂u_w with no branch, tried for u_o as well
                    found.append(refit)
            for step in chain.steps:
                for expr, bcond in step.branches:
                    steps = [(step.line, expr)]
                    label = LABEL.fullmatch(expr.strip())
                    if label and label.group(1) in definitions:
                        steps = [(s.line, s.text) for s in definitions[label.group(1)].steps if not s.branches] or steps
                    btargets = targets(lhs, chain.text, region, cond_text=bcond, context=chain.context)
                    if (_is_zero(expr) and condition(bcond).branch == "otherwise" and btargets
                            and all(t.qid.startswith("neg.u_k") for t in btargets)
                            and _sampled_branch(step.branches, bcond, lhs, chain, region)):
                        # "0 & w = others" after a branch for the samples: the words neither o nor
                        # sampled, whose gradient no question asks for
                        btargets = []
                    if not btargets:
                        found.append(Answer(None, step.line, expr, "review", status="context" if _is_zero(expr)
                                            else "unmatched", reason=f"the branch '{extract.strip_text_commands(bcond)}'"
                                            " answers no question of this problem set"))
                        continue
                    for target in btargets:
                        a = _judge_defined(steps, target, policy, chain.noisy, extract.strip_text_commands(bcond),
                                           placeholders)
                        a.how = _how(target, evidence + ["branch condition"])
                        found.append(a)
        mine = found[first:]
        mine_ids = {id(m) for m in mine}
        for a in mine + [o for r, o in relabelled if id(r) in mine_ids]:
            a.note = "; ".join(filter(None, [a.note, *chain.notes]))
            a.column = a.column or chain.column
    found.extend(_text_line_answers(text, policy))
    found.extend(_labelled_text_answers(text, policy, found))
    if policy.convention:
        for a in found:
            if a.status == "judged" and a.question:
                a.note = "; ".join(filter(None, [a.note, "judged in the file's declared convention: "
                                                 + "; ".join(convention.notes)]))
    return _summaries(_by_value(_for_u_o(_keep_labels(found, relabelled), every_w)))


def _for_u_o(found: list[Answer], every_w: list[Answer]) -> list[Answer]:
    """∂J/∂u_w with no branch answers u_o and u_w alike — unless the file answers
    ∂J/∂u_o on its own: then the general formula was meant for the other words
    and is judged for naive.u_w only (the u_o copy is listed as context)."""
    generic = {id(g) for g in every_w}
    own = [a for a in found if a.question == "naive.u_o" and a.status == "judged" and id(a) not in generic]
    if not own or not every_w:
        return found
    for g in every_w:
        g.status, g.question = "context", None
        g.reason = (f"∂J/∂u_w with no branch, while ∂J/∂u_o is answered on its own on line {own[0].line}: "
                    "counted for naive.u_w only")
    return found


# a remark that may change the answer (an alternative, "is wrong", "+ u_o"): verify/read/remarks.py
_hedge = remarks.hedge


def _sampled_branch(branches, this: str, lhs, chain, region) -> bool:
    """Another branch of the same table answers the negative samples' question."""
    return any(c is not this and condition(c).branch != "otherwise"
               and any(t.qid.startswith("neg.u_k") for t in targets(lhs, chain.text, region, cond_text=c,
                                                                   context=chain.context))
               for _, c in branches)


def _keep_labels(found: list[Answer], relabelled: list[tuple[Answer, Answer]]) -> list[Answer]:
    """A relabelling by shape is the typo hypothesis ("∂J/∂v_c" written where
    ∂J/∂U was meant). When the file answers the shape-fit question elsewhere under
    its own label, the hypothesis fails: the answer was meant for the question its
    label names, and is judged there (incorrect, with the shape reason) — else a
    copy-pasted wrong value would be hidden behind a correct verdict."""
    refits = {id(r) for r, _ in relabelled}
    own = {a.question: a.line for a in found if a.status == "judged" and a.question and id(a) not in refits}
    swap = {}
    for refit, original in relabelled:
        if refit.question in own:
            original.note = "; ".join(filter(None, [original.note, (
                f"its value has the shape of {refit.question}, but the file answers {refit.question} on line "
                f"{own[refit.question]}: judged for the question its label names")]))
            original.column = original.column or refit.column
            swap[id(refit)] = original
    return [swap.get(id(a), a) for a in found] if swap else found


def _prose(text: str) -> str:
    """Prose with its inline math kept as text (headings name variables in math)."""
    return text.replace("$", " ")


def _loss_written_out(of) -> str | None:
    """The base loss (naive, neg) that an expression on a left-hand side equals at
    every seeded instance — −log ŷ_o, −log p(o|c), −log σ(u_oᵀv_c) − Σ_k log σ(−u_kᵀv_c):
    the student differentiated the loss written out. None when it equals none (an
    intermediate such as u_oᵀv_c or a single term of J_neg) or cannot be evaluated."""
    if of is None or isinstance(of, ast.Derivative):
        return None
    from gradkey.derive.derivation import gradients
    from gradkey.verify.check import evaluate as ev
    from gradkey.verify.check.judge import instances_for
    from gradkey.verify.numerics.compare import compare
    found = None
    for loss in ("naive", "neg"):
        ok = True
        for inst in instances_for("")[:3]:
            try:
                value = np.asarray(ev.evaluate(of, ev.Scope(inst, base=loss)), dtype=float)
            except Exception:           # not evaluable in the notation: not the loss
                return None
            if value.size != 1 or not compare(np.asarray(gradients(loss, inst).loss, dtype=float).reshape(1, 1),
                                              value.reshape(1, 1), scale=inst.error_scale()):
                ok = False
                break
        if ok:
            if found:                   # equal to both: the instances cannot tell
                return None
            found = loss
    return found


def _unmatched_text(chain, reason: str) -> Answer:
    return Answer(None, chain.line, chain.text[:300], "review", status="unmatched", reason=reason, column=chain.column)


def _is_zero(expr: str) -> bool:
    return expr.strip() in ("0", "\\mathbf{0}", "\\bm{0}", "\\boldsymbol{0}", "\\vec{0}")


def read_lhs_or_error(text: str):
    """The derivative on the left, or (None, why) when it is not one."""
    if not text.strip():
        return None, ""
    lhs = read_lhs(text)
    if lhs is not None:
        return lhs, ""
    try:
        parse(text)
        return None, ""
    except ReadError as exc:
        return None, str(exc)
    except RecursionError:
        return None, "could not read an expression nested too deeply"


def _sigmoid_evidence(chain, vocabulary: Vocabulary) -> bool:
    where = " ".join([chain.heading, chain.context, chain.text])
    return bool(re.search(vocabulary.sigmoid_words, where, re.IGNORECASE))


COND_IN_PROSE = re.compile(r"[a-zω]\s*(?:=|\\neq|\\ne\b|≠)\s*[a-z0-9]|otherwise|every other|others?\b|o/w")


def _prose_condition(context: str) -> str:
    """A branch stated in the prose just before a block ("For $w \\neq o$:",
    "当 $w = o$ 时"); none when that prose names both branches."""
    lines = [ln for ln in context.strip().split("\n") if ln.strip()]
    if not lines:
        return ""
    if HEADING_LINE.match(lines[-1]) and len(lines) == 1 and not re.search(r"\$", lines[-1]):
        return ""
    # the branch may sit a few short lines up ("For $w ≠ o$:", then "**Edit:** fixed:")
    for back, last in enumerate(reversed(lines[-3:])):
        if back and (len(last) > 80 or HEADING_LINE.match(last)):
            break
        math = " ".join(INLINE_MATH.findall(last)) + " " + re.sub(r"\$[^$]*\$", " ", last)
        c = condition(math)
        both = re.search(r"=\s*o", math) and re.search(r"\\neq?\s*o|≠\s*o", math)
        if both:
            return ""
        if c.branch or c.var:
            return math
    return ""


HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s|\*\*)")


def _branch_remark(remark: str) -> str:
    return remark if remark and COND_IN_PROSE.search(remark) else ""


def _evidence(lhs, chain, region, heading_loss, cond) -> list[str]:
    ev = [f"left-hand side ∂{show(lhs.of)}/∂{show(lhs.wrt)}"]
    named = loss_named(lhs.text) or (lhs.of is not None and isinstance(lhs.of, ast.LossCall) and loss_named(lhs.of.sub))
    if named:
        ev.append("loss named on the left")
    elif region:
        ev.append(f"section ({region})")
    if cond:
        ev.append(f"condition '{extract.strip_text_commands(cond).strip()[:40]}'")
    return ev


def _how(target: Target, evidence: list[str]) -> str:
    if target.how == "by value":
        return "by value"
    return "; ".join(dict.fromkeys(evidence))


def _refit(a: Answer, plain, target: Target, chain, policy: Policy, region) -> Answer:
    """The left-hand side names one question, the value has the shape of another:
    judge it for the question its shape fits (preferring the one the heading
    names) and say the label was wrong. A matrix under a vector's left-hand side
    fitting nothing is kept as a candidate "stacked summary" (see _summaries)."""
    if a.verdict != "incorrect" or not a.note.startswith("a ") or "where a" not in a.note:
        return a
    try:
        node, _ = parse(plain[-1][1])
    except (ReadError, RecursionError):
        return a
    shape = value_shape(node, target, policy)
    if shape is None:
        return a
    loss = target.qid.split(".")[0]
    heading_var = default_vocabulary().variable_named(chain.heading) if chain.heading else None
    candidates = []
    for qid in derive.problem_set().ids:
        if qid.split(".")[0] != loss or qid == target.qid or qid.endswith("_repeated"):
            continue
        t = Target(qid, target.subjects if qid.split(".")[1] in ("u_w", "u_k", "u_o") else ())
        try:
            if truth_shape(t, policy) == shape:
                candidates.append(t)
        except Exception:  # a question this target's subjects do not fit
            continue
    if heading_var:
        preferred = [t for t in candidates if t.qid.split(".")[1] == heading_var]
        candidates = preferred or candidates
    if len(candidates) == 1 or (candidates and heading_var):
        new = candidates[0]
        b = _judge_steps(plain, new, policy, chain.noisy, a.condition)
        b.how = f"value's shape {shape[0]}×{shape[1]}" + (f" and heading '{chain.heading[:50]}'" if heading_var else "")
        b.note = "; ".join(filter(None, [f"the left-hand side names {target.qid}, but the value has the shape of "
                                         f"{new.qid}: judged as {new.qid} (the label is wrong)", b.note]))
        return b
    if shape[0] > 1 and shape[1] > 1 and truth_shape(target, policy)[1] == 1:
        a.status = "summary?"
    return a


def _summaries(found: list[Answer]) -> list[Answer]:
    """A matrix under ∂J/∂u_w ("Overall, ∂J/∂u_w = (ŷ − y)v_cᵀ") after the
    per-branch answers is a stacked summary, not the answer of a vector question:
    it is listed as unmatched (review) when the question has another answer; alone
    it stays the (incorrect) answer of its question."""
    judged = {}
    for a in found:
        if a.status == "judged" and a.question:
            judged[a.question] = judged.get(a.question, 0) + 1
    for a in found:
        if a.status == "summary?":
            if a.question and judged.get(a.question, 0) > 0:
                a.status, a.guess, a.reason = "unmatched", a.question, (
                    f"a matrix under the left-hand side of {a.question}, which has other answers in this file: "
                    "read as a stacked summary, not its answer")
                a.question = None
            else:
                a.status = "judged"
    out, seen = [], set()
    for a in found:
        if a.status in ("unmatched", "unreadable"):
            key = (a.line, a.latex, a.status)
            if key in seen:      # one block tried for two questions is still one block to review
                continue
            seen.add(key)
            # the text report shows the note: it must say why first
            a.note = "; ".join(filter(None, [a.reason, f"best guess {a.guess}: {a.verdict}" if a.guess else "",
                                             a.note]))
        out.append(a)
    return out


def _bare_answer(chain, region, policy: Policy, vocabulary: Vocabulary) -> list[Answer]:
    """An expression with no derivative on its left: identified by the label
    before it ("$u_o$:", "others:", "answer is:"), the heading above it, the
    prose branch before it, and failing those by value."""
    expr = chain.lhs
    if not expr.strip():
        return []
    prefix = chain.prefix.strip()
    label_math = INLINE_MATH.findall(prefix)
    label_text = re.sub(r"\$[^$]*\$", " ", prefix)
    var = index = None
    evidence = []
    cond_text = _prose_condition(chain.context)
    for m in label_math + ([label_text] if re.fullmatch(r"[-*\s]*[A-Za-z]_\{?\w\}?\s*[:：]", label_text) else []):
        try:
            node, _ = parse(re.sub(r"^[-*\s]+|[:：\s]+$", "", m))
        except ReadError:
            continue
        try:
            var, index = variable(node, region)
            evidence.append(f"label '{prefix[:30]}'")
            break
        except LookupError:
            continue
    if var is None and re.search(vocabulary.otherwise_words, label_text, re.IGNORECASE):
        cond_text = "otherwise"
        evidence.append(f"label '{prefix[:30]}'")
    if var is None:
        named = vocabulary.variable_named(prefix) or vocabulary.variable_named(chain.heading) or \
            vocabulary.variable_named(_last_line(chain.context))
        if named:
            evidence.append(f"heading '{chain.heading[:50]}'" if vocabulary.variable_named(chain.heading) == named
                            else "prose before it")
            var, index = {"u_w": ("vec", "w"), "u_o": ("vec", "o"), "u_k": ("vec", "k"),
                          "v_w": ("center", "w"), "sigmoid": ("x", None), "repeated": ("vec", "k")}.get(named, (named, None))
    loss = loss_named(_prose(chain.heading)) or region
    if var is None and chain.display and cond_text:
        var, index = "vec", "w"
        evidence.append("prose branch before it")
    if var == "x":
        tlist = [Target("sigmoid.grad", how="heading")]
    elif var is not None:
        cond = condition(cond_text)
        if var == "vec" and cond.branch == "otherwise":
            cond = Condition("other", cond.var, cond.loss, cond.letter)
        losses = [loss] if loss else ["naive", "neg", "sg"]
        tlist = [t for L in losses for t in targets_for(L, var, index, cond, chain.context + " " + chain.heading)]
        if not loss:
            tlist = [Target(t.qid, t.subjects, t.column, "by value") for t in tlist]
    else:
        questions = [q for q in derive.problem_set().ids if not region or q.startswith(region + ".")]
        tlist = [Target(q, _default_subjects(q), how="by value") for q in questions]
        evidence.append("its value (nothing else names the question)")
    out = []
    for t in tlist:
        a = _judge_steps([(chain.line, expr)], t, policy, chain.noisy, cond_text)
        a.how = "by value" if t.how == "by value" else "; ".join(evidence) or t.how
        out.append(a)
    return out


def _default_subjects(qid: str) -> tuple:
    role = {"naive.u_w": "w", "naive.u_o": "o", "neg.u_k": "k", "neg.u_k_repeated": "k", "sg.v_w": "v"}.get(qid)
    return (("w", role),) if role in ("w", "o") else ((("k", role),) if role == "k" else ((("w", role),) if role else ()))


def _last_line(context: str) -> str:
    lines = [ln for ln in context.strip().split("\n") if ln.strip()]
    return lines[-1] if lines else ""


LABELLED_LINE = re.compile(r"^\s*(?:[-*]\s*)?\(?\s*(?P<label>i{1,3}|iv|vi{0,3}|[a-h]|\d+)\s*[).]\s*(?P<expr>[^\s].{0,40})$")


def _labelled_text_answers(text: str, policy: Policy, found: list[Answer]) -> list[Answer]:
    """'(iii) 0': a part label followed by a bare formula in plain text (no
    delimiters, no words): judged by value among the section's questions."""
    out = []
    region = None
    for n, line in extract.text_lines(text):
        region = loss_named(line) or region
        m = LABELLED_LINE.match(line)
        if not m or re.search(r"[A-Za-z]{2,}", m.group("expr")):
            continue
        expr = m.group("expr").strip()
        try:
            parse(expr)
        except ReadError:
            continue
        sec = _section_before(text, n) or region
        questions = [q for q in derive.problem_set().ids if not sec or q.startswith(sec + ".")]
        for q in questions:
            a = _judge_steps([(n, expr)], Target(q, _default_subjects(q), how="by value"), policy, False)
            a.how = "by value"
            out.append(a)
    return out


def _section_before(text: str, line: int) -> str | None:
    lines = text.split("\n")[:line - 1]
    for ln in reversed(lines):
        named = loss_named(ln) if re.search(r"J_|loss|skip|neg|naive|softmax", ln, re.IGNORECASE) else None
        if named:
            return named
    return None


def _text_line_answers(text: str, policy: Policy) -> list[Answer]:
    """Answers in OCR lines that lost their math delimiters ("EXPR, w=0, CE
    w.r.t u"). Where such a formula ends cannot be known, so they are at most
    review; the note says how they read."""
    out = []
    for n, line in extract.text_lines(text):
        for expr, cond_text, wrt, segment in ocr.answers(line):
            loss = ocr.loss_hint(segment)
            if loss is None:
                continue
            var, index = ("v_c", None) if re.match(r"^[vVνυ]\s*_?\s*[ceε]", ocr.repair(wrt)) else ("vec", "ω")
            for target in targets_for(loss, var, index, condition(cond_text), segment):
                latex = ocr.repair(expr)
                out_ = _judge_steps([(n, latex)], target, policy, False, cond_text)
                would = out_.verdict
                out_.verdict = "review"
                out_.note = (f"found in OCR text without math delimiters; reads as {out_.understood or latex!r}"
                             f" ({would}{': ' + out_.note if out_.note else ''})")
                out.append(out_)
    return out


def _defines(chain) -> str | None:
    """A chain that defines a loss (J = Σ F(…), J_CE = …) sets the section's
    loss; a loss merely mentioned ($J_{neg}$ in prose) does not."""
    if not chain.steps:
        return None
    text = chain.text
    if re.search(r"F\s*\(|-m\s*\\leq", text):
        return "sg"
    return loss_named(chain.lhs)


def _by_value(found: list[Answer]) -> list[Answer]:
    """Answers that nothing identified were tried against every candidate: keep
    the candidate they match; matching none, they are listed as unmatched with
    the best guess (an incorrect reading of the right shape before anything else)
    and its verdict, counted as review."""
    out, groups = [], {}
    for a in found:
        if a.how == "by value" and a.status == "judged":
            groups.setdefault((a.line, a.latex), []).append(a)
        else:
            out.append(a)
    for candidates in groups.values():
        good = [a for a in candidates if a.verdict == "correct"]
        if good:
            good[0].note = "; ".join(filter(None, [good[0].note, "nothing named the question: assigned by matching "
                                                   "its truth"]))
            out.append(good[0])
            continue
        shaped = [a for a in candidates if a.verdict == "incorrect" and not a.note.startswith(("a ", "ill-typed"))]
        best = (shaped or [a for a in candidates if a.verdict == "incorrect"] or candidates)[0]
        best.reason = f"nothing named the question and it matches none of {', '.join(c.question for c in candidates)}"
        best.guess, best.question, best.status = best.question, None, "unmatched"
        out.append(best)
    return sorted(out, key=lambda a: a.line)


def summarise(answers: list[Answer]) -> dict[str, QuestionResult]:
    """One verdict per question, in word2vec's question order (``answers.summarise``)."""
    from gradkey.verify.check import answers as shared
    return shared.summarise(answers, derive.problem_set("word2vec").ids)


def submission_row(file: str, answers: list[Answer]) -> dict:
    """The JSON row of one submission, in word2vec's question order (``answers.submission_row``)."""
    from gradkey.verify.check import answers as shared
    return shared.submission_row(file, answers, derive.problem_set("word2vec").ids)
