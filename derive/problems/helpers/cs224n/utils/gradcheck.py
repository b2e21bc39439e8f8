"""A gradient check by central differences (a small independent implementation of
the course's helper)."""
import random

import numpy as np


def gradcheck_naive(f, x, gradientText=""):
    """Compare f's gradient with central differences at every entry of x.

    f(x) returns (value, gradient). The random state is restored before each
    evaluation, so functions that sample give the same draws every time.
    Prints the first disagreement and returns; prints a pass message otherwise."""
    rndstate = random.getstate()
    random.setstate(rndstate)
    fx, grad = f(x)
    h = 1e-4
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        random.setstate(rndstate)
        plus = f(x)[0]
        x[ix] = old - h
        random.setstate(rndstate)
        minus = f(x)[0]
        x[ix] = old
        numgrad = (plus - minus) / (2 * h)
        reldiff = abs(numgrad - grad[ix]) / max(1, abs(numgrad), abs(grad[ix]))
        if reldiff > 1e-5:
            print("Gradient check failed for %s." % gradientText)
            print("First gradient error found at index %s in the vector of gradients" % str(ix))
            print("Your gradient: %f \t Numerical gradient: %f" % (grad[ix], numgrad))
            return
        it.iternext()
    print("Gradient check passed!")


def _not_provided(*args, **kwargs):
    raise NotImplementedError("this course test helper is not available in this environment")


grad_tests_softmax = grad_tests_negsamp = _not_provided
