/* The label-noise manifold flow's pieces (doc/math.md §4 "Label-noise heavy ball"; flatter-faster
 * eqs. (6), (7), App. C): (1) the momentum flow's stationary covariance solves flatter-faster's
 * operator equation L~_H S = {H, S} + C^-2 eta^(1-2 gamma) [[S, H], H]/2 with H = 2A,
 * C^-2 eta^(1-2 gamma) = lr/(1-beta)^2 and S = V (1-beta)/lr, for a Q that does not commute
 * with A (so the [[S, H], H] term matters), to 1e-10 relative; (2) the normal label-noise
 * covariance on the UV model equals 2 w eps^2 N^T H_f N at a zero-loss point, and off the
 * manifold, where the noise has a tangent part, it is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/src/core/manifold_impl.h"
#include "check.h"
#include "mflab/lyapunov.h"
#include "mflab/rng.h"

enum { C = 5 };

static void mul(const double *X, const double *Y, double *Z) { /* Z = X Y, C x C */
    for (int i = 0; i < C; i++)
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int k = 0; k < C; k++)
                s += X[i * C + k] * Y[k * C + j];
            Z[i * C + j] = s;
        }
}

static void test_operator(void) {
    mf_rng g;
    mf_rng_seed(&g, 21, 0);
    double work[3 * C * C + C];
    CHECK(mf_lyapunov_worksize(C) <= sizeof work / sizeof work[0], "worksize");
    for (int trial = 0; trial < 6; trial++) {
        double B[C * C], A[C * C], Q[C * C], V[C * C];
        for (int i = 0; i < C * C; i++)
            B[i] = mf_rng_normal(&g);
        for (int i = 0; i < C; i++) /* A = B B^T + I (SPD); Q = B + B^T + 6 I (symmetric) */
            for (int j = 0; j < C; j++) {
                double s = i == j ? 1.0 : 0.0;
                for (int k = 0; k < C; k++)
                    s += B[i * C + k] * B[j * C + k];
                A[i * C + j] = s;
            }
        for (int i = 0; i < C * C; i++)
            B[i] = mf_rng_normal(&g);
        for (int i = 0; i < C; i++)
            for (int j = 0; j < C; j++)
                Q[i * C + j] = B[i * C + j] + B[j * C + i] + (i == j ? 6.0 : 0.0);
        /* gamma > 1/2 makes lambda = C^-2 eta^(1-2 gamma) large: eta = 0.01, gamma = 0.8, Cc = 0.5
         */
        double eta = 0.01, gamma = 0.8, Cc = 0.5 + 0.1 * trial, beta = 1 - Cc * pow(eta, gamma);
        double lam = pow(Cc, -2) * pow(eta, 1 - 2 * gamma);
        CHECK_CLOSE(lam, eta / ((1 - beta) * (1 - beta)), 1e-12 * lam, "lambda = lr/(1-beta)^2");
        int rc = mf_lyapunov_solve(C, A, Q, eta / ((1 - beta) * (1 - beta)), eta / (2 * (1 - beta)),
                                   V, work, NULL);
        CHECK(rc == MF_OK, "solve");
        double H[C * C], S[C * C], HS[C * C], SH[C * C], T1[C * C], T2[C * C];
        for (int i = 0; i < C * C; i++)
            H[i] = 2 * A[i], S[i] = V[i] * (1 - beta) / eta;
        mul(H, S, HS), mul(S, H, SH);
        double K[C * C]; /* [S, H] */
        for (int i = 0; i < C * C; i++)
            K[i] = SH[i] - HS[i];
        mul(K, H, T1), mul(H, K, T2); /* [[S, H], H] = K H - H K */
        double r = 0, q = 0, comm = 0;
        for (int i = 0; i < C * C; i++) {
            double lhs = HS[i] + SH[i] + 0.5 * lam * (T1[i] - T2[i]);
            r += (lhs - Q[i]) * (lhs - Q[i]), q += Q[i] * Q[i];
            comm += (T1[i] - T2[i]) * (T1[i] - T2[i]);
        }
        CHECK(sqrt(r / q) < 1e-10, "L~_H S = Q: residual %g", sqrt(r / q));
        CHECK(0.5 * lam * sqrt(comm) > 1e-3 * sqrt(q),
              "the commutator term is not negligible here");
    }
}

static void test_label_cov(void) {
    mf_landscape *L;
    CHECK(mf_landscape_uv(&L, 10, 5, MF_ACT_TANH, 3, 1, 0, NULL) == MF_OK, "uv");
    const size_t d = L->dim, c = L->codim, k = d - c;
    double *z = malloc(sizeof(double) * d), *T = malloc(sizeof(double) * d * d),
           *N = malloc(sizeof(double) * d * c), *Q = malloc(sizeof(double) * c * c),
           *Hf = malloc(sizeof(double) * d * d),
           *w = malloc(sizeof(double) * mf_flow_label_worksize(L, c));
    const double eps = 0.3, s2 = pow(2 * L->res_weight * eps, 2);
    /* off the manifold the label noise has a tangent part: refused */
    mf_landscape_frame(L, L->x0, T, N, NULL);
    mf_err err;
    CHECK(mf_flow_label_cov(L, L->x0, T, k, N, c, s2, Q, w, &err) == MF_EUNSUPPORTED,
          "off the manifold: refused");
    CHECK(strstr(err.msg, "tangent part") != NULL, "message: %s", err.msg);
    CHECK(mf_landscape_project(L, L->x0, z, NULL) == MF_OK, "project");
    mf_landscape_frame(L, z, T, N, NULL);
    CHECK(mf_flow_label_cov(L, z, T, k, N, c, s2, Q, w, NULL) == MF_OK, "on the manifold");
    mf_landscape_hess(L, z, Hf);
    double worst = 0, scale = 0; /* Q = 2 w eps^2 N^T H_f N */
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double s = 0;
            for (size_t a = 0; a < d; a++)
                for (size_t b = 0; b < d; b++)
                    s += N[i * d + a] * Hf[a * d + b] * N[j * d + b];
            s *= 2 * L->res_weight * eps * eps;
            worst = fmax(worst, fabs(Q[i * c + j] - s)), scale = fmax(scale, fabs(s));
        }
    CHECK(worst <= 1e-9 * scale, "Q = 2 w eps^2 N^T H_f N (r ~ 1e-11 there): %g of %g", worst,
          scale);
    free(z), free(T), free(N), free(Q), free(Hf), free(w);
    mf_landscape_free(L);
}

int main(void) {
    test_operator();
    test_label_cov();
    return check_summary();
}
