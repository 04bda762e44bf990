/* The force of the SGD and momentum flows (doc/math.md §4, quasistatic eqs. (12), (39)):
 * F = sum_ij V_ij grad_M A_ij with V the stationary normal covariance of the Lyapunov equation
 * for the noise model's normal covariance Q (see manifold_impl.h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifold_impl.h"
#include "matrix_impl.h"
#include "mflab/lyapunov.h"

int mf_flow_force_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                         mf_err *why) {
    (void)L;
    if (!nz || nz->type == &mf_noise_none_type)
        return mf_err_set(why, MF_EUNSUPPORTED, "without noise there is no manifold drift"), -1;
    if (o->sched.kind != MF_SCHED_CONSTANT || o->sched.warmup)
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "the manifold flow needs a constant learning rate (got a schedule)"),
               -1;
    if (nz->type == &mf_noise_hessian_type || nz->type == &mf_noise_label_type ||
        (nz->type == &mf_noise_isotropic_type && nz->space != MF_SPACE_TANGENT))
        return 1;
    return mf_err_set(why, MF_EUNSUPPORTED, "noise '%s'%s is not supported", nz->type->name,
                      nz->type == &mf_noise_isotropic_type ? " in the tangent space" : ""),
           -1;
}

void mf_flow_force_free(mf_flow_force *f) {
    if (!f) return;
    free(f->H), free(f->dH), free(f->T), free(f->N), free(f->AN), free(f->Q), free(f->V);
    free(f->tmp), free(f->lyw), free(f->gam), free(f->ev), free(f->g), free(f->lab);
    free(f->zframe);
    free(f);
}

int mf_flow_force_new(mf_flow_force **out, const mf_landscape *L, const mf_optim *o,
                      const mf_noise *nz, double kappa, double vscale, mf_err *err) {
    *out = NULL;
    mf_flow_force f0 = {.L = L, .lr = o->lr, .kappa = kappa, .vscale = vscale};
    double s = mf_noise_scale(nz);
    if (nz->type == &mf_noise_hessian_type) {
        f0.q_hessian = 1;
    } else if (nz->type == &mf_noise_isotropic_type) {
        f0.tangent_sd = nz->space == MF_SPACE_FULL ? s : 0.0;
    } else { /* label noise, doc/math.md §4 "Label-noise heavy ball" */
        size_t nd;
        int rc = mf_noise_bind(nz, L, &nd, err);
        if (rc) return rc;
        f0.q_label = 1;
        s *= 2.0 * L->res_weight; /* D = 2 w (eps / sqrt(B)) J^T */
    }
    f0.q2 = s * s;
    mf_flow_force *f = calloc(1, sizeof *f);
    if (!f) return mf_err_set(err, MF_ENOMEM, "out of memory");
    *f = f0;
    size_t d = L->dim, c = L->codim, k = d - c;
    f->d = d, f->c = c, f->k = k;
    f->H = malloc(sizeof(double) * d * d);
    f->dH = malloc(sizeof(double) * d * d);
    f->T = malloc(sizeof(double) * d * k);
    f->N = malloc(sizeof(double) * d * c);
    f->AN = malloc(sizeof(double) * c * c);
    f->Q = malloc(sizeof(double) * c * c);
    f->V = malloc(sizeof(double) * c * c);
    f->tmp = malloc(sizeof(double) * d * c);
    f->lyw = malloc(sizeof(double) * mf_lyapunov_worksize(c));
    f->gam = malloc(sizeof(double) * d * d);
    f->ev = malloc(sizeof(double) * (d * d + 5 * d));
    f->g = malloc(sizeof(double) * d);
    f->zframe = malloc(sizeof(double) * d);
    if (f->q_label) f->lab = malloc(sizeof(double) * mf_flow_label_worksize(L, c));
    if ((f->q_label && !f->lab) || !f->H || !f->dH || !f->T || !f->N || !f->AN || !f->Q || !f->V ||
        !f->tmp || !f->lyw || !f->gam || !f->ev || !f->g || !f->zframe) {
        mf_flow_force_free(f);
        return mf_err_set(err, MF_ENOMEM, "out of memory for a flow of dimension %zu", d);
    }
    *out = f;
    return MF_OK;
}

/* f->T and f->N at z: the frame, unless it was computed at the same point (bit for bit) last */
static int force_frame(mf_flow_force *f, const double *z, mf_err *err) {
    if (f->frame_ok && memcmp(z, f->zframe, f->d * sizeof *z) == 0) return MF_OK;
    f->frame_ok = 0;
    int rc = mf_landscape_frame(f->L, z, f->T, f->N, err);
    if (rc) return rc;
    memcpy(f->zframe, z, f->d * sizeof *z);
    f->frame_ok = 1;
    return MF_OK;
}

