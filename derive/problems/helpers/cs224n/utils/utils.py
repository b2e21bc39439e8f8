"""The course's array helpers (a small independent implementation)."""
import numpy as np


def normalizeRows(x):
    """Each row of x divided by its Euclidean norm (zero rows stay zero)."""
    x = np.asarray(x, dtype=float)
    norms = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / np.where(norms == 0, 1.0, norms)


def softmax(x):
    """Softmax of a vector, or of each row of a matrix; scores are shifted by
    their maximum first, so large scores do not overflow."""
    x = np.asarray(x, dtype=float)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)
