/* Label noise (doc/math.md §2, flatter-faster eq. (1)): every step each target is perturbed,
 * y_a -> y_a + eps xi_a, and the gradient of the perturbed loss is used as is. For a landscape
 * f = w sum_a r_a^2 with r_a = prediction_a - y_a (landscape.h), that gradient is
 *     grad f - 2 w eps J^T xi,   J = dr/dz,
 * so D = 2 w eps J^T and D D^T = 4 w^2 eps^2 J^T J = 2 w eps^2 H_f on a zero-loss manifold
 * (H_f = 2 w J^T J there): the paper's sigma sigma^T = c H_f with c = 2 w (1/P for the UV
 * model, F eq. (11)). Unlike Hessian noise it is evaluated at z itself, not at Pz. */
#include <math.h>

#include "mflab/noise.h"

static int label_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err) {
    (void)nz;
    if (L->nres == 0 || !L->type->residual_jt_sub)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "option 'noise': label noise perturbs the targets of per-example "
                          "residuals, and landscape '%s' has no examples (landscapes with them: "
                          "uv, matrix_factorization, matrix_sensing)",
                          L->type->name);
    *ndraws = L->nres;
    return MF_OK;
}

/* g -= 2 w (eps / sqrt(B)) J(z)^T xi */
static void label_sub(const mf_noise *nz, const mf_landscape *L, size_t m, const double *z,
                      size_t ld, const double *xi, size_t ldxi, double *g, size_t ldg) {
    L->type->residual_jt_sub(L, m, z, ld, 2.0 * L->res_weight * mf_noise_scale(nz), xi, ldxi, g,
                             ldg);
}

const mf_noise_type mf_noise_label_type = {"label", label_bind, label_sub};

int mf_noise_label(mf_noise *nz, double eps, mf_err *err) {
    if (!(eps >= 0.0) || !isfinite(eps))
        return mf_err_set(err, MF_EINVAL, "option 'eps' must be a finite number >= 0, got %g", eps);
    *nz = (mf_noise){
        .type = &mf_noise_label_type, .sigma = eps, .space = MF_SPACE_FULL, .batch = 1.0};
    return MF_OK;
}
