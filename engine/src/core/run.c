#include "mflab/run.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runloop_impl.h"
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
    r->nobs = nobs, r->nrec = nrec, r->nrec_alloc = nrec, r->seeds = seeds, r->ntraj = seeds;
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
    if (r->stats) {
        mf_stats *st = r->stats;
        free(st->q), free(st->mean), free(st->var), free(st->min), free(st->max), free(st->quant);
        free(st);
    }
    free(r->drop_step);
    free(r->alive);
    free(r);
}

/* The one list of observables (run.h); the families come last, in the order they are parsed. */
static const mf_observable_info observables[] = {
    {"x<k>", MF_OBS_COORD, "coordinate k of z ('x' in record: all)"},
    {"loss", MF_OBS_LOSS, "f(z)"},
    {"trH", MF_OBS_TRACE_H, "Tr H_f(z), the trace of the Hessian"},
    {"dist", MF_OBS_DIST, "|z - Pz|, the distance to the manifold (landscapes with a projection)"},
    {"p<k>", MF_OBS_PROJ, "coordinate k of Pz, the projection onto the manifold ('p': all)"},
    {"wnorm", MF_OBS_WNORM, "|z|"},
    {"mnorm", MF_OBS_MNORM, "the norm of the optimizer's momentum state"},
    {"lr", MF_OBS_LR, "the learning rate of the latest step (of step 1 at t = 0)"},
    {"lr_eff", MF_OBS_LR_EFF, "the optimizer's effective learning rate"},
    {"eta_eff", MF_OBS_LR_EFF, "another name of lr_eff (the sharpness paper's eta-tilde)"},
    {"test_loss", MF_OBS_TEST_LOSS, "the landscape's held-out error"},
    {"lambda1", MF_OBS_LAMBDA1, "lambda_1(H_f(z)), the largest Hessian eigenvalue (Lanczos)"},
    {"spherical_sharpness", MF_OBS_SSHARP,
     "|z|^2 lambda_1(H_f(z)) (scale-invariant landscapes only)"},
    {"lambda1_p", MF_OBS_LAMBDA1_P, "lambda_1 at the projection Pz"},
    {"spherical_sharpness_p", MF_OBS_SSHARP_P, "spherical sharpness at the projection Pz"},
    {"h1", MF_OBS_H1, "<z - Pz, v_1(H_f(Pz))>, the displacement along the top eigenvector"},
    {"<state><k>", MF_OBS_STATE, "coordinate k of an optimizer state array (m1, v2, pi1, ...)"},
};

size_t mf_observable_list(const mf_observable_info **out) {
    if (out) *out = observables;
    return sizeof observables / sizeof observables[0];
}

