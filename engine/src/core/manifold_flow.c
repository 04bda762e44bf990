#include "mflab/manifold.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mflab/interrupt.h"

enum flow_kind { FLOW_SGD_HESSIAN, FLOW_SGD_ISOTROPIC_NORMAL };

struct mf_flow {
    const mf_landscape *L;
    const mf_optim *o;
    const mf_noise *nz;
    enum flow_kind kind;
    double mu;      /* momentum in Q's convention (0 for SGD) */
    int discrete;   /* integrate with the momentum-like scheme of Q(17) instead of RK4 */
    size_t d, c, k; /* dimension, codimension, manifold dimension */
    /* workspace, allocated once */
    double *H, *dA, *T, *N, *V, *AN, *W, *zs, *stage;
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

void mf_flow_set_progress(mf_flow *fl, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                          void *ctx) {
    fl->progress = progress;
    fl->progress_ctx = ctx;
}

static const char supported[] =
    "supported: optimizers sgd (without dampening, Nesterov or weight decay), momentum and "
    "heavy_ball with a constant learning rate, with noise hessian or isotropic{space=\"normal\"}";

int mf_flow_new(mf_flow **out, const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                mf_err *err) {
    *out = NULL;
    if (!L->type->project || !L->type->frame || !L->type->dhess || L->codim == 0)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "landscape '%s' lacks the projection, frame or Hessian derivative the "
                          "manifold flow needs",
                          L->type->name);
    if (!nz || strcmp(nz->type->name, "none") == 0)
        return mf_err_set(err, MF_EUNSUPPORTED, "without noise there is no manifold drift; %s",
                          supported);
    enum flow_kind kind;
    double mu;
    if (!mf_optim_momentum_mu(o, &mu) || o->sched.kind != MF_SCHED_CONSTANT || o->sched.warmup)
        return mf_err_set(err, MF_EUNSUPPORTED, "optimizer '%s' is not supported yet; %s",
                          o->type->name, supported);
    if (strcmp(nz->type->name, "hessian") == 0)
        kind = FLOW_SGD_HESSIAN;
    else if (strcmp(nz->type->name, "isotropic") == 0 && nz->space == MF_SPACE_NORMAL)
        kind = FLOW_SGD_ISOTROPIC_NORMAL;
    else
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "noise '%s' with a tangent part makes the flow an SDE, not supported "
                          "yet; %s",
                          nz->type->name, supported);
    mf_flow *fl = calloc(1, sizeof *fl);
    if (!fl) return mf_err_set(err, MF_ENOMEM, "out of memory");
    size_t d = L->dim, c = L->codim;
    fl->L = L, fl->o = o, fl->nz = nz, fl->kind = kind, fl->mu = mu;
    fl->d = d, fl->c = c, fl->k = d - c;
    fl->H = malloc(sizeof(double) * d * d);
    fl->dA = malloc(sizeof(double) * d * d);
    fl->T = malloc(sizeof(double) * d * (d - c + 1));
    fl->N = malloc(sizeof(double) * d * c);
    fl->V = malloc(sizeof(double) * d * d);
    fl->AN = malloc(sizeof(double) * c * c);
    fl->W = malloc(sizeof(double) * d * c);
    fl->zs = malloc(sizeof(double) * d);
    fl->stage = malloc(sizeof(double) * d * 5);
    if (!fl->H || !fl->dA || !fl->T || !fl->N || !fl->V || !fl->AN || !fl->W || !fl->zs ||
        !fl->stage) {
        mf_flow_free(fl);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    *out = fl;
    return MF_OK;
}

void mf_flow_free(mf_flow *fl) {
    if (!fl) return;
    free(fl->H), free(fl->dA), free(fl->T), free(fl->N), free(fl->V), free(fl->AN), free(fl->W);
    free(fl->zs), free(fl->stage);
    free(fl);
}

