"""The word2vec signature: dimensions, declared symbols, and the instance.

An :class:`Instance` is the unit of comparison: concrete dimensions, concrete
indices (o, the word w != o, negative samples with possible repeats, a window)
and concrete values. Everything that is compared in gradkey (derived truth,
closed forms, numerical derivatives, students' answers, students' code) is
evaluated on instances.

Index conventions are 0-based throughout the code; `o`, `w`, `c` and the
samples are word indices in ``range(W)``; `k` is a position in ``samples``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np


class SignatureError(ValueError):
    """An instance or dimension tuple that does not fit the problem's signature."""


@dataclass(frozen=True, order=True)
class Dims:
    """Concrete dimensions: embedding size d, vocabulary W, K negative samples,
    window half-width m (the window holds 2m context words)."""

    d: int = 3
    W: int = 5
    K: int = 3
    m: int = 1

    def __post_init__(self) -> None:
        for name, low in (("d", 1), ("W", 2), ("K", 1), ("m", 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < low:
                raise SignatureError(f"dimension {name} must be an integer >= {low}, got {value!r}")

    @property
    def window(self) -> int:
        return 2 * self.m


#: Dimensions used when nothing else is asked for: d != W so that a
#: transposed answer has the wrong shape, and every index kind is present.
DEFAULT_DIMS = Dims(d=3, W=5, K=3, m=1)


@dataclass(frozen=True)
class Symbol:
    """A name of the problem's notation, for docs, the reader and the answer key."""

    name: str
    kind: str  # scalar | vector | matrix | index | function
    shape: tuple[str, ...]
    latex: str
    meaning: str


@dataclass(frozen=True, eq=False)
class Instance:
    """Dimensions, indices and values at which every expression is evaluated.

    Arrays may hold floats (numeric evaluation) or SymPy symbols (symbolic
    proofs of the closed forms); validation only looks at shapes and indices.
    """

    dims: Dims
    x: object                      # sigmoid argument
    V: np.ndarray                  # (d, W) center vectors; v_c = V[:, c]
    U: np.ndarray                  # (d, W) outside vectors, columns u_w
    c: int                         # center word
    o: int                         # true outside word
    w: int                         # a word != o (for the u_w questions)
    samples: tuple[int, ...]       # K negative samples, each != o, repeats allowed
    k: int                         # a position in samples
    window: tuple[int, ...]        # 2m context words (outside words of the window)
    window_samples: tuple[tuple[int, ...], ...] = field(default=())  # K samples per context word
    v: int = 0                     # a word != c (for sg.v_w)

    def __post_init__(self) -> None:
        d, W, K = self.dims.d, self.dims.W, self.dims.K
        for name in ("V", "U"):
            arr = getattr(self, name)
            if np.shape(arr) != (d, W):
                raise SignatureError(f"{name} must have shape (d, W) = {(d, W)}, got {np.shape(arr)}")
        self._index("c", self.c, W)
        self._index("o", self.o, W)
        self._index("w", self.w, W)
        self._index("v", self.v, W)
        if self.w == self.o:
            raise SignatureError(f"w must differ from o (both are {self.o})")
        if self.v == self.c:
            raise SignatureError(f"v (a word other than the center) must differ from c (both are {self.c})")
        self._samples("samples", self.samples, self.o)
        if not 0 <= self.k < K:
            raise SignatureError(f"k must be a position in samples, 0 <= k < {K}, got {self.k}")
        if len(self.window) != self.dims.window:
            raise SignatureError(f"window must hold 2m = {self.dims.window} words, got {len(self.window)}")
        for j, word in enumerate(self.window):
            self._index(f"window[{j}]", word, W)
        if len(self.window_samples) != len(self.window):
            raise SignatureError("window_samples must give K samples for each context word")
        for j, (word, samples) in enumerate(zip(self.window, self.window_samples)):
            self._samples(f"window_samples[{j}]", samples, word)

    def _index(self, name: str, value: int, W: int) -> None:
        if not isinstance(value, (int, np.integer)) or not 0 <= value < W:
            raise SignatureError(f"{name} must be a word index in range(W={W}), got {value!r}")

    def _samples(self, name: str, samples: tuple[int, ...], outside: int) -> None:
        if len(samples) != self.dims.K:
            raise SignatureError(f"{name} must hold K = {self.dims.K} samples, got {len(samples)}")
        for i, s in enumerate(samples):
            self._index(f"{name}[{i}]", s, self.dims.W)
            if s == outside:
                raise SignatureError(f"{name}[{i}] = {s} is the outside word; negative samples must differ from it")

    # -- derived views -------------------------------------------------
    @property
    def v_c(self) -> np.ndarray:
        return self.V[:, self.c]

    @property
    def u_o(self) -> np.ndarray:
        return self.U[:, self.o]

    @property
    def n_k(self) -> int:
        """How many times the k-th sample's word was drawn."""
        return self.samples.count(self.samples[self.k])

    @property
    def distinct_samples(self) -> bool:
        return len(set(self.samples)) == len(self.samples)

    def replace(self, **changes) -> "Instance":
        return dataclasses.replace(self, **changes)

    def context(self, j: int) -> "Instance":
        """The instance seen by the j-th term of the skip-gram sum: its outside
        word is window[j] and its negative samples are window_samples[j].
        (w only has to stay a word other than the new o; no loss reads it.)"""
        o = self.window[j]
        w = self.w if self.w != o else (o + 1) % self.dims.W
        return self.replace(o=o, samples=self.window_samples[j], w=w)

    def error_scale(self) -> float:
        """A bound on the magnitude of the terms whose rounding errors reach a
        gradient entry: n terms each at most (count x max|input|), plus the
        error a d-term dot product carries into a sigma/softmax factor."""
        values = [np.max(np.abs(np.asarray(a, dtype=float))) for a in (self.V, self.U)]
        values.append(abs(float(self.x)))
        big = max(max(values), 1.0)
        n_terms = self.dims.W + (self.dims.K + 1) * self.dims.window
        return big * (n_terms + self.dims.d * big * big)

    def describe(self) -> dict:
        """Plain data for reports and counterexamples."""
        def plain(a):
            return np.asarray(a, dtype=float).round(6).tolist()
        return {
            "dims": dataclasses.asdict(self.dims), "x": float(self.x), "c": self.c, "o": self.o,
            "w": self.w, "samples": list(self.samples), "k": self.k, "window": list(self.window),
            "window_samples": [list(s) for s in self.window_samples], "v": self.v,
            "v_c": plain(self.v_c), "U": plain(self.U), "V": plain(self.V),
        }


# -- seeded instances ---------------------------------------------------------------
# Drawn from a NumPy RNG for the scores route's tests (verify/numerics/instances.py
# draws a problem file's instances, derive/draw.py).

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
