/* Noise covariances (doc/math.md §2) estimated from 1e5 samples at a point off the manifold of the
 * valley h(x) = 1 + x^2, each entry within 4 standard errors (the standard error of a sample
 * second moment estimated from the same samples): hessian{sigma} gives sigma^2 A(Pz) =
 * diag(0, sigma^2 h(x)), isotropic normal sigma^2 P_T, full sigma^2 I, and minibatch{B} of each
 * divides by B (Q(20)); none adds nothing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/noise.h"
#include "mflab/rng.h"

#define N 100000

static void check_cov(const mf_landscape *L, const mf_noise *nz, const double want[2][2],
                      const char *what) {
    size_t nd = 0;
    CHECK(mf_noise_bind(nz, L, &nd, NULL) == 0, "%s: bind", what);
    double *z = malloc(sizeof(double) * 2 * N), *g = calloc(2 * N, sizeof(double)),
           *xi = malloc(sizeof(double) * (nd + 1) * N);
    mf_rng_soa rng;
    mf_rng_soa_init(&rng, N, 11, 0, NULL);
    for (size_t i = 0; i < N; i++)
        z[i] = 0.7, z[N + i] = 0.3; /* off the manifold: D is evaluated at Pz = (0.7, 0) */
    for (size_t r = 0; r < nd; r++)
        mf_rng_soa_normals(&rng, xi + r * N);
    nz->type->sub(nz, L, N, z, N, xi, N, g, N); /* g = 0 - D xi */
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double s = 0.0, s2 = 0.0;
            for (size_t i = 0; i < N; i++) {
                double p = g[a * N + i] * g[b * N + i];
                s += p, s2 += p * p;
            }
            double mean = s / N, se = sqrt((s2 / N - mean * mean) / (N - 1));
            if (want[a][b] == 0.0 && se == 0.0)
                CHECK(mean == 0.0, "%s: cov[%d][%d] = %g, want exactly 0", what, a, b, mean);
            else
                CHECK(fabs(mean - want[a][b]) <= 4 * se,
                      "%s: cov[%d][%d] = %.5f +- %.5f, want %.5f", what, a, b, mean, se,
                      want[a][b]);
        }
    mf_rng_soa_free(&rng);
    free(z), free(g), free(xi);
}

int main(void) {
    mf_landscape *L;
    const double c[] = {1, 0, 1};
    mf_landscape_valley(&L, c, 3, NULL);
    const double h = 1 + 0.7 * 0.7, sigma = 1.3, s2 = sigma * sigma;
    for (int k = 0; k < 2; k++) {
        const double B = k ? 7.0 : 1.0;
        char what[64];
        mf_noise nz, base;
        mf_noise_hessian(&base, sigma, NULL);
        mf_noise_minibatch(&nz, &base, B, NULL);
        snprintf(what, sizeof what, "hessian, B = %g", B);
        check_cov(L, &nz, (const double[2][2]){{0, 0}, {0, s2 * h / B}}, what);
        mf_noise_isotropic(&base, sigma, MF_SPACE_NORMAL, NULL);
        mf_noise_minibatch(&nz, &base, B, NULL);
        snprintf(what, sizeof what, "isotropic normal, B = %g", B);
        check_cov(L, &nz, (const double[2][2]){{0, 0}, {0, s2 / B}}, what);
        mf_noise_isotropic(&base, sigma, MF_SPACE_FULL, NULL);
        mf_noise_minibatch(&nz, &base, B, NULL);
        snprintf(what, sizeof what, "isotropic full, B = %g", B);
        check_cov(L, &nz, (const double[2][2]){{s2 / B, 0}, {0, s2 / B}}, what);
    }
    mf_noise none, nested, base;
    mf_noise_none(&none, NULL);
    check_cov(L, &none, (const double[2][2]){{0, 0}, {0, 0}}, "none");
    /* minibatch of a minibatch multiplies B; B < 1 is refused naming the option */
    mf_noise_hessian(&base, 1.0, NULL);
    mf_noise_minibatch(&nested, &base, 2.0, NULL);
    mf_noise_minibatch(&nested, &nested, 3.0, NULL);
    CHECK(nested.batch == 6.0 && fabs(mf_noise_scale(&nested) - 1 / sqrt(6.0)) < 1e-15,
          "nested minibatch: B = 6");
    mf_err err = {0};
    CHECK(mf_noise_minibatch(&nested, &base, 0.5, &err) == MF_EINVAL && strstr(err.msg, "'B'"),
          "B < 1: %s", err.msg);
    mf_landscape_free(L);
    return check_summary();
}
