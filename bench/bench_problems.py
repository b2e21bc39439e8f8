"""Benchmarks of problem files (not part of the test run).

    python bench/bench_problems.py            # every bundled set
    python bench/bench_problems.py --reference   # also the sympy.diff route

For each bundled problem file (word2vec.toml included, though today's
word2vec API still derives by its scores route): the cold derivation of every question at the first
check dims (a fresh process with an empty disk cache: parse, build the loss
entry by entry, differentiate, cse, code generation, compile), as wall time
and CPU time of that process (the machine is shared: CPU time is the steadier
figure), then the same in a second fresh process served from the disk cache.
Imports are excluded. ``--reference`` also times the reference route
(``sympy.diff`` by every entry), which the tests prove equal to the default
reverse-accumulation route.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

CODE = """
import time
from gradkey.derive import truth
from gradkey.derive.problemfile import bundled, load
ps = load(bundled()[{name!r}])
t, c = time.perf_counter(), time.process_time()
for q in ps.questions:
    truth.derivation(ps, q.loss, q.wrt, q.order, ps.check_dims[0], route={route!r})
print(time.perf_counter() - t, time.process_time() - c)
"""


def timed(name: str, cache: str, route: str = "reverse") -> tuple[float, float]:
    env = dict(os.environ, GRADKEY_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CODE.format(name=name, route=route)], capture_output=True,
                         text=True, check=True, env=env)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", action="store_true", help="also time the sympy.diff route")
    args = parser.parse_args()
    from gradkey.derive.problemfile import bundled, load
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    head = "| set | check dims | cold wall (s) | cold CPU (s) | from disk cache (s) |"
    print(head + (" sympy.diff route wall / CPU (s) |" if args.reference else ""))
    print("|---" * (6 if args.reference else 5) + "|")
    for name in bundled():
        dims = load(bundled()[name]).check_dims[0]
        with tempfile.TemporaryDirectory() as cache:
            cold = timed(name, cache)
            warm = timed(name, cache)
        row = (f"| {name} | {' '.join(f'{k}={v}' for k, v in dims.items())} | {cold[0]:.2f} | {cold[1]:.2f} "
               f"| {warm[0]:.3f} |")
        if args.reference:
            with tempfile.TemporaryDirectory() as cache:
                ref = timed(name, cache, "diff")
            row += f" {ref[0]:.1f} / {ref[1]:.1f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
