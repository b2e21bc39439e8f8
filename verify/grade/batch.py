"""Grade a class: one job per entry, run by an executor, one row per entry.

The per-file jobs (:class:`CheckJob` for written derivations, :class:`CodeJob`
for formula code) take an entry's *bytes* and return a JSON-ready row; they
never read the class tree themselves (``discover`` did, safely), so the same
job runs in a local worker process or on a cluster worker that does not share
the file system.

An executor runs jobs and reports, per item, either its result or why there
is none (over the time limit, the worker died twice). :class:`LocalPool` is a
pool of forked worker processes; ``verify.grade.cluster`` adds a Dask one
behind the same :class:`Executor` interface. Whatever happens to a worker —
killed while idle or busy, out of memory, a crash in C code — it is replaced,
a file whose worker died is retried once, and every item ends with an
outcome, in the order given.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path

from gradkey.verify.check.answers import Policy
from gradkey.verify.grade.discover import Entry

MAX_NOTEBOOK_CELLS_TEXT = 1_000_000


class NotASubmission(ValueError):
    """The bytes cannot be a submission (binary, not UTF-8, empty, a broken notebook)."""


def error_row(entry_or_file, reason: str, trace: str = "") -> dict:
    if isinstance(entry_or_file, Entry):
        file, student = entry_or_file.file, entry_or_file.student
    else:
        file, student = str(entry_or_file), Path(str(entry_or_file)).stem
    return {"file": file, "student": student, "error": reason, "traceback": trace, "questions": {}, "answers": []}


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise NotASubmission("starts like UTF-16 text but is not: save it as UTF-8") from None
    if b"\x00" in data[:4096]:
        raise NotASubmission("binary file (NUL bytes), not text: upload the .md/.tex source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotASubmission(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): "
                             "save it as UTF-8 and upload it again") from None
    if not text.strip():
        raise NotASubmission("empty file: nothing was written in it")
    # one line ending for the reader: a CR-only file (old Mac editors, some
    # OCR exports) is read line by line like any other, not as one long line
    return text.replace("\r\n", "\n").replace("\r", "\n")


def notebook_text(data: bytes) -> str:
    """The Markdown cells of a Jupyter notebook, in order, as one text; cells
    are separated by blank lines so math blocks cannot run into each other.
    Lines keep no cell numbering: the report's line numbers count in this text."""
    try:
        nb = json.loads(decode_text(data))
    except (ValueError, RecursionError):
        raise NotASubmission("not a readable Jupyter notebook (invalid JSON): "
                             "open and save it in Jupyter, or export its Markdown as .md") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotASubmission("not a Jupyter notebook (no cells): export the derivation as .md")
    parts = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        src = cell.get("source", "")
        # a source is a string or a list of strings (nbformat); anything else is not Markdown
        src = ("".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else
               src if isinstance(src, str) else "")
        if cell.get("cell_type") == "markdown":
            parts.append(src)
        elif cell.get("cell_type") == "code":
            parts.extend(_typeset_in_code(src))
    text = "\n\n".join(parts)
    if not text.strip():
        raise NotASubmission("a notebook without Markdown cells: write the derivation in Markdown cells")
    if len(text) > MAX_NOTEBOOK_CELLS_TEXT:
        raise NotASubmission(f"the notebook's Markdown is over {MAX_NOTEBOOK_CELLS_TEXT} characters")
    return text


CELL_MAGIC = re.compile(r"\A\s*%%(latex|markdown|md)[ \t]*\n")
DISPLAY_CALLS = {"Math": "math", "Latex": "latex", "Markdown": "markdown"}
DELIMITED = re.compile(r"\$|\\\[|\\\(|\\begin\{")


def _typeset_in_code(src: str) -> list[str]:
    """What a code cell typesets for the reader, never run: the body of a ``%%latex`` or
    ``%%markdown`` cell magic, and the literal strings given to IPython's ``Math(…)``,
    ``Latex(…)`` and ``Markdown(…)`` (``display(Math(r"\\frac{∂J}{∂v_c} = …"))``), found by
    parsing the cell with Python's ``ast`` (no code runs). Math outside delimiters is
    wrapped in ``$$``, as the notebook renders it."""
    def math(body: str, kind: str) -> str:
        return body if kind == "markdown" or (kind == "latex" and DELIMITED.search(body)) \
            else "$$\n" + body.strip() + "\n$$"
    m = CELL_MAGIC.match(src)
    if m:
        return [math(src[m.end():], m.group(1).replace("md", "markdown"))]
    if not any(name + "(" in src for name in DISPLAY_CALLS):
        return []
    import ast
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []                      # not Python (or hostile): nothing typeset
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in DISPLAY_CALLS:
                out.append((node.lineno, node.col_offset, math(node.args[0].value, DISPLAY_CALLS[name])))
    return [text for *_, text in sorted(out)]


