/* Hutchinson's trace estimator with Rademacher probes (Hutchinson 1989). */
#include <math.h>
#include <stdlib.h>

#include "mflab/analysis.h"
#include "mflab/interrupt.h"
#include "mflab/rng.h"

int mf_hutchinson_trace(size_t n, mf_matvec_fn f, void *ctx, double tol, size_t min_samples,
                        size_t max_samples, uint64_t seed, double *trace, double *se,
                        size_t *nsamples, mf_err *err) {
    if (n == 0) return mf_err_set(err, MF_EINVAL, "the dimension must be >= 1");
    if (!(tol > 0.0)) return mf_err_set(err, MF_EINVAL, "tol must be > 0, got %g", tol);
    if (min_samples < 2) min_samples = 2;
    if (max_samples < min_samples) max_samples = min_samples;
    double *v = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
    if (!v || !w) {
        free(v), free(w);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    mf_rng g;
    mf_rng_seed(&g, seed, 0);
    double mean = 0.0, m2 = 0.0; /* Welford */
    size_t s = 0;
    int rc = MF_OK;
    while (s < max_samples) {
        for (size_t i = 0; i < n; i += 64) { /* one random bit per coordinate */
            uint64_t bits = mf_rng_u64(&g);
            for (size_t b = 0; b < 64 && i + b < n; b++)
                v[i + b] = (bits >> b) & 1 ? 1.0 : -1.0;
        }
        if ((rc = f(ctx, v, w, err))) break;
        double q = 0.0;
        for (size_t i = 0; i < n; i++)
            q += v[i] * w[i];
        s++;
        double delta = q - mean;
        mean += delta / (double)s;
        m2 += delta * (q - mean);
        if (s >= min_samples) {
            double e = sqrt(m2 / (double)(s - 1) / (double)s);
            if (e <= tol * fabs(mean)) break;
        }
        if (mf_interrupt_pending()) {
            rc = mf_err_set(err, MF_EINTR, "interrupted after %zu samples", s);
            break;
        }
    }
    *trace = mean;
    *se = s > 1 ? sqrt(m2 / (double)(s - 1) / (double)s) : INFINITY;
    if (nsamples) *nsamples = s;
    free(v), free(w);
    return rc;
}
