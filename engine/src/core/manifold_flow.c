/* Manifold flows: the family's registry and the integration of any flow on mf_run's step grid
 * (see manifold.h). The flows themselves live one per file: manifold_sgd.c, manifold_momentum.c
 * (both through the Lyapunov force of manifold_force.c), manifold_adam.c, manifold_sharpness.c. */
#include "mflab/manifold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifold_impl.h"
#include "runloop_impl.h"
#include "mflab/interrupt.h"
#include "mflab/ode.h"
#include "mflab/rng.h"

/* The built-in flows, asked in this order (the most specific optimizers first). Adding a flow:
 * its file, and one line here. */
static const mf_flow_type *const builtin[] = {
    &mf_flow_sharpness_type,
    &mf_flow_adam_rv_type,
    &mf_flow_momentum_type,
    &mf_flow_sgd_type,
};
#define NBUILTIN      (sizeof builtin / sizeof builtin[0])
#define MAXREGISTERED 64
static const mf_flow_type *registered[MAXREGISTERED];
static size_t nregistered;

int mf_flow_register(const mf_flow_type *type, mf_err *err) {
    if (!type || !type->claims || !type->init || !type->free || !type->drift)
        return mf_err_set(err, MF_EINVAL,
                          "mf_flow_register: a flow type needs claims, init, free and drift");
    if (nregistered == MAXREGISTERED)
        return mf_err_set(err, MF_ENOMEM, "mf_flow_register: more than %d flow types",
                          MAXREGISTERED);
    registered[nregistered++] = type;
    return MF_OK;
}

/* the i-th type asked: the registered ones, latest first, then the built-in table */
static const mf_flow_type *type_at(size_t i) {
    if (i < nregistered) return registered[nregistered - 1 - i];
    i -= nregistered;
    return i < NBUILTIN ? builtin[i] : NULL;
}

