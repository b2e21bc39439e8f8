"""Time every compiled regular expression of the text readers against
adversarial strings (ReDoS sweep). Untrusted Markdown/LaTeX reaches these
patterns; a pattern whose time grows faster than linearly in the input is a
way to stall a batch.

    python bench/redos_sweep.py [N]        # N: the repetition count (default 4000)

Prints, per pattern and input, the slowest searches (seconds), slowest first;
the first line is the slowest of all. A search is cut off at 5 s.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import signal
import sys
import time

import gradkey.verify.check as check_pkg
import gradkey.verify.read as read_pkg


class Cut(Exception):
    pass


def _alarm(*_):
    raise Cut


def patterns():
    seen = {}
    for pkg in (read_pkg, check_pkg):
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for name, value in vars(mod).items():
                if isinstance(value, re.Pattern):
                    seen.setdefault(id(value), (f"{mod.__name__}.{name}", value))
    return list(seen.values())


def inputs(n: int) -> dict:
    units = [" ", "a", "\\", "{", "}", "$", "_", "^", "1", "1.", "\\frac{", "\\left(", "a_", "a ", "\t", "-", "=",
             "(", "\n", "a\\,", "\\ ", "**", ". ", "1e", "|", "&", "\\\\", "$$", "\\text{", "x^", "d", "∂", "·",
             "\\cdot ", "'", "*", "+ ", "0", ",", "[", "\u200b", "\\hat{", "-1", "e-", "w_{", "j", "\\sum", "_{",
             "a-", "\n\n", "#", "> "]
    out = {}
    for u in units:
        for tail in ("", "!", "\x00"):
            out[f"{u!r}*n{tail!r}"] = u * n + tail
    return out


def main(n: int = 4000):
    signal.signal(signal.SIGALRM, _alarm)
    rows = []
    cases = inputs(n)
    for name, pat in patterns():
        for label, text in cases.items():
            start = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, 5.0)
            try:
                pat.search(text)
            except Cut:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            rows.append((time.perf_counter() - start, name, label))
    rows.sort(reverse=True)
    print(f"{len(patterns())} patterns x {len(cases)} inputs (n = {n})")
    for t, name, label in rows[:25]:
        print(f"{t:8.3f} s  {name}  {label}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
