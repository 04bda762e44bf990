/* Manifold flows: the effective drift of MATH.md §4 for SGD, momentum and Adam, and their
 * integration on mf_run's step grid (see manifold.h). */
#include "mflab/manifold.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifold_impl.h"
#include "mflab/interrupt.h"
#include "mflab/lyapunov.h"
#include "mflab/ode.h"
#include "mflab/rng.h"

enum flow_kind { FLOW_SGD, FLOW_MOMENTUM, FLOW_ADAM_RV, FLOW_SHARPNESS };

struct mf_flow {
    const mf_landscape *L;
    const mf_optim *o;
    const mf_noise *nz;
    enum flow_kind kind;
    int order;
    double lr, mu, dt;
    int q_hessian;     /* Q proportional to A_N (Hessian noise) or to I (isotropic) */
    int q_label;       /* Q from the residual Jacobian (label noise, manifold_label.c) */
    double q2;         /* Q = q2 A_N or q2 I: sigma^2 / B; label noise: (2 w eps)^2 / B */
    double tangent_sd; /* D11 = tangent_sd I on the tangent space; 0: no tangent noise */
    double kappa, vscale;
    mf_adam_rv adam;
    size_t d, c, k;
    /* workspace, allocated once */
    double *H, *dH, *T, *N, *AN, *Q, *V, *NdN, *tmp, *lyw, *force, *ode, *y, *dw, *ev, *gam;
    double *lab; /* label noise: work of mf_flow_label_cov */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

static const char supported[] =
    "supported: optimizers sgd, momentum, heavy_ball (and sgd with momentum) with noise "
    "hessian, isotropic (normal or full), label (on landscapes with examples) or minibatch of "
    "them; adam with hessian noise on "
    "rotated_valley/valley; gd_wd without noise on a scale-invariant landscape";

void mf_flow_set_progress(mf_flow *fl, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                          void *ctx) {
    fl->progress = progress;
    fl->progress_ctx = ctx;
}

double mf_flow_dt(const mf_flow *fl) {
    return fl->dt;
}
int mf_flow_is_sde(const mf_flow *fl) {
    return fl->tangent_sd > 0;
}

void mf_flow_free(mf_flow *fl) {
    if (!fl) return;
    free(fl->H), free(fl->dH), free(fl->T), free(fl->N), free(fl->AN), free(fl->Q), free(fl->V);
    free(fl->NdN), free(fl->tmp), free(fl->lyw), free(fl->force), free(fl->ode), free(fl->y);
    free(fl->dw), free(fl->ev), free(fl->gam), free(fl->lab);
    free(fl);
}

static int flow_alloc(mf_flow *fl, mf_err *err);

/* GD+WD on a scale-invariant landscape (sharpness paper eq. (3)): time tau = k lr wd. */
static int sharpness_new(mf_flow **out, const mf_landscape *L, const mf_optim *o, mf_err *err) {
    double eta_in = o->lr * o->p.weight_decay;
    if (!(eta_in > 0))
        return mf_err_set(err, MF_EINVAL, "gd_wd needs lr * wd > 0 (the intrinsic learning rate)");
    mf_flow *fl = calloc(1, sizeof *fl);
    if (!fl) return mf_err_set(err, MF_ENOMEM, "out of memory");
    fl->L = L, fl->o = o, fl->order = 1, fl->lr = o->lr, fl->kind = FLOW_SHARPNESS;
    fl->dt = eta_in;
    int rc = flow_alloc(fl, err);
    if (rc) return rc;
    *out = fl;
    return MF_OK;
}

int mf_flow_new(mf_flow **out, const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                int order, mf_err *err) {
    *out = NULL;
    if (!L->type->project || !L->type->frame || !L->type->dhess || L->codim == 0)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "landscape '%s' lacks the projection, frame or Hessian derivative the "
                          "manifold flow needs",
                          L->type->name);
    if (L->codim >= L->dim)
        return mf_err_set(err, MF_EUNSUPPORTED, "landscape '%s' has no manifold directions",
                          L->type->name);
    if (order != 1 && order != 2)
        return mf_err_set(err, MF_EINVAL, "order must be 1 or 2, got %d", order);
    if (strcmp(o->type->name, "gd_wd") == 0) { /* sharpness reduction: deterministic */
        if (nz && strcmp(nz->type->name, "none") != 0)
            return mf_err_set(err, MF_EUNSUPPORTED,
                              "gd_wd's sharpness-reduction flow is for noiseless GD+WD; %s",
                              supported);
        if (order != 1)
            return mf_err_set(err, MF_EUNSUPPORTED, "gd_wd has only a first-order flow");
        return sharpness_new(out, L, o, err);
    }
    if (!nz || strcmp(nz->type->name, "none") == 0)
        return mf_err_set(err, MF_EUNSUPPORTED, "without noise there is no manifold drift; %s",
                          supported);
    if (o->sched.kind != MF_SCHED_CONSTANT || o->sched.warmup)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "the manifold flow needs a constant learning rate (got a schedule)");
    mf_flow fl0 = {.L = L, .o = o, .nz = nz, .order = order, .lr = o->lr};
    const char *on = o->type->name, *nn = nz->type->name;
    double s = mf_noise_scale(nz);
    if (strcmp(nn, "hessian") == 0) {
        fl0.q_hessian = 1;
    } else if (strcmp(nn, "isotropic") == 0 && nz->space != MF_SPACE_TANGENT) {
        fl0.tangent_sd = nz->space == MF_SPACE_FULL ? s : 0.0;
    } else if (strcmp(nn, "label") == 0) { /* MATH.md §4, label-noise heavy ball */
        size_t nd;
        int rc = mf_noise_bind(nz, L, &nd, err);
        if (rc) return rc;
        fl0.q_label = 1;
        s *= 2.0 * L->res_weight; /* D = 2 w (eps / sqrt(B)) J^T */
    } else {
        return mf_err_set(err, MF_EUNSUPPORTED, "noise '%s' is not supported; %s", nn, supported);
    }
    fl0.q2 = s * s;
    double mu = 0.0;
    int is_momentum = strcmp(on, "momentum") == 0 || strcmp(on, "heavy_ball") == 0 ||
                      (strcmp(on, "sgd") == 0 && o->p.momentum > 0);
    if (strcmp(on, "sgd") == 0 &&
        (o->p.weight_decay != 0 || o->p.nesterov || (o->p.momentum > 0 && o->p.dampening != 0)))
        return mf_err_set(
            err, MF_EUNSUPPORTED,
            "sgd with weight decay, Nesterov or dampening has no manifold flow here; %s",
            supported);
    if (strcmp(on, "adam") == 0) {
        if (!fl0.q_hessian || strcmp(nn, "hessian") != 0)
            return mf_err_set(err, MF_EUNSUPPORTED, "adam needs hessian noise; %s", supported);
        if (strcmp(L->type->name, "rotated_valley") != 0 && strcmp(L->type->name, "valley") != 0)
            return mf_err_set(err, MF_EUNSUPPORTED,
                              "adam's flow is derived for the rotated valley (landscape '%s'); %s",
                              L->type->name, supported);
        if (o->p.weight_decay != 0)
            return mf_err_set(err, MF_EUNSUPPORTED, "adam with weight decay has no flow here");
        fl0.kind = FLOW_ADAM_RV;
        fl0.dt = o->lr * o->lr; /* quasistatic eq. (24): t = k lr^2 */
        /* theta is read off the frame at each point; sigma enters as sigma/sqrt(B) */
        mf_adam_rv_init(&fl0.adam, 0.0, o->lr, o->p.beta1, o->p.eps, s);
    } else if (is_momentum) {
        if (!mf_optim_momentum_mu(o, &mu) || !(mu >= 0 && mu < 1))
            return mf_err_set(err, MF_EUNSUPPORTED, "optimizer '%s': momentum outside [0, 1)", on);
        fl0.kind = FLOW_MOMENTUM;
        fl0.mu = mu;
        fl0.dt = o->lr;
        fl0.kappa = o->lr / ((1 - mu) * (1 - mu)); /* eq. (39) */
        fl0.vscale = o->lr / (2 * (1 - mu));
        if (order == 1 && fl0.tangent_sd > 0)
            return mf_err_set(
                err, MF_EUNSUPPORTED,
                "tangent noise with momentum needs the second-order flow (order = 2)");
    } else if (strcmp(on, "sgd") == 0) {
        if (order == 2)
            return mf_err_set(err, MF_EUNSUPPORTED, "plain sgd has only a first-order flow");
        fl0.kind = FLOW_SGD;
        fl0.dt = o->lr;
        fl0.kappa = 0.0, fl0.vscale = o->lr / 2; /* eq. (12) */
    } else {
        return mf_err_set(err, MF_EUNSUPPORTED, "optimizer '%s' is not supported; %s", on,
                          supported);
    }
    mf_flow *fl = calloc(1, sizeof *fl);
    if (!fl) return mf_err_set(err, MF_ENOMEM, "out of memory");
    *fl = fl0;
    int rc = flow_alloc(fl, err);
    if (rc) return rc;
    *out = fl;
    return MF_OK;
}

