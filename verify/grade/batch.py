"""Grade many submissions at once: a pool of worker processes, one file at a
time each, with a time limit per file. A file that hangs the reader gets an
error row and its worker is replaced; every other file is judged in full.
Results come back in the order of the files given, and the same files give
the same results on every run (judging is deterministic)."""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
import traceback
from multiprocessing.connection import wait
from pathlib import Path

from gradkey.verify.check.judge import Policy
from gradkey.verify.check.submissions import SubmissionError, check_submission


def _serve(conn, policy: Policy, aliases: dict) -> None:
    while True:
        task = conn.recv()
        if task is None:
            return
        index, path = task
        try:
            result = check_submission(path, policy, aliases)
        except SubmissionError as exc:  # not a submission: say why, no traceback needed
            result = error_row(path, str(exc))
        except Exception as exc:  # one broken submission must not stop the others
            result = error_row(path, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        conn.send((index, result))


def error_row(path, reason: str, trace: str = "") -> dict:
    return {"file": str(path), "error": reason, "traceback": trace, "questions": {}, "answers": []}


class _Worker:
    def __init__(self, ctx, policy, aliases):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, policy, aliases), daemon=True)
        self.proc.start()
        self.task = None
        self.started = 0.0

    def give(self, task) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()


def grade(paths: list, policy: Policy = Policy(), jobs: int | None = None, timeout: float = 60.0,
          aliases: dict | None = None, progress=None) -> list[dict]:
    """Judge every file; ``progress(done, total)`` is called as files finish."""
    paths = [Path(p) for p in paths]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    ctx = mp.get_context("fork")
    results: list = [None] * len(paths)
    pending = list(enumerate(paths))[::-1]
    workers = [_Worker(ctx, policy, aliases or {}) for _ in range(jobs)]
    done = 0
    try:
        while done < len(paths):
            for w in workers:
                if w.task is None and pending:
                    w.give(pending.pop())
            busy = [w for w in workers if w.task is not None]
            next_deadline = min(w.started + timeout for w in busy) - time.monotonic()
            ready = wait([w.conn for w in busy], timeout=max(0.0, next_deadline))
            for w in busy:
                if w.conn in ready:
                    try:
                        index, result = w.conn.recv()
                    except (EOFError, OSError):  # the worker died (out of memory, a crash)
                        index, result = w.task[0], error_row(w.task[1], "the grading process died on this file")
                        workers[workers.index(w)] = _replace(w, ctx, policy, aliases)
                    results[index] = result
                elif time.monotonic() - w.started > timeout:
                    index = w.task[0]
                    results[index] = error_row(w.task[1], f"grading took longer than {timeout:g} s")
                    workers[workers.index(w)] = _replace(w, ctx, policy, aliases)
                else:
                    continue
                w.task = None
                done += 1
                if progress:
                    progress(done, len(paths))
    finally:
        for w in workers:
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            w.proc.join(timeout=1)
            if w.proc.is_alive():
                w.kill()
    return results


def _replace(w: _Worker, ctx, policy, aliases) -> _Worker:
    w.kill()
    new = _Worker(ctx, policy, aliases or {})
    return new


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
