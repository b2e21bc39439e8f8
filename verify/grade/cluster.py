"""The same batches on a Dask distributed cluster (``--scheduler ADDRESS`` or
``--scheduler local:N``); the optional extra ``gradkey[cluster]``.

This module is imported only when ``--scheduler`` is given, so a normal run
never imports Dask. It is an :class:`~gradkey.verify.grade.batch.Executor`
like the local pool, with the same guarantees, built on Dask's own
mechanisms rather than a new layer:

* the entries travel as their bytes inside the task (workers need not share
  the file system) and the results come back as the same row dicts;
* results are gathered in the entries' order, the progress bar is fed from
  ``as_completed``;
* a worker that dies is restarted by its nanny and its task rescheduled by the
  scheduler; ``distributed.scheduler.allowed-failures = 1`` makes a task that
  has killed two workers fail with ``KilledWorker``, which becomes the same
  "died on this file 2 times" row as locally (set it on your scheduler:
  ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1``);
* the per-file time budget is enforced on the worker: a watchdog raises a
  :class:`OverBudget` in the task's thread when the budget is spent, and, if
  the task is stuck in C code and does not see it within a grace period,
  kills the worker process (then the nanny and the retry rule above apply).
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading

GRACE_SECONDS = 10.0   # after the budget, time for the raised exception to land before the worker is killed
CONNECT_SECONDS = 5


class ClusterError(RuntimeError):
    """The cluster cannot run the batch (unreachable, workers without gradkey)."""


class OverBudget(BaseException):
    """Raised in a task's thread when its time budget is spent. A
    BaseException, so a job's own ``except Exception`` does not swallow it."""


def _raise_in(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(OverBudget))


def run_item(job, item, timeout: float):
    """The task run on a worker: the job within its budget, as ``(ok, value)``."""
    me = threading.get_ident()
    finished = threading.Event()

    def watchdog():
        if finished.wait(timeout):
            return
        _raise_in(me)
        if not finished.wait(GRACE_SECONDS):   # stuck outside Python: only a restart frees the worker
            os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watchdog, daemon=True, name="gradkey-budget").start()
    try:
        return True, job(item)
    except OverBudget:
        return False, f"grading took longer than {timeout:g} s (the time limit per file): a TA must grade it"
    finally:
        finished.set()


def probe(code: bool) -> str:
    """Run on every worker: "" when it can grade, else what it lacks."""
    try:
        import gradkey  # noqa: F401
        from gradkey.verify.grade import batch  # noqa: F401
    except Exception as exc:   # the worker's Python has no (or a broken) gradkey
        return f"gradkey cannot be imported ({type(exc).__name__}: {exc})"
    if code:
        from gradkey.verify.code import sandbox
        problem = getattr(sandbox, "isolation_problem", lambda: None)()
        if problem:
            return f"the sandbox cannot run: {problem}"
    return ""


class DaskExecutor:
    """Runs jobs as Dask tasks, one per entry."""

    def __init__(self, client, cluster=None, address: str = ""):
        self.client, self.cluster, self.address = client, cluster, address

    @classmethod
    def connect(cls, address: str) -> "DaskExecutor":
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise ClusterError("--scheduler needs Dask: pip install 'gradkey[cluster]'") from None
        # A task that has killed two workers is bad: Dask's own retry rule, one
        # retry (as the local pool). That rule blames every task *processing* on
        # a worker that dies, so a worker holds only the task it runs (no queue
        # of root tasks on the worker): only the task that was running is blamed.
        dask.config.set({"distributed.scheduler.allowed-failures": 1,
                         "distributed.scheduler.worker-saturation": 1.0})
        if address.startswith("local:"):
            try:
                n = int(address.split(":", 1)[1])
            except ValueError:
                n = 0
            if n < 1:
                raise ClusterError(f"--scheduler {address}: local:N needs a number of workers N ≥ 1")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
            return cls(Client(cluster), cluster, address)
        try:
            client = Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} within {CONNECT_SECONDS} s "
                               f"({type(exc).__name__}: {exc}); start one with `dask scheduler` and give its "
                               "address, e.g. tcp://host:8786, or try --scheduler local:2") from None
        return cls(client, None, address)

    def check_workers(self, code: bool = False) -> None:
        """Every worker can import gradkey (and, for code, run the sandbox)."""
        try:
            answers = self.client.run(probe, code)
        except Exception as exc:
            raise ClusterError(f"the workers at {self.address} cannot run gradkey's tasks ({type(exc).__name__}: "
                               f"{exc}); install gradkey on every worker: pip install 'gradkey[cluster]'") from None
        if not answers:
            raise ClusterError(f"the Dask cluster at {self.address} has no workers: start `dask worker "
                               f"{self.address}` on each machine")
        bad = {w: why for w, why in answers.items() if why}
        if bad:
            raise ClusterError("some Dask workers cannot grade: " + "; ".join(f"{w}: {why}" for w, why in bad.items()))

    def run(self, job, items, timeout, progress=None):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        if not items:
            return []
        self.check_workers(code=type(job).__name__ == "CodeJob")
        futures = self.client.map(run_item, [job] * len(items), items, [timeout] * len(items), pure=False)
        where = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(items)
        # results are fetched as they finish and released on the cluster, so a
        # worker that dies later takes no finished result with it
        for done, f in enumerate(as_completed(futures), 1):
            try:
                out[where[f.key]] = f.result()
            except KilledWorker:
                out[where[f.key]] = (False, "the grading process died on this file 2 times (the cluster worker "
                                            "was lost each time): a TA must grade it")
            except Exception as exc:
                out[where[f.key]] = (False, f"the cluster could not grade this file ({type(exc).__name__}: {exc})")
            f.release()
            if progress:
                progress(done, len(items))
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
