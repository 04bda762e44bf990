/* The run loop: an ensemble of trajectories stepped in lockstep over structure-of-arrays
 * blocks. Each step: gradient, noise D xi, g = grad - D xi, optimizer step, a finiteness
 * check; every `every` steps the recorder stores the observables of every trajectory, or
 * folds them into per-record statistics (keep = MF_KEEP_STATS).
 *
 * Configurations: one run may step K configurations (optimizer, noise model, x0) of the same
 * optimizer type and noise type on one landscape, each with `seeds` trajectories. The lanes
 * of the run are numbered configuration-major, lane l = c * seeds + i, and blocks are ranges
 * of lanes, so a block may span configurations: a data-holding landscape (matrix sensing)
 * then reads its data once per step for all of them. Stream rule: trajectory i of every
 * configuration draws from stream (seed, i) only -- the stream it uses when its
 * configuration runs alone -- so configurations share their random numbers and each equals
 * its run alone bit for bit. Blocks are independent and every evaluation is lane by lane, so
 * results are bit-identical for any thread count and block size. */
#ifndef MFLAB_RUN_H
#define MFLAB_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/noise.h"
#include "mflab/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the recorder can store per trajectory (names as mf_observable_parse reads them). */
enum mf_obs_kind {
    MF_OBS_COORD,     /* "x<k>": coordinate k */
    MF_OBS_LOSS,      /* "loss": f(z) */
    MF_OBS_TRACE_H,   /* "trH": Tr H_f(z) */
    MF_OBS_DIST,      /* "dist": |z - Pz|, distance to the manifold */
    MF_OBS_PROJ,      /* "p<k>": coordinate k of Pz */
    MF_OBS_WNORM,     /* "wnorm": |z| */
    MF_OBS_MNORM,     /* "mnorm": |momentum state| (sgd buf, m, pi, Adam's m, RMSprop's buf) */
    MF_OBS_LR,        /* "lr": the learning rate of the latest step (of step 1 at t = 0) */
    MF_OBS_LR_EFF,    /* "lr_eff": the optimizer's effective learning rate (mf_optim_type) */
    MF_OBS_STATE,     /* "<state name><k>" (or "<state name>" for scalar state): optimizer state */
    MF_OBS_TEST_LOSS, /* "test_loss": the landscape's held-out error */
    /* Spectra by Lanczos on Hessian-vector products (mf_lanczos_top_ws, start vector from
     * stream (0, 0), relative residual MF_REC_LANCZOS_TOL, at most MF_REC_LANCZOS_MAXITER
     * products), one trajectory at a time: */
    MF_OBS_LAMBDA1, /* "lambda1": lambda_1(H_f(z)), the largest Hessian eigenvalue */
    MF_OBS_SSHARP,  /* "spherical_sharpness": |z|^2 lambda_1(H_f(z)) = lambda_1(H_f(z/|z|)) (S Q.3);
                       scale-invariant landscapes only */
    MF_OBS_LAMBDA1_P, /* "lambda1_p": lambda_1(H_f(Pz)) at the projection onto the manifold */
    MF_OBS_SSHARP_P,  /* "spherical_sharpness_p": |Pz|^2 lambda_1(H_f(Pz)) */
    MF_OBS_H1,        /* "h1": <z - Pz, v_1(H_f(Pz))>, the displacement from the manifold along
                         the top eigenvector (S §4.2.3's h_t |z|); v_1's largest entry positive */
    MF_OBS_LANDSCAPE  /* a landscape's own observable (mf_landscape_type.obs_parse), index its */
};

#define MF_REC_LANCZOS_TOL     1e-8
#define MF_REC_LANCZOS_MAXITER 300

typedef struct mf_observable {
    enum mf_obs_kind kind;
    /* coordinate index (0-based) for MF_OBS_COORD and MF_OBS_PROJ; for MF_OBS_STATE,
     * s*d + k: coordinate k of state array s (d the dimension) */
    size_t index;
} mf_observable;

