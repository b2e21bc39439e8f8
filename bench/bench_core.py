"""Benchmarks of the trusted core (not part of the test run).

    python bench/bench_core.py            # prints a Markdown table for the README

1. derive + lambdify time per loss at several dimensions (cold caches);
2. evaluation time of the lambdified truth vs the NumPy closed form (ratio);
3. numeric error of complex step and central differences against a 50-digit
   mpmath reference at d=50, W=1000 (naive softmax, gradient wrt v_c).
"""
from __future__ import annotations

import subprocess
import sys
import time
import timeit

import numpy as np

from gradkey import derive
from gradkey.derive.derivation import ScoresDerivation
from gradkey.derive.signature import DEFAULT_DIMS, Dims
from gradkey.verify.numerics.consistency import loss_of_parameter, loss_scales
from gradkey.verify.numerics.instances import random_instance
from gradkey.verify.numerics.numdiff import central_difference, complex_step, mp_derivative


def derive_times():
    rows = []
    for dims in (Dims(3, 5, 4, 1), Dims(10, 50, 4, 1), Dims(50, 100, 10, 1)):
        for loss in ("naive", "neg", "sg_naive", "sg_neg"):
            t = time.perf_counter()
            ScoresDerivation(loss, dims).prepare()
            rows.append((f"d={dims.d} W={dims.W} K={dims.K} m={dims.m}", loss, time.perf_counter() - t))
    return rows


def whole_set_time():
    """Every loss derived and lambdified at the default dims, in a fresh
    process (SymPy's own caches cold), after imports."""
    code = ("import time, derive; from derive.signature import DEFAULT_DIMS; t = time.perf_counter(); "
            "derive.derivation('sigmoid', DEFAULT_DIMS); "
            "[derive.derivation(l, DEFAULT_DIMS).prepare() for l in ('naive', 'neg', 'sg_naive', 'sg_neg')]; "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def eval_ratios(n=2000):
    inst = random_instance(np.random.default_rng(1), DEFAULT_DIMS)
    rows = []
    for qid in ("naive.v_c", "naive.U", "neg.v_c", "neg.u_o", "sg.U"):
        q = derive.question(qid)
        loss = q.losses[-1]
        q.truth(inst, loss)  # warm
        form = q.closed_forms[0]
        t_truth = timeit.timeit(lambda: q.truth(inst, loss), number=n) / n
        t_form = timeit.timeit(lambda: form.evaluate(inst, loss=loss), number=n) / n
        rows.append((qid, loss, t_truth * 1e6, t_form * 1e6, t_truth / t_form))
    return rows


def numeric_errors(d=50, W=1000, coords=10):
    inst = random_instance(np.random.default_rng(2), Dims(d, W, 4, 1), scale=0.3)
    q = derive.question("naive.v_c")
    f, x0 = loss_of_parameter(q, inst, "naive")
    der = derive.derivation("naive", inst.dims)
    t = time.perf_counter()
    cs = complex_step(f, x0)
    t_cs = time.perf_counter() - t
    t = time.perf_counter()
    f_scale, third = loss_scales(inst, "naive")
    cd, bound = central_difference(lambda x: float(np.real(f(x))), x0, f_scale, third)
    t_cd = time.perf_counter() - t

    def f_mp(v):
        V = np.asarray(inst.V, dtype=object).copy()
        V[:, inst.c] = v
        return der.loss_mp(inst.replace(V=V))
    t = time.perf_counter()
    ref = np.array([float(mp_derivative(f_mp, x0, (i,), dps=30)) for i in range(coords)])
    t_mp = (time.perf_counter() - t) / coords * d
    err_cs = np.max(np.abs(cs[:coords] - ref)) / np.max(np.abs(ref))
    err_cd = np.max(np.abs(cd[:coords] - ref)) / np.max(np.abs(ref))
    return err_cs, err_cd, float(np.max(bound[:coords]) / np.max(np.abs(ref))), t_cs, t_cd, t_mp


def main():
    print("## derive + lambdify (cold), per loss\n\n| dims | loss | seconds |\n|---|---|---|")
    for dims, loss, sec in derive_times():
        print(f"| {dims} | {loss} | {sec:.3f} |")
    print(f"\nWhole word2vec set at the default dims {DEFAULT_DIMS}: {whole_set_time():.3f} s\n")
    print("## evaluation: lambdified truth vs NumPy closed form (default dims)\n")
    print("| question | loss | truth µs | closed form µs | ratio |\n|---|---|---|---|---|")
    for qid, loss, a, b, r in eval_ratios():
        print(f"| {qid} | {loss} | {a:.1f} | {b:.1f} | {r:.2f} |")
    e_cs, e_cd, b_cd, t_cs, t_cd, t_mp = numeric_errors()
    print("\n## numeric differentiation at d=50, W=1000 (∂J_naive/∂v_c, relative to a 30-digit mpmath reference)\n")
    print("| method | max rel. error | seconds for all 50 coords |\n|---|---|---|")
    print(f"| complex step | {e_cs:.1e} | {t_cs:.2f} |")
    print(f"| central differences | {e_cd:.1e} (bound {b_cd:.1e}) | {t_cd:.2f} |")
    print(f"| mpmath reference | 0 (reference) | {t_mp:.1f} (estimated from 10 coords) |")


if __name__ == "__main__":
    main()
