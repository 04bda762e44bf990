/* Lyapunov solutions satisfy their equations and reduce to the closed forms of doc/math.md §4;
 * RK4 and Dormand-Prince reach their accuracy on ODEs with closed-form solutions;
 * Euler-Maruyama has the moments of its discrete OU recursion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/lyapunov.h"
#include "mflab/ode.h"
#include "mflab/rng.h"

enum { C = 6 };

static void spd(double *A, size_t c, mf_rng *g, double shift) {
    double B[C * C];
    for (size_t i = 0; i < c * c; i++)
        B[i] = mf_rng_normal(g);
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t k = 0; k < c; k++)
                s += B[i * c + k] * B[j * c + k];
            A[i * c + j] = s + (i == j ? shift : 0.0);
        }
}

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

/* || A V + V A + kappa (V A^2 + A^2 V - 2 A V A) - scale Q || / || scale Q || */
static double residual(const double *A, const double *V, const double *Q, double kappa,
                       double scale) {
    double AV[C * C], VA[C * C], A2[C * C], VA2[C * C], A2V[C * C], AVA[C * C], R[C * C], SQ[C * C];
    matmul(A, V, AV, C), matmul(V, A, VA, C), matmul(A, A, A2, C);
    matmul(V, A2, VA2, C), matmul(A2, V, A2V, C), matmul(AV, A, AVA, C);
    for (size_t i = 0; i < C * C; i++) {
        R[i] = AV[i] + VA[i] + kappa * (VA2[i] + A2V[i] - 2.0 * AVA[i]) - scale * Q[i];
        SQ[i] = scale * Q[i];
    }
    return frob(R, C) / frob(SQ, C);
}

static void test_lyapunov(void) {
    mf_rng g;
    mf_rng_seed(&g, 17, 0);
    double A[C * C], Q[C * C], V[C * C], work[3 * C * C + C];
    CHECK(mf_lyapunov_worksize(C) <= sizeof work / sizeof work[0], "worksize");
    const double lr = 0.05, mu = 0.9;
    for (int trial = 0; trial < 20; trial++) {
        spd(A, C, &g, 0.1);
        spd(Q, C, &g, 0.0);
        CHECK(mf_lyapunov_solve(C, A, Q, 0.0, lr / 2, V, work, NULL) == MF_OK, "solve");
        double r0 = residual(A, V, Q, 0.0, lr / 2);
        CHECK(r0 < 1e-10, "Lyapunov residual %g", r0);
        double kappa = lr / ((1 - mu) * (1 - mu)), scale = lr / (2 * (1 - mu));
        CHECK(mf_lyapunov_solve(C, A, Q, kappa, scale, V, work, NULL) == MF_OK, "solve (39)");
        double r1 = residual(A, V, Q, kappa, scale);
        CHECK(r1 < 1e-10, "eq. (39) residual %g", r1);
    }
    /* closed forms: Q = sigma^2 A gives V = (lr sigma^2/4) I; Q = sigma^2 I gives
     * V = (lr sigma^2/4) A^{-1}, i.e. A V = (lr sigma^2/4) I */
    spd(A, C, &g, 0.5);
    const double s2 = 2.25;
    for (size_t i = 0; i < C * C; i++)
        Q[i] = s2 * A[i];
    mf_lyapunov_solve(C, A, Q, 0.0, lr / 2, V, work, NULL);
    double worst = 0;
    for (size_t i = 0; i < C; i++)
        for (size_t j = 0; j < C; j++)
            worst = fmax(worst, fabs(V[i * C + j] - (i == j ? lr * s2 / 4 : 0.0)));
    CHECK(worst < 1e-12 * lr * s2, "Hessian noise: V = (lr sigma^2/4) I, off by %g", worst);
    memset(Q, 0, sizeof Q);
    for (size_t i = 0; i < C; i++)
        Q[i * C + i] = s2;
    mf_lyapunov_solve(C, A, Q, 0.0, lr / 2, V, work, NULL);
    double AV[C * C];
    matmul(A, V, AV, C);
    worst = 0;
    for (size_t i = 0; i < C; i++)
        for (size_t j = 0; j < C; j++)
            worst = fmax(worst, fabs(AV[i * C + j] - (i == j ? lr * s2 / 4 : 0.0)));
    CHECK(worst < 1e-11 * lr * s2, "isotropic noise: A V = (lr sigma^2/4) I, off by %g", worst);
    /* momentum: V_m -> V_sgd / (1 - mu) as lr -> 0 (quasistatic below eq. (17)) */
    spd(Q, C, &g, 0.0);
    double Vs[C * C];
    const double small = 1e-7;
    mf_lyapunov_solve(C, A, Q, 0.0, small / 2, Vs, work, NULL);
    mf_lyapunov_solve(C, A, Q, small / ((1 - mu) * (1 - mu)), small / (2 * (1 - mu)), V, work,
                      NULL);
    double rel = 0;
    for (size_t i = 0; i < C * C; i++)
        rel = fmax(rel, fabs(V[i] * (1 - mu) - Vs[i]) / frob(Vs, C));
    CHECK(rel < 1e-4, "V_momentum (1 - mu) = V_sgd for small lr: off by %g", rel);
    /* not positive definite: an error */
    memset(A, 0, sizeof A);
    mf_err err;
    CHECK(mf_lyapunov_solve(C, A, Q, 0.0, 1.0, V, work, &err) == MF_EINVAL &&
              strstr(err.msg, "not positive definite"),
          "singular A refused: %s", err.msg);
}

