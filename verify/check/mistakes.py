"""Known wrong answers per question: a stable code, the wrong formula in the
problem's notation (read by the same reader as submissions), and feedback a
student can act on. An incorrect answer that equals a mistake's formula at
every instance is reported with its code."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    code: str
    latex: str
    feedback: str


def _m(qid, name, latex, feedback):
    return Mistake(f"{qid}.{name}", latex, feedback)


MISTAKES: dict[str, list[Mistake]] = {
    "sigmoid.grad": [
        _m("sigmoid.grad", "SIGN", r"-\sigma(x)(1-\sigma(x))", "The sign is flipped: dσ/dx = σ(x)(1 − σ(x)) is positive."),
        _m("sigmoid.grad", "PLUS", r"\sigma(x)(1+\sigma(x))", "It is σ(x)(1 − σ(x)): the second factor is 1 − σ(x), not 1 + σ(x)."),
        _m("sigmoid.grad", "MISSING_SQUARE", r"\frac{e^{-x}}{1+e^{-x}}",
           "The denominator of the quotient rule is squared: e^{−x}/(1 + e^{−x})²."),
    ],
    "naive.v_c": [
        _m("naive.v_c", "SIGN", r"U(y-\hat{y})", "The sign is flipped: ∂J/∂v_c = U(ŷ − y)."),
        _m("naive.v_c", "MISSING_U_O", r"\sum_{w=1}^{W}\hat{y}_w u_w", "The −u_o term (from −u_oᵀv_c) is missing."),
        _m("naive.v_c", "MISSING_SUM", r"-u_o + \hat{y}_o u_o",
           "The log-sum-exp term sums over every word: −u_o + Σ_w ŷ_w u_w, not only w = o."),
    ],
    "naive.u_o": [
        _m("naive.u_o", "MISSING_V_C", r"\hat{y}_o - 1", "∂J/∂u_o is a vector: it is missing the factor v_c ((ŷ_o − 1) v_c)."),
        _m("naive.u_o", "SIGN", r"(1-\hat{y}_o) v_c", "The sign is flipped: ∂J/∂u_o = (ŷ_o − 1) v_c."),
        _m("naive.u_o", "MISSING_SOFTMAX", r"-v_c", "The log-sum-exp term also depends on u_o: add ŷ_o v_c."),
    ],
    "naive.u_w": [
        _m("naive.u_w", "MISSING_V_C", r"\hat{y}_w", "∂J/∂u_w for w ≠ o is missing the factor v_c: it is ŷ_w v_c."),
        _m("naive.u_w", "SIGN", r"-\hat{y}_w v_c", "The sign is flipped: ∂J/∂u_w = ŷ_w v_c for w ≠ o."),
        _m("naive.u_w", "O_BRANCH", r"(\hat{y}_w - 1) v_c", "The −1 belongs to w = o only; for w ≠ o it is ŷ_w v_c."),
    ],
    "naive.U": [
        _m("naive.U", "TRANSPOSED", r"(\hat{y}-y) v_c^T", "This is the transpose: ∂J/∂U = v_c(ŷ − y)ᵀ is d × W like U."),
        _m("naive.U", "SIGN", r"v_c (y-\hat{y})^T", "The sign is flipped: ∂J/∂U = v_c(ŷ − y)ᵀ."),
    ],
    "neg.v_c": [
        _m("neg.v_c", "SIGMA_SIGN", r"-(1-\sigma(u_o^T v_c)) u_o + \sum_{k=1}^{K} (1-\sigma(u_k^T v_c)) u_k",
           "σ(u_kᵀv_c) where σ(−u_kᵀv_c) belongs: the sample terms are (1 − σ(−u_kᵀv_c)) u_k."),
        _m("neg.v_c", "SIGN", r"(1-\sigma(u_o^T v_c)) u_o - \sum_{k=1}^{K} (1-\sigma(-u_k^T v_c)) u_k",
           "The sign is flipped."),
        _m("neg.v_c", "MISSING_SAMPLES", r"-(1-\sigma(u_o^T v_c)) u_o", "The sum over the K negative samples is missing."),
    ],
    "neg.u_o": [
        _m("neg.u_o", "SIGN", r"(1-\sigma(u_o^T v_c)) v_c", "The sign is flipped: ∂J/∂u_o = (σ(u_oᵀv_c) − 1) v_c."),
        _m("neg.u_o", "MISSING_V_C", r"\sigma(u_o^T v_c) - 1", "∂J/∂u_o is a vector: it is missing the factor v_c."),
    ],
    "neg.u_k": [
        _m("neg.u_k", "SIGMA_SIGN", r"(1-\sigma(u_k^T v_c)) v_c",
           "σ(u_kᵀv_c) where σ(−u_kᵀv_c) belongs: ∂J/∂u_k = (1 − σ(−u_kᵀv_c)) v_c = σ(u_kᵀv_c) v_c."),
        _m("neg.u_k", "U_O_FOR_U_K", r"(1-\sigma(-u_o^T v_c)) v_c", "u_o where u_k belongs."),
        _m("neg.u_k", "U_O_FOR_U_K_2", r"(1-\sigma(u_o^T v_c)) v_c", "u_o where u_k belongs, and σ's argument has the wrong sign."),
        _m("neg.u_k", "SIGN", r"-(1-\sigma(-u_k^T v_c)) v_c", "The sign is flipped."),
    ],
    "neg.u_k_repeated": [
        _m("neg.u_k_repeated", "NOT_SUMMED", r"(1-\sigma(-u_k^T v_c)) v_c",
           "A word drawn n_k times contributes once per draw: repeated samples must be summed, n_k (1 − σ(−u_kᵀv_c)) v_c."),
    ],
    "sg.v_c": [
        _m("sg.v_c", "ONE_TERM", r"U(\hat{y}-y)",
           "Only one term of the window sum: J_sg adds J(v_c, w_{t+j}, U) over every context word, "
           "so ∂J_sg/∂v_c = Σ_j U(ŷ − y_{t+j})."),
    ],
    "sg.U": [
        _m("sg.U", "ONE_TERM", r"v_c(\hat{y}-y)^T",
           "Only one term of the window sum: ∂J_sg/∂U = Σ_j v_c(ŷ − y_{t+j})ᵀ, one term per context word."),
    ],
    "sg.v_w": [
        _m("sg.v_w", "NOT_ZERO", r"v_c", "J_sg depends on the center vector v_c only: ∂J/∂v_w = 0 for w ≠ c."),
    ],
}
