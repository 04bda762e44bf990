/* No noise, and minibatch noise: a noise model with its covariance divided by the batch size
 * B (quasistatic eq. (20); doc/math.md §2). */
#include <math.h>
#include <string.h>

#include "mflab/noise.h"

static int none_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err) {
    *ndraws = 0;
    return MF_OK;
}

static void none_sub(const mf_noise *nz, const mf_landscape *L, size_t m, const double *z,
                     size_t ld, const double *xi, size_t ldxi, double *g, size_t ldg) {}

const mf_noise_type mf_noise_none_type = {"none", none_bind, none_sub};

int mf_noise_none(mf_noise *nz, mf_err *err) {
    *nz =
        (mf_noise){.type = &mf_noise_none_type, .sigma = 0.0, .space = MF_SPACE_FULL, .batch = 1.0};
    return MF_OK;
}

int mf_noise_minibatch(mf_noise *nz, const mf_noise *inner, double B, mf_err *err) {
    if (!(B >= 1.0) || !isfinite(B))
        return mf_err_set(err, MF_EINVAL, "option 'B' must be a finite number >= 1, got %g", B);
    *nz = *inner;
    nz->batch = inner->batch * B;
    return MF_OK;
}
