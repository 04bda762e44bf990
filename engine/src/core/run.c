#include "mflab/run.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mflab/analysis.h"
#include "mflab/interrupt.h"
#include "mflab/rng.h"

double mf_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int mf_threads_default(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

mf_result *mf_result_new(size_t nobs, const mf_observable *obs, size_t nrec, size_t seeds) {
    mf_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->nobs = nobs, r->nrec = nrec, r->nrec_alloc = nrec, r->seeds = seeds;
    r->t = calloc(nrec ? nrec : 1, sizeof *r->t);
    r->obs = calloc(nobs ? nobs : 1, sizeof *r->obs);
    r->data = calloc(nobs * nrec * seeds + 1, sizeof *r->data);
    if (!r->t || !r->obs || !r->data) {
        mf_result_free(r);
        return NULL;
    }
    if (nobs) memcpy(r->obs, obs, nobs * sizeof *obs);
    return r;
}

void mf_result_free(mf_result *r) {
    if (!r) return;
    free(r->t);
    free(r->obs);
    free(r->data);
    free(r);
}

typedef struct block_outcome {
    int status;          /* MF_OK, MF_ENONFINITE, MF_EINTR, MF_ENOMEM */
    uint64_t steps_done; /* steps completed by every trajectory of the block */
    size_t fail_traj;    /* for MF_ENONFINITE: global index of the first bad trajectory */
} block_outcome;

typedef struct run_job {
    const mf_run_config *cfg;
    mf_result *res;
    size_t block, nblocks, ndraws;
    atomic_size_t next;
    block_outcome *outcome;
    /* progress: trajectory-steps done, workers still running, last report (calling thread) */
    atomic_uint_fast64_t done;
    atomic_int running;
    double last_report;
} run_job;

#define PROGRESS_STRIDE 4096 /* steps between progress counts (a power of 2) */

/* Reports progress if a period has passed since the last report; calling thread only. */
static void report_progress(run_job *J, int force) {
    const mf_run_config *c = J->cfg;
    double now = mf_clock();
    if (!force && now - J->last_report < MF_PROGRESS_PERIOD) return;
    J->last_report = now;
    c->progress(c->progress_ctx, atomic_load(&J->done), (uint64_t)c->seeds * c->steps);
}

int mf_observable_parse(const char *s, const mf_landscape *L, const mf_optim *o,
                        mf_observable *out) {
    static const struct {
        const char *name;
        enum mf_obs_kind kind;
    } fixed[] = {{"loss", MF_OBS_LOSS},
                 {"trH", MF_OBS_TRACE_H},
                 {"dist", MF_OBS_DIST},
                 {"wnorm", MF_OBS_WNORM},
                 {"mnorm", MF_OBS_MNORM},
                 {"lr", MF_OBS_LR},
                 {"lr_eff", MF_OBS_LR_EFF},
                 {"eta_eff", MF_OBS_LR_EFF},
                 {"test_loss", MF_OBS_TEST_LOSS},
                 {"lambda1", MF_OBS_LAMBDA1},
                 {"spherical_sharpness", MF_OBS_SSHARP},
                 {"lambda1_p", MF_OBS_LAMBDA1_P},
                 {"spherical_sharpness_p", MF_OBS_SSHARP_P},
                 {"h1", MF_OBS_H1}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(s, fixed[i].name) == 0) {
            *out = (mf_observable){fixed[i].kind, 0};
            return 1;
        }
    const size_t d = L->dim;
    /* optimizer state first, so "pi1" is heavy ball's pi, not a projection */
    for (size_t a = 0; o && a < o->type->nstate; a++) {
        const char *n = o->type->state_names[a];
        size_t len = n ? strlen(n) : 0;
        if (!len || strncmp(s, n, len) != 0) continue;
        if (o->type->scalar_state) {
            if (s[len] != '\0') continue;
            *out = (mf_observable){MF_OBS_STATE, a * d};
            return 1;
        }
        char *end;
        if (s[len] < '1' || s[len] > '9') continue;
        unsigned long k = strtoul(s + len, &end, 10);
        if (*end == '\0' && k >= 1 && k <= d) {
            *out = (mf_observable){MF_OBS_STATE, a * d + (size_t)(k - 1)};
            return 1;
        }
    }
    if ((s[0] == 'x' || s[0] == 'p') && s[1] >= '1' && s[1] <= '9') {
        char *end;
        unsigned long k = strtoul(s + 1, &end, 10);
        if (*end == '\0' && k >= 1 && k <= d) {
            *out = (mf_observable){s[0] == 'x' ? MF_OBS_COORD : MF_OBS_PROJ, (size_t)(k - 1)};
            return 1;
        }
    }
    size_t idx;
    if (L->type->obs_parse && L->type->obs_parse(L, s, &idx)) {
        *out = (mf_observable){MF_OBS_LANDSCAPE, idx};
        return 1;
    }
    return 0;
}

static int needs_pz(enum mf_obs_kind k) {
    return k == MF_OBS_PROJ || k == MF_OBS_DIST || k == MF_OBS_LAMBDA1_P || k == MF_OBS_SSHARP_P ||
           k == MF_OBS_H1;
}
static int needs_lanczos(enum mf_obs_kind k) {
    return k == MF_OBS_LAMBDA1 || k == MF_OBS_SSHARP || k == MF_OBS_LAMBDA1_P ||
           k == MF_OBS_SSHARP_P || k == MF_OBS_H1;
}

/* Per-block workspace of the recorder, allocated only for the observables asked for. */
typedef struct rec_ws {
    double *pz; /* d x m: projections */
    int have_pz;
    /* spectra: Lanczos work, one lane's point and top eigenvector; per lane lambda_1 at z and
     * at Pz and h1 */
    double *lz, *lv, *lwork, *lam_z, *lam_p, *h1;
    int have_lam_z, have_lam_p;
    /* landscape observables: their indices and destinations */
    size_t nl;
    size_t *lidx;
    double **lout;
} rec_ws;

static int rec_ws_init(rec_ws *w, const mf_run_config *c, size_t m) {
    const size_t d = c->landscape->dim;
    int pz = 0, lz = 0;
    for (size_t v = 0; v < c->nobs; v++) {
        pz |= needs_pz(c->obs[v].kind);
        lz |= needs_lanczos(c->obs[v].kind);
        w->nl += c->obs[v].kind == MF_OBS_LANDSCAPE;
    }
    if (pz && !(w->pz = malloc(sizeof(double) * d * m))) return -1;
    if (lz) {
        w->lz = malloc(sizeof(double) * (2 * d + 3 * m));
        w->lwork = malloc(sizeof(double) * mf_lanczos_work_size(d, 1, MF_REC_LANCZOS_MAXITER));
        if (!w->lz || !w->lwork) return -1;
        w->lv = w->lz + d, w->lam_z = w->lv + d, w->lam_p = w->lam_z + m, w->h1 = w->lam_p + m;
    }
    if (w->nl) {
        w->lidx = malloc(sizeof(size_t) * w->nl);
        w->lout = malloc(sizeof(double *) * w->nl);
        if (!w->lidx || !w->lout) return -1;
    }
    return 0;
}

static void rec_ws_free(rec_ws *w) {
    free(w->pz), free(w->lz), free(w->lwork), free(w->lidx), free(w->lout);
}

typedef struct hvp_ctx {
    const mf_landscape *L;
    const double *z;
} hvp_ctx;

static int rec_hvp(void *ctx, const double *v, double *out, mf_err *err) {
    const hvp_ctx *h = ctx;
    (void)err;
    h->L->type->hvp(h->L, 1, h->z, 1, v, 1, out, 1);
    return MF_OK;
}

/* lambda_1 of H_f at every lane of x (d rows of m) into lam; with h (not NULL), also
 * h_i = <z_i - x_i, v_1> with v_1's largest-magnitude entry made positive. NaN on failure. */
static void top_eig(const mf_landscape *L, size_t m, const double *x, const double *z, rec_ws *w,
                    double *lam, double *h) {
    const size_t d = L->dim;
    for (size_t i = 0; i < m; i++) {
        for (size_t k = 0; k < d; k++)
            w->lz[k] = x[k * m + i];
        hvp_ctx ctx = {L, w->lz};
        mf_err err;
        if (mf_lanczos_top_ws(d, rec_hvp, &ctx, 1, MF_REC_LANCZOS_TOL, MF_REC_LANCZOS_MAXITER, 0,
                              &lam[i], h ? w->lv : NULL, NULL, w->lwork, &err)) {
            lam[i] = NAN;
            if (h) h[i] = NAN;
            continue;
        }
        if (!h) continue;
        size_t at = 0;
        for (size_t k = 1; k < d; k++)
            if (fabs(w->lv[k]) > fabs(w->lv[at])) at = k;
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += (z[k * m + i] - x[k * m + i]) * w->lv[k];
        h[i] = w->lv[at] < 0.0 ? -s : s;
    }
}

/* |x_i|^2 for the lanes of x (d rows of m) */
static void sqnorms(size_t d, size_t m, const double *x, double *out) {
    for (size_t i = 0; i < m; i++)
        out[i] = 0.0;
    for (size_t q = 0; q < d; q++)
        for (size_t i = 0; i < m; i++)
            out[i] += x[q * m + i] * x[q * m + i];
}

/* Stores record j (after k steps) of the block [lo, lo + m). */
static void record(const run_job *J, size_t j, uint64_t k, size_t lo, size_t m, const double *z,
                   const double *st, rec_ws *w) {
    const mf_run_config *c = J->cfg;
    const mf_landscape *L = c->landscape;
    const mf_optim *o = c->optim;
    const size_t d = L->dim, lds = d * m;
    mf_result *r = J->res;
    w->have_pz = w->have_lam_z = w->have_lam_p = 0;
    size_t nl = 0;
    for (size_t v = 0; v < c->nobs; v++) {
        double *dst = r->data + (v * r->nrec_alloc + j) * r->seeds + lo;
        const mf_observable *ob = &c->obs[v];
        if (needs_pz(ob->kind) && !w->have_pz) {
            L->type->project(L, m, z, m, w->pz, m);
            w->have_pz = 1;
        }
        if ((ob->kind == MF_OBS_LAMBDA1 || ob->kind == MF_OBS_SSHARP) && !w->have_lam_z) {
            top_eig(L, m, z, z, w, w->lam_z, NULL);
            w->have_lam_z = 1;
        }
        if ((ob->kind == MF_OBS_LAMBDA1_P || ob->kind == MF_OBS_SSHARP_P ||
             ob->kind == MF_OBS_H1) &&
            !w->have_lam_p) {
            top_eig(L, m, w->pz, z, w, w->lam_p, w->h1);
            w->have_lam_p = 1;
        }
        switch (ob->kind) {
        case MF_OBS_COORD:
            memcpy(dst, z + ob->index * m, m * sizeof *z);
            break;
        case MF_OBS_LOSS:
            L->type->value(L, m, z, m, dst);
            break;
        case MF_OBS_TRACE_H:
            L->type->trace_hessian(L, m, z, m, dst);
            break;
        case MF_OBS_PROJ:
            memcpy(dst, w->pz + ob->index * m, m * sizeof *z);
            break;
        case MF_OBS_DIST:
        case MF_OBS_WNORM:
        case MF_OBS_MNORM: {
            const double *a =
                ob->kind == MF_OBS_MNORM ? st + (size_t)o->type->momentum_state * lds : z;
            for (size_t i = 0; i < m; i++)
                dst[i] = 0.0;
            for (size_t q = 0; q < d; q++)
                for (size_t i = 0; i < m; i++) {
                    double e = a[q * m + i] - (ob->kind == MF_OBS_DIST ? w->pz[q * m + i] : 0.0);
                    dst[i] += e * e;
                }
            for (size_t i = 0; i < m; i++)
                dst[i] = sqrt(dst[i]);
            break;
        }
        case MF_OBS_LR: {
            const double lr = mf_schedule_at(&o->sched, k ? k : 1);
            for (size_t i = 0; i < m; i++)
                dst[i] = lr;
            break;
        }
        case MF_OBS_LR_EFF:
            if (o->type->lr_eff) {
                o->type->lr_eff(o, d, m, z, m, st, lds, k, dst);
            } else {
                const double lr = mf_schedule_at(&o->sched, k ? k : 1);
                for (size_t i = 0; i < m; i++)
                    dst[i] = lr;
            }
            break;
        case MF_OBS_STATE:
            memcpy(dst, st + ob->index * m, m * sizeof *z); /* (s*d + k) rows in */
            break;
        case MF_OBS_TEST_LOSS:
            L->type->test_loss(L, m, z, m, dst);
            break;
        case MF_OBS_LAMBDA1:
        case MF_OBS_LAMBDA1_P:
            memcpy(dst, ob->kind == MF_OBS_LAMBDA1 ? w->lam_z : w->lam_p, m * sizeof *z);
            break;
        case MF_OBS_SSHARP:
        case MF_OBS_SSHARP_P: /* S Q.3: lambda_1(H(w/|w|)) = |w|^2 lambda_1(H(w)) */
            sqnorms(d, m, ob->kind == MF_OBS_SSHARP ? z : w->pz, dst);
            for (size_t i = 0; i < m; i++)
                dst[i] *= ob->kind == MF_OBS_SSHARP ? w->lam_z[i] : w->lam_p[i];
            break;
        case MF_OBS_H1:
            memcpy(dst, w->h1, m * sizeof *z);
            break;
        case MF_OBS_LANDSCAPE: /* gathered, evaluated together below */
            w->lidx[nl] = ob->index;
            w->lout[nl++] = dst;
            break;
        }
    }
    if (nl) L->type->obs_eval(L, nl, w->lidx, m, z, m, w->lout);
}

/* Index of the first lane of z (d rows of m) holding a NaN or an infinity, or m. */
static size_t first_nonfinite(const double *z, size_t d, size_t m) {
    int bad = 0;
    for (size_t i = 0; i < d * m; i++)
        bad |= !(fabs(z[i]) <= DBL_MAX);
    if (!bad) return m;
    for (size_t i = 0; i < m; i++)
        for (size_t r = 0; r < d; r++)
            if (!isfinite(z[r * m + i])) return i;
    return m;
}

static void run_block(run_job *J, size_t b, int caller) {
    const mf_run_config *c = J->cfg;
    const mf_landscape *L = c->landscape;
    const size_t d = L->dim, lo = b * J->block;
    const size_t m = lo + J->block <= c->seeds ? J->block : c->seeds - lo;
    const size_t nst = c->optim->type->nstate;
    block_outcome *out = &J->outcome[b];
    double *z = malloc(sizeof(double) * d * m), *g = malloc(sizeof(double) * d * m),
           *xi = malloc(sizeof(double) * (J->ndraws + 1) * m),
           *st = calloc(nst * d * m + 1, sizeof(double));
    rec_ws w = {0};
    int ws_bad = rec_ws_init(&w, c, m);
    mf_rng_soa rng = {0};
    if (!z || !g || !xi || !st || ws_bad ||
        (c->noise && mf_rng_soa_init(&rng, m, c->seed, lo, NULL) != MF_OK)) {
        out->status = MF_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < d; r++)
        for (size_t i = 0; i < m; i++)
            z[r * m + i] = c->x0[r];
    if (c->optim->type->init) c->optim->type->init(c->optim, d, m, st, d * m);
    record(J, 0, 0, lo, m, z, st, &w);
    size_t j = 1;
    out->status = MF_OK;
    for (uint64_t k = 1; k <= c->steps; k++) {
        L->type->grad(L, m, z, m, g, m);
        if (c->noise) {
            for (size_t r = 0; r < J->ndraws; r++)
                mf_rng_soa_normals(&rng, xi + r * m);
            c->noise->type->sub(c->noise, L, m, z, m, xi, m, g, m);
        }
        c->optim->type->step(c->optim, d, m, z, m, g, m, st, d * m, k, lo);
        size_t bad = first_nonfinite(z, d, m);
        if (bad < m) {
            out->status = MF_ENONFINITE;
            out->steps_done = k - 1;
            out->fail_traj = lo + bad;
            goto done;
        }
        if (k % c->every == 0 || k == c->steps) record(J, j++, k, lo, m, z, st, &w);
        if (c->progress && (k & (PROGRESS_STRIDE - 1)) == 0) {
            atomic_fetch_add(&J->done, (uint64_t)PROGRESS_STRIDE * m);
            if (caller) report_progress(J, 0);
        }
        if (mf_interrupt_pending()) {
            out->status = MF_EINTR;
            out->steps_done = k;
            goto done;
        }
    }
    out->steps_done = c->steps;
    if (c->progress) atomic_fetch_add(&J->done, (c->steps % PROGRESS_STRIDE) * m);
done:
    mf_rng_soa_free(&rng);
    free(z), free(g), free(xi), free(st);
    rec_ws_free(&w);
}

static void work(run_job *J, int caller) {
    for (;;) {
        size_t b = atomic_fetch_add(&J->next, 1);
        if (b >= J->nblocks) break;
        run_block(J, b, caller);
    }
}

static void *run_worker(void *arg) {
    run_job *J = arg;
    work(J, 0);
    atomic_fetch_sub(&J->running, 1);
    return NULL;
}

/* Spherical sharpness needs L(c z) = L(z): landscapes declare it (MF_LANDSCAPE_SCALE_INVARIANT);
 * for the others (a custom landscape) L(2 x0) = L(x0) = L(x0/2) is checked numerically. */
static int check_scale_invariant(const mf_landscape *L, const double *x0, mf_err *err) {
    if (L->flags & MF_LANDSCAPE_SCALE_INVARIANT) return MF_OK;
    const size_t d = L->dim;
    double *x = malloc(sizeof(double) * d);
    if (!x) return mf_err_set(err, MF_ENOMEM, "out of memory");
    double f1 = mf_landscape_value(L, x0), f[2];
    for (int t = 0; t < 2; t++) {
        for (size_t k = 0; k < d; k++)
            x[k] = (t ? 0.5 : 2.0) * x0[k];
        f[t] = mf_landscape_value(L, x);
    }
    free(x);
    const double tol = 1e-9 * (fabs(f1) + 1e-12);
    if (!(fabs(f[0] - f1) <= tol && fabs(f[1] - f1) <= tol))
        return mf_err_set(err, MF_EINVAL,
                          "spherical sharpness needs a scale-invariant landscape, L(c z) = L(z); "
                          "landscape '%s' has L(2 x0) = %.10g, L(x0) = %.10g",
                          L->type->name, f[0], f1);
    return MF_OK;
}

int mf_run(const mf_run_config *c, mf_result **out, mf_err *err) {
    *out = NULL;
    if (!c->landscape || !c->optim || !c->x0)
        return mf_err_set(err, MF_EINVAL, "landscape, optimizer and x0 are required");
    if (c->every < 1) return mf_err_set(err, MF_EINVAL, "every must be >= 1");
    if (c->seeds < 1) return mf_err_set(err, MF_EINVAL, "seeds must be >= 1");
    const size_t d = c->landscape->dim;
    for (size_t r = 0; r < d; r++)
        if (!isfinite(c->x0[r])) return mf_err_set(err, MF_EINVAL, "x0[%zu] is not finite", r + 1);
    for (size_t v = 0; v < c->nobs; v++) {
        const mf_observable *ob = &c->obs[v];
        if ((ob->kind == MF_OBS_COORD || ob->kind == MF_OBS_PROJ) && ob->index >= d)
            return mf_err_set(err, MF_EINVAL, "recorded coordinate %zu is beyond the dimension %zu",
                              ob->index + 1, d);
        if (needs_pz(ob->kind) && (!c->landscape->type->project || c->landscape->codim == 0))
            return mf_err_set(err, MF_EUNSUPPORTED,
                              "recording the projection, the distance to the manifold or the "
                              "spectrum at the projection needs a projection, which landscape "
                              "'%s' does not have",
                              c->landscape->type->name);
        if (ob->kind == MF_OBS_TEST_LOSS && !c->landscape->type->test_loss)
            return mf_err_set(err, MF_EUNSUPPORTED, "landscape '%s' has no test loss to record",
                              c->landscape->type->name);
        if (ob->kind == MF_OBS_LANDSCAPE && !c->landscape->type->obs_eval)
            return mf_err_set(err, MF_EINVAL, "landscape '%s' has no observables of its own",
                              c->landscape->type->name);
        if (ob->kind == MF_OBS_SSHARP || ob->kind == MF_OBS_SSHARP_P) {
            int rc = check_scale_invariant(c->landscape, c->x0, err);
            if (rc) return rc;
        }
        if (ob->kind == MF_OBS_MNORM && c->optim->type->momentum_state < 0)
            return mf_err_set(err, MF_EINVAL, "optimizer '%s' has no momentum to record",
                              c->optim->type->name);
        if (ob->kind == MF_OBS_STATE && (ob->index / d >= c->optim->type->nstate ||
                                         !c->optim->type->state_names[ob->index / d]))
            return mf_err_set(err, MF_EINVAL, "optimizer '%s' has no state array %zu",
                              c->optim->type->name, ob->index / d);
    }
    int rc0 = mf_schedule_check(&c->optim->sched, err);
    if (rc0) return rc0;
    run_job J = {.cfg = c};
    if (c->noise) {
        int rc = mf_noise_bind(c->noise, c->landscape, &J.ndraws, err);
        if (rc) return rc;
    }
    uint64_t nrec64 = c->steps / c->every + 1 + (c->steps % c->every != 0);
    /* every allocation that grows with the request: records, times, per-trajectory state */
    double bytes =
        (double)nrec64 * (8.0 + (double)c->seeds * (double)(c->nobs ? c->nobs : 1) * 8.0) +
        (double)c->seeds * (double)d * 8.0 * (double)(c->optim->type->nstate + 4);
    int rcb = mf_budget_check(bytes, "this run", "record less often (every) or fewer seeds", err);
    if (rcb) return rcb;
    size_t nrec = (size_t)nrec64;
    mf_result *res = mf_result_new(c->nobs, c->obs, nrec, c->seeds);
    if (!res) return mf_err_set(err, MF_ENOMEM, "out of memory for %zu records", nrec);
    for (size_t j = 0; j + 1 < nrec; j++)
        res->t[j] = (uint64_t)j * c->every;
    res->t[nrec - 1] = c->steps;
    J.res = res;
    int nt = c->threads > 0 ? c->threads : mf_threads_default();
    if (c->landscape->flags & MF_LANDSCAPE_SERIAL) nt = 1; /* host callbacks: calling thread only */
    if (c->landscape->flags & MF_LANDSCAPE_SERIAL) nt = 1; /* host callbacks: calling thread only */
    J.block = c->block;
    if (!J.block) { /* auto: up to 256 lanes, but enough blocks to keep every thread busy */
        size_t per = (c->seeds + (size_t)nt - 1) / (size_t)nt;
        per = (per + 7) / 8 * 8;
        J.block = per < 256 ? per : 256;
    }
    J.nblocks = (c->seeds + J.block - 1) / J.block;
    J.outcome = calloc(J.nblocks, sizeof *J.outcome);
    if (!J.outcome) {
        mf_result_free(res);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    atomic_init(&J.next, 0);
    atomic_init(&J.done, 0);
    atomic_init(&J.running, 0);
    J.last_report = mf_clock();
    if ((size_t)nt > J.nblocks) nt = (int)J.nblocks;
    pthread_t tid[256];
    if (nt > 256) nt = 256;
    int started = 0;
    for (int i = 1; i < nt; i++) {
        atomic_fetch_add(&J.running, 1);
        if (pthread_create(&tid[started], NULL, run_worker, &J) != 0) {
            atomic_fetch_sub(&J.running, 1);
            break;
        }
        started++;
    }
    work(&J, 1);
    if (c->progress) { /* keep reporting from this thread while the others finish */
        while (atomic_load(&J.running) > 0) {
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
            report_progress(&J, 0);
        }
        report_progress(&J, 1);
    }
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);

    /* Combine the blocks' outcomes in block order, so the verdict never depends on timing. */
    int status = MF_OK;
    uint64_t done = c->steps, fail_step = UINT64_MAX;
    size_t fail_traj = 0;
    for (size_t b = 0; b < J.nblocks; b++) {
        block_outcome *o = &J.outcome[b];
        if (o->status == MF_ENOMEM) status = MF_ENOMEM;
        if (o->steps_done < done) done = o->steps_done;
        if (o->status == MF_ENONFINITE && o->steps_done + 1 < fail_step) {
            fail_step = o->steps_done + 1;
            fail_traj = o->fail_traj;
        }
        if (o->status == MF_EINTR && status == MF_OK) status = MF_EINTR;
    }
    free(J.outcome);
    if (status == MF_ENOMEM) {
        mf_result_free(res);
        return mf_err_set(err, MF_ENOMEM, "out of memory for a block of %zu trajectories", J.block);
    }
    if (fail_step != UINT64_MAX) status = MF_ENONFINITE;
    res->steps_done = done;
    size_t keep = 0;
    while (keep < nrec && res->t[keep] <= done)
        keep++;
    res->nrec = keep;
    *out = res;
    if (status == MF_ENONFINITE) {
        res->fail_step = fail_step;
        res->fail_traj = fail_traj;
        return mf_err_set(err, MF_ENONFINITE,
                          "non-finite value at step %llu in trajectory %zu (seed index, 1-based); "
                          "%zu records before it kept",
                          (unsigned long long)fail_step, fail_traj + 1, keep);
    }
    if (status == MF_EINTR)
        return mf_err_set(err, MF_EINTR, "interrupted after step %llu; %zu records kept",
                          (unsigned long long)done, keep);
    return MF_OK;
}
