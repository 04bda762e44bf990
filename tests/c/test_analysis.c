/* Analysis: Lanczos against LAPACK, Hutchinson within its standard errors, fits recover known
 * parameters (and their standard errors are calibrated), closed forms against numerics. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/analysis.h"
#include "mflab/rng.h"

typedef struct dense {
    size_t n;
    const double *A; /* row-major, symmetric */
    size_t calls;
} dense;

static int dense_matvec(void *ctx, const double *v, double *out, mf_err *err) {
    dense *D = ctx;
    for (size_t i = 0; i < D->n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < D->n; j++)
            s += D->A[i * D->n + j] * v[j];
        out[i] = s;
    }
    D->calls++;
    return MF_OK;
}

static double *random_symmetric(size_t n, uint64_t seed) {
    double *A = malloc(sizeof(double) * n * n);
    mf_rng g;
    mf_rng_seed(&g, seed, 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            A[i * n + j] = A[j * n + i] = mf_rng_normal(&g);
    return A;
}

static void test_lanczos(void) {
    const size_t n = 60, k = 5;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        double *A = random_symmetric(n, seed);
        double *ref = malloc(sizeof(double) * n * n), *w = malloc(sizeof(double) * n);
        memcpy(ref, A, sizeof(double) * n * n);
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, ref, (lapack_int)n, w);
        dense D = {n, A, 0};
        double ev[5], vec[5 * 60];
        size_t nmv;
        mf_err err;
        CHECK(mf_lanczos_top(n, dense_matvec, &D, k, 1e-12, 0, 7, ev, vec, &nmv, &err) == MF_OK,
              "lanczos: %s", err.msg);
        for (size_t i = 0; i < k; i++) {
            double want = w[n - 1 - i]; /* dsyevd: ascending */
            CHECK(fabs(ev[i] - want) <= 1e-10 * fabs(want), "eigenvalue %zu: %.17g vs LAPACK %.17g",
                  i + 1, ev[i], want);
            double c = 0.0; /* |<v, v_ref>| = 1 (column n-1-i of ref) */
            for (size_t r = 0; r < n; r++)
                c += vec[i * n + r] * ref[r * n + (n - 1 - i)];
            CHECK(fabs(fabs(c) - 1.0) < 1e-8, "eigenvector %zu: overlap %.12f", i + 1, fabs(c));
        }
        CHECK(nmv == D.calls && nmv <= n, "products counted: %zu", nmv);
        free(A), free(ref), free(w);
    }
    /* a well-separated top eigenvalue converges in few products */
    const size_t m = 500;
    double *B = calloc(m * m, sizeof(double));
    for (size_t i = 0; i < m; i++)
        B[i * m + i] = 1.0 + (double)i / (double)m; /* spectrum in [1, 2) ... */
    B[0] = 10.0;                                    /* ... and one outlier */
    dense D = {m, B, 0};
    double top;
    size_t nmv;
    CHECK(mf_lanczos_top(m, dense_matvec, &D, 1, 1e-6, 0, 1, &top, NULL, &nmv, NULL) == MF_OK,
          "top");
    CHECK(fabs(top - 10.0) < 1e-6 * 10.0 && nmv < 30, "outlier 10: %.12g after %zu products", top,
          nmv);
    free(B);
    mf_err err;
    CHECK(mf_lanczos_top(3, dense_matvec, &D, 4, 1e-6, 0, 1, &top, NULL, NULL, &err) == MF_EINVAL &&
              strstr(err.msg, "larger than the dimension"),
          "k > n refused: %s", err.msg);
}

static void test_hutchinson(void) {
    const size_t n = 80;
    double *A = random_symmetric(n, 11);
    for (size_t i = 0; i < n; i++)
        A[i * n + i] += 3.0;
    double exact = 0.0;
    for (size_t i = 0; i < n; i++)
        exact += A[i * n + i];
    dense D = {n, A, 0};
    double tr, se;
    size_t ns;
    mf_err err;
    CHECK(mf_hutchinson_trace(n, dense_matvec, &D, 1e-9, 10, 2000, 5, &tr, &se, &ns, &err) == MF_OK,
          "hutchinson: %s", err.msg);
    CHECK(ns == 2000 && fabs(tr - exact) <= 4.0 * se, "trace %g vs exact %g (se %g, %zu samples)",
          tr, exact, se, ns);
    /* Rademacher probes: the estimate's variance is 2 sum_{i != j} A_ij^2 per sample */
    double off = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j) off += A[i * n + j] * A[i * n + j];
    double want_se = sqrt(2.0 * off / 2000.0);
    CHECK(fabs(se / want_se - 1.0) < 0.1, "standard error %g vs theory %g", se, want_se);
    /* a diagonal matrix is estimated exactly */
    double *Dg = calloc(n * n, sizeof(double));
    for (size_t i = 0; i < n; i++)
        Dg[i * n + i] = (double)i;
    dense E = {n, Dg, 0};
    mf_hutchinson_trace(n, dense_matvec, &E, 1e-9, 2, 100, 5, &tr, &se, &ns, NULL);
    CHECK(tr == n * (n - 1) / 2.0 && se == 0.0 && ns == 2, "diagonal trace %g se %g after %zu", tr,
          se, ns);
    free(A), free(Dg);
}

