/* The run loop: an ensemble of trajectories stepped in lockstep over structure-of-arrays
 * blocks. Each step: gradient, noise D xi, g = grad - D xi, optimizer step, a finiteness
 * check; every `every` steps the recorder stores the observables of every trajectory.
 *
 * Trajectory i draws from stream (seed, i) only, and blocks are independent, so results are
 * bit-identical for any thread count and block size. */
#ifndef MFLAB_RUN_H
#define MFLAB_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/noise.h"
#include "mflab/optim.h"

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

typedef struct mf_run_config {
    const mf_landscape *landscape;
    const mf_optim *optim;
    const mf_noise *noise; /* NULL: no noise */
    const double *x0;      /* d starting coordinates, the same for every trajectory */
    uint64_t steps, every;
    size_t seeds;
    uint64_t seed;
    int threads;  /* <= 0: all online processors */
    size_t block; /* trajectories per block (0: auto, at most 256, one block per thread or more) */
    const mf_observable *obs;
    size_t nobs;
    /* Progress report (optional): progress(ctx, done, total) with done and total counted in
     * trajectory-steps. Called from the calling thread only, at most every MF_PROGRESS_PERIOD
     * seconds, and once more at the end; it does not change the results. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} mf_run_config;

#define MF_PROGRESS_PERIOD 0.25 /* seconds between progress reports */

/* Seconds on a monotonic clock, for progress reports. */
double mf_clock(void);

typedef struct mf_result {
    size_t nobs, nrec, seeds; /* nrec: record times kept (all of them unless the run failed) */
    uint64_t *t;              /* step numbers of the records: 0, every, 2 every, ... */
    mf_observable *obs;
    double *data; /* data[(v*nrec_alloc + j)*seeds + i]: observable v at record j, trajectory i */
    size_t nrec_alloc;
    uint64_t steps_done; /* steps every trajectory completed */
    /* Failure (MF_ENONFINITE): the first step and trajectory (0-based) that left the reals. */
    uint64_t fail_step;
    size_t fail_traj;
} mf_result;

/* Runs the ensemble. On success returns 0 and a result. On MF_ENONFINITE or MF_EINTR it also
 * returns the result, holding the records made before the failure, and err says what
 * happened. On other errors *out is NULL. */
int mf_run(const mf_run_config *cfg, mf_result **out, mf_err *err);
void mf_result_free(mf_result *r);

static inline double mf_result_at(const mf_result *r, size_t v, size_t j, size_t i) {
    return r->data[(v * r->nrec_alloc + j) * r->seeds + i];
}

/* A result with the given shape, zero-filled (used by the manifold integrators too). */
mf_result *mf_result_new(size_t nobs, const mf_observable *obs, size_t nrec, size_t seeds);

int mf_threads_default(void);

#endif