/* y' = y cos t, y(0) = 1: y = exp(sin t) */
static int rhs_exp_sin(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)ctx, (void)err;
    dy[0] = y[0] * cos(t);
    return MF_OK;
}

/* harmonic oscillator: y0' = y1, y1' = -y0 */
static int rhs_osc(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)ctx, (void)t, (void)err;
    dy[0] = y[1], dy[1] = -y[0];
    return MF_OK;
}

/* the unit circle as a "manifold": projection rescales */
static void proj_circle(void *ctx, double *y) {
    (void)ctx;
    double r = hypot(y[0], y[1]);
    y[0] /= r, y[1] /= r;
}

static double rk4_error(double h, double T) {
    double y = 1.0, work[10];
    int steps = (int)lround(T / h);
    for (int k = 0; k < steps; k++)
        mf_ode_rk4_step(1, rhs_exp_sin, NULL, NULL, k * h, h, &y, work, NULL);
    return fabs(y - exp(sin(T)));
}

static void test_integrators(void) {
    double e1 = rk4_error(0.02, 10.0), e2 = rk4_error(0.01, 10.0);
    CHECK(e1 < 1e-7 && e2 < 1e-8, "RK4 errors %g, %g", e1, e2);
    CHECK(e1 / e2 > 13.0 && e1 / e2 < 19.0, "RK4 is fourth order: error ratio %g (expect 16)",
          e1 / e2);
    const double tols[] = {1e-6, 1e-9};
    for (int i = 0; i < 2; i++) {
        double y = 1.0, h = 0.0, work[10];
        mf_ode_stats st = {0};
        mf_err err;
        CHECK(mf_ode_dopri5(1, rhs_exp_sin, NULL, NULL, 0.0, 10.0, &y, tols[i], tols[i] * 1e-3, &h,
                            work, &st, &err) == MF_OK,
              "dopri5: %s", err.msg);
        double e = fabs(y - exp(sin(10.0)));
        CHECK(e < 20 * tols[i] * exp(sin(10.0)), "DP45 at rtol %g: error %g after %zu steps",
              tols[i], e, st.accepted);
        CHECK(st.accepted > 5 && st.accepted < (i ? 400u : 100u), "DP45 step count %zu",
              st.accepted);
    }
    /* oscillator over 10 periods, in 100 chunks (as on a recording grid) */
    double y[2] = {1.0, 0.0}, h = 0.0, work[20];
    const double T = 20 * M_PI;
    for (int k = 0; k < 100; k++)
        mf_ode_dopri5(2, rhs_osc, NULL, NULL, T * k / 100, T * (k + 1) / 100, y, 1e-10, 1e-13, &h,
                      work, NULL, NULL);
    CHECK(fabs(y[0] - 1.0) < 1e-7 && fabs(y[1]) < 1e-7, "oscillator after 10 periods: (%g, %g)",
          y[0], y[1]);
    /* with a projection onto the circle the radius stays exactly 1 */
    double z[2] = {1.0, 0.0};
    for (int k = 0; k < 1000; k++)
        mf_ode_rk4_step(2, rhs_osc, proj_circle, NULL, 0.01 * k, 0.01, z, work, NULL);
    CHECK(fabs(hypot(z[0], z[1]) - 1.0) < 1e-15 && fabs(z[0] - cos(10.0)) < 1e-9,
          "projected RK4 on the circle: (%g, %g)", z[0], z[1]);
    mf_err err;
    CHECK(mf_ode_dopri5(1, rhs_exp_sin, NULL, NULL, 0, 1, y, 0.0, 1e-9, &h, work, NULL, &err) ==
              MF_EINVAL,
          "rtol = 0 refused");
}

