"""Time the red-team text attacks (tests/test_redteam2.py) per file, at growing
sizes: a reading time that grows faster than the input is a way to stall a
batch, whatever the per-file timeout.

    python bench/redteam_times.py            # sizes 10 000 and 40 000
    python bench/redteam_times.py 5000 20000 80000

Prints one line per attack: the seconds at each size and the ratio of the
last two (about 4 for linear growth when the size is multiplied by 4).

Measured on the shared 2-core machine (load ~3), 2026-11-22, before the fixes
(extract.HEADING possessive runs, extract.GRADIENT_HEADER at line starts,
white-space runs cut to 64 in submissions.answers_for), sizes 10 000 / 40 000:

    spaces before an equation   8.65 s / 105.1 s
    a long table header        12.94 s / 256.4 s
    tabs on a line              9.90 s / 135.7 s
    (20 000) spaces in a table cell 164.7 s, after a list dash 32.4 s, in display math 32.2 s

and after: every attack below 0.2 s at 40 000 (ratios 1-4).

Not fixed (linear, but a large constant): math blocks just under the reader's
20 000-character expression limit cost about 2.6 s each ("$$, , , …$$": the
block is tokenised and rewritten ~15 times), so 25 of them (500 kB) took 66.6 s
and a 1 MB file of them would take about 2 minutes; a row of 40 000 table cells
5.2 s. The batch's per-file timeout bounds these (an error row for that file);
a per-document budget of math characters is the follow-up.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gradkey.verify.check.answers import Policy  # noqa: E402
from gradkey.verify.grade.batch import check_text  # noqa: E402
from test_redteam2 import SLOW_TEXT  # noqa: E402


def main(sizes):
    check_text("$$x$$", "warm.md", Policy(), {})
    for name, make in SLOW_TEXT.items():
        times = []
        for n in sizes:
            text = make(n)
            start = time.perf_counter()
            check_text(text, "attack.md", Policy(), {})
            times.append(time.perf_counter() - start)
        ratio = times[-1] / max(times[-2], 1e-6) if len(times) > 1 else float("nan")
        cells = "  ".join(f"{n:>7}: {t:7.3f} s" for n, t in zip(sizes, times))
        print(f"{name:28s} {cells}  ratio {ratio:5.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 40_000])