/* Reads an observable's name for a run of optimizer o on landscape L; 0 if unknown. Whether
 * the landscape supports it (a projection for dist, p<k>, lambda1_p, spherical_sharpness_p and
 * h1; a test loss; scale invariance for spherical sharpness) is checked by mf_run. "eta_eff"
 * is another name of "lr_eff" (the sharpness paper's effective learning rate). */
int mf_observable_parse(const char *name, const mf_landscape *L, const mf_optim *o,
                        mf_observable *out);

/* The observables every run can record, in one table: the recorder's parser, the Lua binding
 * (its error message and mf.run's option doc), help and README's table are made from or checked
 * against it. name is what `record` takes ("x<k>": coordinate k, 1..d; "<state><k>": an
 * optimizer's state array); landscapes add their own (mf_landscape_type.obs_parse/obs_help). */
typedef struct mf_observable_info {
    const char *name;
    enum mf_obs_kind kind;
    const char *doc; /* one line */
} mf_observable_info;

/* The table and its length (names with "<k>" are families, parsed by mf_observable_parse). */
size_t mf_observable_list(const mf_observable_info **out);

/* One configuration of a run: optimizer, noise model (NULL: none) and start. */
typedef struct mf_run_conf {
    const mf_optim *optim;
    const mf_noise *noise;
    const double *x0; /* d starting coordinates, the same for every trajectory */
} mf_run_conf;

/* What happens when a trajectory leaves the reals (a NaN or an infinity in z). */
enum mf_nonfinite {
    MF_NONFINITE_ERROR = 0, /* its configuration fails: records before the step are kept */
    MF_NONFINITE_DROP       /* the trajectory is frozen and marked (mf_result.drop_step); the
                               others go on, their bits unchanged */
};

/* What the recorder keeps. */
enum mf_keep {
    MF_KEEP_TRAJECTORIES = 0, /* every observable of every trajectory at every record */
    MF_KEEP_STATS /* per-record statistics over the trajectories (mf_stats), and the first
                     keep_trajectories trajectories whole */
};

/* Trajectories per statistics block: statistics fold the trajectories [q B, (q+1) B) of a
 * configuration into one partial (two passes in trajectory order, as mf_result_moments) and
 * combine the partials in block order (Chan, Golub & LeVeque 1979), so they do not depend on
 * threads or on the block size of the run. */
#define MF_STATS_BLOCK 256
/* Quantiles: a histogram per record and observable, MF_STATS_BINS equal bins over the range
 * [lo - w/2, hi + w/2], lo and hi the smallest and largest value of the configuration's first
 * statistics block holding a live trajectory at that record (w = hi - lo); values below and
 * above fall into two end bins that reach to the exact minimum and maximum. A quantile
 * interpolates linearly within its bin, so inside the range its error is at most one bin width
 * (2 w / MF_STATS_BINS). */
#define MF_STATS_BINS 512

typedef struct mf_run_config {
    const mf_landscape *landscape;
    /* One configuration: optim, noise, x0; or nconfs > 0 configurations in confs (then optim,
     * noise and x0 are ignored). */
    const mf_optim *optim;
    const mf_noise *noise; /* NULL: no noise */
    const double *x0;      /* d starting coordinates, the same for every trajectory */
    const mf_run_conf *confs;
    size_t nconfs;
    uint64_t steps, every;
    size_t seeds; /* trajectories per configuration */
    uint64_t seed;
    int threads;  /* <= 0: all online processors */
    size_t block; /* lanes per block (0: auto, at most 256, one block per thread or more); with
                     MF_KEEP_STATS a block holds whole statistics blocks */
    const mf_observable *obs;
    size_t nobs;
    enum mf_nonfinite on_nonfinite;
    enum mf_keep keep;
    size_t keep_trajectories; /* MF_KEEP_STATS: trajectories 1..n kept whole */
    const double *quantiles;  /* MF_KEEP_STATS: levels in [0, 1] */
    size_t nquantiles;
    /* Checkpoints (optional): the full state of the run (records so far, every block's
     * positions, optimizer state, random streams and dropped lanes) written to checkpoint
     * (temporary file, fsync, rename) every checkpoint_every seconds (of wall time, checked
     * every 256 steps); resume (a checkpoint of the same run) continues it to the same bits. */
    const char *checkpoint;
    double checkpoint_every;
    const char *resume;
    /* Progress report (optional): progress(ctx, done, total) with done and total counted in
     * trajectory-steps. Called from the calling thread only, at most every MF_PROGRESS_PERIOD
     * seconds, and once more at the end; it does not change the results. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* Cancel flag (optional): when *cancel becomes nonzero (set from another thread or a
     * signal handler, e.g. with __atomic_store_n or C11 atomic_store on an atomic_int) the run
     * stops at its next safe point with MF_EINTR and the records made so far, as on Ctrl-C;
     * this run only, unlike the process-wide mf_interrupt_set(). */
    const int *cancel;
} mf_run_config;