/* Fraction of synthetic data sets whose fitted parameter lies within 2 standard errors of the
 * truth: about 95% if the fit and its errors are right. 400 sets; bounds [0.90, 0.99] are
 * 4 binomial standard errors (sqrt(0.95 0.05/400) = 0.011) around 0.95, give or take. */
static void test_fits(void) {
    mf_rng g;
    mf_rng_seed(&g, 99, 0);
    const size_t n = 30;
    double t[30], y[30];
    int hit_exp = 0, hit_pow = 0, hit_vee = 0;
    const int sets = 400;
    for (int s = 0; s < sets; s++) {
        /* exponential: y = 3 exp(-t/T) with 5% multiplicative noise, T = 40 */
        for (size_t i = 0; i < n; i++) {
            t[i] = 5.0 * (double)i;
            y[i] = 3.0 * exp(-t[i] / 40.0) * exp(0.05 * mf_rng_normal(&g));
        }
        mf_fit_result r;
        CHECK(mf_fit_exp_timescale(t, y, n, &r, NULL) == MF_OK, "exp fit");
        hit_exp += fabs(r.p[0] - 40.0) <= 2.0 * r.se[0];
        /* power law: y = 2 x^-1.5 */
        for (size_t i = 0; i < n; i++) {
            t[i] = 1.0 + (double)i;
            y[i] = 2.0 * pow(t[i], -1.5) * exp(0.05 * mf_rng_normal(&g));
        }
        CHECK(mf_fit_powerlaw(t, y, n, &r, NULL) == MF_OK, "power-law fit");
        hit_pow += fabs(r.p[0] + 1.5) <= 2.0 * r.se[0];
        /* vee: optimum at 0.62, slopes +3 and -5, noise 0.02 */
        for (size_t i = 0; i < n; i++) {
            t[i] = 0.3 + 0.6 * (double)i / (double)(n - 1);
            double dx = t[i] - 0.62;
            y[i] = 0.9 + (dx <= 0 ? 3.0 * dx : -5.0 * dx) + 0.02 * mf_rng_normal(&g);
        }
        CHECK(mf_fit_vee(t, y, n, &r, NULL) == MF_OK, "vee fit");
        hit_vee += fabs(r.p[0] - 0.62) <= 2.0 * r.se[0];
    }
    double fe = (double)hit_exp / sets, fp = (double)hit_pow / sets, fv = (double)hit_vee / sets;
    CHECK(fe >= 0.90 && fe <= 0.99, "exp timescale within 2 s.e. in %.3f of data sets", fe);
    CHECK(fp >= 0.90 && fp <= 0.99, "power-law exponent within 2 s.e. in %.3f of data sets", fp);
    CHECK(fv >= 0.90 && fv <= 0.99, "vee optimum within 2 s.e. in %.3f of data sets", fv);
    /* exact data are fitted exactly */
    for (size_t i = 0; i < n; i++)
        t[i] = (double)i, y[i] = 5.0 * exp(-t[i] / 7.0);
    mf_fit_result r;
    mf_fit_exp_timescale(t, y, n, &r, NULL);
    CHECK(fabs(r.p[0] - 7.0) < 1e-10 && fabs(r.p[1] - 5.0) < 1e-10, "exact exponential: T %.15g",
          r.p[0]);
    /* bad input */
    mf_err err;
    CHECK(mf_fit_exp_timescale(t, y, 2, &r, &err) == MF_EINVAL && strstr(err.msg, "2 points"),
          "too few points: %s", err.msg);
    y[3] = -1.0;
    CHECK(mf_fit_exp_timescale(t, y, n, &r, &err) == MF_EINVAL && strstr(err.msg, "y > 0"),
          "non-positive data: %s", err.msg);
    CHECK(mf_fit_powerlaw(t, y, n, &r, &err) == MF_EINVAL && strstr(err.msg, "x > 0"),
          "x = 0 in a power law: %s", err.msg);
    CHECK(mf_fit_vee(t, y, 4, &r, &err) == MF_EINVAL, "vee needs 5 points");
}