int mf_flow_force_noise(mf_flow_force *f, const double *z, const double *dw, double *out,
                        mf_err *err) {
    const size_t d = f->d;
    int rc = force_frame(f, z, err);
    if (rc) return rc;
    memset(out, 0, d * sizeof *out);
    double s = sqrt(f->lr) * f->tangent_sd;
    for (size_t j = 0; j < f->k; j++)
        for (size_t r = 0; r < d; r++)
            out[r] += s * dw[j] * f->T[j * d + r];
    return MF_OK;
}

/* X^T M Y for M d x d row-major and X (d x a), Y (d x b) column-major: out a x b row-major.
 * Each entry is summed in the order of a dot product, but the loops update rows of independent
 * entries: a single running sum per entry is bound by the adder's latency (d = 50). */
static void sandwich(const double *X, size_t a, const double *M, const double *Y, size_t b,
                     size_t d, double *tmp, double *out, double scale) {
    mf_mat_mul_rows(d, d, b, M, d, 1, Y, 1, d, tmp); /* tmp = M Y (d x b, row-major) */
    mf_mat_mul_rows(a, d, b, X, d, 1, tmp, b, 1, out);
    for (size_t i = 0; i < a * b; i++)
        out[i] *= scale;
}

/* The force F = sum_j t_j <W, d_{t_j} A>, W = N V N^T, at the manifold point z.
 * With an analytic Hessian derivative (dhess), each tangent direction costs one d x d
 * contraction with W, or all of them one pass when the landscape contracts W itself
 * (dhess_contract: grad phi directly). Otherwise the whole gradient of phi(z) = <W, A(z)>
 * comes from V's eigenvectors w_i = N u_i (W = sum_i s_i w_i w_i^T):
 *     grad phi = (1/2) sum_i s_i D^3 f[w_i, w_i, .],
 *     D^3 f[w, w, .] = (H(z + e w) w - H(z - e w) w) / (2 e) + O(e^2),
 * two Hessian-vector products per normal direction instead of a finite-difference Hessian per
 * tangent direction, with e = cbrt(eps) max(1, |z|) (error ~ 1e-10 relative); F = T T^T grad phi.
 */