#define MF_PROGRESS_PERIOD 0.25 /* seconds between progress reports */

/* Seconds on a monotonic clock, for progress reports. */
double mf_clock(void);

/* Per-record statistics of a statistics-only run, for observable v at record j at index
 * v * nrec_alloc + j (quantile a at (v * nrec_alloc + j) * nq + a). */
typedef struct mf_stats {
    size_t nq;
    double *q; /* the nq levels */
    double *mean, *var, *min, *max, *quant;
} mf_stats;

typedef struct mf_result {
    size_t nobs, nrec, seeds; /* nrec: record times kept (all of them unless the run failed);
                                 seeds: trajectories stored in data */
    uint64_t *t;              /* step numbers of the records: 0, every, 2 every, ... */
    mf_observable *obs;
    double *data; /* data[(v*nrec_alloc + j)*seeds + i]: observable v at record j, trajectory i */
    size_t nrec_alloc;
    uint64_t steps_done; /* steps every trajectory completed */
    /* Failure (MF_ENONFINITE): the first step and trajectory (0-based) that left the reals. */
    uint64_t fail_step;
    size_t fail_traj;
    size_t ntraj;        /* trajectories run (seeds, or more in a statistics-only run) */
    mf_stats *stats;     /* statistics-only run: statistics over all ntraj; NULL otherwise */
    uint64_t *drop_step; /* MF_NONFINITE_DROP: step at which trajectory i (of ntraj) turned
                            non-finite, 0 if it never did; NULL otherwise */
    uint64_t *alive;     /* MF_NONFINITE_DROP or MF_KEEP_STATS: trajectories alive at record j
                            (finite up to t[j]); NULL otherwise */
} mf_result;

/* Runs the ensemble. On success returns 0 and a result. On MF_ENONFINITE or MF_EINTR it also
 * returns the result, holding the records made before the failure, and err says what
 * happened. On other errors *out is NULL. */
int mf_run(const mf_run_config *cfg, mf_result **out, mf_err *err);
/* Runs K = max(1, cfg->nconfs) configurations in one batched run: out[c] (K entries) is
 * bit-identical to running configuration c alone. On MF_ENONFINITE (some configuration
 * failed; the others are complete) or MF_EINTR every out[c] is set, and a failed
 * configuration's result has fail_step set and records up to the failure; on other errors
 * every out[c] is NULL. */
int mf_run_batch(const mf_run_config *cfg, mf_result **out, mf_err *err);
void mf_result_free(mf_result *r);

/* Whether trajectory i of r was alive (finite) at record j. */
static inline int mf_result_alive(const mf_result *r, size_t i, size_t j) {
    return !r->drop_step || !r->drop_step[i] || r->drop_step[i] > r->t[j];
}

static inline double mf_result_at(const mf_result *r, size_t v, size_t j, size_t i) {
    return r->data[(v * r->nrec_alloc + j) * r->seeds + i];
}

/* A result with the given shape, zero-filled (used by the manifold integrators too). */
mf_result *mf_result_new(size_t nobs, const mf_observable *obs, size_t nrec, size_t seeds);

int mf_threads_default(void);

#ifdef __cplusplus
}
#endif

#endif
