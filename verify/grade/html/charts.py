"""Geometry for the class page's inline SVG charts. Only numbers are
computed here; the templates draw them, and every chart has its numbers in a
table or label next to it (colour is never the only signal)."""
from __future__ import annotations

import math
from collections import Counter

from gradkey.verify.grade.html.model import CATEGORIES

BAR_WIDTH = 320


def stacked_bar(counts: Counter, width: int = BAR_WIDTH) -> list[dict]:
    """Segments of one question's bar, in CATEGORIES order, widths summing to
    ``width`` (a zero count draws nothing)."""
    total = sum(counts.get(c, 0) for c in CATEGORIES)
    segments, x = [], 0.0
    for c in CATEGORIES:
        n = counts.get(c, 0)
        if not n or not total:
            continue
        w = width * n / total
        segments.append({"category": c, "count": n, "x": round(x, 2), "width": round(w, 2)})
        x += w
    return segments


def histogram(scores: list[float], possible: float, height: int = 120, width: int = 480) -> dict:
    """Bins of the total score: one per point up to 20 points, else 10 equal bins."""
    top = max(possible, max(scores, default=0.0), 1.0)
    nbins = int(math.floor(top)) + 1 if top <= 20 else 10
    step = 1.0 if top <= 20 else top / nbins
    counts = [0] * nbins
    for s in scores:
        counts[min(int(s // step) if s >= 0 else 0, nbins - 1)] += 1
    peak = max(counts, default=0) or 1
    bar = width / nbins
    bins = []
    for i, n in enumerate(counts):
        low = i * step
        label = f"{low:g}" if step == 1.0 else f"{low:.3g}–{low + step:.3g}"
        h = (height - 36) * n / peak  # 16 px left above the tallest bar for its count
        bins.append({"label": label, "count": n, "x": round(i * bar + 2, 2), "width": round(bar - 4, 2),
                     "y": round(height - 20 - h, 2), "height": round(h, 2), "mid": round(i * bar + bar / 2, 2)})
    return {"bins": bins, "width": width, "height": height, "base": height - 20}
