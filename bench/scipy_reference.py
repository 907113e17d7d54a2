#!/usr/bin/python3
"""The systemic benchmark's third reference: the same equations in SciPy's solve_ivp (BDF), which is
what many users would write instead (../shared/benchmarks.md, B3). Same tolerances and output
times as the model files. Reads the C benchmark's output (argv[1]) to print ratios measured in the
same `make bench` run."""
import re
import statistics
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


def kuznetsov(t, y):
    s, p, g, m, d, a, b, n = 1.3e4, 0.1245, 2.019e7, 3.422e-10, 0.0412, 0.18, 2.0e-9, 1.101e-7
    E, T = y
    return [s + p * E * T / (g + T) - m * E * T - d * E, a * T * (1 - b * T) - n * E * T]


def depillis(t, y):
    a, b, c, d, lam, s = 0.514, 1.02e-9, 3.23e-7, 5.8, 1.36, 0.25
    sigma, f, g, h, j, k = 1.3e4, 0.0412, 0.0249, 2.019e7, 0.0374, 2.019e7
    m, p, q, r = 0.02, 1e-7, 3.422e-10, 1.1e-7
    T, N, L = (max(v, 0.0) for v in y)
    ratio = (L / max(T, 1e-12)) ** lam
    D = d * ratio / (s + ratio)
    DT = D * T
    return [a * T * (1 - b * T) - c * N * T - DT,
            sigma - f * N + g * T * T / (h + T * T) * N - p * N * T,
            -m * L + j * DT * DT / (k + DT * DT) * L - q * L * T + r * N * T]


CASES = {
    "kuznetsov1994": (kuznetsov, [3.2e5, 5e6], 100.0, 1.0),
    "depillis2005": (depillis, [1e4, 300.0, 0.0], 25.0, 0.25),
}


def runs_per_second(fun, y0, end, every):
    t_eval = np.arange(0.0, end + every / 2, every)
    rates = []
    for _ in range(3):
        n, t0 = 0, time.perf_counter()
        while True:
            sol = solve_ivp(fun, (0.0, end), y0, method="BDF", t_eval=t_eval, rtol=1e-8, atol=1e-6)
            n += 1
            if time.perf_counter() - t0 > 1.0:
                break
        rates.append(n / (time.perf_counter() - t0))
    if not sol.success:
        raise SystemExit(f"scipy failed: {sol.message}")
    return statistics.median(rates), sol.y[:, -1]


def main():
    exo = {}
    if len(sys.argv) > 1:
        for line in open(sys.argv[1]):
            mt = re.match(r"bench: (\w+)_runs_exosim: ([0-9.eE+-]+)", line)
            if mt:
                exo[mt.group(1)] = float(mt.group(2))
    for name, (fun, y0, end, every) in CASES.items():
        rate, final = runs_per_second(fun, y0, end, every)
        print(f"bench: {name}_runs_scipy_bdf: {rate:.1f} runs/s (final state {', '.join(f'{v:.6g}' for v in final)})")
        if name in exo:
            print(f"ratio: {name}_runs_exosim_over_scipy_bdf: {exo[name] / rate:.1f}")


if __name__ == "__main__":
    main()
