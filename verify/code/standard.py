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
