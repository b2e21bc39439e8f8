"""Benchmark of the review site (not part of the test run).

    python bench/bench_html.py [N]

Grades N (default 500) synthetic submissions (bench_grading's generator: the
bundled samples, examples and test submissions in other notations with
injected mistakes), then times writing the site from the graded records:
the class page, the review queue and N student pages (goal: under 10 s).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grading import synthesise  # noqa: E402

from gradkey.verify.check.answers import check_submission  # noqa: E402
from gradkey.verify.grade.html.mathml import to_mathml  # noqa: E402
from gradkey.verify.grade.html.site import write_check_site  # noqa: E402
from gradkey.verify.grade.rubric import default  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        paths = synthesise(n, Path(tmp))
        start = time.perf_counter()
        rows = []
        for p in paths:
            try:
                rows.append(check_submission(p))
            except Exception as exc:  # the site shows error rows too
                rows.append({"file": str(p), "error": str(exc), "questions": {}, "answers": []})
        print(f"graded {n} submissions in {time.perf_counter() - start:.1f} s (one process, for the records)")
        latex = {s.get("latex") for r in rows for a in r["answers"] for s in [a, *a.get("steps", [])]}
        for cold in (True, False):
            if cold:
                to_mathml.cache_clear()
            start = time.perf_counter()
            written = write_check_site(rows, Path(tmp) / "site", rubric=default())
            elapsed = time.perf_counter() - start
            size = sum(p.stat().st_size for p in written)
            print(f"site for {n} submissions ({'cold MathML cache' if cold else 'warm cache'}): {elapsed:.2f} s, "
                  f"{len(written)} files, {size / 1e6:.1f} MB, {len(latex)} distinct LaTeX strings")


if __name__ == "__main__":
    main()
