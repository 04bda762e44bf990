/* mflab through its C API: an ensemble of SGD runs with Hessian noise on the valley
 * f(x, y) = (1 + x^2) y^2, and the manifold flow that predicts the drift along the valley
 * (quasistatic eq. (13)), compared at the end. Build against an installed mflab:
 *   cc ensemble.c $(pkg-config --cflags --libs mflab) -lm -o ensemble
 * or, with libmflab.a and its dependencies (OpenBLAS, LAPACKE, threads):
 *   cc ensemble.c $(pkg-config --static --cflags --libs mflab | sed s/-lmflab/-l:libmflab.a/) -o
 * ensemble or with CMake: find_package(mflab) and target_link_libraries(ensemble PRIVATE
 * mflab::mflab). Prints the mean x of 256 runs and the flow's x after 2000 steps; exits 1 if they
 * differ by more than 5 standard errors of the mean plus 0.2%, or on any error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <mflab.h>

int main(void) {
    if (strcmp(mf_version(), MFLAB_VERSION_STRING) != 0) {
        fprintf(stderr, "headers %s, library %s\n", MFLAB_VERSION_STRING, mf_version());
        return 1;
    }
    mf_err err = {0};
    mf_landscape *L = NULL;
    const double h[] = {1.0, 0.0, 1.0}; /* h(x) = 1 + x^2 */
    if (mf_landscape_valley(&L, h, 3, &err)) goto fail;
    mf_optim sgd;
    mf_noise noise;
    if (mf_optim_sgd(&sgd, 0.01, &err) || mf_noise_hessian(&noise, 1.0, &err)) goto fail;

    const double x0[] = {2.0, 0.0};
    const uint64_t steps = 2000;
    const mf_observable obs[] = {{MF_OBS_COORD, 0}, {MF_OBS_COORD, 1}, {MF_OBS_LOSS, 0}};
    int cancel = 0; /* another thread could stop the run: __atomic_store_n(&cancel, 1, ...) */
    mf_run_config rc = {.landscape = L,
                        .optim = &sgd,
                        .noise = &noise,
                        .x0 = x0,
                        .steps = steps,
                        .every = 100,
                        .seeds = 256,
                        .seed = 1,
                        .obs = obs,
                        .nobs = 3,
                        .cancel = &cancel};
    mf_result *run = NULL;
    if (mf_run(&rc, &run, &err)) goto fail;
    double mean, var;
    mf_result_moments(run, 0, run->nrec - 1, &mean, &var);

    mf_flow *flow = NULL;
    if (mf_flow_new(&flow, L, &sgd, &noise, 1, &err)) goto fail;
    mf_flow_config fc = {.x0 = x0,
                         .steps = steps,
                         .every = 100,
                         .method = MF_FLOW_DP45,
                         .rtol = 1e-8,
                         .atol = 1e-10};
    mf_result *path = NULL;
    if (mf_flow_integrate(flow, &fc, &path, &err)) goto fail;
    double xflow = mf_result_at(path, 0, path->nrec - 1, 0);

    double se = sqrt(var / (double)run->seeds);
    printf("mflab %s: after %llu steps, ensemble x = %.6f +- %.6f (256 runs), flow x = %.6f\n",
           mf_version(), (unsigned long long)steps, mean, se, xflow);
    /* the flow is the lr -> 0 limit: 5 standard errors plus an O(lr) allowance of 0.2% (the
     * drift over these steps is 0.19, so a wrong factor in it is far outside) */
    int ok = fabs(mean - xflow) <= 5 * se + 2e-3 * fabs(xflow);
    mf_result_free(run);
    mf_result_free(path);
    mf_flow_free(flow);
    mf_landscape_free(L);
    return ok ? 0 : 1;
fail:
    fprintf(stderr, "mflab: %s\n", err.msg);
    return 1;
}
