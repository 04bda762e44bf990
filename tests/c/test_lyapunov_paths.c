/* mf_lyapunov_solve's two eigendecompositions (lyapunov.c): cyclic Jacobi up to c = 64, LAPACK's
 * dsyevd above. Both solve A V + V A + kappa (V A^2 + A^2 V - 2 A V A) = scale Q to a relative
 * residual of 1e-12, for dense A and for the flows' A = N^T (H/2) N, diagonal but for rounding
 * (one Jacobi sweep), at c = 25 (matrix factorization 5x5x5), 64 and 70; isotropic Q (its
 * Cholesky path, V = (scale q/2) A^-1) gives A V = (scale q/2) I to 1e-12 with and without
 * momentum (kappa) and agrees with the eigendecomposition's V to 1e-12; a singular or nearly
 * singular A is refused with the eigendecomposition's message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/lyapunov.h"
#include "mflab/rng.h"

/* Z = X Y (c x c, row-major) */
static void matmul(const double *X, const double *Y, double *Z, size_t c) {
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t k = 0; k < c; k++)
                s += X[i * c + k] * Y[k * c + j];
            Z[i * c + j] = s;
        }
}

static double frob(const double *X, size_t c) {
    double s = 0.0;
    for (size_t i = 0; i < c * c; i++)
        s += X[i] * X[i];
    return sqrt(s);
}

/* |A V + V A + kappa (V A^2 + A^2 V - 2 A V A) - scale Q| / |scale Q| */
static double residual(size_t c, const double *A, const double *V, const double *Q, double kappa,
                       double scale) {
    double *w = malloc(sizeof(double) * 8 * c * c);
    double *AV = w, *VA = AV + c * c, *A2 = VA + c * c, *VA2 = A2 + c * c, *A2V = VA2 + c * c,
           *AVA = A2V + c * c, *R = AVA + c * c, *SQ = R + c * c;
    matmul(A, V, AV, c), matmul(V, A, VA, c), matmul(A, A, A2, c);
    matmul(V, A2, VA2, c), matmul(A2, V, A2V, c), matmul(AV, A, AVA, c);
    for (size_t i = 0; i < c * c; i++) {
        SQ[i] = scale * Q[i];
        R[i] = AV[i] + VA[i] + kappa * (VA2[i] + A2V[i] - 2.0 * AVA[i]) - SQ[i];
    }
    double r = frob(R, c) / frob(SQ, c);
    free(w);
    return r;
}

/* A: diagonal in (0.1, 2.1) plus a symmetric perturbation of size eps (dense when eps = 1) */
static void make_a(size_t c, double eps, mf_rng *g, double *A) {
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j <= i; j++) {
            double e = eps * mf_rng_normal(g) / sqrt((double)c);
            A[i * c + j] = A[j * c + i] = e;
        }
    for (size_t i = 0; i < c; i++)
        A[i * c + i] += 0.1 + 2.0 * mf_rng_uniform(g) + (eps >= 1.0 ? 3.0 : 0.0);
}