/* V (d x d, row-major, supported on the normal space) at the manifold point z. */
static int flow_covariance(mf_flow *fl, const double *z, mf_err *err) {
    const size_t d = fl->d, c = fl->c;
    const double lr = fl->o->lr, s2 = fl->nz->sigma * fl->nz->sigma / fl->nz->batch; /* Q(20) */
    /* Momentum (Q(17)-(19), MATH.md §4): the noise covariance commutes with A for both noises,
     * so the commutator term of eq. (39) vanishes, V^m = V / (1 - mu) and the first-order
     * drift -1/(1 - mu) sum V^m grad A is SGD's times 1/(1 - mu)^2. */
    const double scale = lr * s2 / 4.0 / ((1.0 - fl->mu) * (1.0 - fl->mu));
    const double *N = fl->N;            /* column j of N at N[j*d + r] */
    if (fl->kind == FLOW_SGD_HESSIAN) { /* eq. (13): V = (lr sigma^2/4) P_T */
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double s = 0.0;
                for (size_t j = 0; j < c; j++)
                    s += N[j * d + a] * N[j * d + b];
                fl->V[a * d + b] = scale * s;
            }
        return MF_OK;
    }
    /* eq. (14): V = (lr sigma^2/4) N (N^T A N)^{-1} N^T, A = H_f/2 */
    mf_landscape_hess(fl->L, z, fl->H);
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t a = 0; a < d; a++)
                for (size_t b = 0; b < d; b++)
                    s += N[i * d + a] * 0.5 * fl->H[a * d + b] * N[j * d + b];
            fl->AN[i * c + j] = s;
        }
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)c, fl->AN, (lapack_int)c);
    if (info == 0)
        info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int)c, fl->AN, (lapack_int)c);
    if (info != 0)
        return mf_err_set(err, MF_EINVAL,
                          "the normal-space Hessian is not positive definite at the manifold point "
                          "(LAPACK info %d)",
                          (int)info);
    /* A_N is symmetric, so the column-major lower triangle dpotri fills (no LAPACKE transpose
     * copies) is the row-major upper one */
    for (size_t i = 0; i < c; i++)
        for (size_t j = 0; j < i; j++)
            fl->AN[i * c + j] = fl->AN[j * c + i];
    for (size_t a = 0; a < d; a++) /* W = N A_N^{-1} */
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t i = 0; i < c; i++)
                s += N[i * d + a] * fl->AN[i * c + j];
            fl->W[a * c + j] = s;
        }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0.0;
            for (size_t j = 0; j < c; j++)
                s += fl->W[a * c + j] * N[j * d + b];
            fl->V[a * d + b] = scale * s;
        }
    return MF_OK;
}

int mf_flow_drift(mf_flow *fl, const double *z, double *dz, mf_err *err) {
    const size_t d = fl->d, k = fl->k;
    fl->L->type->frame(fl->L, z, fl->T, fl->N);
    int rc = flow_covariance(fl, z, err);
    if (rc) return rc;
    for (size_t a = 0; a < d; a++)
        dz[a] = 0.0;
    /* eq. (12): dz/dt = -sum_j t_j <V, d_{t_j} A>_F, A = H_f/2 */
    for (size_t j = 0; j < k; j++) {
        const double *t = fl->T + j * d;
        fl->L->type->dhess(fl->L, z, t, fl->dA);
        double s = 0.0;
        for (size_t a = 0; a < d * d; a++)
            s += fl->V[a] * 0.5 * fl->dA[a];
        for (size_t a = 0; a < d; a++)
            dz[a] -= s * t[a];
    }
    return MF_OK;
}

void mf_flow_set_discrete(mf_flow *fl, int on) {
    fl->discrete = on;
}