/* Workspace for the flow's dimensions; frees fl on failure. */
static int flow_alloc(mf_flow *fl, mf_err *err) {
    const mf_landscape *L = fl->L;
    size_t d = L->dim, c = L->codim, k = d - c;
    fl->d = d, fl->c = c, fl->k = k;
    fl->H = malloc(sizeof(double) * d * d);
    fl->dH = malloc(sizeof(double) * d * d);
    fl->T = malloc(sizeof(double) * d * k);
    fl->N = malloc(sizeof(double) * d * c);
    fl->AN = malloc(sizeof(double) * c * c);
    fl->Q = malloc(sizeof(double) * c * c);
    fl->V = malloc(sizeof(double) * c * c);
    fl->NdN = malloc(sizeof(double) * c * c);
    fl->tmp = malloc(sizeof(double) * d * c);
    fl->lyw = malloc(sizeof(double) * mf_lyapunov_worksize(c));
    fl->force = malloc(sizeof(double) * d);
    fl->ode = malloc(sizeof(double) * mf_ode_worksize(2 * d));
    fl->y = malloc(sizeof(double) * 2 * d);
    fl->dw = malloc(sizeof(double) * 2 * d);
    fl->ev = malloc(sizeof(double) * (d * d + 5 * d));
    fl->gam = malloc(sizeof(double) * d * d);
    if (fl->q_label) fl->lab = malloc(sizeof(double) * mf_flow_label_worksize(L, c));
    if ((fl->q_label && !fl->lab) || !fl->gam || !fl->H || !fl->dH || !fl->T || !fl->N || !fl->AN ||
        !fl->Q || !fl->V || !fl->NdN || !fl->tmp || !fl->lyw || !fl->force || !fl->ode || !fl->y ||
        !fl->dw || !fl->ev) {
        mf_flow_free(fl);
        return mf_err_set(err, MF_ENOMEM, "out of memory for a flow of dimension %zu", d);
    }
    return MF_OK;
}