def check_text(text: str, file: str, policy: Policy, aliases: dict, problem=None) -> dict:
    """The per-file judgement of written work: every answer found, judged,
    and one verdict per question (``verify.check.answers``); ``problem`` is a
    problem file's set (``--problem``), None for the default set (word2vec)."""
    from gradkey.verify.check.answers import answers_for, submission_row
    for course, ours in aliases.items():
        text = text.replace(course, ours)
    return submission_row(file, answers_for(text, policy, problem))   # adds needs_review / nothing_identified


class CheckJob:
    """Judge one written submission (text or notebook bytes)."""

    def __init__(self, policy: Policy = Policy(), aliases: dict | None = None, problem: str | None = None):
        # the problem set travels by NAME|PATH (a string pickles to any worker)
        self.policy, self.aliases, self.problem = policy, dict(aliases or {}), problem

    def _problem(self):
        if self.problem in (None, "word2vec"):
            return None
        from gradkey import derive
        return derive.problem_set(self.problem)

    def warm(self) -> None:
        """Judge the problem's own answers once, so the derivations and
        tables are built in the parent and every forked worker (also one
        that replaces a dead worker) inherits them instead of rebuilding."""
        try:
            from gradkey import derive
            ps = self._problem() or derive.problem_set()
            text = "\n\n".join(f"$${q.lhs if isinstance(q.lhs, str) else q.lhs[0]} = {q.closed_forms[0].latex}$$"
                               for q in ps.questions)
            check_text(text, "warm-up", self.policy, {}, self._problem())
        except Exception:  # only a cache: a failure here changes no result
            pass

    def __call__(self, entry: Entry) -> dict:
        try:
            text = notebook_text(entry.data) if entry.kind == "notebook" else decode_text(entry.data)
            row = check_text(text, entry.file, self.policy, self.aliases, self._problem())
        except NotASubmission as exc:
            return error_row(entry, str(exc))
        except Exception as exc:  # one broken submission must not stop the others
            return error_row(entry, f"gradkey failed on this file ({type(exc).__name__}: {exc}); "
                                    "a TA must grade it", traceback.format_exc())
        row["student"] = entry.student
        if entry.notes:
            row["notes"] = list(entry.notes)
        return row


def _own_folder(entry: Entry) -> Path | None:
    """Where a code entry's own copies of course helpers may come from: its
    folder, when that folder is the student's. A flat class (``class/alice.py``,
    the student is the file's stem) has the class folder as the file's parent,
    and another student's folder there (``class/utils/utils.py``, the student
    "utils") must not become everyone's helper: then there is none (gradkey's
    helpers are used)."""
    parent = Path(entry.file).parent
    if not parent.is_dir():
        return None
    if Path(entry.file).stem == entry.student and parent.name != entry.student:
        return None
    return parent


class CodeJob:
    """Check one formula-code file. The bytes are written to a private folder
    under their own name (the sandbox loads a file), so a cluster worker needs
    no shared file system. ``options`` go to ``verify.code.check_file``: the one
    call site of that function, so its signature can change in one place."""

    def __init__(self, **options):
        self.options = options

    def __call__(self, entry: Entry) -> dict:
        from gradkey.verify.code import check_file
        try:
            with tempfile.TemporaryDirectory(prefix="gradkey-code-") as tmp:
                path = Path(tmp) / (Path(entry.file).name or "submission.py")
                path.write_bytes(entry.data)
                # the student's own copies of course helpers next to the file
                # (utils/utils.py, …) still win over gradkey's: the sandbox
                # takes them from the original folder (regular files inside it
                # only, at the helpers' own paths, size-capped)
                own = _own_folder(entry)
                report = check_file(path, **self.options, own=own)
        except Exception as exc:
            return {**error_row(entry, f"gradkey failed on this file ({type(exc).__name__}: {exc}); "
                                       "a TA must check it", traceback.format_exc()), "functions": []}
        report["file"], report["student"] = entry.file, entry.student
        return report


# ----------------------------------------------------------------- executors

class Executor:
    """Runs ``job`` on every item. ``run`` returns, in the items' order, one
    ``(ok, value)`` per item: ``(True, result)`` or ``(False, reason)`` when
    there is no result (time limit, the worker died on it twice)."""

    def run(self, job, items: list, timeout: float, progress=None) -> list[tuple[bool, object]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _serve(conn, job) -> None:
    # the parent decides when a worker stops (by sending None, or by killing
    # it); an interrupt at the terminal is the parent's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, item = task
        try:
            result = (True, job(item))
        except BaseException:  # the job's own guard failed: report, keep serving
            result = (False, "gradkey failed on this file:\n" + traceback.format_exc())
        conn.send((index, result))


class _Worker:
    def __init__(self, ctx, job):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, job), daemon=True)
        self.proc.start()
        # Only the worker may hold its end: then the worker's death is an EOF here.
        child.close()
        self.index: int | None = None
        self.started = 0.0

    def give(self, index: int, item) -> bool:
        try:
            self.conn.send((index, item))
        except (BrokenPipeError, ConnectionResetError, OSError):
            return False
        self.index, self.started = index, time.monotonic()
        return True

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()

    def death(self) -> str:
        code = self.proc.exitcode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}" if code is not None else "stopped answering"