static void test_closed_forms(void) {
    /* kappa against the eigenvalues of the heavy-ball map on (w, pi):
     * pi' = beta pi - lambda w, w' = w + eta pi'  =>  J = [[1 - eta lambda, eta beta], [-lambda,
     * beta]] */
    const double cases[][3] = {
        {0.1, 0.9, 1.0}, {0.1, 0.5, 30.0}, {1.0, 0.2, 0.5}, {0.5, 0.99, 3.0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double eta = cases[c][0], beta = cases[c][1], lam = cases[c][2];
        double J[4] = {1 - eta * lam, eta * beta, -lam, beta}, wr[2], wi[2];
        LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', 2, J, 2, wr, wi, NULL, 1, NULL, 1);
        double re[2], im[2];
        mf_hb_spectrum(eta, beta, lam, re, im);
        /* compare as unordered pairs */
        int same = (fabs(re[0] - wr[0]) < 1e-12 && fabs(im[0] - wi[0]) < 1e-12 &&
                    fabs(re[1] - wr[1]) < 1e-12 && fabs(im[1] - wi[1]) < 1e-12) ||
                   (fabs(re[0] - wr[1]) < 1e-12 && fabs(im[0] - wi[1]) < 1e-12 &&
                    fabs(re[1] - wr[0]) < 1e-12 && fabs(im[1] - wi[0]) < 1e-12);
        CHECK(same, "kappa(%g, %g, %g) = %g%+gi, %g%+gi; LAPACK %g%+gi, %g%+gi", eta, beta, lam,
              re[0], im[0], re[1], im[1], wr[0], wi[0], wr[1], wi[1]);
    }
    /* OU variance (eq. 171) against 8192 independent heavy-ball chains after burn-in:
     * pi <- beta pi - lambda w + eps sqrt(Lambda) xi, w <- w + eta pi. The sample variance of
     * 8192 normal values has standard error var sqrt(2/8191). */
    const double eta = 0.1, beta = 0.8, lam = 2.0, eps = 0.3, Lam = 1.5;
    const size_t chains = 8192;
    const int burn = 3000;
    mf_rng g;
    mf_rng_seed(&g, 2024, 0);
    double s2 = 0.0, s1 = 0.0;
    for (size_t c = 0; c < chains; c++) {
        double w = 0.0, p = 0.0;
        for (int k = 0; k < burn; k++) {
            p = beta * p - lam * w + eps * sqrt(Lam) * mf_rng_normal(&g);
            w = w + eta * p;
        }
        s1 += w, s2 += w * w;
    }
    double var = (s2 - s1 * s1 / chains) / (chains - 1),
           want = mf_hb_ou_variance(eta, beta, lam, eps, Lam);
    CHECK(fabs(var - want) <= 4.0 * want * sqrt(2.0 / (chains - 1)),
          "OU variance: simulated %g, eq. (171) %g", var, want);
    /* eqs. (9), (10): at C = C* and gamma = 2/3 the two timescales meet */
    double C = mf_uv_cstar(0.5, 1.3, 1.0, 5.0);
    CHECK(fabs(C - cbrt(0.25 * 1.3 / 5.0)) < 1e-15, "C*");
    double t1 = mf_uv_tau1(0.01, 2.0 / 3.0, C),
           t2 = mf_uv_tau2(0.01, 2.0 / 3.0, C, 0.5, 1.3, 1.0, 5.0);
    CHECK(fabs(t1 / t2 - 1.0) < 1e-12, "tau1 = tau2 at C*: %g vs %g", t1, t2);
    CHECK(fabs(mf_speed_factor(0.1, 0.5, 2.0) - 0.01 / (2.0 * 0.25)) < 1e-15 &&
              fabs(mf_range_factor(0.1, 0.5, 2.0) - 0.1) < 1e-15,
          "speed and range factors");
}

int main(void) {
    test_lanczos();
    test_hutchinson();
    test_fits();
    test_closed_forms();
    return check_summary();
}
