"""Benchmark of gradkey code (not part of the test run).

    python bench/bench_code.py

- wall time of `gradkey code FILE` (a fresh process, as a user runs it, default
  100 examples per function) on the correct files of the corpus and the shared
  reference sample, and on buggy ones; median over the correct files;
- an import failure (a syntax error, a missing module) end to end;
- sandbox start-up overhead on its own: bwrap + Python + NumPy to the worker's
  "ready", measured over 10 starts, against the same worker without isolation;
- a plain central-difference gradcheck of the same functions at 100 random
  points, which needs no truth but cannot see a consistently wrong loss;
- CS231n (issue 11): `gradkey code` on a softmax.py, a linear_svm.py and a
  neural_net.py of tests/fixtures/code/cs231n, cold (an empty truth cache:
  SymPy derives every gradient at the check dimensions) and warm (the disk
  cache filled by the cold run), correct and buggy files.

    python bench/bench_code.py --cs231n     # only the CS231n part
"""
from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gradkey.verify.code.sandbox import Sandbox
from gradkey.verify.numerics.numdiff import central_difference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "code"))
from make_corpus import write_corpus  # noqa: E402

CODE = write_corpus(tempfile.mkdtemp(prefix="gradkey-corpus-"))
SAMPLE = Path("/work/shared/samples/code/word2vec_reference.py")


def _children_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cli(path, env=None) -> tuple[float, float, int]:
    """Wall time, CPU time (the CLI, bwrap and the worker) and exit status.
    On a shared machine the wall time includes waiting for a core; the CPU
    time does not."""
    start, cpu = time.perf_counter(), _children_cpu()
    p = subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "code", str(path)], capture_output=True, text=True,
                       env=env)
    return time.perf_counter() - start, _children_cpu() - cpu, p.returncode


def startup(isolation: bool, n: int = 10) -> float:
    times = []
    for _ in range(n):
        with Sandbox(CODE / "correct_vectorized.py", isolation=isolation) as sandbox:
            sandbox.start()
            times.append(sandbox.start_seconds[0])
    return statistics.median(times)


class Queue:
    def __init__(self, items):
        self.items, self.i = items, 0

    def sampleTokenIdx(self):  # noqa: N802
        self.i += 1
        return self.items[(self.i - 1) % len(self.items)]


def gradcheck(name, points=100):
    spec = importlib.util.spec_from_file_location("m", CODE / name)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    worst = 0.0
    for _ in range(points):
        d, W = 3, 5
        v, U = rng.uniform(-1.5, 1.5, d), rng.uniform(-1.5, 1.5, (W, d))
        for fn, extra in ((m.naiveSoftmaxLossAndGradient, {}), (m.negSamplingLossAndGradient, {"K": 3})):
            q = [2, 3, 2]
            _, gv, _ = fn(v, 1, U, Queue(q), **extra)
            num, _ = central_difference(lambda x: fn(x, 1, U, Queue(q), **extra)[0], v)
            worst = max(worst, float(np.max(np.abs(num - gv))))
    return time.perf_counter() - start, worst


CS231N = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "code" / "cs231n"


def cs231n():
    import os
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}")
    print("| file | cold cache: wall | CPU | warm cache: wall | CPU | exit |")
    print("|---|---|---|---|---|---|")
    for name in ("softmax/correct_loops_builtins.py", "softmax/bug_reg_grad_convention.py",
                 "svm/correct_loops_full.py", "svm/bug_missing_yi_term.py",
                 "neural_net/correct_full_2017.py", "neural_net/bug_no_b1_forward.py",
                 "logreg/correct_vectorized.py"):
        cache = tempfile.mkdtemp(prefix="gradkey-cache-")
        env = {**os.environ, "GRADKEY_CACHE_DIR": cache}
        cold, cold_cpu, _ = cli(CS231N / name, env)
        warm, warm_cpu, code = cli(CS231N / name, env)
        print(f"| {name} | {cold:.2f} s | {cold_cpu:.2f} s | {warm:.2f} s | {warm_cpu:.2f} s | {code} |")
    t, cpu, code = cli(CS231N / "softmax" / "error_python2_print.py")
    print(f"\nimport failure (Python 2 softmax.py): {t:.2f} s wall, {cpu:.2f} s CPU (exit {code})")


def main():
    if "--cs231n" in sys.argv:
        cs231n()
        return
    correct = [CODE / n for n in ("correct_vectorized.py", "correct_loops.py", "correct_textbook.py")]
    if SAMPLE.is_file():
        correct.append(SAMPLE)
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}")
    print("| file | `gradkey code` wall (fresh process) | CPU | exit |")
    print("|---|---|---|---|")
    times, cpus = [], []
    for path in correct:
        t, cpu, code = cli(path)
        times.append(t)
        cpus.append(cpu)
        print(f"| {path.name} | {t:.2f} s | {cpu:.2f} s | {code} |")
    for name in ("bug_neg_repeats.py", "bug_naive_index0.py", "bug_naive_unstable.py", "bug_neg_consistent.py"):
        t, cpu, code = cli(CODE / name)
        print(f"| {name} | {t:.2f} s | {cpu:.2f} s | {code} |")
    print(f"\nmedian over the correct files: {statistics.median(times):.2f} s wall, {statistics.median(cpus):.2f} s CPU")
    folder = Path(tempfile.mkdtemp(prefix="gradkey-bench-"))
    (folder / "syntax.py").write_text("def f(:\n")
    (folder / "missing.py").write_text("import torch\n")
    for name in ("syntax.py", "missing.py"):
        t, cpu, code = cli(folder / name)
        print(f"import failure ({name}): {t:.2f} s wall, {cpu:.2f} s CPU (exit {code})")
    print(f"\nsandbox start-up to ready (median of 10): bubblewrap {startup(True):.3f} s, "
          f"no isolation {startup(False):.3f} s")
    for name in ("correct_vectorized.py", "bug_neg_consistent.py"):
        t, worst = gradcheck(name)
        print(f"\nplain central-difference gradcheck of naive + neg on {name}, 100 points: {t:.2f} s, "
              f"max |numeric − analytic| = {worst:.1e} ({'passes' if worst < 1e-6 else 'fails'})")
    print()
    cs231n()


if __name__ == "__main__":
    main()