class LocalPool(Executor):
    """Forked worker processes on this machine, one file at a time each.

    The pids of the live workers are in ``pids`` (tests kill them)."""

    RETRIES = 1

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs
        self.workers: list[_Worker] = []

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in list(self.workers)]

    def run(self, job, items, timeout, progress=None):
        n = len(items)
        out: list = [None] * n
        if not n:
            return out
        ctx = mp.get_context("fork")  # workers inherit the loaded SymPy and caches
        if hasattr(job, "warm"):
            job.warm()
        size = max(1, min(self.jobs or os.cpu_count() or 1, n))
        self.workers = [_Worker(ctx, job) for _ in range(size)]
        pending = deque(range(n))
        deaths = [0] * n
        done = 0

        def finish(index, value):
            nonlocal done
            out[index] = value
            done += 1
            if progress:
                progress(done, n)

        try:
            while done < n:
                for i, w in enumerate(self.workers):
                    while w.index is None and pending:
                        index = pending.popleft()
                        if w.give(index, items[index]):
                            break
                        pending.appendleft(index)   # died while idle: not this file's fault
                        w.kill()
                        w = self.workers[i] = _Worker(ctx, job)
                busy = [w for w in self.workers if w.index is not None]
                left = min((w.started + timeout for w in busy), default=time.monotonic() + 0.1) - time.monotonic()
                ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in self.workers],
                                 timeout=max(0.0, left)))
                for i, w in enumerate(self.workers):
                    if w.index is None:
                        if w.proc.sentinel in ready:          # an idle worker died: replace it
                            w.kill()
                            self.workers[i] = _Worker(ctx, job)
                        continue
                    if w.conn in ready or w.proc.sentinel in ready:
                        try:
                            index, value = w.conn.recv() if w.conn.poll() else (None, None)
                        except Exception:  # EOF or a reply cut short by the death
                            index = None
                        if index is None:
                            w.proc.join(timeout=1.0)   # its pipe closed first: let it be reaped for the cause
                            index, why = w.index, w.death() if not w.proc.is_alive() else "stopped answering"
                            w.kill()
                            self.workers[i] = _Worker(ctx, job)
                            deaths[index] += 1
                            if deaths[index] <= self.RETRIES:
                                pending.appendleft(index)     # retried first, by a fresh worker
                            else:
                                finish(index, (False, f"the grading process died on this file "
                                                      f"{deaths[index]} times ({why}): a TA must grade it"))
                            continue
                        w.index = None
                        if deaths[index] and value[0] and isinstance(value[1], dict):
                            value[1]["attempts"] = deaths[index] + 1
                        finish(index, value)
                    elif time.monotonic() - w.started > timeout:
                        index = w.index
                        w.kill()
                        self.workers[i] = _Worker(ctx, job)
                        finish(index, (False, f"grading took longer than {timeout:g} s (the time limit per "
                                              "file): a TA must grade it"))
        finally:
            self.close()
        return out

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        for w in self.workers:
            w.proc.join(timeout=1)
            w.kill()
        self.workers = []


def grade(entries: list[Entry], job=None, executor: Executor | None = None, jobs: int | None = None,
          timeout: float = 60.0, progress=None) -> list[dict]:
    """One row per entry, in the entries' order: the job's result for a
    gradable entry, an error row with the reason for every other one."""
    job = job or CheckJob()
    executor = executor or LocalPool(jobs)
    todo = [i for i, e in enumerate(entries) if e.gradable]
    rows: list = [error_row(e, e.reason) if not e.gradable else None for e in entries]
    offset = len(entries) - len(todo)
    if progress and offset:
        progress(offset, len(entries))
    shifted = (lambda d, n: progress(offset + d, len(entries))) if progress else None
    outcomes = executor.run(job, [entries[i] for i in todo], timeout, shifted)
    for i, (ok, value) in zip(todo, outcomes):
        rows[i] = value if ok else error_row(entries[i], str(value))
        if isinstance(job, CodeJob) and not ok:
            rows[i]["functions"] = []
    return rows


def progress_bar(stream=sys.stderr):
    """A progress bar on a terminal; nothing when the output is not a TTY."""
    if not stream.isatty():
        return None
    start = time.monotonic()

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total)
        rate = done / max(time.monotonic() - start, 1e-9)
        stream.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files  {rate:.1f}/s")
        if done == total:
            stream.write("\n")
        stream.flush()
    return show
