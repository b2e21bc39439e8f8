"""Seeded instances: dimensions, indices and values drawn from a NumPy RNG.

The Hypothesis strategies (``verify.strategies``) draw the same kinds of
instances for property tests; this module is for the CLI and for judging,
where the same seed must give the same instances on every run.
"""
from __future__ import annotations

import numpy as np

from gradkey.derive.signature import DEFAULT_DIMS, Dims, Instance

#: Values in this range keep every score |u_wᵀv_c| <= d * 1.5**2, so σ and
#: softmax stay away from saturation and a wrong answer differs visibly.
VALUE_RANGE = 1.5


def _other(rng, W: int, avoid: int) -> int:
    w = int(rng.integers(W - 1))
    return w + (w >= avoid)


def _samples(rng, W: int, K: int, avoid: int, needs: str = "") -> tuple[int, ...]:
    others = [w for w in range(W) if w != avoid]
    if needs == "distinct":
        if K > len(others):
            raise ValueError(f"K={K} distinct samples need W >= K + 1, got W={W}")
        return tuple(int(w) for w in rng.permutation(others)[:K])
    drawn = [int(rng.choice(others)) for _ in range(K)]
    if needs == "repeated":
        if K < 2:
            raise ValueError("a repeated sample needs K >= 2")
        drawn[1] = drawn[0]
    return tuple(drawn)


def random_instance(rng: np.random.Generator, dims: Dims = DEFAULT_DIMS, needs: str = "",
                    scale: float = VALUE_RANGE) -> Instance:
    """An instance with uniform values in [-scale, scale] and random indices.
    ``needs`` is a question's premise: "distinct" or "repeated" samples."""
    d, W, K = dims.d, dims.W, dims.K
    V = rng.uniform(-scale, scale, size=(d, W))
    U = rng.uniform(-scale, scale, size=(d, W))
    c, o = int(rng.integers(W)), int(rng.integers(W))
    window = tuple(int(rng.integers(W)) for _ in range(dims.window))
    return Instance(
        dims=dims, x=float(rng.uniform(-4, 4)), V=V, U=U, c=c, o=o, w=_other(rng, W, o),
        samples=_samples(rng, W, K, o, needs), k=0 if needs == "repeated" else int(rng.integers(K)),
        window=window, window_samples=tuple(_samples(rng, W, K, j) for j in window), v=_other(rng, W, c),
    )


#: The dimension tuples judging cycles through: d != W everywhere (a
#: transposed answer has the wrong shape), d = 1 excluded so that outer and
#: inner products differ, K >= 2 so that a repeat can be forced.
CHECK_DIMS = (Dims(3, 5, 3, 1), Dims(4, 7, 2, 2), Dims(2, 6, 4, 1))


def seeded_instances(n: int, seed: int = 0, needs: str = "", dims=CHECK_DIMS) -> list[Instance]:
    """n reproducible instances, cycling through ``dims``."""
    rng = np.random.default_rng(seed)
    return [random_instance(rng, dims[i % len(dims)], needs) for i in range(n)]
