"""Benchmark case sweep-sensing, peer side (run by scripts/bench):
    sweep_sensing_peer.py numpy|torch STEPS REPEATS
The beta sweep of bench.d/sweep_sensing.lua written as a NumPy or PyTorch user would: the 8
heavy-ball configurations (lr 0.02, beta 0, 0.1, ..., 0.7) one after another, each STEPS steps
on matrix sensing (d = 100, r = 5, P = 2500, float64) with label noise eps = 0.1, full batch:
r = A vec((UV)^T) - (y + eps xi), S = reshape(A^T r), g = 2c (S^T V^T, U^T S^T), pi <- beta pi - g,
(U, V) <- (U, V) + lr pi. One thread. Prints "rate <configuration-steps per second>" per repeat
and "check STEPS MEAN SEM" (the final loss over the configurations)."""
import sys
import time

import numpy as np

lib, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d, r, P, lr, eps = 100, 5, 2500, 0.02, 0.1
betas = [0.1 * k for k in range(8)]
rng = np.random.default_rng(0)
X0 = rng.standard_normal((d, d))
u, s, vt = np.linalg.svd(X0)
Xs = (u[:, :r] * s[:r]) @ vt[:r]
A = rng.standard_normal((P, d * d))
y = A @ Xs.T.ravel()
c = 1.0 / (d * P)

if lib == "torch":
    import torch
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    A, y = torch.from_numpy(A), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(1)
    eye = lambda: torch.eye(d, dtype=torch.float64)
    zeros = lambda: torch.zeros((d, d), dtype=torch.float64)
    normal = lambda: torch.randn(P, generator=gen, dtype=torch.float64)
    mv = torch.mv
    At = A.T
else:
    eye = lambda: np.eye(d)
    zeros = lambda: np.zeros((d, d))
    normal = lambda: rng.standard_normal(P)
    mv = np.dot
    At = A.T


def run(beta):
    U, V, pU, pV = eye(), eye(), zeros(), zeros()
    for _ in range(steps):
        res = mv(A, (U @ V).T.reshape(-1)) - (y + eps * normal())
        S = mv(At, res).reshape(d, d)
        gU, gV = 2 * c * (S.T @ V.T), 2 * c * (U.T @ S.T)
        pU, pV = beta * pU - gU, beta * pV - gV
        U, V = U + lr * pU, V + lr * pV
    res = mv(A, (U @ V).T.reshape(-1)) - y
    return float(c * (res * res).sum())


for _ in range(repeats):
    t0 = time.perf_counter()
    losses = [run(b) for b in betas]
    print("rate %.6e" % (len(betas) * steps / (time.perf_counter() - t0)), flush=True)
m = sum(losses) / len(losses)
sem = (sum((v - m) ** 2 for v in losses) / (len(losses) - 1) / len(losses)) ** 0.5
print("check %d %.10g %.10g" % (steps, m, sem))