int mf_observable_parse(const char *s, const mf_landscape *L, const mf_optim *o,
                        mf_observable *out) {
    for (size_t i = 0; i < sizeof observables / sizeof observables[0]; i++)
        if (!strchr(observables[i].name, '<') && strcmp(s, observables[i].name) == 0) {
            *out = (mf_observable){observables[i].kind, 0};
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

/* ---- the job: blocks of lanes, configurations, outcomes ------------------------------------ */

typedef struct block_outcome {
    int status;          /* MF_OK, MF_EINTR, MF_ENOMEM */
    uint64_t steps_done; /* steps completed by every live trajectory of the block */
    int unrecorded;      /* interrupted before it began: no records at all */
} block_outcome;

/* The part of a block that belongs to one configuration: lanes [off, off + n) of the block are
 * trajectories [i0, i0 + n) of configuration c. */
typedef struct seg {
    size_t c, i0, n, off;
} seg;

/* A finished block of a statistics-only run, waiting to be folded in block order. */
typedef struct sbuf {
    size_t lo, m;
    double *raw;    /* raw[(j*nobs + v)*m + l]: observable v of lane l at record j */
    uint64_t *dead; /* per lane: step at which it stopped (0: never) */
} sbuf;

typedef struct bsnap bsnap; /* a block's state in a checkpoint (below) */
static void bsnap_free(bsnap *s);

typedef struct run_job {
    const mf_run_config *cfg;
    size_t K, S; /* configurations, trajectories per configuration */
    const mf_run_conf *conf;
    mf_result **res;
    const uint64_t *t;                     /* record times */
    size_t nrec, ndraws, nblocks, *bstart; /* block b: lanes [bstart[b], bstart[b + 1]) */
    atomic_size_t next;
    block_outcome *outcome;
    pthread_mutex_t lock; /* guards fail_*, and the statistics fold below */
    uint64_t *fail_step;  /* per configuration: first failing step (0: none) */
    size_t *fail_traj;    /* and its trajectory */
    /* statistics-only runs: blocks are folded in order; a block may start only within a window
     * of the next one to fold, so pending buffers stay few */
    pthread_cond_t cond;
    size_t merged, window;
    int folding; /* a thread is folding (merged and pending under the lock) */
    sbuf **pending;
    uint32_t *hist;    /* per (c, v, j): MF_STATS_BINS + 2 counts (below, bins, above) */
    double *hlo, *hhi; /* histogram ranges */
    unsigned char *hset;
    /* checkpoints: a request (ck_req > ck_done) stops every worker thread at its next safe
     * point (a step boundary, or between blocks); each running block leaves a snapshot, and the
     * last thread to arrive writes the file (under the lock) and releases the others */
    const char *ck_path;
    double ck_every, ck_last;
    atomic_uint ck_req, ck_done;
    size_t ck_arrived, nactive;
    unsigned char *bstate; /* per block: 0 to run, 1 done, 2 snapshot in snap[b] */
    bsnap **snap;
    int ck_rc;
    mf_err ck_err;
    uint64_t fingerprint;
    /* progress: trajectory-steps done, workers still running, last report (calling thread) */
    atomic_uint_fast64_t done;
    atomic_int running;
    double last_report;
    uint64_t pstride; /* steps between progress counts: PROGRESS_STRIDE, or 1 (slow steps) */
} run_job;

#define PROGRESS_STRIDE 4096 /* steps between progress counts (a power of 2) */

/* A step of host callbacks (Lua) or of noise at the generic projection (a gradient flow per
 * trajectory) takes micro- to milliseconds: 4096 of them between counts made such a run look
 * hung (issue 17). Counting every step costs one atomic add per block-step there. */
static uint64_t progress_stride(const mf_landscape *L, const mf_run_conf *c0) {
    const int slow_noise = c0->noise && c0->noise->space == MF_SPACE_NORMAL &&
                           L->type->project == mf_landscape_generic_project;
    return (L->flags & MF_LANDSCAPE_SERIAL) || slow_noise ? 1 : PROGRESS_STRIDE;
}

/* Reports progress if a period has passed since the last report; calling thread only. */
static void report_progress(run_job *J, int force) {
    const mf_run_config *c = J->cfg;
    if (!mf_progress_due(&J->last_report, force)) return;
    c->progress(c->progress_ctx, atomic_load(&J->done), (uint64_t)J->K * J->S * c->steps);
}

/* Splits the block [lo, lo + m) at configuration boundaries; returns the number of parts. */
static size_t block_segs(const run_job *J, size_t lo, size_t m, seg *sg) {
    size_t ns = 0;
    for (size_t g = lo; g < lo + m;) {
        const size_t c = g / J->S, i0 = g % J->S;
        const size_t n = J->S - i0 < lo + m - g ? J->S - i0 : lo + m - g;
        sg[ns++] = (seg){c, i0, n, g - lo};
        g += n;
    }
    return ns;
}

/* Two noise models draw the same term from the same normals. */
static int same_noise(const mf_noise *a, const mf_noise *b) {
    if (!a || !b) return a == b;
    return a->type == b->type && a->space == b->space && a->sigma == b->sigma &&
           a->batch == b->batch;
}

/* Computes the observables of the block (lanes of m) after k steps into out (nobs rows of m). */
static void observe(const run_job *J, uint64_t k, size_t m, const seg *sg, size_t ns,
                    const double *z, const double *st, rec_ws *w, double *out) {
    const mf_run_config *c = J->cfg;
    const mf_landscape *L = c->landscape;
    const mf_optim *o0 = J->conf[0].optim;
    const size_t d = L->dim, lds = d * m;
    w->have_pz = w->have_lam_z = w->have_lam_p = 0;
    size_t nl = 0;
    for (size_t v = 0; v < c->nobs; v++) {
        double *dst = out + v * m;
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
                ob->kind == MF_OBS_MNORM ? st + (size_t)o0->type->momentum_state * lds : z;
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
        case MF_OBS_LR:
        case MF_OBS_LR_EFF: /* each configuration's own optimizer */
            for (size_t s = 0; s < ns; s++) {
                const mf_optim *o = J->conf[sg[s].c].optim;
                const size_t off = sg[s].off, n = sg[s].n;
                if (ob->kind == MF_OBS_LR_EFF && o->type->lr_eff) {
                    o->type->lr_eff(o, d, n, z + off, m, st + off, lds, k, dst + off);
                } else {
                    const double lr = mf_schedule_at(&o->sched, k ? k : 1);
                    for (size_t i = 0; i < n; i++)
                        dst[off + i] = lr;
                }
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

/* Stores record j of the block: into the configurations' results (trajectories kept; NaN for
 * a trajectory no longer alive) or into the block's buffer (statistics). */
static void store(const run_job *J, size_t j, size_t m, const seg *sg, size_t ns, const double *ob,
                  const uint64_t *dead, double *raw) {
    const size_t nobs = J->cfg->nobs;
    const uint64_t t = J->t[j];
    if (raw) {
        memcpy(raw + j * nobs * m, ob, nobs * m * sizeof *ob);
        return;
    }
    for (size_t s = 0; s < ns; s++) {
        mf_result *r = J->res[sg[s].c];
        for (size_t v = 0; v < nobs; v++) {
            double *dst = r->data + (v * r->nrec_alloc + j) * r->seeds + sg[s].i0;
            const double *src = ob + v * m + sg[s].off;
            for (size_t i = 0; i < sg[s].n; i++) {
                const uint64_t dd = dead[sg[s].off + i];
                dst[i] = dd && dd <= t ? NAN : src[i];
            }
        }
    }
}

/* Puts lane l of configuration c back at its start with fresh state: a frozen trajectory keeps
 * computing finite numbers nobody reads, at no risk to the lanes beside it. */
static void reset_lane(const run_job *J, size_t c, size_t l, size_t m, double *z, double *st) {
    const mf_optim *o = J->conf[c].optim;
    const size_t d = J->cfg->landscape->dim;
    for (size_t r = 0; r < d; r++)
        z[r * m + l] = J->conf[c].x0[r];
    for (size_t a = 0; a < o->type->nstate; a++)
        for (size_t r = 0; r < d; r++)
            st[(a * d + r) * m + l] = 0.0;
    if (o->type->init) o->type->init(o, d, 1, st + l, d * m);
}

/* Folds the finished statistics block sb into the configurations' statistics (called in block
 * order, by one thread at a time: post_block). */
static void fold_block(run_job *J, const sbuf *sb) {
    const mf_run_config *c = J->cfg;
    const size_t nobs = c->nobs, m = sb->m, nrec = J->nrec, NB = MF_STATS_BINS;
    seg sg[2 + MF_STATS_BLOCK];
    seg *segs = m + 1 <= sizeof sg / sizeof sg[0] ? sg : malloc(sizeof(seg) * (m + 1));
    if (!segs) return;
    const size_t ns = block_segs(J, sb->lo, m, segs);
    double *xbuf = malloc(sizeof(double) * (MF_STATS_BLOCK + 1));
    if (!xbuf) goto out;
    for (size_t s = 0; s < ns; s++) {
        mf_result *r = J->res[segs[s].c];
        mf_stats *st = r->stats;
        /* statistics blocks: trajectories [q B, (q + 1) B) of the configuration */
        for (size_t a = segs[s].i0; a < segs[s].i0 + segs[s].n;) {
            size_t e = (a / MF_STATS_BLOCK + 1) * MF_STATS_BLOCK;
            if (e > segs[s].i0 + segs[s].n) e = segs[s].i0 + segs[s].n;
            const size_t l0 = segs[s].off + (a - segs[s].i0);
            int anydead = 0;
            for (size_t l = l0; l < l0 + (e - a); l++)
                anydead |= sb->dead[l] != 0;
            for (size_t j = 0; j < nrec; j++) {
                const uint64_t t = J->t[j];
                const uint64_t nA = r->alive[j];
                size_t nlive = e - a;
                if (anydead) {
                    nlive = 0;
                    for (size_t l = l0; l < l0 + (e - a); l++)
                        nlive += !sb->dead[l] || sb->dead[l] > t;
                }
                for (size_t v = 0; v < nobs; v++) {
                    const double *src = sb->raw + (j * nobs + v) * m;
                    for (size_t i = a; i < e && i < c->keep_trajectories; i++) {
                        const size_t l = l0 + (i - a);
                        const int live = !sb->dead[l] || sb->dead[l] > t;
                        r->data[(v * r->nrec_alloc + j) * r->seeds + i] = live ? src[l] : NAN;
                    }
                    /* the live values in trajectory order (all of them, in place, when none
                     * was dropped) */
                    const double *x = src + l0;
                    size_t nb = nlive;
                    if (nlive != e - a) {
                        nb = 0;
                        for (size_t l = l0; l < l0 + (e - a); l++)
                            if (!sb->dead[l] || sb->dead[l] > t) xbuf[nb++] = src[l];
                        x = xbuf;
                    }
                    if (!nb) continue;
                    /* the block's partial, as mf_result_moments: two passes in trajectory order */
                    double sum = 0.0, lo = x[0], hi = x[0];
                    for (size_t i = 0; i < nb; i++) {
                        sum += x[i];
                        if (x[i] < lo) lo = x[i];
                        if (x[i] > hi) hi = x[i];
                    }
                    const double mu = sum / (double)nb;
                    double m2 = 0.0;
                    for (size_t i = 0; i < nb; i++)
                        m2 += (x[i] - mu) * (x[i] - mu);
                    const size_t h = v * r->nrec_alloc + j;
                    if (nA == 0) {
                        st->mean[h] = mu, st->var[h] = m2, st->min[h] = lo, st->max[h] = hi;
                    } else { /* Chan, Golub & LeVeque: the pairwise update */
                        const double n = (double)(nA + nb), fb = (double)nb / n;
                        const double delta = mu - st->mean[h];
                        st->mean[h] += delta * fb;
                        st->var[h] += m2 + delta * delta * ((double)nA * fb);
                        if (lo < st->min[h]) st->min[h] = lo;
                        if (hi > st->max[h]) st->max[h] = hi;
                    }
                    if (!st->nq) continue;
                    const size_t hk = (segs[s].c * nobs + v) * nrec + j;
                    if (!J->hset[hk]) {
                        const double w = hi - lo;
                        J->hlo[hk] = lo - 0.5 * w, J->hhi[hk] = hi + 0.5 * w, J->hset[hk] = 1;
                    }
                    const double hl = J->hlo[hk], hh = J->hhi[hk];
                    const double scale = hh > hl ? (double)NB / (hh - hl) : 0.0;
                    uint32_t *cnt = J->hist + hk * (NB + 2);
                    for (size_t i = 0; i < nb; i++) {
                        size_t bin;
                        if (x[i] < hl)
                            bin = 0;
                        else if (x[i] > hh)
                            bin = NB + 1;
                        else {
                            double f = (x[i] - hl) * scale;
                            bin = f >= (double)NB ? NB : 1 + (size_t)f;
                        }
                        cnt[bin]++;
                    }
                }
                r->alive[j] += nlive;
            }
            a = e;
        }
    }
out:
    free(xbuf);
    if (segs != sg) free(segs);
}

/* Hands a finished block to the fold; the thread that finds the next block in order folds it
 * and every one after it that is ready, outside the lock (one folder at a time), so the fold
 * runs beside the other threads' stepping. */
static void post_block(run_job *J, size_t b, sbuf *sb) {
    pthread_mutex_lock(&J->lock);
    J->pending[b] = sb;
    if (J->folding) {
        pthread_mutex_unlock(&J->lock);
        return;
    }
    J->folding = 1;
    while (J->merged < J->nblocks && J->pending[J->merged]) {
        sbuf *p = J->pending[J->merged];
        J->pending[J->merged] = NULL;
        pthread_mutex_unlock(&J->lock);
        if (p->raw) fold_block(J, p);
        free(p->raw), free(p->dead), free(p);
        pthread_mutex_lock(&J->lock);
        if (J->snap) {
            bsnap_free(J->snap[J->merged]);
            J->snap[J->merged] = NULL;
        }
        J->merged++;
        pthread_cond_broadcast(&J->cond);
    }
    J->folding = 0;
    pthread_mutex_unlock(&J->lock);
}

/* Marks configuration c failed at step k in trajectory i, if that is its first failure. */
static void note_failure(run_job *J, size_t c, uint64_t k, size_t i) {
    pthread_mutex_lock(&J->lock);
    if (!J->fail_step[c] || k < J->fail_step[c] || (k == J->fail_step[c] && i < J->fail_traj[c]))
        J->fail_step[c] = k, J->fail_traj[c] = i;
    pthread_mutex_unlock(&J->lock);
}

/* ---- checkpoints ---------------------------------------------------------------------------
 *
 * The state of a run is: the records so far (the results' arrays, or the folded statistics and
 * the histograms), which blocks are done, and for every block under way its step, its next
 * record, its positions, its optimizer state (the arrays the optimizer type declares, nstate x
 * d per lane, which are the whole of an optimizer's state), its random streams (xoshiro256++
 * state per lane, mf_rng_soa_get) and its dropped lanes. A block not under way restarts from
 * its beginning on resume, which gives the same bits: blocks are independent and
 * deterministic. The file is written to a temporary name, fsync'd and renamed. */

struct bsnap {
    uint64_t k; /* steps done */
    size_t j;   /* next record */
    double *z, *st, *raw;
    uint64_t *rng, *dead;
};

static void bsnap_free(bsnap *s) {
    if (!s) return;
    free(s->z), free(s->st), free(s->raw), free(s->rng), free(s->dead), free(s);
}

/* What a running block hands to a checkpoint. */
typedef struct bctx {
    size_t b, m, j;
    uint64_t k;
    const double *z, *st, *raw;
    const mf_rng_soa *rng;
    const uint64_t *dead;
} bctx;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV(h, x) ((h) = fnv((h), &(x), sizeof(x)))

/* Everything that shapes the run's numbers, hashed: a checkpoint resumes only the same run. */
static uint64_t run_fingerprint(const run_job *J) {
    const mf_run_config *c = J->cfg;
    const mf_landscape *L = c->landscape;
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, L->type->name, strlen(L->type->name));
    FNV(h, L->dim), FNV(h, c->steps), FNV(h, c->every), FNV(h, c->seeds), FNV(h, c->seed);
    FNV(h, J->K), FNV(h, c->nobs), FNV(h, c->keep), FNV(h, c->on_nonfinite);
    FNV(h, c->keep_trajectories), FNV(h, c->nquantiles);
    for (size_t v = 0; v < c->nobs; v++)
        FNV(h, c->obs[v].kind), FNV(h, c->obs[v].index);
    if (c->nquantiles) h = fnv(h, c->quantiles, c->nquantiles * sizeof(double));
    for (size_t k = 0; k < J->K; k++) {
        const mf_run_conf *cf = &J->conf[k];
        const mf_optim *o = cf->optim;
        const mf_schedule *sc = &o->sched;
        h = fnv(h, o->type->name, strlen(o->type->name));
        FNV(h, sc->kind), FNV(h, sc->lr), FNV(h, sc->gamma), FNV(h, sc->step_size);
        FNV(h, sc->T), FNV(h, sc->eta_min), FNV(h, sc->warmup), FNV(h, sc->start);
        if (sc->kind == MF_SCHED_TABLE) h = fnv(h, sc->table, sc->ntable * sizeof(double));
        const mf_optim_params *p = &o->p;
        FNV(h, p->momentum), FNV(h, p->dampening), FNV(h, p->nesterov), FNV(h, p->weight_decay);
        FNV(h, p->beta1), FNV(h, p->beta2), FNV(h, p->eps), FNV(h, p->alpha), FNV(h, p->centered);
        FNV(h, p->v0);
        if (cf->noise) {
            h = fnv(h, cf->noise->type->name, strlen(cf->noise->type->name));
            FNV(h, cf->noise->sigma), FNV(h, cf->noise->space), FNV(h, cf->noise->batch);
        }
        h = fnv(h, cf->x0, L->dim * sizeof(double));
    }
    /* the landscape's data: its value at the first start */
    double f = mf_landscape_value(L, J->conf[0].x0);
    FNV(h, f);
    return h;
}

static const char CK_MAGIC[8] = {'M', 'F', 'L', 'B', 'C', 'K', '0', '1'};

typedef struct ckio {
    FILE *f;
    int bad;
} ckio;

static void ck_put(ckio *io, const void *p, size_t n) {
    if (n && !io->bad && fwrite(p, 1, n, io->f) != n) io->bad = 1;
}
static void ck_get(ckio *io, void *p, size_t n) {
    if (n && !io->bad && fread(p, 1, n, io->f) != n) io->bad = 1;
}
static void ck_u64(ckio *io, uint64_t x) {
    ck_put(io, &x, sizeof x);
}

/* The per-block layout of the file's snapshot section. */
static size_t snap_sizes(const run_job *J, size_t m, size_t *nz, size_t *nst, size_t *nraw) {
    const size_t d = J->cfg->landscape->dim;
    *nz = d * m;
    *nst = J->conf[0].optim->type->nstate * d * m;
    *nraw = J->cfg->keep == MF_KEEP_STATS ? J->nrec * J->cfg->nobs * m : 0;
    return m;
}

/* The results' and the fold's state, read or written in one order. */
static void ck_rwx(ckio *io, void *p, size_t n, int out) {
    if (out)
        ck_put(io, p, n);
    else
        ck_get(io, p, n);
}
#define rw(io, p, n) ck_rwx((io), (p), (n), out)

static void ck_body(run_job *J, ckio *io, int out) {
    const mf_run_config *c = J->cfg;
    const size_t nobs = c->nobs, nrec = J->nrec;
    rw(io, J->fail_step, J->K * sizeof *J->fail_step);
    rw(io, J->fail_traj, J->K * sizeof *J->fail_traj);
    for (size_t k = 0; k < J->K; k++) {
        mf_result *r = J->res[k];
        rw(io, r->data, nobs * r->nrec_alloc * r->seeds * sizeof(double));
        if (r->drop_step) rw(io, r->drop_step, c->seeds * sizeof *r->drop_step);
        if (r->alive) rw(io, r->alive, nrec * sizeof *r->alive);
        if (r->stats) {
            const size_t n = nobs * nrec * sizeof(double);
            rw(io, r->stats->mean, n), rw(io, r->stats->var, n);
            rw(io, r->stats->min, n), rw(io, r->stats->max, n);
        }
    }
    if (J->hist) {
        const size_t nh = J->K * (nobs ? nobs : 1) * nrec;
        rw(io, J->hist, nh * (MF_STATS_BINS + 2) * sizeof *J->hist);
        rw(io, J->hlo, nh * sizeof(double)), rw(io, J->hhi, nh * sizeof(double));
        rw(io, J->hset, nh);
    }
}
#undef rw

/* Writes the checkpoint (every worker is stopped at a safe point; the lock is held). */
static void ck_write(run_job *J) {
    const size_t n = strlen(J->ck_path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        J->ck_rc = mf_err_set(&J->ck_err, MF_ENOMEM, "out of memory");
        return;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", J->ck_path);
    int fd = mkstemp(tmp);
    if (fd >= 0) { /* mkstemp makes 0600 files: give the usual permissions */
        mode_t um = umask(0);
        umask(um);
        fchmod(fd, 0666 & ~um);
    }
    ckio io = {fd >= 0 ? fdopen(fd, "wb") : NULL, 0};
    if (!io.f) {
        if (fd >= 0) close(fd), unlink(tmp);
        J->ck_rc = mf_err_set(&J->ck_err, MF_EIO, "cannot write checkpoint '%s': %s", J->ck_path,
                              strerror(errno));
        free(tmp);
        return;
    }
    const int stats = J->cfg->keep == MF_KEEP_STATS;
    ck_put(&io, CK_MAGIC, sizeof CK_MAGIC);
    ck_u64(&io, J->fingerprint), ck_u64(&io, J->nblocks), ck_u64(&io, J->merged);
    for (size_t b = 0; b <= J->nblocks; b++)
        ck_u64(&io, J->bstart[b]);
    unsigned char *st = malloc(J->nblocks + 1);
    if (!st) io.bad = 1;
    for (size_t b = 0; st && b < J->nblocks; b++) {
        st[b] = stats && b < J->merged ? 1 : J->bstate[b];
        if (st[b] == 2 && !J->snap[b]) st[b] = 0;
    }
    if (st) ck_put(&io, st, J->nblocks);
    ck_body(J, &io, 1);
    for (size_t b = 0; st && b < J->nblocks; b++) {
        if (st[b] != 2) continue;
        const bsnap *sp = J->snap[b];
        size_t nz, nst, nraw, m = snap_sizes(J, J->bstart[b + 1] - J->bstart[b], &nz, &nst, &nraw);
        ck_u64(&io, sp->k), ck_u64(&io, sp->j);
        ck_put(&io, sp->z, nz * sizeof(double)), ck_put(&io, sp->st, nst * sizeof(double));
        ck_put(&io, sp->rng, 4 * m * sizeof(uint64_t)), ck_put(&io, sp->dead, m * sizeof(uint64_t));
        ck_put(&io, sp->raw, nraw * sizeof(double));
    }
    free(st);
    ck_put(&io, CK_MAGIC, sizeof CK_MAGIC);
    int bad = io.bad || ferror(io.f);
    bad |= fflush(io.f) != 0;
    bad |= fsync(fileno(io.f)) != 0;
    bad |= fclose(io.f) != 0;
    if (bad || rename(tmp, J->ck_path) != 0) {
        int e = errno;
        unlink(tmp);
        J->ck_rc = mf_err_set(&J->ck_err, MF_EIO, "cannot write checkpoint '%s': %s", J->ck_path,
                              strerror(e ? e : EIO));
    }
    free(tmp);
    J->ck_last = mf_clock();
}

/* Asks for a checkpoint if the period has passed. */
static void ck_maybe_request(run_job *J) {
    if (mf_clock() - J->ck_last < J->ck_every) return;
    pthread_mutex_lock(&J->lock);
    if (atomic_load(&J->ck_req) == atomic_load(&J->ck_done) &&
        mf_clock() - J->ck_last >= J->ck_every) {
        atomic_fetch_add(&J->ck_req, 1);
        pthread_cond_broadcast(&J->cond);
    }
    pthread_mutex_unlock(&J->lock);
}

/* The barrier, with the lock held: leaves the block's snapshot (x may be NULL), and waits for
 * the last thread, which writes the file. */
static void ck_arrive_locked(run_job *J, const bctx *x) {
    const unsigned gen = atomic_load(&J->ck_req);
    if (gen == atomic_load(&J->ck_done)) return;
    if (x) {
        size_t nz, nst, nraw, m = snap_sizes(J, x->m, &nz, &nst, &nraw);
        bsnap *sp = calloc(1, sizeof *sp);
        if (sp) {
            sp->k = x->k, sp->j = x->j;
            sp->z = malloc(sizeof(double) * (nz + 1)), sp->st = malloc(sizeof(double) * (nst + 1));
            sp->raw = malloc(sizeof(double) * (nraw + 1));
            sp->rng = malloc(sizeof(uint64_t) * 4 * m), sp->dead = malloc(sizeof(uint64_t) * m);
        }
        if (!sp || !sp->z || !sp->st || !sp->raw || !sp->rng || !sp->dead) {
            bsnap_free(sp); /* the block then restarts from its beginning on resume */
            sp = NULL;
        } else {
            memcpy(sp->z, x->z, nz * sizeof(double)), memcpy(sp->st, x->st, nst * sizeof(double));
            if (nraw) memcpy(sp->raw, x->raw, nraw * sizeof(double));
            memcpy(sp->dead, x->dead, m * sizeof(uint64_t));
            for (size_t l = 0; l < m; l++) {
                mf_rng r = {{0}};
                if (x->rng->n) mf_rng_soa_get(x->rng, l, &r);
                memcpy(sp->rng + 4 * l, r.s, sizeof r.s);
            }
        }
        bsnap_free(J->snap[x->b]);
        J->snap[x->b] = sp;
        J->bstate[x->b] = sp ? 2 : 0;
    }
    if (++J->ck_arrived >= J->nactive) {
        ck_write(J);
        J->ck_arrived = 0;
        atomic_store(&J->ck_done, gen);
        pthread_cond_broadcast(&J->cond);
        return;
    }
    while (atomic_load(&J->ck_done) != gen)
        pthread_cond_wait(&J->cond, &J->lock);
}

static void ck_arrive(run_job *J, const bctx *x) {
    pthread_mutex_lock(&J->lock);
    ck_arrive_locked(J, x);
    pthread_mutex_unlock(&J->lock);
}

static inline int ck_pending(run_job *J) {
    return J->ck_path && atomic_load_explicit(&J->ck_req, memory_order_relaxed) !=
                             atomic_load_explicit(&J->ck_done, memory_order_relaxed);
}

/* Reads a checkpoint into the prepared job (results allocated, fingerprint set). */
static int ck_read(run_job *J, const char *path, mf_err *err) {
    ckio io = {fopen(path, "rb"), 0};
    if (!io.f)
        return mf_err_set(err, MF_EIO, "cannot read checkpoint '%s': %s", path, strerror(errno));
    char magic[8];
    uint64_t fp = 0, nb = 0, merged = 0;
    ck_get(&io, magic, sizeof magic);
    ck_get(&io, &fp, 8), ck_get(&io, &nb, 8), ck_get(&io, &merged, 8);
    int rc = MF_OK;
    if (io.bad || memcmp(magic, CK_MAGIC, sizeof magic) != 0) {
        rc = mf_err_set(err, MF_EINVAL, "'%s' is not an mflab checkpoint", path);
        goto out;
    }
    if (fp != J->fingerprint) {
        rc = mf_err_set(err, MF_EINVAL,
                        "checkpoint '%s' was written by a different run (landscape, optimizer, "
                        "noise, x0, steps, every, seeds, seed, record or keep differ)",
                        path);
        goto out;
    }
    size_t *bs = malloc(sizeof(size_t) * (nb + 1));
    unsigned char *st = malloc(nb + 1);
    J->snap = calloc(nb + 1, sizeof *J->snap);
    if (!bs || !st || !J->snap) {
        free(bs), free(st);
        rc = mf_err_set(err, MF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t b = 0; b <= nb; b++) {
        uint64_t x = 0;
        ck_get(&io, &x, 8);
        bs[b] = (size_t)x;
    }
    ck_get(&io, st, nb);
    free(J->bstart), free(J->bstate);
    J->bstart = bs, J->bstate = st, J->nblocks = nb, J->merged = merged;
    ck_body(J, &io, 0);
    for (size_t b = 0; b < nb && !io.bad; b++) {
        if (st[b] != 2) continue;
        size_t nz, nst, nraw, m = snap_sizes(J, bs[b + 1] - bs[b], &nz, &nst, &nraw);
        bsnap *sp = calloc(1, sizeof *sp);
        if (!sp) {
            io.bad = 1;
            break;
        }
        J->snap[b] = sp;
        uint64_t k = 0, j = 0;
        ck_get(&io, &k, 8), ck_get(&io, &j, 8);
        sp->k = k, sp->j = (size_t)j;
        sp->z = malloc(sizeof(double) * (nz + 1)), sp->st = malloc(sizeof(double) * (nst + 1));
        sp->raw = malloc(sizeof(double) * (nraw + 1));
        sp->rng = malloc(sizeof(uint64_t) * 4 * m), sp->dead = malloc(sizeof(uint64_t) * m);
        if (!sp->z || !sp->st || !sp->raw || !sp->rng || !sp->dead) {
            io.bad = 1;
            break;
        }
        ck_get(&io, sp->z, nz * sizeof(double)), ck_get(&io, sp->st, nst * sizeof(double));
        ck_get(&io, sp->rng, 4 * m * sizeof(uint64_t)), ck_get(&io, sp->dead, m * sizeof(uint64_t));
        ck_get(&io, sp->raw, nraw * sizeof(double));
    }
    ck_get(&io, magic, sizeof magic);
    if (io.bad || memcmp(magic, CK_MAGIC, sizeof magic) != 0)
        rc = mf_err_set(err, MF_EINVAL, "checkpoint '%s' is truncated or damaged", path);
out:
    fclose(io.f);
    return rc;
}

static void run_block(run_job *J, size_t b, int caller) {
    const mf_run_config *c = J->cfg;
    const mf_landscape *L = c->landscape;
    const size_t d = L->dim, lo = J->bstart[b], m = J->bstart[b + 1] - lo;
    const size_t nst = J->conf[0].optim->type->nstate, nobs = c->nobs;
    const int stats = c->keep == MF_KEEP_STATS, drop = c->on_nonfinite == MF_NONFINITE_DROP;
    const int noisy = J->conf[0].noise != NULL;
    block_outcome *out = &J->outcome[b];
    if (!stats && mf_interrupt_pending()) { /* Ctrl-C, before allocating: 10^6 seeds are ~4000
                                             * blocks, whose buffers took seconds under ASan */
        out->status = MF_EINTR, out->steps_done = 0, out->unrecorded = 1;
        return;
    }
    double *z = malloc(sizeof(double) * d * m), *g = malloc(sizeof(double) * d * m),
           *xi = malloc(sizeof(double) * (J->ndraws + 1) * m),
           *st = calloc(nst * d * m + 1, sizeof(double)),
           *ob = malloc(sizeof(double) * (nobs * m + 1));
    seg *sg = malloc(sizeof(seg) * m);
    sbuf *sb = stats ? calloc(1, sizeof *sb) : NULL;
    uint64_t *dead = calloc(m, sizeof *dead);
    if (sb) {
        sb->lo = lo, sb->m = m;
        sb->raw = calloc(J->nrec * nobs * m + 1, sizeof(double));
        sb->dead = dead;
    }
    rec_ws w = {0};
    int ws_bad = rec_ws_init(&w, c, m);
    mf_rng_soa rng = {0};
    if (!z || !g || !xi || !st || !ob || !sg || !dead || (stats && (!sb || !sb->raw)) || ws_bad ||
        (noisy && mf_rng_soa_init(&rng, m, c->seed, 0, NULL) != MF_OK)) {
        out->status = MF_ENOMEM;
        if (sb) free(sb->raw), sb->raw = NULL;
        goto done;
    }
    if (mf_interrupt_pending()) { /* Ctrl-C: the blocks not begun are skipped whole (each
                                   * would first evaluate its records at step 0) */
        out->status = MF_EINTR, out->steps_done = 0, out->unrecorded = 1;
        goto done;
    }
    const size_t ns = block_segs(J, lo, m, sg);
    size_t j = 1, ndead = 0;
    uint64_t k0 = 0;
    const bsnap *sp = J->bstate && J->bstate[b] == 2 ? J->snap[b] : NULL;
    if (sp) { /* resume the block from its snapshot */
        size_t nz, nstv, nraw;
        snap_sizes(J, m, &nz, &nstv, &nraw);
        memcpy(z, sp->z, nz * sizeof(double)), memcpy(st, sp->st, nstv * sizeof(double));
        if (nraw) memcpy(sb->raw, sp->raw, nraw * sizeof(double));
        memcpy(dead, sp->dead, m * sizeof *dead);
        for (size_t l = 0; l < m; l++) {
            mf_rng r;
            memcpy(r.s, sp->rng + 4 * l, sizeof r.s);
            if (noisy) mf_rng_soa_set(&rng, l, &r);
            ndead += dead[l] != 0;
        }
        k0 = sp->k, j = sp->j;
        goto steps;
    }
    for (size_t s = 0; s < ns; s++) {
        const size_t off = sg[s].off;
        const mf_run_conf *cf = &J->conf[sg[s].c];
        for (size_t i = 0; i < sg[s].n; i++) {
            if (noisy) { /* the stream rule: trajectory i of any configuration uses (seed, i) */
                mf_rng r;
                mf_rng_seed(&r, c->seed, sg[s].i0 + i);
                mf_rng_soa_set(&rng, off + i, &r);
            }
            for (size_t q = 0; q < d; q++)
                z[q * m + off + i] = cf->x0[q];
        }
        if (cf->optim->type->init) cf->optim->type->init(cf->optim, d, sg[s].n, st + off, d * m);
    }
    observe(J, 0, m, sg, ns, z, st, &w, ob);
    store(J, 0, m, sg, ns, ob, dead, stats ? sb->raw : NULL);
steps:
    out->status = MF_OK;
    for (uint64_t k = k0 + 1; k <= c->steps; k++) {
        L->type->grad(L, m, z, m, g, m);
        if (noisy) {
            for (size_t r = 0; r < J->ndraws; r++)
                mf_rng_soa_normals(&rng, xi + r * m);
            /* one call for consecutive parts whose noise is the same, so a data-holding
             * landscape's noise kernel sweeps its data once for all of them */
            for (size_t s = 0; s < ns;) {
                size_t e = s + 1;
                while (e < ns && same_noise(J->conf[sg[e].c].noise, J->conf[sg[s].c].noise))
                    e++;
                const size_t off = sg[s].off, n = sg[e - 1].off + sg[e - 1].n - off;
                const mf_noise *nz = J->conf[sg[s].c].noise;
                nz->type->sub(nz, L, n, z + off, m, xi + off, m, g + off, m);
                s = e;
            }
        }
        for (size_t s = 0; s < ns; s++) { /* each configuration's own optimizer */
            const mf_optim *o = J->conf[sg[s].c].optim;
            const size_t off = sg[s].off;
            o->type->step(o, d, sg[s].n, z + off, m, g + off, m, st + off, d * m, k, sg[s].i0);
        }
        int bad = 0;
        for (size_t i = 0; i < d * m; i++)
            bad |= !(fabs(z[i]) <= DBL_MAX);
        if (bad) {
            for (size_t s = 0; s < ns; s++)
                for (size_t i = 0; i < sg[s].n; i++) {
                    const size_t l = sg[s].off + i;
                    int fin = 1;
                    for (size_t r = 0; r < d; r++)
                        fin &= isfinite(z[r * m + l]) != 0;
                    if (fin) continue;
                    if (!dead[l]) {
                        if (drop) {
                            dead[l] = k, ndead++;
                            J->res[sg[s].c]->drop_step[sg[s].i0 + i] = k;
                        } else { /* the configuration fails: freeze all its lanes here */
                            note_failure(J, sg[s].c, k, sg[s].i0 + i);
                            for (size_t q = 0; q < sg[s].n; q++)
                                if (!dead[sg[s].off + q]) dead[sg[s].off + q] = k, ndead++;
                        }
                    }
                    reset_lane(J, sg[s].c, l, m, z, st);
                }
            for (size_t s = 0; s < ns; s++) /* lanes of a failed configuration */
                for (size_t i = 0; i < sg[s].n; i++)
                    if (dead[sg[s].off + i] == k) reset_lane(J, sg[s].c, sg[s].off + i, m, z, st);
        }
        if (k % c->every == 0 || k == c->steps) {
            observe(J, k, m, sg, ns, z, st, &w, ob);
            store(J, j++, m, sg, ns, ob, dead, stats ? sb->raw : NULL);
        }
        if (c->progress && (k & (J->pstride - 1)) == 0) {
            atomic_fetch_add(&J->done, J->pstride * m);
            if (caller) report_progress(J, 0);
        }
        if (ndead == m && !drop) break; /* every configuration here failed: nothing to keep */
        if (mf_cancel_requested(c->cancel)) {
            out->status = MF_EINTR;
            out->steps_done = k;
            goto done;
        }
        if (J->ck_path) { /* a safe point: the block's state is whole after step k */
            if ((k & 255) == 0) ck_maybe_request(J);
            if (ck_pending(J)) {
                const bctx x = {b, m, j, k, z, st, stats ? sb->raw : NULL, &rng, dead};
                ck_arrive(J, &x);
            }
        }
    }
    out->steps_done = c->steps;
    if (J->bstate && !stats) { /* its records are whole: a checkpoint keeps them */
        pthread_mutex_lock(&J->lock);
        J->bstate[b] = 1;
        bsnap_free(J->snap[b]);
        J->snap[b] = NULL;
        pthread_mutex_unlock(&J->lock);
    }
    if (c->progress) atomic_fetch_add(&J->done, (c->steps % J->pstride) * m);
done:
    mf_rng_soa_free(&rng);
    free(z), free(g), free(xi), free(st), free(ob), free(sg);
    rec_ws_free(&w);
    if (sb)
        post_block(J, b, sb); /* takes dead */
    else
        free(dead);
}

/* A worker leaves (the lock held): if the others wait at a checkpoint for it, it writes. */
static void leave_locked(run_job *J) {
    J->nactive--;
    if (J->nactive && J->ck_arrived >= J->nactive &&
        atomic_load(&J->ck_req) != atomic_load(&J->ck_done)) {
        ck_write(J);
        J->ck_arrived = 0;
        atomic_store(&J->ck_done, atomic_load(&J->ck_req));
        pthread_cond_broadcast(&J->cond);
    }
}

static void work(run_job *J, int caller) {
    for (;;) {
        if (J->ck_path) ck_maybe_request(J); /* also between blocks: short blocks, many */
        if (ck_pending(J)) ck_arrive(J, NULL);
        size_t b = atomic_fetch_add(&J->next, 1);
        if (b >= J->nblocks) break;
        if (J->bstate && J->bstate[b] == 1) { /* done before the checkpoint it resumes */
            J->outcome[b] = (block_outcome){MF_OK, J->cfg->steps, 0};
            continue;
        }
        if (J->pending) { /* statistics: stay within the window of the fold */
            pthread_mutex_lock(&J->lock);
            while (b >= J->merged + J->window) {
                if (J->ck_path && atomic_load(&J->ck_req) != atomic_load(&J->ck_done))
                    ck_arrive_locked(J, NULL);
                else
                    pthread_cond_wait(&J->cond, &J->lock);
            }
            pthread_mutex_unlock(&J->lock);
        }
        run_block(J, b, caller);
    }
    pthread_mutex_lock(&J->lock);
    leave_locked(J);
    pthread_mutex_unlock(&J->lock);
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

/* Checks one configuration against the landscape and the observables. */
static int check_conf(const mf_run_config *c, const mf_run_conf *cf, size_t k, size_t K,
                      mf_err *err) {
    char at[48] = "";
    if (K > 1) snprintf(at, sizeof at, "configuration %zu: ", k + 1);
    if (!cf->optim || !cf->x0)
        return mf_err_set(err, MF_EINVAL, "%soptimizer and x0 are required", at);
    const mf_run_conf *c0 = &c->confs[0];
    if (cf->optim->type != c0->optim->type)
        return mf_err_set(err, MF_EINVAL,
                          "%sthe optimizer is '%s', configuration 1's is '%s': a batched run "
                          "takes one optimizer type",
                          at, cf->optim->type->name, c0->optim->type->name);
    if ((cf->noise == NULL) != (c0->noise == NULL) ||
        (cf->noise && cf->noise->type != c0->noise->type))
        return mf_err_set(err, MF_EINVAL,
                          "%sthe noise model is '%s', configuration 1's is '%s': a batched run "
                          "takes one noise type",
                          at, cf->noise ? cf->noise->type->name : "none",
                          c0->noise ? c0->noise->type->name : "none");
    const size_t d = c->landscape->dim;
    for (size_t r = 0; r < d; r++)
        if (!isfinite(cf->x0[r]))
            return mf_err_set(err, MF_EINVAL, "%sx0[%zu] is not finite", at, r + 1);
    for (size_t v = 0; v < c->nobs; v++) {
        const mf_observable *ob = &c->obs[v];
        if (ob->kind == MF_OBS_SSHARP || ob->kind == MF_OBS_SSHARP_P) {
            int rc = check_scale_invariant(c->landscape, cf->x0, err);
            if (rc) return rc;
        }
    }
    return mf_schedule_check(&cf->optim->sched, err);
}

static int check_obs(const mf_run_config *c, const mf_optim *o, mf_err *err) {
    const size_t d = c->landscape->dim;
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
        if (ob->kind == MF_OBS_MNORM && o->type->momentum_state < 0)
            return mf_err_set(err, MF_EINVAL, "optimizer '%s' has no momentum to record",
                              o->type->name);
        if (ob->kind == MF_OBS_STATE &&
            (ob->index / d >= o->type->nstate || !o->type->state_names[ob->index / d]))
            return mf_err_set(err, MF_EINVAL, "optimizer '%s' has no state array %zu",
                              o->type->name, ob->index / d);
    }
    return MF_OK;
}

/* The result of one configuration, shaped for the run (statistics, drop marks). */
static mf_result *result_for(const mf_run_config *c, size_t nrec, mf_err *err) {
    const int stats = c->keep == MF_KEEP_STATS;
    const size_t kept = stats ? c->keep_trajectories : c->seeds;
    mf_result *r = mf_result_new(c->nobs, c->obs, nrec, kept);
    if (!r) goto nomem;
    r->ntraj = c->seeds;
    if (c->on_nonfinite == MF_NONFINITE_DROP &&
        !(r->drop_step = calloc(c->seeds, sizeof *r->drop_step)))
        goto nomem;
    if ((stats || c->on_nonfinite == MF_NONFINITE_DROP) &&
        !(r->alive = calloc(nrec, sizeof *r->alive)))
        goto nomem;
    if (stats) {
        mf_stats *st = r->stats = calloc(1, sizeof *st);
        const size_t n = c->nobs * nrec + 1;
        if (!st) goto nomem;
        st->nq = c->nquantiles;
        st->q = malloc(sizeof(double) * (st->nq + 1));
        st->mean = malloc(sizeof(double) * n), st->var = malloc(sizeof(double) * n);
        st->min = malloc(sizeof(double) * n), st->max = malloc(sizeof(double) * n);
        st->quant = malloc(sizeof(double) * (n * st->nq + 1));
        if (!st->q || !st->mean || !st->var || !st->min || !st->max || !st->quant) goto nomem;
        if (st->nq) memcpy(st->q, c->quantiles, st->nq * sizeof(double));
        for (size_t h = 0; h < n; h++)
            st->mean[h] = st->var[h] = st->min[h] = st->max[h] = NAN;
    }
    return r;
nomem:
    mf_result_free(r);
    mf_err_set(err, MF_ENOMEM, "out of memory for the results of %zu records", nrec);
    return NULL;
}

/* Quantile p of the histogram cnt (range [hl, hh], n values between mn and mx). */
static double hist_quantile(const uint32_t *cnt, double hl, double hh, double mn, double mx,
                            uint64_t n, double p) {
    const size_t NB = MF_STATS_BINS;
    if (mn == mx || p <= 0.0) return mn;
    if (p >= 1.0) return mx;
    const double target = p * (double)n;
    double cum = 0.0, x = mx;
    for (size_t b = 0; b < NB + 2; b++) {
        if (!cnt[b]) continue;
        if (cum + cnt[b] >= target) {
            double a0, a1;
            if (b == 0)
                a0 = mn, a1 = hl;
            else if (b == NB + 1)
                a0 = hh, a1 = mx;
            else
                a0 = hl + (hh - hl) * (double)(b - 1) / (double)NB,
                a1 = hl + (hh - hl) * (double)b / (double)NB;
            x = a0 + (a1 - a0) * ((target - cum) / cnt[b]);
            break;
        }
        cum += cnt[b];
    }
    return x < mn ? mn : x > mx ? mx : x;
}

static void free_job(run_job *J) {
    for (size_t b = 0; J->snap && b < J->nblocks; b++)
        bsnap_free(J->snap[b]);
    free(J->snap), free(J->bstate);
    free(J->bstart), free(J->outcome), free(J->fail_step), free(J->fail_traj), free(J->pending);
    free(J->hist), free(J->hlo), free(J->hhi), free(J->hset);
}

/* Turns the folded sums of configuration k into statistics: variance, quantiles. */
static void finish_stats(const run_job *J, size_t k) {
    mf_result *r = J->res[k];
    mf_stats *st = r->stats;
    const size_t nobs = J->cfg->nobs, nrec = J->nrec;
    for (size_t v = 0; v < nobs; v++)
        for (size_t j = 0; j < nrec; j++) {
            const size_t h = v * r->nrec_alloc + j;
            const uint64_t n = r->alive[j];
            if (n == 0) {
                st->mean[h] = st->var[h] = st->min[h] = st->max[h] = NAN;
                for (size_t a = 0; a < st->nq; a++)
                    st->quant[h * st->nq + a] = NAN;
                continue;
            }
            st->var[h] = n > 1 ? st->var[h] / (double)(n - 1) : 0.0;
            const size_t hk = (k * nobs + v) * nrec + j;
            for (size_t a = 0; a < st->nq; a++)
                st->quant[h * st->nq + a] =
                    hist_quantile(J->hist + hk * (MF_STATS_BINS + 2), J->hlo[hk], J->hhi[hk],
                                  st->min[h], st->max[h], n, st->q[a]);
        }
}

int mf_run_batch(const mf_run_config *c0, mf_result **outs, mf_err *err) {
    mf_run_config cc = *c0;
    const mf_run_config *c = &cc;
    mf_run_conf one = {c0->optim, c0->noise, c0->x0};
    if (!c0->nconfs) cc.confs = &one, cc.nconfs = 1;
    const size_t K = cc.nconfs;
    for (size_t k = 0; k < K; k++)
        outs[k] = NULL;
    if (!c->landscape)
        return mf_err_set(err, MF_EINVAL, "landscape, optimizer and x0 are required");
    if (c->every < 1) return mf_err_set(err, MF_EINVAL, "every must be >= 1");
    if (c->seeds < 1) return mf_err_set(err, MF_EINVAL, "seeds must be >= 1");
    if (c->keep == MF_KEEP_STATS && c->keep_trajectories > c->seeds)
        return mf_err_set(err, MF_EINVAL, "keep_trajectories (%zu) is more than seeds (%zu)",
                          c->keep_trajectories, c->seeds);
    for (size_t a = 0; a < c->nquantiles; a++)
        if (!(c->quantiles[a] >= 0.0 && c->quantiles[a] <= 1.0))
            return mf_err_set(err, MF_EINVAL, "quantile levels must be in [0, 1], got %g",
                              c->quantiles[a]);
    if (!c->confs[0].optim || !c->confs[0].x0)
        return mf_err_set(err, MF_EINVAL, "landscape, optimizer and x0 are required");
    int rc = check_obs(c, c->confs[0].optim, err);
    if (rc) return rc;
    run_job J = {.cfg = c, .K = K, .S = c->seeds, .conf = c->confs, .res = outs};
    for (size_t k = 0; k < K; k++) {
        if ((rc = check_conf(c, &c->confs[k], k, K, err))) return rc;
        if (c->confs[k].noise) {
            size_t nd;
            if ((rc = mf_noise_bind(c->confs[k].noise, c->landscape, &nd, err))) return rc;
            J.ndraws = nd; /* one noise type: the same count for all */
            /* a user's codim or projection, checked at the first projection (issue 17) */
            if (c->confs[k].noise->space == MF_SPACE_NORMAL &&
                (rc = mf_landscape_check_manifold(c->landscape, c->confs[k].x0, err)))
                return rc;
        }
    }
    const uint64_t nrec64 = mf_record_count(c->steps, c->every);
    const double nobs1 = (double)(c->nobs ? c->nobs : 1);
    const double bytes =
        c->keep == MF_KEEP_STATS
            ? (double)K * (double)nrec64 * nobs1 *
                  (8.0 * (5.0 + (double)c->nquantiles + (double)c->keep_trajectories) +
                   (c->nquantiles ? 4.0 * (MF_STATS_BINS + 2) + 17.0 : 0.0))
            : (double)K * (double)nrec64 * (double)c->seeds * nobs1 * 8.0;
    /* the records, their times: a clear error before allocating (mf_budget_check's limit) */
    if ((rc = mf_budget_check(bytes + (double)K * (double)nrec64 * 8.0, "recording",
                              c->keep == MF_KEEP_STATS
                                  ? "record less often (every)"
                                  : "record less often (every), fewer seeds or keep = \"stats\"",
                              err)))
        return rc;
    const size_t nrec = (size_t)nrec64;
    J.nrec = nrec;
    for (size_t k = 0; k < K; k++)
        if (!(outs[k] = result_for(c, nrec, err))) goto fail_nomem;
    for (size_t k = 0; k < K; k++)
        if ((rc = mf_record_times(c->steps, c->every, nrec, outs[k]->t, c->cancel, err))) goto fail;
    J.t = outs[0]->t;

    int nt = c->threads > 0 ? c->threads : mf_threads_default();
    if (c->landscape->flags & MF_LANDSCAPE_SERIAL) nt = 1; /* host callbacks: calling thread only */
    const size_t total = K * c->seeds;
    size_t B = c->block;
    if (!B) { /* auto: up to 256 lanes, but enough blocks to keep every thread busy */
        size_t per = (total + (size_t)nt - 1) / (size_t)nt;
        per = (per + 7) / 8 * 8;
        B = per < 256 ? per : 256;
    }
    /* Blocks: ranges of lanes of B lanes; for statistics, of whole statistics blocks (the
     * trajectories [q MF_STATS_BLOCK, (q + 1) MF_STATS_BLOCK) of a configuration), packed in
     * order up to B lanes (at least one). */
    const size_t unit = c->keep == MF_KEEP_STATS ? MF_STATS_BLOCK : 1;
    size_t cap =
        c->keep == MF_KEEP_STATS ? K * ((c->seeds + unit - 1) / unit) + 1 : (total + B - 1) / B + 1;
    J.bstart = malloc(sizeof(size_t) * (cap + 1));
    if (!J.bstart) goto fail_nomem;
    J.nblocks = 0;
    if (c->keep != MF_KEEP_STATS) {
        for (size_t g = 0; g < total; g += B)
            J.bstart[J.nblocks++] = g;
    } else {
        size_t cur = 0, size = 0;
        for (size_t g = 0; g < total;) {
            const size_t i = g % c->seeds;
            size_t u = (i / unit + 1) * unit;
            if (u > c->seeds) u = c->seeds;
            const size_t len = u - i;
            if (size && size + len > B) {
                J.bstart[J.nblocks++] = cur;
                cur = g, size = 0;
            }
            size += len, g += len;
        }
        J.bstart[J.nblocks++] = cur;
    }
    J.bstart[J.nblocks] = total;
    J.fail_step = calloc(K, sizeof *J.fail_step);
    J.fail_traj = calloc(K, sizeof *J.fail_traj);
    if (!J.fail_step || !J.fail_traj) goto fail_nomem;
    if (c->keep == MF_KEEP_STATS && c->nquantiles) {
        const size_t nh = K * (c->nobs ? c->nobs : 1) * nrec;
        J.hist = calloc(nh * (MF_STATS_BINS + 2), sizeof *J.hist);
        J.hlo = malloc(sizeof(double) * nh), J.hhi = malloc(sizeof(double) * nh);
        J.hset = calloc(nh, 1);
        if (!J.hist || !J.hlo || !J.hhi || !J.hset) goto fail_nomem;
    }
    if (c->checkpoint || c->resume) {
        J.fingerprint = run_fingerprint(&J);
        J.ck_path = c->checkpoint;
        J.ck_every = c->checkpoint_every > 0 ? c->checkpoint_every : 0.0;
        if (c->checkpoint) { /* a path that cannot be written is an error now, not later */
            const size_t n = strlen(c->checkpoint);
            char *tmp = malloc(n + 16);
            if (!tmp) goto fail_nomem;
            snprintf(tmp, n + 16, "%s.tmp.XXXXXX", c->checkpoint);
            int fd = mkstemp(tmp);
            if (fd < 0) {
                mf_err_set(err, MF_EIO, "option 'checkpoint': cannot write '%s': %s", c->checkpoint,
                           strerror(errno));
                free(tmp);
                goto fail;
            }
            close(fd), unlink(tmp), free(tmp);
        }
        if (c->resume) {
            if ((rc = ck_read(&J, c->resume, err))) goto fail;
        } else {
            J.bstate = calloc(J.nblocks + 1, 1);
            J.snap = calloc(J.nblocks + 1, sizeof *J.snap);
            if (!J.bstate || !J.snap) goto fail_nomem;
        }
    }
    J.outcome = calloc(J.nblocks, sizeof *J.outcome);
    if (!J.outcome) goto fail_nomem;
    if ((size_t)nt > J.nblocks) nt = (int)J.nblocks;
    if (nt > 256) nt = 256;
    if (c->keep == MF_KEEP_STATS) {
        J.pending = calloc(J.nblocks, sizeof *J.pending);
        J.window = 2 * (size_t)nt + 2;
        if (!J.pending) goto fail_nomem;
    }
    pthread_mutex_init(&J.lock, NULL);
    pthread_cond_init(&J.cond, NULL);
    atomic_init(&J.next, 0);
    atomic_init(&J.done, 0);
    atomic_init(&J.running, 0);
    atomic_init(&J.ck_req, 0);
    atomic_init(&J.ck_done, 0);
    J.last_report = J.ck_last = mf_clock();
    J.pstride = progress_stride(c->landscape, &c->confs[0]);
    J.nactive = (size_t)nt;
    pthread_t tid[256];
    int started = 0;
    for (int i = 1; i < nt; i++) {
        atomic_fetch_add(&J.running, 1);
        if (pthread_create(&tid[started], NULL, run_worker, &J) != 0) {
            atomic_fetch_sub(&J.running, 1);
            pthread_mutex_lock(&J.lock); /* the threads not started never arrive */
            for (int q = i; q < nt; q++)
                leave_locked(&J);
            pthread_mutex_unlock(&J.lock);
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
    pthread_mutex_destroy(&J.lock);
    pthread_cond_destroy(&J.cond);

    /* Combine the blocks' outcomes in block order, so the verdict never depends on timing. */
    int status = MF_OK;
    uint64_t done = c->steps;
    int unrecorded = 0;
    for (size_t b = 0; b < J.nblocks; b++) {
        block_outcome *o = &J.outcome[b];
        unrecorded |= o->unrecorded;
        if (o->status == MF_ENOMEM) status = MF_ENOMEM;
        if (o->status == MF_EINTR && status == MF_OK) status = MF_EINTR;
        if (o->status == MF_EINTR && o->steps_done < done) done = o->steps_done;
    }
    if (status == MF_ENOMEM) {
        mf_err_set(err, MF_ENOMEM, "out of memory for a block of %zu trajectories", B);
        goto fail;
    }
    const int ck_rc = J.ck_rc;
    const mf_err ck_msg = J.ck_err;
    size_t first_fail = K;
    for (size_t k = 0; k < K; k++) {
        mf_result *r = outs[k];
        uint64_t dk = done;
        if (J.fail_step[k]) {
            if (J.fail_step[k] - 1 < dk) dk = J.fail_step[k] - 1;
            r->fail_step = J.fail_step[k], r->fail_traj = J.fail_traj[k];
            if (first_fail == K) first_fail = k;
        }
        if (r->stats) finish_stats(&J, k);
        if (r->alive && !r->stats)
            for (size_t j = 0; j < nrec; j++)
                for (size_t i = 0; i < c->seeds; i++)
                    r->alive[j] += mf_result_alive(r, i, j);
        r->steps_done = dk;
        size_t keep = 0;
        while (!unrecorded && keep < nrec && r->t[keep] <= dk)
            keep++;
        r->nrec = keep;
    }
    free_job(&J);
    if (ck_rc) { /* the run is whole, but a checkpoint could not be written: say so */
        for (size_t k = 0; k < K; k++) {
            mf_result_free(outs[k]);
            outs[k] = NULL;
        }
        return mf_err_set(err, ck_rc, "%s", ck_msg.msg);
    }
    if (first_fail < K) {
        const mf_result *r = outs[first_fail];
        char at[48] = "";
        if (K > 1) snprintf(at, sizeof at, "configuration %zu: ", first_fail + 1);
        return mf_err_set(err, MF_ENONFINITE,
                          "%snon-finite value at step %llu in trajectory %zu (seed index, "
                          "1-based); %zu records before it kept",
                          at, (unsigned long long)r->fail_step, r->fail_traj + 1, r->nrec);
    }
    if (status == MF_EINTR)
        return mf_err_set(err, MF_EINTR, "interrupted after step %llu; %zu records kept",
                          (unsigned long long)done, outs[0]->nrec);
    return MF_OK;
fail_nomem:
    mf_err_set(err, MF_ENOMEM, "out of memory");
fail:
    free_job(&J);
    for (size_t k = 0; k < K; k++) {
        mf_result_free(outs[k]);
        outs[k] = NULL;
    }
    return err ? err->code : MF_ENOMEM;
}

int mf_run(const mf_run_config *c, mf_result **out, mf_err *err) {
    *out = NULL;
    if (c->nconfs > 1)
        return mf_err_set(err, MF_EINVAL, "mf_run runs one configuration; use mf_run_batch");
    return mf_run_batch(c, out, err);
}
