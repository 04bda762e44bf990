/* The sharpness-reduction flow of GD with weight decay on a scale-invariant landscape
 * (sharpness paper eq. (3)), time tau = k lr wd: deterministic, first order, on the unit
 * sphere. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifold_impl.h"

typedef struct sharp_flow {
    const mf_landscape *L;
    size_t d, k;
    double *T, *N, *H, *dH, *gam, *ev, *force, *dw;
} sharp_flow;

static int sharpness_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                            mf_err *why) {
    (void)L;
    if (!mf_optim_is(o, &mf_optim_gd_wd_type)) return 0;
    if (nz && nz->type != &mf_noise_none_type)
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "gd_wd's sharpness-reduction flow is for noiseless GD+WD"),
               -1;
    if (order != 1)
        return mf_err_set(why, MF_EUNSUPPORTED, "gd_wd has only a first-order flow"), -1;
    return 1;
}

static void sharpness_free(void *state) {
    sharp_flow *s = state;
    if (!s) return;
    free(s->T), free(s->N), free(s->H), free(s->dH), free(s->gam), free(s->ev), free(s->force);
    free(s->dw), free(s);
}

static int sharpness_init(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                          mf_flow_def *def, mf_err *err) {
    (void)nz, (void)order;
    double eta_in = o->lr * o->p.weight_decay;
    if (!(eta_in > 0))
        return mf_err_set(err, MF_EINVAL, "gd_wd needs lr * wd > 0 (the intrinsic learning rate)");
    sharp_flow *s = calloc(1, sizeof *s);
    if (!s) return mf_err_set(err, MF_ENOMEM, "out of memory");
    size_t d = L->dim, c = L->codim;
    s->L = L, s->d = d, s->k = d - c;
    s->T = malloc(sizeof(double) * d * (d - c));
    s->N = malloc(sizeof(double) * d * c);
    s->H = malloc(sizeof(double) * d * d);
    s->dH = malloc(sizeof(double) * d * d);
    s->gam = malloc(sizeof(double) * d * d);
    s->ev = malloc(sizeof(double) * (d * d + 5 * d));
    s->force = malloc(sizeof(double) * d);
    s->dw = malloc(sizeof(double) * 2 * d);
    if (!s->T || !s->N || !s->H || !s->dH || !s->gam || !s->ev || !s->force || !s->dw) {
        sharpness_free(s);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    def->state = s;
    def->dt = eta_in;
    def->sde = 0;
    return MF_OK;
}

/* the flow lives on the unit sphere */
static void sharpness_constrain(void *state, double *y) {
    sharp_flow *s = state;
    double nrm = 0.0;
    for (size_t r = 0; r < s->d; r++)
        nrm += y[r] * y[r];
    nrm = sqrt(nrm);
    for (size_t r = 0; r < s->d; r++)
        y[r] /= nrm;
}

/* eq. (3) needs L(c w) = L(w) */
static int sharpness_check_start(void *state, const double *x0, mf_err *err) {
    sharp_flow *s = state;
    const size_t d = s->d;
    double *w2 = s->force, f1 = mf_landscape_value(s->L, x0);
    for (size_t a = 0; a < d; a++)
        w2[a] = 2.0 * x0[a];
    double f2 = mf_landscape_value(s->L, w2);
    if (fabs(f2 - f1) > 1e-9 * (fabs(f1) + 1e-12))
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "landscape '%s' is not scale-invariant (L(2 x0) = %g, L(x0) = %g): "
                          "the sharpness-reduction flow needs L(c w) = L(w)",
                          s->L->type->name, f2, f1);
    return MF_OK;
}

/* Sharpness paper eq. (3): dzeta/dtau = -2 grad_G log l1 / (4 + |grad_G log l1|^2) on the
 * manifold G of minima within the unit sphere; d log l1 along g = v1^T (d_g H) v1 / l1 for the
 * top eigenpair (l1, v1) of H(zeta). */
