/* The continuous Lyapunov solver, and Adam's quasistatic fast subsystem on the rotated valley:
 * eq. (45) at theta = 0 and pi/4, and the first-order flows (50), (55) (doc/math.md §4). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "mflab/lyapunov.h"
#include "mflab/manifold.h"
#include "mflab/rng.h"

static void test_continuous_lyapunov(void) {
    mf_rng g;
    mf_rng_seed(&g, 8, 0);
    enum { N = 4 };
    double work[N * N * N * N + 2 * N * N];
    CHECK(mf_lyapunov_continuous_worksize(N) <= sizeof work / sizeof work[0], "worksize");
    for (int trial = 0; trial < 10; trial++) {
        double F[N * N], Q[N * N], S[N * N], B[N * N];
        for (int i = 0; i < N * N; i++)
            F[i] = 0.3 * mf_rng_normal(&g), B[i] = mf_rng_normal(&g);
        for (int i = 0; i < N; i++)
            F[i * N + i] -= 2.0; /* stable */
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++)
                    s += B[i * N + k] * B[j * N + k];
                Q[i * N + j] = s;
            }
        CHECK(mf_lyapunov_continuous(N, F, Q, S, work, NULL) == MF_OK, "solve");
        double r = 0, q = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = Q[i * N + j];
                for (int k = 0; k < N; k++)
                    s += F[i * N + k] * S[k * N + j] + S[i * N + k] * F[j * N + k];
                r += s * s, q += Q[i * N + j] * Q[i * N + j];
            }
        CHECK(sqrt(r / q) < 1e-10, "F S + S F^T + Q residual %g", sqrt(r / q));
    }
}

static void test_adam_fast_subsystem(void) {
    const double lr = 0.01, beta1 = 0.9, eps = 1e-3, sigma = 1.0;
    const double s0 = sigma * lr, e0 = eps * lr;
    for (double h = 1.0; h <= 26.0; h += 5.0) {
        mf_adam_rv a0, a4, ag;
        mf_adam_rv_init(&a0, 0.0, lr, beta1, eps, sigma);
        mf_adam_rv_init(&a4, M_PI / 4, lr, beta1, eps, sigma);
        double v0, v4;
        CHECK(mf_adam_rv_fast_variance(&a0, h, &v0, NULL) == MF_OK, "theta 0");
        CHECK(mf_adam_rv_fast_variance(&a4, h, &v4, NULL) == MF_OK, "theta pi/4");
        /* eq. (45): E y'^2 = sigma0^2 / (4 (sigma0 sqrt(v) + eps0)), v = h (theta 0), h/2 (pi/4) */
        CHECK_CLOSE(v0 / (s0 * s0 / (4 * (s0 * sqrt(h) + e0))), 1.0, 1e-10, "eq. (45), theta = 0");
        CHECK_CLOSE(v4 / (s0 * s0 / (4 * (s0 * sqrt(h / 2) + e0))), 1.0, 1e-10,
                    "eq. (45), theta = pi/4");
        /* any angle: the solved variance equals M22 sigma0^2 / 4 */
        for (double th = 0.05; th < 1.5; th += 0.2) {
            mf_adam_rv_init(&ag, th, lr, beta1, eps, sigma);
            double v, d, m11;
            mf_adam_rv_fast_variance(&ag, h, &v, NULL);
            mf_adam_rv_drift(&ag, h, 1.0, &d, &m11, NULL);
            double p1 = 1 / (s0 * sqrt(h) * sin(th) + e0), p2 = 1 / (s0 * sqrt(h) * cos(th) + e0);
            double m22 = p1 * sin(th) * sin(th) + p2 * cos(th) * cos(th);
            CHECK_CLOSE(v / (m22 * s0 * s0 / 4), 1.0, 1e-10, "fast variance at a general angle");
            /* the tangent coefficient is the Schur complement M11 - M12^2/M22 (manifold.h) */
            double mtt = p1 * cos(th) * cos(th) + p2 * sin(th) * sin(th);
            double m12 = (p1 - p2) * sin(th) * cos(th);
            CHECK_CLOSE(d / (-(mtt - m12 * m12 / m22) * v), 1.0, 1e-12, "Schur complement drift");
            CHECK_CLOSE(m11, mtt - m12 * m12 / m22, 1e-12, "Schur complement factor");
        }
        /* first-order flows: eq. (50) and eq. (55) once eps0 << sigma0 sqrt(h) is dropped */
        double hp = 2.0 * sqrt(h - 1.0), d0, d4, m;
        mf_adam_rv_drift(&a0, h, hp, &d0, &m, NULL);
        mf_adam_rv_drift(&a4, h, hp, &d4, &m, NULL);
        double want0 = -s0 * hp / (4 * e0 * sqrt(h)), want4 = -hp / (2 * h);
        double rel = e0 / (s0 * sqrt(h / 2)); /* size of the dropped terms */
        if (hp > 0) {
            CHECK(fabs(d0 / want0 - 1.0) <= 2 * rel, "eq. (50): %g vs %g", d0, want0);
            CHECK(fabs(d4 / want4 - 1.0) <= 2 * rel, "eq. (55): %g vs %g", d4, want4);
            CHECK(d0 / d4 > 100, "theta = 0 moves faster than pi/4 (ratio %g)", d0 / d4);
        }
    }
    mf_adam_rv a;
    mf_adam_rv_init(&a, 0.3, lr, beta1, eps, sigma);
    double v;
    mf_err err;
    CHECK(mf_adam_rv_fast_variance(&a, -1.0, &v, &err) == MF_EINVAL &&
              strstr(err.msg, "h must be > 0"),
          "h <= 0 refused");
}

int main(void) {
    test_continuous_lyapunov();
    test_adam_fast_subsystem();
    return check_summary();
}