static void run(size_t c, double eps, mf_rng *g) {
    double *A = malloc(sizeof(double) * (4 * c * c + mf_lyapunov_worksize(c)));
    double *Q = A + c * c, *V = Q + c * c, *AV = V + c * c, *work = AV + c * c;
    make_a(c, eps, g, A);
    for (size_t i = 0; i < c; i++) /* Q symmetric positive semidefinite: B B^T */
        for (size_t j = 0; j <= i; j++)
            Q[i * c + j] = Q[j * c + i] = (i == j ? 1.0 : 0.0) + 0.1 * mf_rng_normal(g);
    mf_err err;
    const double lr = 0.05, mu = 0.9;
    CHECK(mf_lyapunov_solve(c, A, Q, 0.0, lr / 2, V, work, &err) == MF_OK, "solve: %s", err.msg);
    const double r0 = residual(c, A, V, Q, 0.0, lr / 2);
    const double kappa = lr / ((1 - mu) * (1 - mu)), scale = lr / (2 * (1 - mu));
    CHECK(mf_lyapunov_solve(c, A, Q, kappa, scale, V, work, &err) == MF_OK, "solve: %s", err.msg);
    const double r1 = residual(c, A, V, Q, kappa, scale);
    for (size_t i = 0; i < c * c; i++) /* isotropic Q: A V = (lr/4) I */
        Q[i] = (i % (c + 1) == 0) ? 1.0 : 0.0;
    CHECK(mf_lyapunov_solve(c, A, Q, 0.0, lr / 2, V, work, &err) == MF_OK, "solve: %s", err.msg);
    matmul(A, V, AV, c);
    double worst = 0.0;
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++)
            worst = fmax(worst, fabs(AV[i * c + j] - (i == j ? lr / 4 : 0.0)));
    /* isotropic Q with momentum: V commutes with A, the kappa terms vanish, the same V */
    double *V2 = malloc(sizeof(double) * c * c);
    CHECK(mf_lyapunov_solve(c, A, Q, kappa, lr / 2, V2, work, &err) == MF_OK, "solve: %s", err.msg);
    const double r2 = residual(c, A, V2, Q, kappa, lr / 2);
    double dk = 0.0, de = 0.0;
    for (size_t i = 0; i < c * c; i++)
        dk = fmax(dk, fabs(V2[i] - V[i]));
    /* the eigendecomposition's V for the same Q (a 1e-300 off-diagonal entry takes that path) */
    if (c > 1) {
        Q[1] = Q[c] = 1e-300;
        CHECK(mf_lyapunov_solve(c, A, Q, 0.0, lr / 2, V2, work, &err) == MF_OK, "solve: %s",
              err.msg);
        Q[1] = Q[c] = 0.0;
        for (size_t i = 0; i < c * c; i++)
            de = fmax(de, fabs(V2[i] - V[i]));
    }
    const double vmax = frob(V, c);
    CHECK(r2 <= 1e-12 && dk <= 1e-14 * vmax, "c = %zu: isotropic Q, kappa > 0: residual %g, %g", c,
          r2, dk);
    CHECK(de <= 1e-12 * vmax, "c = %zu: Cholesky and eigendecomposition agree: %g of %g", c, de,
          vmax);
    free(V2);
    printf("c = %zu, perturbation %g: residuals %.2g (SGD), %.2g (eq. 39), |A V - lr/4 I| %.2g; "
           "isotropic: eq. 39 residual %.2g, Cholesky vs eigenvectors %.2g\n",
           c, eps, r0, r1, worst, r2, de / vmax);
    CHECK(r0 <= 1e-12 && r1 <= 1e-12, "c = %zu, eps %g: residuals %g, %g", c, eps, r0, r1);
    CHECK(worst <= 1e-12 * lr, "c = %zu, eps %g: A V = (lr/4) I off by %g", c, eps, worst);
    free(A);
}

int main(void) {
    {
        /* nearly singular A with isotropic Q: Cholesky's condition estimate hands over to the
         * eigendecomposition, which refuses it with its message */
        double A[4] = {1.0, 0.0, 0.0, 1e-15}, Q[4] = {1.0, 0.0, 0.0, 1.0}, V[4], work[64];
        mf_err err;
        CHECK(mf_lyapunov_solve(2, A, Q, 0.0, 1.0, V, work, &err) == MF_EINVAL &&
                  strstr(err.msg, "not positive definite"),
              "nearly singular A refused: %s", err.msg);
        A[3] = 0.0;
        CHECK(mf_lyapunov_solve(2, A, Q, 0.0, 1.0, V, work, &err) == MF_EINVAL &&
                  strstr(err.msg, "not positive definite"),
              "singular A refused: %s", err.msg);
    }
    mf_rng g;
    mf_rng_seed(&g, 31, 0);
    const size_t cs[] = {1, 2, 25, 64, 65, 70};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        run(cs[i], 1e-14, &g); /* the flows' case: diagonal but for rounding */
        run(cs[i], 1.0, &g);   /* dense */
    }
    return check_summary();
}
