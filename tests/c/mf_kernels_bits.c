/* The matrix-factorization kernels on rows of 8 lanes (gradient and Hessian-vector product too)
 * and the paired Jacobi (engine/src/core/landscape_mf.c) against the scalar loops they replaced,
 * bit for bit, on random and crafted inputs at every size up to 9 (9: the scalar loops), with -0,
 * exact zeros (Jacobi's skipped rotations), diagonal and repeated-eigenvalue matrices and
 * problems that converge in different sweeps. tests/c/tests.cmake compiles this file once per
 * instruction set (MF_KERN_ISA: baseline, avx2, avx512), as the library compiles the kernels; a
 * path this CPU cannot run is skipped (77). */
#define MF_ISA_VARIANT
#define MF_ISA_SUFFIX _kerntest
#include "../../engine/src/core/landscape_mf.c"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mflab/isa.h"

static unsigned long long rng_state = 88172645463325252ULL;
static double rnd(void) { /* in [-1, 1), a multiple of 2^-30; sometimes 0 or -0 */
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    const unsigned r = (unsigned)(rng_state >> 20) & 0x7fffffffu;
    if (r % 53 == 0) return (r & 64) ? -0.0 : 0.0;
    return ((double)(r >> 1) - 536870912.0) / 536870912.0;
}
static void fill(double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = rnd();
}
static int same(const double *a, const double *b, size_t n) { /* bit for bit */
    return memcmp(a, b, sizeof(double) * n) == 0;
}

/* ---- the scalar loops (the code before the row kernels) ---- */
static void ref_rhs(const mfact *q, const double *y, double *dy, double *R) {
    const size_t m = q->m, n = q->n, p = q->p;
    const double *U = y, *V = y + m * p;
    double *dU = dy, *dV = dy + m * p;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += U[a * p + k] * V[b * p + k];
            R[a * n + b] = s - q->M[a * n + b];
        }
    for (size_t a = 0; a < m; a++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t b = 0; b < n; b++)
                s += R[a * n + b] * V[b * p + k];
            dU[a * p + k] = -2.0 * s;
        }
    for (size_t b = 0; b < n; b++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t a = 0; a < m; a++)
                s += R[a * n + b] * U[a * p + k];
            dV[b * p + k] = -2.0 * s;
        }
}
static void ref_mulRV(const mfact *q, double c, const double *A, const double *B, double *out) {
    for (size_t a = 0; a < q->m; a++)
        for (size_t k = 0; k < q->p; k++) {
            double s = 0.0;
            for (size_t b = 0; b < q->n; b++)
                s += A[a * q->n + b] * B[b * q->p + k];
            out[a * q->p + k] += c * s;
        }
}
static void ref_mulRtU(const mfact *q, double c, const double *A, const double *C, double *out) {
    for (size_t b = 0; b < q->n; b++)
        for (size_t k = 0; k < q->p; k++) {
            double s = 0.0;
            for (size_t a = 0; a < q->m; a++)
                s += A[a * q->n + b] * C[a * q->p + k];
            out[b * q->p + k] += c * s;
        }
}
static void ref_J(const mfact *q, const double *x, const double *v, double *Y) {
    const size_t m = q->m, n = q->n, p = q->p;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += v[a * p + k] * x[m * p + b * p + k] + x[a * p + k] * v[m * p + b * p + k];
            Y[a * n + b] = s;
        }
}
static void ref_rot(size_t m, size_t n, const double *P, const double *Q, const double *Y,
                    double *T, int back) {
    double tmp[81];
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t r = 0; r < m; r++)
                s += (back ? P[r * m + i] : P[i * m + r]) * Y[r * n + j];
            tmp[i * n + j] = s;
        }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t c = 0; c < n; c++)
                s += tmp[i * n + c] * (back ? Q[c * n + j] : Q[j * n + c]);
            T[i * n + j] = s;
        }
}
/* the one-problem cyclic Jacobi as it was written before the stepwise and paired forms */
static int ref_eig(size_t k, double *A, double *w) {
    double S[256], V[256];
    memcpy(S, A, sizeof(double) * k * k);
    for (size_t i = 0; i < k * k; i++)
        V[i] = 0.0;
    for (size_t i = 0; i < k; i++)
        V[i * k + i] = 1.0;
    double nrm = 0.0;
    for (size_t i = 0; i < k * k; i++)
        nrm += S[i] * S[i];
    if (!isfinite(nrm)) return -1;
    for (int sweep = 0; sweep < 30; sweep++) {
        double off = 0.0;
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++)
                off += 2.0 * S[a * k + b] * S[a * k + b];
        if (off <= 1e-32 * nrm) break;
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++) {
                const double apq = S[a * k + b];
                if (apq == 0.0) continue;
                const double tau = (S[b * k + b] - S[a * k + a]) / (2.0 * apq);
                const double t = (tau >= 0.0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
                const double c = 1.0 / sqrt(1.0 + t * t), sn = t * c;
                for (size_t r = 0; r < k; r++) {
                    const double x = S[r * k + a], y = S[r * k + b];
                    S[r * k + a] = c * x - sn * y, S[r * k + b] = sn * x + c * y;
                }
                for (size_t r = 0; r < k; r++) {
                    const double x = S[a * k + r], y = S[b * k + r];
                    S[a * k + r] = c * x - sn * y, S[b * k + r] = sn * x + c * y;
                }
                for (size_t r = 0; r < k; r++) {
                    const double x = V[r * k + a], y = V[r * k + b];
                    V[r * k + a] = c * x - sn * y, V[r * k + b] = sn * x + c * y;
                }
            }
    }
    size_t order[16];
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && S[order[j] * k + order[j]] < S[order[j - 1] * k + order[j - 1]];
             j--) {
            const size_t tmp = order[j];
            order[j] = order[j - 1], order[j - 1] = tmp;
        }
    for (size_t i = 0; i < k; i++) {
        w[i] = S[order[i] * k + order[i]];
        for (size_t r = 0; r < k; r++)
            A[i * k + r] = V[r * k + order[i]];
    }
    return 0;
}