/* X^T M Y for M d x d row-major and X (d x a), Y (d x b) column-major: out a x b row-major. */
static void sandwich(const double *X, size_t a, const double *M, const double *Y, size_t b,
                     size_t d, double *tmp, double *out, double scale) {
    for (size_t r = 0; r < d; r++) /* tmp = M Y (d x b, row-major) */
        for (size_t j = 0; j < b; j++) {
            double s = 0.0;
            for (size_t q = 0; q < d; q++)
                s += M[r * d + q] * Y[j * d + q];
            tmp[r * b + j] = s;
        }
    for (size_t i = 0; i < a; i++)
        for (size_t j = 0; j < b; j++) {
            double s = 0.0;
            for (size_t r = 0; r < d; r++)
                s += X[i * d + r] * tmp[r * b + j];
            out[i * b + j] = scale * s;
        }
}

/* The force F = sum_j t_j <W, d_{t_j} A>, W = N V N^T, at the manifold point z.
 * With an analytic Hessian derivative (dhess), each tangent direction costs one d x d
 * contraction with W. Otherwise the whole gradient of phi(z) = <W, A(z)> comes from V's
 * eigenvectors w_i = N u_i (W = sum_i s_i w_i w_i^T):
 *     grad phi = (1/2) sum_i s_i D^3 f[w_i, w_i, .],
 *     D^3 f[w, w, .] = (H(z + e w) w - H(z - e w) w) / (2 e) + O(e^2),
 * two Hessian-vector products per normal direction instead of a finite-difference Hessian per
 * tangent direction, with e = cbrt(eps) max(1, |z|) (error ~ 1e-10 relative); F = T T^T grad phi.
 */
