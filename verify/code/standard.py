"""The course-standard formulations, as the yardstick for stability.

A function is called ``unstable`` only at an input where these — a softmax
shifted by its maximum followed by −log, and −log σ(±x) with
σ(x) = 1/(1 + e^{−x}) — are finite and agree with the derived truth, but the
student's code is not or does not. Inputs where the textbook form itself
overflows are not held against anyone. Outputs are in the problem's layout
(U and V with words as columns), like ``derive.gradients``.
"""
from __future__ import annotations

import numpy as np


def sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def softmax(s):
    z = s - np.max(s)
    e = np.exp(z)
    return e / np.sum(e)


def naive(inst):
    U, v = np.asarray(inst.U, dtype=float), np.asarray(inst.v_c, dtype=float)
    y_hat = softmax(U.T @ v)
    with np.errstate(divide="ignore"):
        loss = -np.log(y_hat[inst.o])
    delta = y_hat.copy()
    delta[inst.o] -= 1.0
    return loss, {"v_c": U @ delta, "U": np.outer(v, delta)}


def neg(inst):
    U, v = np.asarray(inst.U, dtype=float), np.asarray(inst.v_c, dtype=float)
    u_o = U[:, inst.o]
    samples = list(inst.samples)
    s_o = sigmoid(u_o @ v)
    s_k = sigmoid(-(U[:, samples].T @ v))
    with np.errstate(divide="ignore"):
        loss = -np.log(s_o) - np.sum(np.log(s_k))
    grad_v = -(1.0 - s_o) * u_o + U[:, samples] @ (1.0 - s_k)
    grad_U = np.zeros_like(U)
    grad_U[:, inst.o] += -(1.0 - s_o) * v
    np.add.at(grad_U.T, samples, np.outer(1.0 - s_k, v))
    return loss, {"v_c": grad_v, "U": grad_U}


def sigmoid_loss(inst):
    return sigmoid(inst.x), {}


FORMULATIONS = {"naive": naive, "neg": neg, "sigmoid": sigmoid_loss}

#: What to do about a failed probe, by (loss, probe name) (search.PROBES)
ADVICE = {
    ("naive", "scores≈780"): "exp overflows: shift the scores by their maximum before exp "
                             "(softmax(s) = softmax(s − max s))",
    ("naive", "confident"): "compute −log ŷ_o from the shifted scores (−(s_o − max s) + log Σ exp(s − max s)) "
                            "rather than from a probability that rounds to 0, and shift before exp",
    ("neg", "confident"): "compute −log σ(x) as log(1 + e^{−x}) (np.logaddexp(0, −x)) and σ(−x) as "
                          "1/(1 + e^{x}), not as 1 − σ(x), which rounds to 0",
    ("neg", "scores≈50"): "σ(−x) for x near 50 is about e^{−50}: compute it as 1/(1 + e^{x}), not 1 − σ(x)",
    ("sigmoid", "confident"): "compute σ(x) as 1/(1 + e^{−x}) (or split by sign); e^{x}/(1 + e^{x}) is inf/inf at x = 800",
    ("sigmoid", "scores≈780"): "compute σ(x) as 1/(1 + e^{−x}); e^{x}/(1 + e^{x}) is inf/inf for large x",
}
GENERAL_ADVICE = "use the max-shifted softmax and −log σ(±x) as in the course"

