"""Benchmark case valley-sgd, Numba peer (run by scripts/bench under /usr/bin/python3).

    valley_sgd_numba.py STEPS [REPEATS [CHECK]]

The same experiment as valley_sgd.lua, as an @njit loop (fastmath off: IEEE semantics like
mflab): steps outer, the 4096 trajectories in lockstep inside, one np.random.standard_normal()
per trajectory-step (Numba's own generator, seeded inside the compiled code). Compiled by a
tiny warm-up run first, so the timed runs (time.perf_counter around the compiled call) exclude
compilation. Prints one "rate <trajectory-steps per second>" line per timed run and
"check <CHECK> <mean x> <standard error>" after CHECK steps.
"""
import sys
import time

import numpy as np
from numba import njit

SEEDS = 4096
A, B, LR, SIGMA = 1.0, 1.0, 0.01, 1.0


@njit(fastmath=False, cache=False)
def seed(s):
    np.random.seed(s)


@njit(fastmath=False, cache=False)
def steps_loop(x, y, steps, a, b, lr, sigma):
    n = x.shape[0]
    for _ in range(steps):
        for i in range(n):
            xi = np.random.standard_normal()
            xx = x[i]
            yy = y[i]
            h = a + b * xx * xx
            gx = 2.0 * b * xx * yy * yy
            gy = 2.0 * h * yy
            gy = gy - sigma * np.sqrt(h) * xi
            x[i] = xx - lr * gx
            y[i] = yy - lr * gy


def run(steps):
    x = np.full(SEEDS, 1.0)
    y = np.zeros(SEEDS)
    t0 = time.perf_counter()
    steps_loop(x, y, steps, A, B, LR, SIGMA)
    return x, time.perf_counter() - t0


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: valley_sgd_numba.py STEPS [REPEATS [CHECK]]")
    steps = int(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    check = int(sys.argv[3]) if len(sys.argv) > 3 else steps
    seed(12345)
    run(2)  # compile
    x = None
    for _ in range(repeats):
        x, dt = run(steps)
        print("rate %.6e" % (SEEDS * steps / dt), flush=True)
    if check != steps:
        x, _ = run(check)
    print("check %d %.17g %.17g" % (check, x.mean(), x.std(ddof=1) / np.sqrt(SEEDS)))


if __name__ == "__main__":
    main()