/* a symmetric k x k matrix of one of several kinds */
static void sym(size_t k, int kind, double *A) {
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j <= i; j++) {
            double x = rnd();
            if (kind == 1 && i != j) x = 0.0;                      /* diagonal: nothing to rotate */
            if (kind == 2 && i != j && (i + j) % 2) x = 0.0;       /* some rotations skipped */
            if (kind == 3) x = (i == j) ? 1.0 : 1e-9 * x;          /* repeated eigenvalues */
            if (kind == 4 && i != j && (i + j) % 3 == 0) x = -0.0; /* -0 off the diagonal */
            A[i * k + j] = A[j * k + i] = x;
        }
    if (kind == 5) /* a Gram matrix U U^T of rank 1: the flat end */
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++)
                A[i * k + j] = (double)(i + 1) * (double)(j + 1) / 8.0;
}

int main(void) {
    const char *want = MF_KERN_ISA;
    if (strcmp(want, "baseline") != 0 && !strstr(mf_isa_available(), want)) {
        printf("this CPU cannot run the %s path: skipped\n", want);
        return 77;
    }
    int cases = 0;
    for (size_t m = 1; m <= 9; m++)
        for (size_t n = 1; n <= 9; n++)
            for (size_t p = 1; p <= 9; p++) {
                if ((m + n + p) % 2 && !(m == 5 && n == 5 && p == 5) && m + n + p > 12)
                    continue; /* half of the larger sizes, all of the small ones */
                const size_t D = (m + n) * p, mn = m * n;
                double M[81], y[162], dy[162], ry[162], R[81], rR[81], A[81], out[162], rout[162];
                fill(M, mn), fill(y, D), fill(A, mn), fill(out, D);
                mfact q = {.m = m, .n = n, .p = p, .M = M};
                mf_gf g = {.q = &q, .R = R};
                mf_gf_rhs(&g, 0.0, y, dy, NULL);
                ref_rhs(&q, y, ry, rR);
                CHECK(same(dy, ry, D), "mf_gf_rhs at %zux%zux%zu", m, n, p);
                { /* the gradient: 2 (R V, R^T U) accumulated from 0, as mf_grad did */
                    double gr[162], rg[162];
                    mf_landscape L = {.params = &q, .dim = D};
                    mf_grad(&L, 1, y, 1, gr, 1);
                    memset(rg, 0, sizeof(double) * D);
                    ref_mulRV(&q, 2.0, rR, y + m * p, rg);
                    ref_mulRtU(&q, 2.0, rR, y, rg + m * p);
                    CHECK(same(gr, rg, D), "mf_grad at %zux%zux%zu", m, n, p);
                }
                { /* the Hessian-vector product 2 (dR V + R dV, dR^T U + R^T dU) */
                    double hv[162], rh[162], u[162], Rh[81], dR[81], rdR[81];
                    fill(u, D);
                    mf_point_hvp(&q, y, u, hv, Rh, dR, 0);
                    ref_J(&q, y, u, rdR);
                    memset(rh, 0, sizeof(double) * D);
                    ref_mulRV(&q, 2.0, rdR, y + m * p, rh);
                    ref_mulRV(&q, 2.0, rR, u + m * p, rh);
                    ref_mulRtU(&q, 2.0, rdR, y, rh + m * p);
                    ref_mulRtU(&q, 2.0, rR, u, rh + m * p);
                    CHECK(same(hv, rh, D), "mf_point_hvp at %zux%zux%zu", m, n, p);
                }
                resid(&q, y, y + m * p, R);
                CHECK(same(R, rR, mn), "resid at %zux%zux%zu", m, n, p);
                memcpy(rout, out, sizeof(double) * D);
                mulRV(&q, -0.75, A, y + m * p, out);
                ref_mulRV(&q, -0.75, A, y + m * p, rout);
                mulRtU(&q, 2.0, A, y, out + m * p);
                ref_mulRtU(&q, 2.0, A, y, rout + m * p);
                CHECK(same(out, rout, D), "mulRV, mulRtU at %zux%zux%zu", m, n, p);
                /* the tail's J v and rotations, P and Q orthogonal (eigenvectors) */
                double v[162], Y[81], rY[81], P[81], Q[81], a[9], b[9], T[81], rT[81], tmp[81];
                fill(v, D);
                mf_tail tl = {.q = &q, .zh = y, .P = P, .Q = Q, .Y = Y, .T = tmp};
                mf_tail_J(&tl, v, Y);
                ref_J(&q, y, v, rY);
                CHECK(same(Y, rY, mn), "mf_tail_J at %zux%zux%zu", m, n, p);
                sym(m, 0, P), sym(n, 0, Q);
                CHECK(ref_eig(m, P, a) == 0 && ref_eig(n, Q, b) == 0, "eigenvectors");
                for (int back = 0; back < 2; back++) {
                    mf_tail_rot(&tl, rY, T, tmp, back);
                    ref_rot(m, n, P, Q, rY, rT, back);
                    CHECK(same(T, rT, mn), "mf_tail_rot(%d) at %zux%zux%zu", back, m, n, p);
                }
                memcpy(Y, rY, sizeof(double) * mn); /* in place, as mf_tail_Wadd calls it */
                mf_tail_rot(&tl, Y, Y, tmp, 1);
                CHECK(same(Y, rT, mn), "mf_tail_rot in place at %zux%zux%zu", m, n, p);
                cases++;
            }
    /* Jacobi: one problem, two of one size (paired lanes), two of different sizes */
    int eigs = 0;
    for (size_t k1 = 1; k1 <= 9; k1++)
        for (size_t k2 = 1; k2 <= 9; k2++)
            for (int kind1 = 0; kind1 < 6; kind1++)
                for (int kind2 = 0; kind2 < 6; kind2++) {
                    if (k1 != k2 && (kind1 + kind2) % 3) continue;
                    double A1[81], A2[81], B1[81], B2[81], w1[9], w2[9], v1[9], v2[9];
                    sym(k1, kind1, A1), sym(k2, kind2, A2);
                    memcpy(B1, A1, sizeof A1), memcpy(B2, A2, sizeof A2);
                    const int rc = mf_small_eig2(k1, A1, w1, k2, A2, w2);
                    const int rr = ref_eig(k1, B1, v1) || ref_eig(k2, B2, v2);
                    CHECK(rc == 0 && rr == 0 && same(A1, B1, k1 * k1) && same(w1, v1, k1) &&
                              same(A2, B2, k2 * k2) && same(w2, v2, k2),
                          "mf_small_eig2 at k = %zu (kind %d), %zu (kind %d)", k1, kind1, k2,
                          kind2);
                    sym(k1, kind1, A1);
                    memcpy(B1, A1, sizeof A1);
                    CHECK(mf_small_eig(k1, A1, w1) == 0 && ref_eig(k1, B1, v1) == 0 &&
                              same(A1, B1, k1 * k1) && same(w1, v1, k1),
                          "mf_small_eig at k = %zu (kind %d)", k1, kind1);
                    eigs++;
                }
    double bad[4] = {1.0, INFINITY, INFINITY, 1.0}, good[4] = {2.0, 1.0, 1.0, 2.0}, w[2], u[2];
    CHECK(mf_small_eig2(2, good, w, 2, bad, u) != 0, "a non-finite matrix fails the pair");
    printf("%s path: %d kernel sizes, %d eigenproblem pairs\n", want, cases, eigs);
    return check_summary();
}
