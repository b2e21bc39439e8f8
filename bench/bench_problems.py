"""Benchmarks of problem files (not part of the test run).

    python bench/bench_problems.py

For each bundled set: the cold derivation of every question at the first
check dims (a fresh process with an empty disk cache: parse, sympy.diff,
cse, code generation, compile), and the same in a second fresh process served
from the disk cache. Imports are excluded from both figures.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

CODE = """
import time
from gradkey import derive
from gradkey.derive import truth
ps = derive.problem_set({name!r})
t = time.perf_counter()
for q in ps.questions:
    truth.derivation(ps, q.loss, q.wrt, q.order, ps.check_dims[0])
print(time.perf_counter() - t)
"""


def timed(name: str, cache: str) -> float:
    env = dict(os.environ, GRADKEY_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CODE.format(name=name)], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout)


def main() -> None:
    print("| set | check dims | cold (s) | from disk cache (s) |")
    print("|---|---|---|---|")
    from gradkey import derive
    for name in ("linear", "mlp", "matcalc", "logreg"):
        dims = derive.problem_set(name).check_dims[0]
        with tempfile.TemporaryDirectory() as cache:
            cold = timed(name, cache)
            warm = timed(name, cache)
        print(f"| {name} | {' '.join(f'{k}={v}' for k, v in dims.items())} | {cold:.2f} | {warm:.3f} |")


if __name__ == "__main__":
    main()
