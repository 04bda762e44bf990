"""Benchmark case valley-sgd, NumPy peer (run by scripts/bench under /usr/bin/python3).

    valley_sgd_numpy.py STEPS [REPEATS [CHECK]]

The same experiment as valley_sgd.lua: SGD (lr 0.01) with Hessian noise (sigma 1) on the
valley f = h(x) y^2, h = a + b x^2 (a = b = 1), 4096 trajectories from (1, 0), vectorized
over the trajectories with one rng.standard_normal(4096) per step. Preallocated buffers and
out= arguments, constants folded, no allocation in the step loop. Prints one
"rate <trajectory-steps per second>" line per timed run (time.perf_counter around the step
loop only) and "check <CHECK> <mean x> <standard error>" after CHECK steps.
"""
import sys
import time

import numpy as np

SEEDS = 4096
A, B, LR, SIGMA = 1.0, 1.0, 0.01, 1.0


def run(steps, rng):
    n = SEEDS
    x = np.full(n, 1.0)
    y = np.zeros(n)
    h = np.empty(n)
    t = np.empty(n)
    xi = np.empty(n)
    c_gx = 2.0 * B * LR  # x -= lr * 2b x y^2
    c_gy = -2.0 * LR     # y *= 1 - 2 lr h
    c_nz = LR * SIGMA    # y += lr sigma sqrt(h) xi
    mul, add, sqrt, sub = np.multiply, np.add, np.sqrt, np.subtract
    normal = rng.standard_normal
    t0 = time.perf_counter()
    for _ in range(steps):
        normal(out=xi)
        mul(x, x, out=h)          # h = a + b x^2 at the old x
        if B != 1.0:
            mul(h, B, out=h)
        add(h, A, out=h)
        mul(y, y, out=t)          # x -= lr gx, gx = 2 b x y^2 (old y)
        mul(t, x, out=t)
        mul(t, c_gx, out=t)
        sub(x, t, out=x)
        sqrt(h, out=t)            # t = lr sigma sqrt(h) xi
        mul(t, xi, out=t)
        mul(t, c_nz, out=t)
        mul(h, c_gy, out=h)       # y = y (1 - 2 lr h) + t  ==  y - lr (2 h y - sigma sqrt(h) xi)
        add(h, 1.0, out=h)
        mul(y, h, out=y)
        add(y, t, out=y)
    dt = time.perf_counter() - t0
    return x, dt


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: valley_sgd_numpy.py STEPS [REPEATS [CHECK]]")
    steps = int(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    check = int(sys.argv[3]) if len(sys.argv) > 3 else steps
    rng = np.random.default_rng(12345)
    x = None
    for _ in range(repeats):
        x, dt = run(steps, rng)
        print("rate %.6e" % (SEEDS * steps / dt), flush=True)
    if check != steps:
        x, _ = run(check, rng)
    print("check %d %.17g %.17g" % (check, x.mean(), x.std(ddof=1) / np.sqrt(SEEDS)))


if __name__ == "__main__":
    main()
