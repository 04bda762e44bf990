/* Isotropic noise: D D^T = sigma^2 P_T on the normal space (quasistatic eq. 14 case) or
 * sigma^2 I on the full space (doc/math.md §2). */
#include "mflab/noise.h"

#include <math.h>

static int isotropic_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err) {
    if (nz->space == MF_SPACE_FULL) {
        *ndraws = L->dim;
        return MF_OK;
    }
    if (nz->space != MF_SPACE_NORMAL || !L->type->normal_sub)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "isotropic noise in the %s space is not available on landscape '%s'",
                          nz->space == MF_SPACE_NORMAL ? "normal" : "tangent", L->type->name);
    if (L->codim == 0) /* no normal space: the noise would be NaN from step 1 */
        return mf_err_set(err, MF_EINVAL,
                          "isotropic noise in the normal space needs a manifold of minima, and "
                          "landscape '%s' has codim 0 (none known): give its codim, or use "
                          "space = 'full'",
                          L->type->name);
    int rc = mf_landscape_check_dense_noise(L, 0, "isotropic noise in the normal space", err);
    if (rc) return rc;
    *ndraws = L->codim;
    return MF_OK;
}

static void isotropic_sub(const mf_noise *nz, const mf_landscape *L, size_t m, const double *z,
                          size_t ld, const double *xi, size_t ldxi, double *g, size_t ldg) {
    const double s = mf_noise_scale(nz);
    if (nz->space == MF_SPACE_NORMAL) {
        L->type->normal_sub(L, m, z, ld, s, xi, ldxi, g, ldg);
        return;
    }
    for (size_t k = 0; k < L->dim; k++) {
        double *restrict gk = g + k * ldg;
        const double *restrict xk = xi + k * ldxi;
        for (size_t i = 0; i < m; i++)
            gk[i] -= s * xk[i];
    }
}

const mf_noise_type mf_noise_isotropic_type = {"isotropic", isotropic_bind, isotropic_sub};

int mf_noise_isotropic(mf_noise *nz, double sigma, enum mf_noise_space space, mf_err *err) {
    if (!(sigma >= 0.0) || !isfinite(sigma))
        return mf_err_set(err, MF_EINVAL, "sigma must be a finite number >= 0, got %g", sigma);
    if (space != MF_SPACE_FULL && space != MF_SPACE_NORMAL)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "isotropic noise supports the spaces 'normal' and 'full'");
    nz->type = &mf_noise_isotropic_type;
    nz->sigma = sigma;
    nz->batch = 1.0;
    nz->space = space;
    return MF_OK;
}
