"""Benchmark of batch grading (not part of the test run).

    python bench/bench_grading.py [N]
    python bench/bench_grading.py --cluster [N_CHECK N_CODE CODE_EXAMPLES]   (needs gradkey[cluster])

Generates N (default 500) synthetic submissions from the bundled samples,
examples and test submissions, rewritten into other notations (u_0/u_O for
u_o, ν_c for v_c, ^\\top for ^T) with injected mistakes (signs, dropped
factors), grades them with 1 and with 2 workers, and reports submissions per
second and the speed-up from parallelism. With --cluster: the same batches
(2,000 submissions, 100 code files) on the built-in pool and on a Dask
LocalCluster of 2 processes, their ratio, and the per-task overhead (a job
that does nothing).
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from gradkey.verify.grade.batch import CheckJob, LocalPool, grade
from gradkey.verify.grade.discover import CHECK, CODE, scan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [p for p in sorted((ROOT / "tests" / "fixtures").rglob("*")) if p.suffix in (".md", ".txt")] \
    + sorted((ROOT / "examples" / "submissions").glob("*.md"))
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
    if sys.argv[1:2] == ["--cluster"]:
        return cluster(*map(int, sys.argv[2:]))
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


class NoOp:
    """A job that does nothing: what remains is the executor's own cost per task."""

    def __call__(self, entry):
        return {"file": entry.file, "student": entry.student, "questions": {}, "answers": []}


def cluster(n_check: int = 2000, n_code: int = 100, code_examples: int = 20) -> None:
    """Issue 15: the built-in pool vs a Dask LocalCluster of 2 processes, in one run."""
    import shutil

    from gradkey.verify.grade.batch import CodeJob
    from gradkey.verify.grade.cluster import DaskExecutor
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "code"))
    from make_corpus import write_corpus

    dask = DaskExecutor.connect("local:2")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "check").mkdir()
            synthesise(n_check, Path(tmp) / "check")
            corpus = write_corpus(Path(tmp) / "corpus")
            modules = sorted(corpus.glob("correct_*.py")) + sorted(corpus.glob("bug_neg*.py"))
            for i in range(n_code):
                (Path(tmp) / "code" / f"s{i:03d}").mkdir(parents=True)
                shutil.copy(modules[i % len(modules)], Path(tmp) / "code" / f"s{i:03d}" / "word2vec.py")
            for what, folder, job, n in (("check", "check", CheckJob(), n_check),
                                         ("code", "code", CodeJob(examples=code_examples), n_code),
                                         ("no-op", "check", NoOp(), n_check)):
                entries = scan([Path(tmp) / folder], CODE if what == "code" else CHECK)[0]
                times, rows = {}, {}
                for name, executor in (("pool", LocalPool(2)), ("dask", dask)):
                    start = time.perf_counter()
                    rows[name] = grade(entries, job, executor, timeout=600)
                    times[name] = time.perf_counter() - start
                same = [r.get("questions", r.get("functions")) for r in rows["pool"]] == \
                       [r.get("questions", r.get("functions")) for r in rows["dask"]]
                print(f"{what}: {n} files, built-in pool (2 workers) {times['pool']:.1f} s ({n / times['pool']:.1f}/s), "
                      f"Dask local:2 {times['dask']:.1f} s ({n / times['dask']:.1f}/s): Dask/pool time "
                      f"{times['dask'] / times['pool']:.2f}×; identical results: {same}")
                if what == "no-op":
                    print(f"per-task overhead: pool {1000 * times['pool'] / n:.2f} ms, "
                          f"Dask {1000 * times['dask'] / n:.2f} ms")
    finally:
        dask.close()


if __name__ == "__main__":
    main()
