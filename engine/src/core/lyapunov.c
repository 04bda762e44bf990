#include "mflab/lyapunov.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

size_t mf_lyapunov_worksize(size_t c) {
    return 3 * c * c + c;
}

int mf_lyapunov_solve(size_t c, const double *A, const double *Q, double kappa, double scale,
                      double *V, double *work, mf_err *err) {
    double *U = work, *T = U + c * c, *W = T + c * c, *a = W + c * c;
    memcpy(U, A, c * c * sizeof *U);
    /* column-major view of a symmetric matrix is the same matrix; eigenvectors come back as
     * the columns of U in column-major storage: U[j*c + r] is component r of vector j */
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)c, U, (lapack_int)c, a);
    if (info != 0)
        return mf_err_set(err, MF_EINVAL, "eigendecomposition failed (LAPACK info %d)", (int)info);
    double amax = fabs(a[c - 1]) > fabs(a[0]) ? fabs(a[c - 1]) : fabs(a[0]);
    if (!(a[0] > 1e-14 * amax) || !(amax > 0))
        return mf_err_set(err, MF_EINVAL,
                          "the normal-space Hessian is not positive definite (smallest eigenvalue "
                          "%g): no stationary covariance",
                          a[0]);
    /* The products below sum each entry in the order of a dot product but update whole rows
     * (the same bits as one running sum per entry, without the adder's latency on the path:
     * c = 25 for matrix factorization's flows). */
    /* T = Q U (T[r*c + j] = sum_k Q[r][k] U[j][k]) */
    for (size_t r = 0; r < c; r++) {
        double *row = T + r * c;
        for (size_t j = 0; j < c; j++)
            row[j] = 0.0;
        for (size_t k = 0; k < c; k++) {
            const double qrk = Q[r * c + k];
            for (size_t j = 0; j < c; j++)
                row[j] += qrk * U[j * c + k];
        }
    }
    /* W_ij = scale (U^T Q U)_ij / (a_i + a_j + kappa (a_i - a_j)^2) */
    for (size_t i = 0; i < c; i++) {
        double *row = W + i * c;
        for (size_t j = 0; j < c; j++)
            row[j] = 0.0;
        for (size_t r = 0; r < c; r++) {
            const double uir = U[i * c + r], *tr = T + r * c;
            for (size_t j = 0; j < c; j++)
                row[j] += uir * tr[j];
        }
        for (size_t j = 0; j < c; j++) {
            double d = a[i] - a[j];
            row[j] = scale * row[j] / (a[i] + a[j] + kappa * d * d);
        }
    }
    /* V = U W U^T: T = W U^T first (T[i*c + r] = sum_j W[i][j] U[j][r]) */
    for (size_t i = 0; i < c; i++) {
        double *row = T + i * c;
        for (size_t r = 0; r < c; r++)
            row[r] = 0.0;
        for (size_t j = 0; j < c; j++) {
            const double wij = W[i * c + j], *uj = U + j * c;
            for (size_t r = 0; r < c; r++)
                row[r] += wij * uj[r];
        }
    }
    for (size_t p = 0; p < c; p++) { /* V[p][r] = sum_i U[i][p] T[i][r] */
        double *row = V + p * c;
        for (size_t r = 0; r < c; r++)
            row[r] = 0.0;
        for (size_t i = 0; i < c; i++) {
            const double uip = U[i * c + p], *ti = T + i * c;
            for (size_t r = 0; r < c; r++)
                row[r] += uip * ti[r];
        }
    }
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