static int flow_force(mf_flow *fl, const double *z, double *F, mf_err *err) {
    const size_t d = fl->d, c = fl->c, k = fl->k;
    int rc = mf_landscape_frame(fl->L, z, fl->T, fl->N, err);
    if (rc) return rc;
    mf_landscape_hess(fl->L, z, fl->H);
    sandwich(fl->N, c, fl->H, fl->N, c, d, fl->tmp, fl->AN, 0.5); /* A_N = N^T (H/2) N */
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
        double *W = fl->gam; /* W = N V N^T (d x d) */
        for (size_t a = 0; a < d; a++)
            for (size_t i = 0; i < c; i++) {
                double s = 0.0;
                for (size_t j = 0; j < c; j++)
                    s += fl->N[j * d + a] * fl->V[j * c + i];
                fl->tmp[a * c + i] = s;
            }
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double s = 0.0;
                for (size_t i = 0; i < c; i++)
                    s += fl->tmp[a * c + i] * fl->N[i * d + b];
                W[a * d + b] = s;
            }
        for (size_t j = 0; j < k; j++) {
            const double *t = fl->T + j * d;
            fl->L->type->dhess(fl->L, z, t, fl->dH);
            double s = 0.0;
            for (size_t a = 0; a < d * d; a++)
                s += W[a] * fl->dH[a];
            s *= 0.5; /* A = H/2 */
            for (size_t r = 0; r < d; r++)
                F[r] += s * t[r];
        }
        return MF_OK;
    }
    /* eigenvectors of V (c x c): column-major view of the symmetric matrix */
    double *U = fl->gam, *sv = fl->ev, *w = sv + c, *zp = w + d, *ha = zp + d, *hb = ha + d;
    double *g = fl->dw;
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

/* Adam on the rotated valley: h, h' and the angle read off the landscape at z. */
static int adam_force(mf_flow *fl, const double *z, double *F, double *m11, mf_err *err) {
    const size_t d = fl->d;
    int rc = mf_landscape_frame(fl->L, z, fl->T, fl->N, err);
    if (rc) return rc;
    const double *et = fl->T, *en = fl->N;
    mf_landscape_hess(fl->L, z, fl->H);
    fl->L->type->dhess(fl->L, z, et, fl->dH);
    double h = 0.0, hp = 0.0; /* on M, H_f = 2 h e_n e_n^T */
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++)
            h += 0.5 * en[a] * fl->H[a * d + b] * en[b],
                hp += 0.5 * en[a] * fl->dH[a * d + b] * en[b];
    fl->adam.theta = atan2(-et[1], et[0]); /* e_t = (cos t, -sin t) */
    double dxdt;
    if ((rc = mf_adam_rv_drift(&fl->adam, h, hp, &dxdt, m11, err))) return rc;
    /* dx'/dt = -M11 h' E[y'^2], so the force along e_t is h' E[y'^2] = -dx'/dt / M11 */
    double fx = -dxdt / *m11;
    for (size_t r = 0; r < d; r++)
        F[r] = fx * et[r];
    return MF_OK;
}

