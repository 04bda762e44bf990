#include "mflab/lyapunov.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "matrix_impl.h"

size_t mf_lyapunov_worksize(size_t c) {
    return 3 * c * c + c;
}

/* Eigendecomposition of the symmetric c x c matrix S (destroyed) by cyclic Jacobi (Golub & Van
 * Loan, Matrix Computations, 4th ed., Alg. 8.5.3): eigenvalues in a (unordered), vector j in
 * U[j*c .. j*c + c-1]. The flows' A = N^T (H/2) N comes from a normal basis N of eigenvectors of
 * H, so it is diagonal but for rounding and one sweep settles it: half the instructions of dsyevd
 * (tridiagonalization, implicit QL and back-transformation) at c = 25. 0, or -1 when S is not
 * finite or 30 sweeps do not converge. */
#define MF_LYAP_JACOBI_MAX 64 /* above: dsyevd (a dense A takes ~10 sweeps, ~6 c^3 flops each) */
static int jacobi_eig(size_t c, double *S, double *U, double *a) {
    double nrm = 0.0;
    for (size_t i = 0; i < c * c; i++)
        nrm += S[i] * S[i];
    if (!isfinite(nrm)) return -1;
    for (size_t i = 0; i < c * c; i++)
        U[i] = 0.0;
    for (size_t i = 0; i < c; i++)
        U[i * c + i] = 1.0;
    int converged = 0;
    for (int sweep = 0; sweep < 30 && !converged; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < c; p++)
            for (size_t q = p + 1; q < c; q++)
                off += 2.0 * S[p * c + q] * S[p * c + q];
        if (off <= 1e-32 * nrm) {
            converged = 1;
            break;
        }
        for (size_t p = 0; p < c; p++)
            for (size_t q = p + 1; q < c; q++) {
                const double apq = S[p * c + q];
                if (apq == 0.0) continue;
                /* the rotation that zeroes S_pq (Alg. 8.5.1, sym.schur2) */
                const double tau = (S[q * c + q] - S[p * c + p]) / (2.0 * apq);
                const double t = (tau >= 0.0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
                const double cs = 1.0 / sqrt(1.0 + t * t), sn = t * cs;
                for (size_t r = 0; r < c; r++) { /* S <- S J (columns p, q) */
                    const double x = S[r * c + p], y = S[r * c + q];
                    S[r * c + p] = cs * x - sn * y, S[r * c + q] = sn * x + cs * y;
                }
                double *sp = S + p * c, *sq = S + q * c;
                for (size_t r = 0; r < c; r++) { /* S <- J^T S (rows p, q) */
                    const double x = sp[r], y = sq[r];
                    sp[r] = cs * x - sn * y, sq[r] = sn * x + cs * y;
                }
                double *up = U + p * c, *uq = U + q * c;
                for (size_t r = 0; r < c; r++) { /* U <- U J (vectors p, q) */
                    const double x = up[r], y = uq[r];
                    up[r] = cs * x - sn * y, uq[r] = sn * x + cs * y;
                }
            }
    }
    if (!converged) return -1;
    for (size_t i = 0; i < c; i++)
        a[i] = S[i * c + i];
    return 0;
}

/* Q = q I (isotropic noise): V commutes with A, so the kappa terms vanish and
 * V = (scale q / 2) A^-1 for every kappa (quasistatic eq. (14)), from a Cholesky factorization
 * (c^3 flops against the eigendecomposition's ~10 c^3). 0, or -1 when Q is not a multiple of
 * I or A is not safely positive definite (reciprocal condition number below 1e-13): the
 * eigendecomposition then decides, with its message. */
static int isotropic_solve(size_t c, const double *A, const double *Q, double scale, double *V,
                           double *L) {
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++)
            if (Q[i * c + j] != (i == j ? Q[0] : 0.0)) return -1;
    double anorm = 0.0; /* 1-norm, for the condition estimate */
    for (size_t j = 0; j < c; j++) {
        double s = 0.0;
        for (size_t i = 0; i < c; i++)
            s += fabs(A[i * c + j]);
        anorm = fmax(anorm, s);
    }
    /* column-major lower triangle = row-major upper triangle of A */
    memcpy(L, A, c * c * sizeof *L);
    const lapack_int n = (lapack_int)c;
    double rcond = 0.0;
    if (!(anorm > 0) || !isfinite(anorm) || LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, L, n) != 0 ||
        LAPACKE_dpocon(LAPACK_COL_MAJOR, 'L', n, L, n, anorm, &rcond) != 0 || !(rcond > 1e-13) ||
        LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', n, L, n) != 0)
        return -1;
    const double f = 0.5 * scale * Q[0];
    for (size_t j = 0; j < c; j++) /* L[j*c + i], i >= j: (A^-1)_ij */
        for (size_t i = j; i < c; i++)
            V[i * c + j] = V[j * c + i] = f * L[j * c + i];
    return 0;
}

