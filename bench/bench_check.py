"""Benchmark of gradkey check (not part of the test run).

    python bench/bench_check.py

Median time per answer judged (read + identify + evaluate at every instance
and reading + compare), after start-up and warm caches, over the bundled
samples, examples and test submissions; and the CLI's start-up time.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from gradkey.verify.check.identify import read_lhs, targets
from gradkey.verify.read import extract
from gradkey.verify.check.submissions import answers_in, judge_text
from gradkey.verify.check.judge import Policy

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "tests" / "fixtures").rglob("*.md")) + sorted((ROOT / "tests" / "fixtures").rglob("*.txt")) \
    + sorted((ROOT / "examples" / "submissions").glob("*.md"))


def answers():
    """(latex, target) for every plain step and branch of every chain."""
    out = []
    for f in FILES:
        for chain in extract.chains(f.read_text(errors="replace")):
            lhs = read_lhs(chain.lhs)
            if lhs is None:
                continue
            for step in chain.steps:
                items = step.branches or [(step.text, "")]
                for expr, cond in items:
                    for t in targets(lhs, chain.text, None, cond_text=cond):
                        out.append((expr, t))
    return out


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
    start, cpu = time.perf_counter(), time.process_time()
    found = [a for ps, t in docs for a in sets.answers_in(t, ps)]
    whole, cpu = time.perf_counter() - start, time.process_time() - cpu
    judged = [a for a in found if a.status == "judged"]
    print(f"corpus_sets ({len(docs)} files, {len(found)} blocks, {len(judged)} judged): first pass {cold:.2f} s "
          f"(derivations, disk cache), then {whole:.2f} s ({cpu:.2f} s CPU), {whole / len(found) * 1e3:.1f} ms per block, "
          f"{whole / max(1, len(judged)) * 1e3:.1f} ms per judged answer")
    # judging alone: each judged answer's final step, parsed outside the timing
    from gradkey.verify.check.judge import Policy
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
    items = answers()
    for latex, t in items:        # warm: derivations and instances cached
        judge_text(latex, t, Policy())
    times, evaluated = [], []
    for latex, t in items:
        start = time.perf_counter()
        out, _ = judge_text(latex, t, Policy())
        times.append(time.perf_counter() - start)
        if out.verdict in ("correct", "incorrect"):
            evaluated.append(times[-1])
    print(f"answers judged: {len(items)} ({len(evaluated)} evaluated to correct/incorrect)")
    print(f"median per answer: {statistics.median(times) * 1e3:.2f} ms; "
          f"90th percentile {sorted(times)[int(0.9 * len(times))] * 1e3:.2f} ms")
    print(f"median per evaluated answer: {statistics.median(evaluated) * 1e3:.2f} ms; "
          f"max {max(evaluated) * 1e3:.2f} ms")
    # the same with every step read afresh (the read memo emptied before each answer, outside
    # the timing): what the first question an answer is judged for costs
    from gradkey.verify.read import latex
    fresh = []
    for latex_text, t in items:
        latex._READ.clear()
        start = time.perf_counter()
        judge_text(latex_text, t, Policy())
        fresh.append(time.perf_counter() - start)
    print(f"median per answer, read afresh: {statistics.median(fresh) * 1e3:.2f} ms")
    # whole files: extraction + normalising + identification + judging, per block listed
    corpus = sorted((ROOT / "tests" / "fixtures" / "corpus").glob("*.md"))
    texts = [f.read_text(encoding="utf-8") for f in corpus]
    for t in texts:
        answers_in(t)
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