struct mf_flow {
    const mf_flow_type *type;
    void *state;
    const mf_landscape *L;
    int order, sde;
    double dt;
    size_t d, c, k;
    /* workspace, allocated once */
    double *T, *N, *ode, *y, *dw, *tn;
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

void mf_flow_set_progress(mf_flow *fl, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                          void *ctx) {
    fl->progress = progress;
    fl->progress_ctx = ctx;
}

double mf_flow_dt(const mf_flow *fl) {
    return fl->dt;
}
int mf_flow_is_sde(const mf_flow *fl) {
    return fl->sde;
}
const mf_flow_type *mf_flow_get_type(const mf_flow *fl) {
    return fl->type;
}

void mf_flow_free(mf_flow *fl) {
    if (!fl) return;
    if (fl->state) fl->type->free(fl->state);
    free(fl->T), free(fl->N), free(fl->ode), free(fl->y), free(fl->dw), free(fl->tn);
    free(fl);
}

/* "supported: ...": the registered types, then the built-in ones from the plainest (sgd) */
static void supported_list(char *buf, size_t size) {
    size_t at = (size_t)snprintf(buf, size, "supported: ");
    for (size_t i = 0; i < nregistered + NBUILTIN && at < size; i++) {
        const mf_flow_type *t =
            i < nregistered ? type_at(i) : builtin[NBUILTIN - 1 - (i - nregistered)];
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? "; " : "", t->supports);
    }
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
    const mf_flow_type *type = NULL;
    mf_err why = {0}, first = {0};
    for (size_t i = 0; type_at(i) && !type; i++) {
        int c = type_at(i)->claims(L, o, nz, order, &why);
        if (c > 0) type = type_at(i);
        if (c < 0 && !first.code) first = why;
    }
    if (!type) {
        char list[512];
        supported_list(list, sizeof list);
        if (first.code) return mf_err_set(err, MF_EUNSUPPORTED, "%s; %s", first.msg, list);
        return mf_err_set(err, MF_EUNSUPPORTED, "optimizer '%s'%s%s is not supported; %s",
                          o->type->name, nz ? " with noise " : "", nz ? nz->type->name : "", list);
    }
    if (order == 2 && !type->rhs2)
        return mf_err_set(err, MF_EUNSUPPORTED, "the %s flow has only a first order", type->name);
    mf_flow_def def = {0};
    int rc = type->init(L, o, nz, order, &def, err);
    if (rc) return rc;
    mf_flow *fl = calloc(1, sizeof *fl);
    if (!fl) {
        type->free(def.state);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    size_t d = L->dim, c = L->codim, k = d - c;
    fl->type = type, fl->state = def.state, fl->L = L, fl->order = order;
    fl->sde = def.sde && type->noise, fl->dt = def.dt;
    fl->d = d, fl->c = c, fl->k = k;
    fl->T = malloc(sizeof(double) * d * k);
    fl->N = malloc(sizeof(double) * d * c);
    fl->ode = malloc(sizeof(double) * mf_ode_worksize(2 * d));
    fl->y = malloc(sizeof(double) * 2 * d);
    fl->dw = malloc(sizeof(double) * 2 * d);
    fl->tn = malloc(sizeof(double) * d);
    if (!fl->T || !fl->N || !fl->ode || !fl->y || !fl->dw || !fl->tn) {
        mf_flow_free(fl);
        return mf_err_set(err, MF_ENOMEM, "out of memory for a flow of dimension %zu", d);
    }
    *out = fl;
    return MF_OK;
}

int mf_flow_drift(mf_flow *fl, const double *z, double *dz, mf_err *err) {
    return fl->type->drift(fl->state, z, dz, err);
}

/* ODE right-hand sides and projection for the integrators: order 1 y = z; order 2 y = (z, m). */
static int rhs(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    mf_flow *fl = ctx;
    (void)t;
    if (fl->order == 1) return fl->type->drift(fl->state, y, dy, err);
    return fl->type->rhs2(fl->state, y, y + fl->d, dy, dy + fl->d, err);
}

static void proj(void *ctx, double *y) {
    mf_flow *fl = ctx;
    const size_t d = fl->d;
    fl->L->type->project(fl->L, 1, y, 1, y, 1);
    if (fl->type->constrain) fl->type->constrain(fl->state, y);
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

/* Tangent noise on z (order 1) or m (order 2); dw has k entries ~ N(0, dt). */
static int tangent_noise(void *ctx, double t, const double *y, const double *dw, double *out,
                         mf_err *err) {
    mf_flow *fl = ctx;
    (void)t;
    const size_t d = fl->d;
    /* method 'em' on a deterministic flow is explicit Euler: no noise (the type may have no
     * noise entry at all) */
    if (!fl->sde) {
        memset(out, 0, fl->order * d * sizeof *out);
        return MF_OK;
    }
    if (fl->order == 1) return fl->type->noise(fl->state, y, dw, out, err);
    memset(out, 0, d * sizeof *out);
    return fl->type->noise(fl->state, y, dw, out + d, err);
}

/* The stiffness stop of method 'dp45', with the remedies and the flow's own note. */
static int stiff_error(mf_flow *fl, const double *y, const mf_err *start_note, uint64_t at,
                       double h, double rest, mf_err *err) {
    mf_err note = {0};
    int has_note = fl->type->assumptions && fl->type->assumptions(fl->state, y, &note);
    if (!has_note && start_note->code) note = *start_note, has_note = 1;
    char more[64] = "";
    if (rest > 0) snprintf(more, sizeof more, ", ~%.2g to go", rest);
    return mf_err_set(err, MF_EUNSUPPORTED,
                      "the %s flow is stiff at iteration %llu (stable dp45 step %.3g "
                      "iterations%s): %s",
                      fl->type->name, (unsigned long long)at, fabs(h) / fl->dt, more,
                      has_note ? note.msg
                               : "use method 'rk4' with a step h it is stable at, or a flow "
                                 "within its assumptions");
}

int mf_flow_assumptions(mf_flow *fl, const double *z, mf_err *note) {
    return fl->type->assumptions ? fl->type->assumptions(fl->state, z, note) : 0;
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
    if (method == MF_FLOW_MOMENTUM && (fl->order != 2 || !fl->type->step))
        return mf_err_set(
            err, MF_EINVAL,
            "method 'momentum' discretizes the second-order momentum flow (order = 2)");
    if (method == MF_FLOW_DP45 && (!(cfg->rtol > 0) || !(cfg->atol > 0)))
        return mf_err_set(err, MF_EINVAL, "rtol and atol must be > 0");
    const uint64_t hs = cfg->h ? cfg->h : 1;
    if (hs > 1 && method != MF_FLOW_RK4 && method != MF_FLOW_EM)
        return mf_err_set(err, MF_EINVAL,
                          "h (iterations per step) applies to methods 'rk4' and 'em'");
    /* a user's codim or projection (expression and custom landscapes), checked at P x0 as
     * mf_run does for normal-space noise: a flow always lives on the manifold */
    {
        int rc = mf_landscape_check_manifold(fl->L, cfg->x0, err);
        if (rc) return rc;
    }
    if (fl->type->check_start) {
        int rc = fl->type->check_start(fl->state, cfg->x0, err);
        if (rc) return rc;
    }
    size_t seeds = method == MF_FLOW_EM ? (cfg->seeds ? cfg->seeds : 1) : 1;
    uint64_t nrec64 = mf_record_count(cfg->steps, cfg->every);
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
    int rct = mf_record_times(cfg->steps, cfg->every, nrec, res->t, cfg->cancel, err);
    if (rct) {
        mf_result_free(res);
        return rct;
    }

    double *y = fl->y, h = 0.0;
    const double dt = fl->dt;
    int rc = MF_OK;
    size_t kept = nrec;
    double last_report = mf_clock();
    uint64_t total = cfg->steps * seeds, done = 0;
    mf_ode_stats st = {0};
    mf_err start_note = {0}; /* the flow's note at the (projected) start, for a stiff stop */
    for (size_t sd = 0; sd < seeds && rc == MF_OK; sd++) {
        mf_rng g;
        mf_rng_seed(&g, cfg->seed, sd);
        memset(y, 0, n * sizeof *y);
        memcpy(y, cfg->x0, d * sizeof *y);
        proj(fl, y);
        if (sd == 0 && !mf_flow_assumptions(fl, y, &start_note)) start_note.code = 0;
        size_t j = 0;
        for (uint64_t step = 0;; step++) {
            if (step == res->t[j]) {
                record(res, j, sd, y, n);
                if (++j == nrec) break;
            }
            if (method == MF_FLOW_DP45) { /* adaptive, straight to the next record time */
                rc = mf_ode_dopri5(n, rhs, proj, fl, step * dt, res->t[j] * dt, y, cfg->rtol,
                                   cfg->atol, &h, fl->ode, &st, err);
                /* a step held by stability with far more steps to go: stop and say why */
                double rest = (double)(cfg->steps - res->t[j]) * dt / fabs(h);
                if ((rc == MF_EUNSUPPORTED && st.stiff) ||
                    (rc == MF_OK && st.stiff && rest > MF_ODE_STIFF_STEPS))
                    rc = stiff_error(fl, y, &start_note, res->t[j], h, rc ? -1.0 : rest, err);
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
                rc = fl->type->step(fl->state, y, y + d, err);
                if (!rc) proj(fl, y);
                done++;
            }
            if (!rc && mf_first_nonfinite(y, n) < n)
                rc = mf_err_set(err, MF_ENONFINITE,
                                "manifold flow left the reals at step %llu (seed %zu)",
                                (unsigned long long)(step + 1), sd + 1);
            if (!rc && mf_cancel_requested(cfg->cancel))
                rc = mf_err_set(err, MF_EINTR, "interrupted at step %llu",
                                (unsigned long long)(step + 1));
            if (rc) {
                if (j < kept) kept = j;
                break;
            }
            if (fl->progress && mf_progress_due(&last_report, 0))
                fl->progress(fl->progress_ctx, done, total);
        }
    }
    if (fl->progress) fl->progress(fl->progress_ctx, done, total);
    res->nrec = kept;
    res->steps_done = kept ? res->t[kept - 1] : 0;
    *out = res;
    return rc;
}
