"""Benchmark of gradkey check (not part of the test run).

    python bench/bench_check.py

The whole pipeline per block on the word2vec corpus and on corpus_sets (warm caches),
judging alone per answer on corpus_sets, extraction of pathological inputs, and the
CLI's start-up time. Judging alone on word2vec: bench/bench_generic_word2vec.py.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from fresh import forget_texts

from gradkey.verify.check.answers import answers_for as answers_in   # the default set: word2vec
from gradkey.verify.read import extract

ROOT = Path(__file__).resolve().parent.parent


def problem_sets():
    """check --problem on tests/fixtures/corpus_sets: the whole pipeline per block
    (warm: derivations and instances cached), and per answer judged."""
    from gradkey import derive
    from gradkey.verify.check import sets
    corpus = sorted((ROOT / "tests" / "fixtures" / "corpus_sets").glob("*_*.md"))
    docs = [(derive.problem_set(f.name.split("_")[0]), f.read_text(encoding="utf-8")) for f in corpus]
    start = time.perf_counter()
    for ps, t in docs:
        sets.answers_in(t, ps)
    cold = time.perf_counter() - start
    forget_texts()
    start, cpu = time.perf_counter(), time.process_time()
    found = [a for ps, t in docs for a in sets.answers_in(t, ps)]
    whole, cpu = time.perf_counter() - start, time.process_time() - cpu
    judged = [a for a in found if a.status == "judged"]
    print(f"corpus_sets ({len(docs)} files, {len(found)} blocks, {len(judged)} judged): first pass {cold:.2f} s "
          f"(derivations, disk cache), then {whole:.2f} s ({cpu:.2f} s CPU), {whole / len(found) * 1e3:.1f} ms per block, "
          f"{whole / max(1, len(judged)) * 1e3:.1f} ms per judged answer")
    # judging alone: each judged answer's final step, parsed outside the timing
    from gradkey.verify.check.answers import Policy
    from gradkey.verify.read.latex import parse
    from gradkey.verify.read.notation import notation_for
    items = []
    for ps, t in docs:
        for a in sets.answers_in(t, ps):
            if a.status != "judged":
                continue
            try:
                node, _ = parse(a.latex, notation_for(ps))
            except Exception:       # noqa: BLE001 - a final step that does not parse alone
                continue
            items.append((node, sets.SetTarget(a.question), sets.Context(ps, answered={})))
    times = []
    forget_texts()
    cpu = time.process_time()
    for node, target, ctx in items:
        start = time.perf_counter()
        sets.judge(node, target, ctx, Policy())
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    print(f"corpus_sets judging alone: {len(times)} answers, CPU {cpu / max(1, len(times)) * 1e3:.2f} ms per answer; "
          f"wall median {statistics.median(times) * 1e3:.2f} ms, "
          f"mean {statistics.mean(times) * 1e3:.2f} ms, 90th percentile {sorted(times)[int(0.9 * len(times))] * 1e3:.2f} ms")


def main():
    # word2vec's whole-file pipeline (bench/bench_generic_word2vec.py times its judging alone)
    # whole files: extraction + normalising + identification + judging, per block listed
    corpus = sorted((ROOT / "tests" / "fixtures" / "corpus").glob("*.md"))
    texts = [f.read_text(encoding="utf-8") for f in corpus]
    for t in texts:
        answers_in(t)
    forget_texts()
    start = time.perf_counter()
    listed = sum(len(answers_in(t)) for t in texts)
    whole = time.perf_counter() - start
    print(f"corpus ({len(texts)} files, {listed} blocks listed): {whole:.2f} s, "
          f"{whole / listed * 1e3:.2f} ms per block (whole pipeline)")
    problem_sets()
    for name, doc in [("$$1 + 800 spaces, x3", ("$$1" + " " * 800) * 3), ("8000 $a$ on one line", "$a$" * 8000),
                      ("26k unclosed \\[", "\\[" * 26000)]:
        start = time.perf_counter()
        extract.chains(doc)
        print(f"extraction of {name}: {(time.perf_counter() - start) * 1e3:.1f} ms")
    starts = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "problems"], capture_output=True, check=True)
        starts.append(time.perf_counter() - start)
    print(f"CLI start-up (gradkey problems): {min(starts):.2f} s")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gradkey.verify.cli", "check", str(ROOT / "examples" / "submissions")], capture_output=True)
    print(f"gradkey check examples/submissions/ (3 files, cold process): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