/* Sharpness paper eq. (3): dzeta/dtau = -2 grad_G log l1 / (4 + |grad_G log l1|^2) on the
 * manifold G of minima within the unit sphere; d log l1 along g = v1^T (d_g H) v1 / l1 for the
 * top eigenpair (l1, v1) of H(zeta). */
static int sharpness_drift(mf_flow *fl, const double *z, double *dz, mf_err *err) {
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

int mf_flow_drift(mf_flow *fl, const double *z, double *dz, mf_err *err) {
    if (fl->kind == FLOW_SHARPNESS) return sharpness_drift(fl, z, dz, err);
    if (fl->kind == FLOW_ADAM_RV) {
        double m11;
        int rc = adam_force(fl, z, fl->force, &m11, err);
        if (rc) return rc;
        for (size_t r = 0; r < fl->d; r++)
            dz[r] = -m11 * fl->force[r];
        return MF_OK;
    }
    int rc = flow_force(fl, z, fl->force, err);
    if (rc) return rc;
    double f = fl->kind == FLOW_MOMENTUM ? 1.0 / (1.0 - fl->mu) : 1.0; /* eq. (18) */
    for (size_t r = 0; r < fl->d; r++)
        dz[r] = -f * fl->force[r];
    return MF_OK;
}

/* ODE right-hand sides and projection for the integrators: order 1 y = z; order 2 y = (z, m). */
static int rhs(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    mf_flow *fl = ctx;
    (void)t;
    const size_t d = fl->d;
    if (fl->order == 1) return mf_flow_drift(fl, y, dy, err);
    const double *z = y, *m = y + d;
    int rc;
    if (fl->kind == FLOW_ADAM_RV) { /* eqs. (46), (52): dz = -M11 m, dm = c1 (F - m) */
        double m11;
        if ((rc = adam_force(fl, z, fl->force, &m11, err))) return rc;
        for (size_t r = 0; r < d; r++) {
            dy[r] = -m11 * m[r];
            dy[d + r] = fl->adam.c1 * (fl->force[r] - m[r]);
        }
        return MF_OK;
    }
    /* eq. (17): dz = m/lr dt, dm = -((1-mu)/lr m + F) dt */
    if ((rc = flow_force(fl, z, fl->force, err))) return rc;
    for (size_t r = 0; r < d; r++) {
        dy[r] = m[r] / fl->lr;
        dy[d + r] = -((1.0 - fl->mu) / fl->lr * m[r] + fl->force[r]);
    }
    return MF_OK;
}

static void proj(void *ctx, double *y) {
    mf_flow *fl = ctx;
    const size_t d = fl->d;
    fl->L->type->project(fl->L, 1, y, 1, y, 1);
    if (fl->kind == FLOW_SHARPNESS) { /* the flow lives on the unit sphere */
        double nrm = 0.0;
        for (size_t r = 0; r < d; r++)
            nrm += y[r] * y[r];
        nrm = sqrt(nrm);
        for (size_t r = 0; r < d; r++)
            y[r] /= nrm;
    }
    if (fl->order == 1) return;
    if (mf_landscape_frame(fl->L, y, fl->T, fl->N, NULL) != MF_OK) return;
    double *m = y + d; /* keep the momentum tangent: m <- T T^T m */
    for (size_t r = 0; r < d; r++)
        fl->dw[r] = 0.0;
    for (size_t j = 0; j < fl->k; j++) {
        const double *t = fl->T + j * d;
        double s = 0.0;
        for (size_t r = 0; r < d; r++)
            s += t[r] * m[r];
        for (size_t r = 0; r < d; r++)
            fl->dw[r] += s * t[r];
    }
    memcpy(m, fl->dw, d * sizeof *m);
}

/* Tangent noise sqrt(lr) D11 dW on z (order 1) or m (order 2); dw has k entries ~ N(0, dt). */
static int tangent_noise(void *ctx, double t, const double *y, const double *dw, double *out,
                         mf_err *err) {
    mf_flow *fl = ctx;
    (void)t;
    const size_t d = fl->d, n = fl->order * d;
    int rc = mf_landscape_frame(fl->L, y, fl->T, fl->N, err);
    if (rc) return rc;
    memset(out, 0, n * sizeof *out);
    double *o = fl->order == 1 ? out : out + d;
    double s = sqrt(fl->lr) * fl->tangent_sd;
    for (size_t j = 0; j < fl->k; j++)
        for (size_t r = 0; r < d; r++)
            o[r] += s * dw[j] * fl->T[j * d + r];
    return MF_OK;
}

static void record(mf_result *res, size_t j, size_t seed, const double *y, size_t n) {
    for (size_t a = 0; a < n; a++)
        res->data[(a * res->nrec_alloc + j) * res->seeds + seed] = y[a];
}

int mf_flow_integrate(mf_flow *fl, const mf_flow_config *cfg, mf_result **out, mf_err *err) {
    *out = NULL;
    const size_t d = fl->d, n = fl->order * d;
    if (cfg->every < 1) return mf_err_set(err, MF_EINVAL, "every must be >= 1");
    for (size_t a = 0; a < d; a++)
        if (!isfinite(cfg->x0[a]))
            return mf_err_set(err, MF_EINVAL, "x0[%zu] is not finite", a + 1);
    enum mf_flow_method method = cfg->method;
    if (mf_flow_is_sde(fl) && method != MF_FLOW_EM)
        return mf_err_set(err, MF_EINVAL,
                          "this flow has tangent noise (an SDE): use method 'em', not %s",
                          method == MF_FLOW_RK4    ? "'rk4'"
                          : method == MF_FLOW_DP45 ? "'dp45'"
                                                   : "'momentum'");
    if (method == MF_FLOW_MOMENTUM && (fl->order != 2 || fl->kind != FLOW_MOMENTUM))
        return mf_err_set(
            err, MF_EINVAL,
            "method 'momentum' discretizes the second-order momentum flow (order = 2)");
    if (method == MF_FLOW_DP45 && (!(cfg->rtol > 0) || !(cfg->atol > 0)))
        return mf_err_set(err, MF_EINVAL, "rtol and atol must be > 0");
    const uint64_t hs = cfg->h ? cfg->h : 1;
    if (hs > 1 && method != MF_FLOW_RK4 && method != MF_FLOW_EM)
        return mf_err_set(err, MF_EINVAL,
                          "h (iterations per step) applies to methods 'rk4' and 'em'");
    if (fl->kind == FLOW_SHARPNESS) { /* eq. (3) needs L(c w) = L(w) */
        double *w2 = fl->y, f1 = mf_landscape_value(fl->L, cfg->x0);
        for (size_t a = 0; a < d; a++)
            w2[a] = 2.0 * cfg->x0[a];
        double f2 = mf_landscape_value(fl->L, w2);
        if (fabs(f2 - f1) > 1e-9 * (fabs(f1) + 1e-12))
            return mf_err_set(err, MF_EUNSUPPORTED,
                              "landscape '%s' is not scale-invariant (L(2 x0) = %g, L(x0) = %g): "
                              "the sharpness-reduction flow needs L(c w) = L(w)",
                              fl->L->type->name, f2, f1);
    }
    size_t seeds = method == MF_FLOW_EM ? (cfg->seeds ? cfg->seeds : 1) : 1;
    uint64_t nrec64 = cfg->steps / cfg->every + 1 + (cfg->steps % cfg->every != 0);
    int rcb = mf_budget_check((double)nrec64 * (8.0 + (double)seeds * (double)n * 8.0),
                              "this integration", "record less often (every) or fewer seeds", err);
    if (rcb) return rcb;
    size_t nrec = (size_t)nrec64;
    mf_observable *obs = malloc(sizeof *obs * n);
    if (!obs) return mf_err_set(err, MF_ENOMEM, "out of memory");
    for (size_t a = 0; a < n; a++)
        obs[a] = (mf_observable){MF_OBS_COORD, a};
    mf_result *res = mf_result_new(n, obs, nrec, seeds);
    free(obs);
    if (!res) return mf_err_set(err, MF_ENOMEM, "out of memory for %zu records", nrec);
    for (size_t j = 0; j + 1 < nrec; j++)
        res->t[j] = (uint64_t)j * cfg->every;
    res->t[nrec - 1] = cfg->steps;

    double *y = fl->y, h = 0.0;
    const double dt = fl->dt;
    int rc = MF_OK;
    size_t kept = nrec;
    double last_report = mf_clock();
    uint64_t total = cfg->steps * seeds, done = 0;
    mf_ode_stats st = {0};
    for (size_t sd = 0; sd < seeds && rc == MF_OK; sd++) {
        mf_rng g;
        mf_rng_seed(&g, cfg->seed, sd);
        memset(y, 0, n * sizeof *y);
        memcpy(y, cfg->x0, d * sizeof *y);
        proj(fl, y);
        size_t j = 0;
        for (uint64_t step = 0;; step++) {
            if (step == res->t[j]) {
                record(res, j, sd, y, n);
                if (++j == nrec) break;
            }
            if (method == MF_FLOW_DP45) { /* adaptive, straight to the next record time */
                rc = mf_ode_dopri5(n, rhs, proj, fl, step * dt, res->t[j] * dt, y, cfg->rtol,
                                   cfg->atol, &h, fl->ode, &st, err);
                done += res->t[j] - step;
                step = res->t[j] - 1;
            } else if (method == MF_FLOW_RK4 || method == MF_FLOW_EM) {
                /* hs iterations per step, never past the next record */
                uint64_t ns = res->t[j] - step < hs ? res->t[j] - step : hs;
                if (method == MF_FLOW_RK4)
                    rc = mf_ode_rk4_step(n, rhs, proj, fl, step * dt, (double)ns * dt, y, fl->ode,
                                         err);
                else
                    rc = mf_sde_em_step(n, fl->k, rhs, tangent_noise, proj, fl, step * dt,
                                        (double)ns * dt, y, &g, fl->ode, err);
                done += ns;
                step += ns - 1;
            } else { /* momentum-like discretization of eq. (17) */
                rc = flow_force(fl, y, fl->force, err);
                if (!rc) {
                    for (size_t r = 0; r < d; r++) {
                        y[d + r] = fl->mu * y[d + r] - fl->lr * fl->force[r];
                        y[r] += y[d + r];
                    }
                    proj(fl, y);
                }
                done++;
            }
            if (!rc)
                for (size_t a = 0; a < n; a++)
                    if (!isfinite(y[a])) {
                        rc = mf_err_set(err, MF_ENONFINITE,
                                        "manifold flow left the reals at step %llu (seed %zu)",
                                        (unsigned long long)(step + 1), sd + 1);
                        break;
                    }
            if (!rc && mf_interrupt_pending())
                rc = mf_err_set(err, MF_EINTR, "interrupted at step %llu",
                                (unsigned long long)(step + 1));
            if (rc) {
                if (j < kept) kept = j;
                break;
            }
            if (fl->progress && mf_clock() - last_report >= MF_PROGRESS_PERIOD) {
                last_report = mf_clock();
                fl->progress(fl->progress_ctx, done, total);
            }
        }
    }
    if (fl->progress) fl->progress(fl->progress_ctx, done, total);
    res->nrec = kept;
    res->steps_done = kept ? res->t[kept - 1] : 0;
    *out = res;
    return rc;
}