static int sharpness_drift(void *state, const double *z, double *dz, mf_err *err) {
    sharp_flow *fl = state;
    const size_t d = fl->d, k = fl->k;
    int rc = mf_landscape_frame(fl->L, z, fl->T, fl->N, err);
    if (rc) return rc;
    double zz = 0.0;
    for (size_t r = 0; r < d; r++)
        zz += z[r] * z[r];
    /* An orthonormal basis of G's tangent space: M's tangent vectors without the radial part.
     * M is a cone (L(c w) = L(w)), so the radial direction lies in span(T) and G has k - 1
     * directions. Pivoted Gram-Schmidt: take the residual of largest norm each time and stop
     * at k - 1, so the radial remnant (a residual of rounding size, which normalizing would
     * turn into a spurious radial direction with d log l1 = -2) is never kept. */
    size_t kg = 0;
    double *G = fl->gam; /* d x kg, column-major */
    double *R = fl->dH;  /* residuals of the k tangent vectors (scratch until the loop below);
                            a picked one is zeroed */
    for (size_t j = 0; j < k; j++) {
        const double *t = fl->T + j * d;
        double tz = 0.0;
        for (size_t r = 0; r < d; r++)
            tz += t[r] * z[r];
        for (size_t r = 0; r < d; r++)
            R[j * d + r] = t[r] - tz * z[r] / zz;
    }
    while (kg + 1 < k) {
        size_t best = k;
        double bn = 0.0;
        for (size_t j = 0; j < k; j++) {
            double nrm = 0.0;
            for (size_t r = 0; r < d; r++)
                nrm += R[j * d + r] * R[j * d + r];
            if (nrm > bn) bn = nrm, best = j;
        }
        if (best == k || sqrt(bn) < 1e-8) break;
        double *g = G + kg * d;
        memcpy(g, R + best * d, d * sizeof *g);
        memset(R + best * d, 0, d * sizeof *R);
        for (int pass = 0; pass < 2; pass++) { /* re-orthogonalize: against z and the kept ones */
            double cz = 0.0;
            for (size_t r = 0; r < d; r++)
                cz += g[r] * z[r];
            for (size_t r = 0; r < d; r++)
                g[r] -= cz * z[r] / zz;
            for (size_t i = 0; i < kg; i++) {
                double c = 0.0;
                for (size_t r = 0; r < d; r++)
                    c += G[i * d + r] * g[r];
                for (size_t r = 0; r < d; r++)
                    g[r] -= c * G[i * d + r];
            }
        }
        double nrm = 0.0;
        for (size_t r = 0; r < d; r++)
            nrm += g[r] * g[r];
        nrm = sqrt(nrm);
        for (size_t r = 0; r < d; r++)
            g[r] /= nrm;
        for (size_t j = 0; j < k; j++) { /* remove g from the remaining residuals */
            double c = 0.0;
            for (size_t r = 0; r < d; r++)
                c += g[r] * R[j * d + r];
            for (size_t r = 0; r < d; r++)
                R[j * d + r] -= c * g[r];
        }
        kg++;
    }
    /* top eigenpair of H(zeta) */
    mf_landscape_hess(fl->L, z, fl->H);
    double *A = fl->ev, *w = A + d * d, *v1 = w + d;
    memcpy(A, fl->H, d * d * sizeof *A);
    lapack_int m, isupp[2];
    lapack_int info =
        LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', (lapack_int)d, A, (lapack_int)d, 0.0, 0.0,
                       (lapack_int)d, (lapack_int)d, 0.0, &m, w, v1, (lapack_int)d, isupp);
    if (info != 0 || m != 1)
        return mf_err_set(err, MF_EINVAL, "top eigenpair of the Hessian failed (LAPACK info %d)",
                          (int)info);
    double l1 = w[0];
    if (!(l1 > 0))
        return mf_err_set(err, MF_EINVAL,
                          "the top Hessian eigenvalue %g is not positive at (%g, %g, %g)", l1, z[0],
                          z[1], d > 2 ? z[2] : 0.0);
    double *grad = fl->force, g2 = 0.0;
    memset(grad, 0, d * sizeof *grad);
    const int generic = fl->L->type->dhess == mf_landscape_generic_dhess ||
                        fl->L->type->dhess == mf_landscape_generic_dhess_coarse;
    double *full = fl->dw, *zp = fl->dw + d; /* dw has 2d */
    if (generic) { /* grad log l1 = D^3 f[v1, v1, .] / l1 from two Hessian-vector products */
        double zn = 0.0;
        for (size_t r = 0; r < d; r++)
            zn += z[r] * z[r];
        const double e = cbrt(2.220446049250313e-16) * fmax(1.0, sqrt(zn));
        double *ha = fl->H, *hb = fl->H + d; /* H is no longer needed */
        for (size_t r = 0; r < d; r++)
            zp[r] = z[r] + e * v1[r];
        mf_landscape_hvp(fl->L, zp, v1, ha);
        for (size_t r = 0; r < d; r++)
            zp[r] = z[r] - e * v1[r];
        mf_landscape_hvp(fl->L, zp, v1, hb);
        for (size_t r = 0; r < d; r++)
            full[r] = (ha[r] - hb[r]) / (2.0 * e * l1);
    }
    for (size_t j = 0; j < kg; j++) {
        const double *g = G + j * d;
        double s = 0.0;
        if (generic) {
            for (size_t r = 0; r < d; r++)
                s += g[r] * full[r];
        } else {
            fl->L->type->dhess(fl->L, z, g, fl->dH);
            for (size_t a = 0; a < d; a++) {
                double row = 0.0;
                for (size_t b = 0; b < d; b++)
                    row += fl->dH[a * d + b] * v1[b];
                s += v1[a] * row;
            }
            s /= l1;
        }
        g2 += s * s;
        for (size_t r = 0; r < d; r++)
            grad[r] += s * g[r];
    }
    for (size_t r = 0; r < d; r++)
        dz[r] = -2.0 * grad[r] / (4.0 + g2);
    return MF_OK;
}

const mf_flow_type mf_flow_sharpness_type = {
    .name = "sharpness",
    .supports = "gd_wd without noise if scale-invariant",
    .claims = sharpness_claims,
    .init = sharpness_init,
    .free = sharpness_free,
    .drift = sharpness_drift,
    .constrain = sharpness_constrain,
    .check_start = sharpness_check_start,
};