int mf_flow_integrate(mf_flow *fl, const double *x0, uint64_t steps, uint64_t every,
                      mf_result **out, mf_err *err) {
    *out = NULL;
    if (every < 1) return mf_err_set(err, MF_EINVAL, "every must be >= 1");
    const size_t d = fl->d;
    for (size_t a = 0; a < d; a++)
        if (!isfinite(x0[a])) return mf_err_set(err, MF_EINVAL, "x0[%zu] is not finite", a + 1);
    size_t nrec = (size_t)(steps / every + 1 + (steps % every != 0));
    mf_observable obs[64];
    size_t nobs = d < 64 ? d : 64;
    for (size_t a = 0; a < nobs; a++)
        obs[a] = (mf_observable){MF_OBS_COORD, a};
    mf_result *res = mf_result_new(nobs, obs, nrec, 1);
    if (!res) return mf_err_set(err, MF_ENOMEM, "out of memory for %zu records", nrec);
    for (size_t j = 0; j + 1 < nrec; j++)
        res->t[j] = (uint64_t)j * every;
    res->t[nrec - 1] = steps;

    double *z = fl->zs, *k1 = fl->stage, *k2 = k1 + d, *k3 = k2 + d, *k4 = k3 + d, *y = k4 + d;
    const double h = fl->o->lr; /* one iteration is dt = lr (MATH.md §0) */
    fl->L->type->project(fl->L, 1, x0, 1, z, 1);
    size_t j = 0;
    int rc = MF_OK;
    double last_report = mf_clock();
    double *mom = k2; /* the discrete scheme's momentum (k2 is free there) */
    for (size_t a = 0; a < d; a++)
        mom[a] = 0.0;
    for (uint64_t step = 0;; step++) {
        if (step == res->t[j]) {
            for (size_t a = 0; a < nobs; a++)
                res->data[(a * nrec + j) * 1] = z[a];
            if (++j == nrec) break;
        }
        if (fl->discrete) {
            /* Q(17) with dt = lr: m <- mu m - lr G, z <- P(z + m), G = sum V^m grad_M A, which is
             * -(1 - mu) times the first-order drift */
            if ((rc = mf_flow_drift(fl, z, k1, err))) break;
            for (size_t a = 0; a < d; a++) {
                mom[a] = fl->mu * mom[a] + h * (1.0 - fl->mu) * k1[a];
                y[a] = z[a] + mom[a];
            }
            fl->L->type->project(fl->L, 1, y, 1, z, 1);
        } else {
            /* classical RK4; stage points are projected so the drift is evaluated on M */
            if ((rc = mf_flow_drift(fl, z, k1, err))) break;
            for (size_t a = 0; a < d; a++)
                y[a] = z[a] + 0.5 * h * k1[a];
            fl->L->type->project(fl->L, 1, y, 1, y, 1);
            if ((rc = mf_flow_drift(fl, y, k2, err))) break;
            for (size_t a = 0; a < d; a++)
                y[a] = z[a] + 0.5 * h * k2[a];
            fl->L->type->project(fl->L, 1, y, 1, y, 1);
            if ((rc = mf_flow_drift(fl, y, k3, err))) break;
            for (size_t a = 0; a < d; a++)
                y[a] = z[a] + h * k3[a];
            fl->L->type->project(fl->L, 1, y, 1, y, 1);
            if ((rc = mf_flow_drift(fl, y, k4, err))) break;
            for (size_t a = 0; a < d; a++)
                y[a] = z[a] + h / 6.0 * (k1[a] + 2.0 * k2[a] + 2.0 * k3[a] + k4[a]);
            fl->L->type->project(fl->L, 1, y, 1, z, 1);
        }
        for (size_t a = 0; a < d; a++)
            if (!isfinite(z[a])) {
                rc = mf_err_set(err, MF_ENONFINITE, "manifold flow left the reals at step %llu",
                                (unsigned long long)(step + 1));
                break;
            }
        if (rc) break;
        if ((step & 1023) == 0 && mf_interrupt_pending()) {
            rc = mf_err_set(err, MF_EINTR, "interrupted at step %llu", (unsigned long long)step);
            break;
        }
        if (fl->progress && (step & 1023) == 0 && mf_clock() - last_report >= MF_PROGRESS_PERIOD) {
            last_report = mf_clock();
            fl->progress(fl->progress_ctx, step, steps);
        }
    }
    if (fl->progress) fl->progress(fl->progress_ctx, res->t[j ? j - 1 : 0], steps);
    res->nrec = j;
    res->steps_done = j ? res->t[j - 1] : 0;
    *out = res;
    return rc;
}
