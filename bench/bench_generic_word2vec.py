"""Benchmark of the generic checker on word2vec.toml (not part of the test run).

    python bench/bench_generic_word2vec.py [--profile]

`gradkey check --problem derive/problems/word2vec.toml` on the three word2vec corpora
(tests/fixtures/corpus, corpus_heldout, corpus_heldout3): the whole pipeline per file
after a warm-up pass (derivations and instances cached; what was read is forgotten before
each timed pass: bench/fresh.py), reported per block listed and per answer judged; and the judging alone (``sets.judge`` of every judged answer's final
step, already parsed) per answer. --profile prints the top of a cProfile of the warm pass.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from fresh import forget_texts

from gradkey.derive.problemfile import load
from gradkey.verify.check import sets
from gradkey.verify.check.answers import Policy
from gradkey.verify.read.latex import parse
from gradkey.verify.read.notation import notation_for

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ("corpus", "corpus_heldout", "corpus_heldout3")


def main():
    problem = load(ROOT / "derive" / "problems" / "word2vec.toml")
    texts = [f.read_text(encoding="utf-8") for c in CORPORA
             for f in sorted((ROOT / "tests" / "fixtures" / c).glob("*.md")) if f.name != "README.md"]
    for t in texts:                      # warm: derivations, instances, notation
        sets.answers_in(t, problem)
    if "--profile" in sys.argv:
        import cProfile
        import pstats
        pr = cProfile.Profile()
        pr.enable()
        for t in texts:
            sets.answers_in(t, problem)
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
    forget_texts()
    start, cpu = time.perf_counter(), time.process_time()
    found = [a for t in texts for a in sets.answers_in(t, problem)]
    whole, cpu = time.perf_counter() - start, time.process_time() - cpu
    judged = [a for a in found if a.status == "judged"]
    # CPU time too: on a machine shared with other jobs it varies far less than wall time
    print(f"{len(texts)} files, {len(found)} blocks listed, {len(judged)} judged: {whole:.2f} s ({cpu:.2f} s CPU), "
          f"{whole / len(found) * 1e3:.2f} ms per block, {whole / max(1, len(judged)) * 1e3:.2f} ms per judged answer "
          "(whole pipeline, warm)")
    # judging alone: the final step of each judged answer, parsed once outside the timing
    nt = notation_for(problem)
    items = []
    for a in judged:
        try:
            node, _ = parse(a.latex, nt)
        except Exception:       # noqa: BLE001 - a block the final step of which does not parse alone
            continue
        items.append((node, sets.SetTarget(a.question)))
    ctx = sets.Context(problem, answered={})
    forget_texts()          # the trees parsed above are answers_in's own (the parse memo): no rewrite carried over
    times = []
    cpu = time.process_time()
    for node, target in items:
        start = time.perf_counter()
        sets.judge(node, target, ctx, Policy())
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    print(f"judging alone: {len(times)} answers, CPU {cpu / max(1, len(times)) * 1e3:.2f} ms per answer; "
          f"wall median {statistics.median(times) * 1e3:.2f} ms, "
          f"mean {statistics.mean(times) * 1e3:.2f} ms, 90th percentile {sorted(times)[int(0.9 * len(times))] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