int mf_lyapunov_solve(size_t c, const double *A, const double *Q, double kappa, double scale,
                      double *V, double *work, mf_err *err) {
    double *U = work, *T = U + c * c, *W = T + c * c, *a = W + c * c;
    if (isotropic_solve(c, A, Q, scale, V, U) == 0) return MF_OK;
    if (c <= MF_LYAP_JACOBI_MAX) {
        memcpy(T, A, c * c * sizeof *T);
        if (jacobi_eig(c, T, U, a))
            return mf_err_set(err, MF_EINVAL, "eigendecomposition failed (Jacobi)");
    } else {
        memcpy(U, A, c * c * sizeof *U);
        /* column-major view of a symmetric matrix is the same matrix; eigenvectors come back
         * as the columns of U in column-major storage: U[j*c + r] is component r of vector j */
        lapack_int info =
            LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)c, U, (lapack_int)c, a);
        if (info != 0)
            return mf_err_set(err, MF_EINVAL, "eigendecomposition failed (LAPACK info %d)",
                              (int)info);
    }
    double amin = a[0], amax = 0.0;
    for (size_t i = 0; i < c; i++)
        amin = fmin(amin, a[i]), amax = fmax(amax, fabs(a[i]));
    if (!(amin > 1e-14 * amax) || !(amax > 0))
        return mf_err_set(err, MF_EINVAL,
                          "the normal-space Hessian is not positive definite (smallest eigenvalue "
                          "%g): no stationary covariance",
                          amin);
    /* The products go through mf_mat_mul_rows (row updates, each entry summed in order: c = 25
     * for matrix factorization's flows). T = Q U (T[r*c + j] = sum_k Q[r][k] U[j][k]) from
     * Ut = U^T in W (W is free until the next product) */
    double *Ut = W;
    for (size_t j = 0; j < c; j++)
        for (size_t k = 0; k < c; k++)
            Ut[k * c + j] = U[j * c + k];
    mf_mat_mul_rows(c, c, c, Q, c, 1, Ut, c, 1, T);
    /* W_ij = scale (U^T Q U)_ij / (a_i + a_j + kappa (a_i - a_j)^2) */
    mf_mat_mul_rows(c, c, c, U, c, 1, T, c, 1, W);
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double d = a[i] - a[j];
            W[i * c + j] = scale * W[i * c + j] / (a[i] + a[j] + kappa * d * d);
        }
    /* V = U W U^T: T = W U^T first (T[i*c + r] = sum_j W[i][j] U[j][r]), then
     * V[p][r] = sum_i U[i][p] T[i][r] */
    mf_mat_mul_rows(c, c, c, W, c, 1, U, c, 1, T);
    mf_mat_mul_rows(c, c, c, U, 1, c, T, c, 1, V);
    for (size_t p = 0; p < c; p++) /* symmetrize away rounding */
        for (size_t r = 0; r < p; r++)
            V[p * c + r] = V[r * c + p] = 0.5 * (V[p * c + r] + V[r * c + p]);
    return MF_OK;
}

size_t mf_lyapunov_continuous_worksize(size_t n) {
    return n * n * n * n + 2 * n * n;
}

int mf_lyapunov_continuous(size_t n, const double *F, const double *Q, double *S, double *work,
                           mf_err *err) {
    if (n == 0 || n > 16) return mf_err_set(err, MF_EINVAL, "dimension %zu outside 1..16", n);
    const size_t N = n * n;
    double *K = work, *b = K + N * N;
    lapack_int *piv = (lapack_int *)(b + N); /* n^2 ints fit in n^2 doubles */
    /* row (i, j) of K: (F S)_ij + (S F^T)_ij = sum_k F_ik S_kj + sum_k S_ik F_jk */
    memset(K, 0, N * N * sizeof *K);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double *row = K + (i * n + j) * N;
            for (size_t k = 0; k < n; k++) {
                row[k * n + j] += F[i * n + k];
                row[i * n + k] += F[j * n + k];
            }
            b[i * n + j] = -Q[i * n + j];
        }
    lapack_int info =
        LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)N, 1, K, (lapack_int)N, piv, b, 1);
    if (info != 0)
        return mf_err_set(err, MF_EINVAL,
                          "the linear system has no stationary covariance (singular operator, "
                          "LAPACK info %d)",
                          (int)info);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            S[i * n + j] = 0.5 * (b[i * n + j] + b[j * n + i]);
    return MF_OK;
}