/* y' = -y, defined only for y > 0 (like a manifold drift that fails far from the manifold) */
static int rhs_decay_positive(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)ctx, (void)t;
    if (!(y[0] > 0)) return mf_err_set(err, MF_EINVAL, "y = %g is outside the domain", y[0]);
    dy[0] = -y[0];
    return MF_OK;
}

/* a trial step whose stages leave the right-hand side's domain is rejected and shrunk, not an
 * error; a right-hand side that fails for every step size still is one */
static void test_dopri5_domain(void) {
    double y = 1.0, h = 50.0, work[10];
    mf_ode_stats st = {0};
    mf_err err;
    int rc = mf_ode_dopri5(1, rhs_decay_positive, NULL, NULL, 0.0, 5.0, &y, 1e-10, 1e-13, &h, work,
                           &st, &err);
    CHECK(rc == MF_OK, "dopri5 from a too-long first step: %s", rc ? err.msg : "");
    CHECK(fabs(y - exp(-5.0)) < 1e-9 && st.rejected > 0, "y(5) = %.12g (want %.12g), %zu rejected",
          y, exp(-5.0), st.rejected);
    y = -1.0, h = 0.0;
    CHECK(mf_ode_dopri5(1, rhs_decay_positive, NULL, NULL, 0.0, 1.0, &y, 1e-9, 1e-12, &h, work,
                        NULL, &err) == MF_EINVAL &&
              strstr(err.msg, "outside the domain"),
          "a start outside the domain is an error with the right-hand side's message: %s", err.msg);
}

/* dx = -theta x dt + sigma dW */
static const double theta = 2.0, sig = 0.5;
static int rhs_ou(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)ctx, (void)t, (void)err;
    dy[0] = -theta * y[0];
    return MF_OK;
}
static int noise_ou(void *ctx, double t, const double *y, const double *dw, double *out,
                    mf_err *err) {
    (void)ctx, (void)t, (void)y, (void)err;
    out[0] = sig * dw[0];
    return MF_OK;
}

static void test_euler_maruyama(void) {
    const double h = 1e-3;
    const int steps = 500, paths = 20000;
    double s1 = 0, s2 = 0, work[10];
    for (int p = 0; p < paths; p++) {
        mf_rng g;
        mf_rng_seed(&g, 5, (uint64_t)p);
        double x = 1.0;
        for (int k = 0; k < steps; k++)
            mf_sde_em_step(1, 1, rhs_ou, noise_ou, NULL, NULL, k * h, h, &x, &g, work, NULL);
        s1 += x, s2 += x * x;
    }
    double mean = s1 / paths, var = (s2 - s1 * s1 / paths) / (paths - 1);
    /* the exact moments of the discrete recursion x <- (1 - theta h) x + sigma sqrt(h) xi */
    double a = 1 - theta * h, want_mean = pow(a, steps);
    double want_var = sig * sig * h * (1 - pow(a, 2 * steps)) / (1 - a * a);
    CHECK(fabs(mean - want_mean) < 4 * sqrt(want_var / paths), "EM mean %g vs %g", mean, want_mean);
    CHECK(fabs(var - want_var) < 4 * want_var * sqrt(2.0 / (paths - 1)), "EM variance %g vs %g",
          var, want_var);
}

int main(void) {
    test_lyapunov();
    test_integrators();
    test_dopri5_domain();
    test_euler_maruyama();
    return check_summary();
}
