"""Benchmark case matrix-sensing, peer side (run by scripts/bench):
    ms_grad_peer.py numpy|torch float64|float32 CALLS REPEATS
The gradient of L = 1/(dP) sum_i (Tr(A_i U V) - y_i)^2 at d = 100, P = 2500, the same math as
mflab: r = A vec((UV)^T) - y (A the P x d^2 measurement matrix, row i = vec(A_i)), then
S = reshape(A^T r) and grad_U = 2c S^T V^T, grad_V = 2c U^T S^T, c = 1/(dP). One thread.
Prints "rate <gradients per second>" for each of REPEATS timings of CALLS gradients."""
import sys
import time

import numpy as np

lib, dtype, calls, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d, r, P = 100, 5, 2500
rng = np.random.default_rng(0)
X0 = rng.standard_normal((d, d))
u, s, vt = np.linalg.svd(X0)
Xs = (u[:, :r] * s[:r]) @ vt[:r]
A = rng.standard_normal((P, d * d)).astype(dtype)
y = (A.astype(np.float64) @ Xs.T.ravel()).astype(dtype)
U = np.eye(d, dtype=dtype)
V = np.eye(d, dtype=dtype)
c2 = 2.0 / (d * P)

if lib == "numpy":
    def grad(U, V):
        res = A @ (U @ V).T.ravel() - y
        S = (A.T @ res).reshape(d, d)
        return c2 * S.T @ V.T, c2 * U.T @ S.T
else:
    import torch
    torch.set_num_threads(1)
    A, y, U, V = (torch.from_numpy(np.ascontiguousarray(t)) for t in (A, y, U, V))
    def grad(U, V):
        res = torch.mv(A, (U @ V).T.reshape(-1)) - y
        S = torch.mv(A.T, res).reshape(d, d)
        return c2 * S.T @ V.T, c2 * U.T @ S.T
    torch.set_grad_enabled(False)

gU, gV = grad(U, V)  # warm up; sanity: the gradient at U = V = I is finite
assert np.isfinite(float((gU * gU).sum()) + float((gV * gV).sum()))
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(calls):
        grad(U, V)
    print("rate %.6e" % (calls / (time.perf_counter() - t0)), flush=True)