int mf_flow_force_eval(mf_flow_force *fl, const double *z, double *F, mf_err *err) {
    const size_t d = fl->d, c = fl->c, k = fl->k;
    int rc = force_frame(fl, z, err);
    if (rc) return rc;
    /* A_N = N^T (H/2) N: from c Hessian-vector products H n_j where the landscape has its own
     * (the dense Hessian is d of them: 50 against 25 for matrix factorization 5x5x5), else
     * from the dense Hessian (the generic hvp would build one per product) */
    if (fl->L->type->hvp != mf_landscape_generic_hvp &&
        fl->L->type->hvp != mf_landscape_generic_hvp_fd) {
        double *HN = fl->H; /* d x c, column-major */
        for (size_t j = 0; j < c; j++)
            mf_landscape_hvp(fl->L, z, fl->N + j * d, HN + j * d);
        for (size_t i = 0; i < c; i++)
            for (size_t j = 0; j < c; j++) {
                double s = 0.0;
                for (size_t r = 0; r < d; r++)
                    s += fl->N[i * d + r] * HN[j * d + r];
                fl->AN[i * c + j] = 0.5 * s;
            }
    } else {
        mf_landscape_hess(fl->L, z, fl->H);
        sandwich(fl->N, c, fl->H, fl->N, c, d, fl->tmp, fl->AN, 0.5);
    }
    if (fl->q_label) {
        rc = mf_flow_label_cov(fl->L, z, fl->T, k, fl->N, c, fl->q2, fl->Q, fl->lab, err);
        if (rc) return rc;
    } else {
        for (size_t i = 0; i < c * c; i++)
            fl->Q[i] = fl->q_hessian ? fl->q2 * fl->AN[i] : 0.0;
        if (!fl->q_hessian)
            for (size_t i = 0; i < c; i++)
                fl->Q[i * c + i] = fl->q2;
    }
    if ((rc = mf_lyapunov_solve(c, fl->AN, fl->Q, fl->kappa, fl->vscale, fl->V, fl->lyw, err)))
        return rc;
    memset(F, 0, d * sizeof *F);
    const int generic = fl->L->type->dhess == mf_landscape_generic_dhess ||
                        fl->L->type->dhess == mf_landscape_generic_dhess_coarse;
    if (!generic) {
        /* W = N V N^T (d x d). The loops run along contiguous rows (the sums in the same order
         * as a dot product per entry, so the same bits), and the contraction with each d x d
         * derivative keeps four partial sums: a single running sum is bound by the adder's
         * latency, which made this the flow's most expensive loop at d = 50 (matrix
         * factorization: 25 tangent directions, 62 500 terms). */
        double *W = fl->gam;
        for (size_t a = 0; a < d; a++) {
            double *row = fl->tmp + a * c;
            for (size_t i = 0; i < c; i++)
                row[i] = 0.0;
            for (size_t j = 0; j < c; j++) {
                const double nja = fl->N[j * d + a];
                for (size_t i = 0; i < c; i++)
                    row[i] += nja * fl->V[j * c + i];
            }
        }
        for (size_t a = 0; a < d; a++) {
            double *row = W + a * d;
            for (size_t b = 0; b < d; b++)
                row[b] = 0.0;
            for (size_t i = 0; i < c; i++) {
                const double tai = fl->tmp[a * c + i], *ni = fl->N + i * d;
                for (size_t b = 0; b < d; b++)
                    row[b] += tai * ni[b];
            }
        }
        if (fl->L->type->dhess_contract) { /* g = grad <W, H>: s_j = <t_j, g>/2 */
            fl->L->type->dhess_contract(fl->L, z, W, fl->g);
            for (size_t j = 0; j < k; j++) {
                const double *t = fl->T + j * d;
                double s = 0.0;
                for (size_t r = 0; r < d; r++)
                    s += t[r] * fl->g[r];
                s *= 0.5; /* A = H/2 */
                for (size_t r = 0; r < d; r++)
                    F[r] += s * t[r];
            }
            return MF_OK;
        }
        for (size_t j = 0; j < k; j++) {
            const double *t = fl->T + j * d;
            fl->L->type->dhess(fl->L, z, t, fl->dH);
            double s4[4] = {0.0, 0.0, 0.0, 0.0};
            size_t a = 0;
            for (; a + 4 <= d * d; a += 4)
                for (size_t e = 0; e < 4; e++)
                    s4[e] += W[a + e] * fl->dH[a + e];
            for (; a < d * d; a++)
                s4[0] += W[a] * fl->dH[a];
            double s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
            s *= 0.5; /* A = H/2 */
            for (size_t r = 0; r < d; r++)
                F[r] += s * t[r];
        }
        return MF_OK;
    }
    /* eigenvectors of V (c x c): column-major view of the symmetric matrix */
    double *U = fl->gam, *sv = fl->ev, *w = sv + c, *zp = w + d, *ha = zp + d, *hb = ha + d;
    double *g = fl->g;
    memcpy(U, fl->V, c * c * sizeof *U);
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)c, U, (lapack_int)c, sv);
    if (info != 0)
        return mf_err_set(err, MF_EINVAL, "eigendecomposition of V failed (LAPACK info %d)",
                          (int)info);
    double zn = 0.0;
    for (size_t r = 0; r < d; r++)
        zn += z[r] * z[r];
    const double e = cbrt(2.220446049250313e-16) * fmax(1.0, sqrt(zn));
    double smax = 0.0;
    for (size_t i = 0; i < c; i++)
        smax = fmax(smax, fabs(sv[i]));
    memset(g, 0, d * sizeof *g);
    for (size_t i = 0; i < c; i++) {
        if (fabs(sv[i]) <= 1e-14 * smax) continue;
        for (size_t r = 0; r < d; r++) { /* w = N u_i */
            double s = 0.0;
            for (size_t j = 0; j < c; j++)
                s += fl->N[j * d + r] * U[i * c + j];
            w[r] = s;
        }
        for (size_t r = 0; r < d; r++)
            zp[r] = z[r] + e * w[r];
        mf_landscape_hvp(fl->L, zp, w, ha);
        for (size_t r = 0; r < d; r++)
            zp[r] = z[r] - e * w[r];
        mf_landscape_hvp(fl->L, zp, w, hb);
        double f = 0.5 * sv[i] / (2.0 * e);
        for (size_t r = 0; r < d; r++)
            g[r] += f * (ha[r] - hb[r]);
    }
    for (size_t j = 0; j < k; j++) { /* F = T T^T grad phi */
        const double *t = fl->T + j * d;
        double s = 0.0;
        for (size_t r = 0; r < d; r++)
            s += t[r] * g[r];
        for (size_t r = 0; r < d; r++)
            F[r] += s * t[r];
    }
    return MF_OK;
}
