"""Benchmark of batch grading (not part of the test run).

    python bench/bench_grading.py [N]

Generates N (default 500) synthetic submissions from the bundled samples,
examples and test submissions, rewritten into other notations (u_0/u_O for
u_o, ν_c for v_c, ^\\top for ^T) with injected mistakes (signs, dropped
factors), grades them with 1 and with 2 workers, and reports submissions per
second and the speed-up from parallelism.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from gradkey.verify.grade.batch import LocalPool, grade
from gradkey.verify.grade.discover import scan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [p for p in sorted((ROOT / "tests" / "fixtures").rglob("*")) if p.suffix in (".md", ".txt")] \
    + sorted((ROOT / "examples").glob("*.md"))
NOTATION = [("u_o", "u_0"), ("u_o", "u_O"), ("v_c", r"\nu_c"), ("^T", r"^\top"), (r"\hat{y}", r"\widehat{y}")]
MISTAKES = [("(\\hat{y}_o - 1)", "(1 - \\hat{y}_o)"), ("\\sigma(u_k", "\\sigma(-u_k"), ("U(\\hat{y} - y)", "U(y - \\hat{y})"),
            ("\\hat{y}_w v_c", "\\hat{y}_w"), ("- 1) v_c", ") v_c")]


def synthesise(n: int, folder: Path, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    texts = [t.read_text(errors="replace") for t in TEMPLATES]
    paths = []
    for i in range(n):
        text = rng.choice(texts)
        for a, b in rng.sample(NOTATION, rng.randint(0, 3)):
            text = text.replace(a, b)
        for a, b in rng.sample(MISTAKES, rng.randint(0, 2)):
            text = text.replace(a, b)
        path = folder / f"student_{i:04d}.md"
        path.write_text(text)
        paths.append(path)
    return paths


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        synthesise(n, Path(tmp))
        times = {}
        for jobs in (1, 2):
            start = time.perf_counter()
            entries, _ = scan([tmp])   # discovery and the capped reads are part of the run
            results = grade(entries, executor=LocalPool(jobs))
            times[jobs] = time.perf_counter() - start
            errors = sum(1 for r in results if r.get("error"))
            print(f"{n} submissions, {jobs} worker(s): {times[jobs]:.1f} s, {n / times[jobs]:.1f} submissions/s, "
                  f"{errors} error rows")
        print(f"speed-up from 2 workers: {times[1] / times[2]:.2f}×")


if __name__ == "__main__":
    main()
