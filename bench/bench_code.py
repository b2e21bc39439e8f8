"""Benchmark of gradkey code (not part of the test run).

    python bench/bench_code.py

Wall time of ``gradkey code`` (default 100 examples per function) on a correct
word2vec.py and on buggy ones (time to the verdict of the buggy function),
compared with a plain central-difference gradcheck of the same functions at
100 random points, which needs no truth but cannot see a consistently wrong
loss.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gradkey.verify.code.layout import CS224N
from gradkey.verify.code.sandbox import Sandbox
from gradkey.verify.code.search import DEFAULT_EXAMPLES, check_function
from gradkey.verify.numerics.numdiff import central_difference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "code"))
from make_corpus import write_corpus  # noqa: E402

CODE = write_corpus(tempfile.mkdtemp(prefix="gradkey-corpus-"))


def time_code(name):
    start = time.perf_counter()
    per = {}
    with Sandbox(CODE / name) as sandbox:
        for adapter in CS224N:
            t = time.perf_counter()
            r = check_function(sandbox, adapter, DEFAULT_EXAMPLES)
            per[adapter.function] = (r.verdict, time.perf_counter() - t)
    return time.perf_counter() - start, per


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


def main():
    print("| file | gradkey code (all 6 checks) | slowest check | buggy function: verdict, seconds |")
    print("|---|---|---|---|")
    for name, buggy in (("correct_vectorized.py", None), ("bug_neg_repeats.py", "negSamplingLossAndGradient"),
                        ("bug_naive_index0.py", "naiveSoftmaxLossAndGradient"),
                        ("bug_neg_consistent.py", "negSamplingLossAndGradient")):
        total, per = time_code(name)
        slowest = max(per.items(), key=lambda kv: kv[1][1])
        bug = f"{per[buggy][0]}, {per[buggy][1]:.2f} s" if buggy else "—"
        print(f"| {name} | {total:.2f} s | {slowest[0]} {slowest[1][1]:.2f} s | {bug} |")
    for name in ("correct_vectorized.py", "bug_neg_consistent.py"):
        t, worst = gradcheck(name)
        print(f"\nplain central-difference gradcheck of naive + neg on {name}, 100 points: {t:.2f} s, "
              f"max |numeric − analytic| = {worst:.1e} ({'passes' if worst < 1e-6 else 'fails'})")


if __name__ == "__main__":
    main()
