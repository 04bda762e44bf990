/* Hessian-aligned noise: D D^T = (sigma^2/2) H_f(Pz) (quasistatic paper, introduction). */
#include "mflab/noise.h"

#include <math.h>

static int hessian_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err) {
    if (!L->type->hess_sqrt_sub)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "Hessian noise needs the landscape's normal-space Hessian square root, "
                          "which '%s' does not provide",
                          L->type->name);
    if (L->codim == 0) /* no normal space: the noise would be NaN from step 1 */
        return mf_err_set(err, MF_EINVAL,
                          "Hessian noise lives on the normal space of the manifold of minima, and "
                          "landscape '%s' has codim 0 (none known): give its codim, or use "
                          "isotropic noise with space = 'full'",
                          L->type->name);
    int rc = mf_landscape_check_dense_noise(L, 1, "Hessian noise", err);
    if (rc) return rc;
    *ndraws = L->codim;
    return MF_OK;
}

/* D xi = sigma sqrt(A(Pz)) xi on the normal space. */
static void hessian_sub(const mf_noise *nz, const mf_landscape *L, size_t m, const double *z,
                        size_t ld, const double *xi, size_t ldxi, double *g, size_t ldg) {
    L->type->hess_sqrt_sub(L, m, z, ld, mf_noise_scale(nz), xi, ldxi, g, ldg);
}

const mf_noise_type mf_noise_hessian_type = {"hessian", hessian_bind, hessian_sub};

int mf_noise_hessian(mf_noise *nz, double sigma, mf_err *err) {
    if (!(sigma >= 0.0) || !isfinite(sigma))
        return mf_err_set(err, MF_EINVAL, "sigma must be a finite number >= 0, got %g", sigma);
    nz->type = &mf_noise_hessian_type;
    nz->sigma = sigma;
    nz->batch = 1.0;
    nz->space = MF_SPACE_NORMAL;
    return MF_OK;
}

int mf_noise_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err) {
    return nz->type->bind(nz, L, ndraws, err);
}
