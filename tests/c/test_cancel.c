/* A run's own cancel flag (mf_run_config.cancel, mf_flow_config.cancel): set before the run it
 * stops at the first safe point with MF_EINTR and the records made so far; set by another
 * thread it stops a long run early; it never touches the process-wide interrupt flag, and a
 * second run with the flag clear completes. Also the library's version against the headers. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mflab.h"

static const double hq[] = {1.0, 0.0, 1.0};
static const mf_observable obs[] = {{MF_OBS_COORD, 0}, {MF_OBS_LOSS, 0}};

static void *cancel_later(void *p) {
    struct timespec ts = {0, 50 * 1000 * 1000}; /* 50 ms */
    nanosleep(&ts, NULL);
    __atomic_store_n((int *)p, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void) {
    CHECK(strcmp(mf_version(), MFLAB_VERSION_STRING) == 0 &&
              mf_version_number() == MFLAB_VERSION_NUMBER,
          "mf_version %s matches the headers' %s", mf_version(), MFLAB_VERSION_STRING);
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_valley(&L, hq, 3, &err) == MF_OK, "valley");
    mf_optim o;
    mf_noise nz;
    mf_optim_sgd(&o, 0.01, NULL);
    mf_noise_hessian(&nz, 1.0, NULL);
    const double x0[] = {2.0, 0.1};
    int cancel = 1;
    mf_run_config c = {.landscape = L,
                       .optim = &o,
                       .noise = &nz,
                       .x0 = x0,
                       .steps = 100000,
                       .every = 1000,
                       .seeds = 64,
                       .seed = 1,
                       .threads = 1,
                       .obs = obs,
                       .nobs = 2,
                       .cancel = &cancel};
    mf_result *r = NULL;
    int rc = mf_run(&c, &r, &err);
    CHECK(rc == MF_EINTR && r && r->nrec <= 2,
          "a set flag stops the run at once: rc %d, %zu records", rc, r ? r->nrec : 0);
    CHECK(!mf_interrupt_pending(), "the process-wide flag stays clear");
    mf_result_free(r);

    /* another thread sets it during a run of 10^8 trajectory-steps (seconds when uncancelled) */
    cancel = 0;
    c.steps = 2000000;
    c.every = 100000;
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &cancel);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = NULL;
    rc = mf_run(&c, &r, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK(rc == MF_EINTR && r && r->steps_done < c.steps,
          "a flag set by another thread stops the run: rc %d after %.3f s", rc, secs);
    mf_result_free(r);

    /* with the flag clear the same configuration completes */
    cancel = 0;
    c.steps = 2000;
    c.every = 1000;
    r = NULL;
    CHECK(mf_run(&c, &r, &err) == MF_OK && r->nrec == 3, "a clear flag: the run completes");
    mf_result_free(r);

    /* a flow: the same flag */
    mf_flow *fl;
    CHECK(mf_flow_new(&fl, L, &o, &nz, 1, &err) == MF_OK, "flow");
    cancel = 1;
    mf_flow_config fc = {
        .x0 = x0, .steps = 1000, .every = 100, .method = MF_FLOW_RK4, .cancel = &cancel};
    r = NULL;
    rc = mf_flow_integrate(fl, &fc, &r, &err);
    CHECK(rc == MF_EINTR, "a set flag stops a flow: rc %d (%s)", rc, err.msg);
    mf_result_free(r);
    mf_flow_free(fl);
    mf_landscape_free(L);
    return check_summary();
}
