/* Runs: bit-identical results for any thread count and block size; one SGD step with each
 * noise model against a hand computation from the same random stream; NaN/Inf caught with
 * the step and trajectory; the manifold flow against its closed forms (doc/math.md §4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/io.h"
#include "mflab/manifold.h"
#include "mflab/rng.h"
#include "mflab/run.h"

static const double c_quad[] = {1.0, 0.0, 1.0}; /* h = 1 + x^2 */
static const mf_observable obs3[] = {{MF_OBS_COORD, 0}, {MF_OBS_COORD, 1}, {MF_OBS_LOSS, 0}};

static mf_result *run(const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                      const double *x0, uint64_t steps, uint64_t every, size_t seeds, int threads,
                      size_t block, int *rc, mf_err *err) {
    mf_run_config c = {.landscape = L,
                       .optim = o,
                       .noise = nz,
                       .x0 = x0,
                       .steps = steps,
                       .every = every,
                       .seeds = seeds,
                       .seed = 42,
                       .threads = threads,
                       .block = block,
                       .obs = obs3,
                       .nobs = 3};
    mf_result *r = NULL;
    *rc = mf_run(&c, &r, err);
    return r;
}

static void test_reproducible_layouts(void) {
    mf_landscape *L;
    CHECK(mf_landscape_valley(&L, c_quad, 3, NULL) == MF_OK, "valley");
    mf_optim o;
    mf_optim_sgd(&o, 0.01, NULL);
    mf_noise noises[3];
    mf_noise_hessian(&noises[0], 1.0, NULL);
    mf_noise_isotropic(&noises[1], 1.0, MF_SPACE_NORMAL, NULL);
    mf_noise_isotropic(&noises[2], 0.5, MF_SPACE_FULL, NULL);
    double x0[2] = {2.0, 0.1};
    const int threads[] = {1, 2, 3, 1, 2, 2};
    const size_t blocks[] = {256, 1, 7, 64, 0, 300};
    for (int n = 0; n < 3; n++) {
        int rc;
        mf_err err;
        mf_result *ref = run(L, &o, &noises[n], x0, 500, 50, 300, 1, 0, &rc, &err);
        CHECK(rc == MF_OK && ref && ref->nrec == 11, "reference run: %s", err.msg);
        for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
            mf_result *r =
                run(L, &o, &noises[n], x0, 500, 50, 300, threads[k], blocks[k], &rc, &err);
            CHECK(rc == MF_OK, "run: %s", err.msg);
            size_t bytes = sizeof(double) * r->nobs * r->nrec * r->seeds;
            CHECK(memcmp(r->data, ref->data, bytes) == 0,
                  "noise %d: threads=%d block=%zu gives different bits than threads=1", n,
                  threads[k], blocks[k]);
            mf_result_free(r);
        }
        mf_result_free(ref);
    }
    mf_landscape_free(L);
}

/* z1 = z0 - lr (grad f(z0) - D xi), xi from stream (seed 42, trajectory 0) (doc/math.md §0, §2) */
static void test_one_step_by_hand(void) {
    mf_landscape *L;
    const double c[] = {1.5, 0.0, 2.0}; /* h = 1.5 + 2 x^2, h' = 4x */
    CHECK(mf_landscape_valley(&L, c, 3, NULL) == MF_OK, "valley");
    const double lr = 0.05, sigma = 0.7, x = 0.8, y = -0.3;
    const double h = 1.5 + 2.0 * x * x, hp = 4.0 * x;
    const double gx = hp * y * y, gy = 2.0 * h * y;
    mf_optim o;
    mf_optim_sgd(&o, lr, NULL);
    double x0[2] = {x, y};
    for (int kind = 0; kind < 4; kind++) {
        mf_noise nz;
        mf_rng r;
        mf_rng_seed(&r, 42, 0);
        double ex = x, ey = y;
        const char *name;
        if (kind == 0) {
            mf_noise_hessian(&nz, sigma, NULL); /* D = sigma sqrt(h(x)) on the normal space */
            double xi = mf_rng_normal(&r);
            ex = x - lr * gx, ey = y - lr * (gy - sigma * sqrt(h) * xi);
            name = "hessian";
        } else if (kind == 1) {
            mf_noise_isotropic(&nz, sigma, MF_SPACE_NORMAL, NULL); /* D = sigma e_y */
            double xi = mf_rng_normal(&r);
            ex = x - lr * gx, ey = y - lr * (gy - sigma * xi);
            name = "isotropic normal";
        } else if (kind == 2) {
            mf_noise_isotropic(&nz, sigma, MF_SPACE_FULL, NULL); /* D = sigma I, x row first */
            double xi1 = mf_rng_normal(&r), xi2 = mf_rng_normal(&r);
            ex = x - lr * (gx - sigma * xi1), ey = y - lr * (gy - sigma * xi2);
            name = "isotropic full";
        } else {
            ex = x - lr * gx, ey = y - lr * gy;
            name = "none";
        }
        int rc;
        mf_err err;
        mf_result *res = run(L, &o, kind == 3 ? NULL : &nz, x0, 1, 1, 1, 1, 0, &rc, &err);
        CHECK(rc == MF_OK && res->nrec == 2, "one step (%s): %s", name, err.msg);
        double zx = mf_result_at(res, 0, 1, 0), zy = mf_result_at(res, 1, 1, 0);
        CHECK_CLOSE(zx, ex, 1e-15, name);
        CHECK_CLOSE(zy, ey, 1e-15, name);
        CHECK_CLOSE(mf_result_at(res, 2, 1, 0), (1.5 + 2 * zx * zx) * zy * zy, 1e-15, "loss");
        CHECK(mf_result_at(res, 0, 0, 0) == x && mf_result_at(res, 1, 0, 0) == y, "record at t=0");
        mf_result_free(res);
    }
    mf_landscape_free(L);
}

/* h = 1, no noise, lr = 10: y <- -19 y, |y| = 19^k. The x update is h'(x) y^2 = 0 * y^2,
 * which turns NaN once y^2 overflows: 19^121 ~ 5.5e154 squares past 1.8e308, 19^120 does not,
 * so the first non-finite value appears at step 122. */
static void test_nonfinite(void) {
    mf_landscape *L;
    const double c[] = {1.0};
    CHECK(mf_landscape_valley(&L, c, 1, NULL) == MF_OK, "valley h = 1");
    mf_optim o;
    mf_optim_sgd(&o, 10.0, NULL);
    double x0[2] = {0.0, 1.0};
    int rc;
    mf_err err;
    mf_result *r = run(L, &o, NULL, x0, 1000, 10, 5, 2, 2, &rc, &err);
    CHECK(rc == MF_ENONFINITE, "divergence not reported (rc %d)", rc);
    CHECK(r && r->fail_step == 122 && r->fail_traj == 0, "failure at step %llu trajectory %zu",
          r ? (unsigned long long)r->fail_step : 0ULL, r ? r->fail_traj : 0);
    CHECK(strstr(err.msg, "step 122") && strstr(err.msg, "trajectory 1"), "message: %s", err.msg);
    CHECK(r && r->nrec == 13 && r->t[12] == 120, "records kept: %zu", r ? r->nrec : 0);
    CHECK(r && fabs(fabs(mf_result_at(r, 1, 12, 4)) / pow(19.0, 120) - 1) < 1e-12,
          "last kept record is 19^120");
    mf_result_free(r);

    /* with noise the trajectories diverge at different steps: the earliest one is named,
     * the same whatever the layout */
    mf_noise nz;
    mf_noise_isotropic(&nz, 30.0, MF_SPACE_FULL, NULL);
    mf_optim_sgd(&o, 0.9, NULL);
    const double c2[] = {1.0, 0.0, 1.0};
    mf_landscape *L2;
    mf_landscape_valley(&L2, c2, 3, NULL);
    double x1[2] = {0.0, 0.0};
    mf_result *a = run(L2, &o, &nz, x1, 100000, 1000, 64, 1, 64, &rc, &err);
    CHECK(rc == MF_ENONFINITE, "noisy divergence not reported");
    mf_result *b = run(L2, &o, &nz, x1, 100000, 1000, 64, 2, 5, &rc, &err);
    CHECK(a && b && a->fail_step == b->fail_step && a->fail_traj == b->fail_traj,
          "failure verdict depends on the layout");
    /* running only the trajectories up to the failing one fails at the same place */
    mf_result *c3 = run(L2, &o, &nz, x1, 100000, 1000, a->fail_traj + 1, 1, 0, &rc, &err);
    CHECK(c3 && c3->fail_step == a->fail_step && c3->fail_traj == a->fail_traj,
          "the named trajectory does not fail alone at the named step");
    mf_result_free(a), mf_result_free(b), mf_result_free(c3);
    mf_landscape_free(L), mf_landscape_free(L2);
}

static void test_flow(void) {
    mf_landscape *L;
    const double c[] = {1.5, 0.0, 2.0}; /* h = 1.5 + 2x^2 */
    mf_landscape_valley(&L, c, 3, NULL);
    mf_optim o;
    const double lr = 0.01, sigma = 0.8;
    mf_optim_sgd(&o, lr, NULL);
    mf_noise hz, iz, fz;
    mf_noise_hessian(&hz, sigma, NULL);
    mf_noise_isotropic(&iz, sigma, MF_SPACE_NORMAL, NULL);
    mf_noise_isotropic(&fz, sigma, MF_SPACE_FULL, NULL);
    mf_flow *fh, *fi, *ff;
    mf_err err;
    CHECK(mf_flow_new(&fh, L, &o, &hz, 1, &err) == MF_OK, "flow hessian: %s", err.msg);
    CHECK(mf_flow_new(&fi, L, &o, &iz, 1, &err) == MF_OK, "flow isotropic: %s", err.msg);
    /* full isotropic noise has a tangent part: the flow is an SDE, integrated by Euler-Maruyama */
    CHECK(mf_flow_new(&ff, L, &o, &fz, 1, &err) == MF_OK && mf_flow_is_sde(ff), "full noise: %s",
          err.msg);
    double xs[2] = {1.0, 0.0};
    mf_flow_config sde_rk4 = {.x0 = xs, .steps = 10, .every = 1, .method = MF_FLOW_RK4};
    mf_result *rs = NULL;
    CHECK(mf_flow_integrate(ff, &sde_rk4, &rs, &err) == MF_EINVAL && strstr(err.msg, "'em'"),
          "RK4 on an SDE refused: %s", err.msg);
    /* one EM step of h = 200 iterations from x = 0, where the drift vanishes (h'(0) = 0):
     * x = sqrt(lr) sigma dW with dW ~ N(0, 200 lr); the variance over 4000 paths within 4
     * standard errors (sqrt(2 / 3999) relative) */
    double zero[2] = {0.0, 0.0};
    mf_flow_config em = {.x0 = zero, .steps = 200, .every = 200, .method = MF_FLOW_EM};
    em.seeds = 4000, em.seed = 3, em.h = 200;
    CHECK(mf_flow_integrate(ff, &em, &rs, &err) == MF_OK && rs->nrec == 2, "EM, h = 200: %s",
          err.msg);
    double v = 0.0;
    for (size_t i = 0; i < 4000; i++)
        v += mf_result_at(rs, 0, 1, i) * mf_result_at(rs, 0, 1, i);
    v /= 4000;
    double want_v = lr * sigma * sigma * 200 * lr;
    CHECK(fabs(v / want_v - 1) < 4 * sqrt(2.0 / 3999), "EM with h = 200: variance %g, want %g", v,
          want_v);
    mf_result_free(rs);
    mf_flow_free(ff);
    mf_optim adam;
    mf_optim_params ap = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    mf_schedule lr1 = mf_schedule_constant(0.01);
    mf_optim_make(&adam, "adam", &ap, &lr1, NULL);
    CHECK(mf_flow_new(&ff, L, &adam, &iz, 1, &err) == MF_EUNSUPPORTED &&
              strstr(err.msg, "supported:"),
          "adam with isotropic noise refused with the supported pairs: %s", err.msg);
    for (double x = -2.0; x <= 2.0; x += 0.25) {
        double z[2] = {x, 0.0}, dz[2];
        double h = 1.5 + 2 * x * x, hp = 4 * x;
        mf_flow_drift(fh, z, dz, NULL);
        CHECK_CLOSE(dz[0], -(lr * sigma * sigma / 4) * hp, 1e-12, "eq. (13) drift"); /* Q(13) */
        CHECK(dz[1] == 0.0, "drift leaves the manifold");
        mf_flow_drift(fi, z, dz, NULL);
        CHECK_CLOSE(dz[0], -(lr * sigma * sigma / 4) * hp / h, 1e-12, "eq. (14) drift"); /* Q(14) */
    }
    /* RK4 against x(t) = x0 exp(-lr sigma^2 t / 2) for h = 1 + x^2 (doc/math.md §4) */
    mf_landscape *Lq;
    mf_landscape_valley(&Lq, c_quad, 3, NULL);
    mf_optim o2;
    mf_optim_sgd(&o2, 0.05, NULL);
    mf_noise h2;
    mf_noise_hessian(&h2, 2.0, NULL);
    mf_flow *fq;
    mf_flow_new(&fq, Lq, &o2, &h2, 1, NULL);
    double x0[2] = {5.0, 0.3};
    mf_result *r;
    mf_flow_config cfg = {.x0 = x0, .steps = 20000, .every = 1000, .method = MF_FLOW_RK4};
    CHECK(mf_flow_integrate(fq, &cfg, &r, &err) == MF_OK, "integrate: %s", err.msg);
    CHECK(r->nrec == 21 && r->t[20] == 20000, "records: %zu", r->nrec);
    double worst = 0;
    for (size_t j = 0; j < r->nrec; j++) {
        double exact = 5.0 * exp(-0.05 * 0.05 * 4.0 * (double)r->t[j] / 2.0);
        double e = fabs(mf_result_at(r, 0, j, 0) - exact) / exact;
        worst = e > worst ? e : worst;
        CHECK(mf_result_at(r, 1, j, 0) == 0.0, "flow off the manifold");
    }
    /* RK4's global error: 20000 steps of local error (dt lambda)^5/120 with dt lambda = 0.005 */
    CHECK(worst < 1e-9, "RK4 vs closed form: worst relative error %g", worst);
    mf_result_free(r);
    /* h = 300 iterations per RK4 step, every = 1000 (not a multiple): three steps of
     * dt lambda = q = 1.5 and one of 0.5 before each record; records stay on the grid. On the
     * linear x' = -lambda x, RK4 multiplies x by 1 - q + q^2/2 - q^3/6 + q^4/24 per step. */
    cfg.h = 300;
    CHECK(mf_flow_integrate(fq, &cfg, &r, &err) == MF_OK, "integrate h = 300: %s", err.msg);
    CHECK(r->nrec == 21 && r->t[20] == 20000, "records with h = 300: %zu", r->nrec);
    double want = 1.0;
    for (int rec = 0; rec < 20; rec++) {
        const double qs[4] = {1.5, 1.5, 1.5, 0.5};
        for (int i = 0; i < 4; i++) {
            double q = qs[i];
            want *= 1 - q + q * q / 2 - q * q * q / 6 + q * q * q * q / 24;
        }
    }
    CHECK_CLOSE(mf_result_at(r, 0, 20, 0), 5.0 * want, 1e-12, "RK4 with h = 300");
    mf_result_free(r);
    cfg.method = MF_FLOW_DP45, cfg.rtol = 1e-9, cfg.atol = 1e-12;
    CHECK(mf_flow_integrate(fq, &cfg, &r, &err) == MF_EINVAL && strstr(err.msg, "'rk4' and 'em'"),
          "h > 1 with dp45 refused: %s", err.msg);
    mf_flow_free(fh), mf_flow_free(fi), mf_flow_free(fq);
    mf_landscape_free(L), mf_landscape_free(Lq);
}

/* K configurations in one mf_run_batch: each equals its run alone bit for bit (different
 * learning rates, momenta, noise scales and starts; blocks that split configurations); a
 * statistics-only run of one statistics block equals the stored run's moments exactly; a
 * dropped trajectory is marked and the survivors' bits are those of the error-mode run. */
static void test_batch(void) {
    mf_landscape *L;
    CHECK(mf_landscape_valley(&L, c_quad, 3, NULL) == MF_OK, "valley");
    mf_optim o[3];
    mf_optim_params p = {0};
    mf_schedule s;
    for (int k = 0; k < 3; k++) {
        p.momentum = 0.3 * k;
        s = mf_schedule_constant(0.01 / (k + 1));
        CHECK(mf_optim_make(&o[k], "sgd", &p, &s, NULL) == MF_OK, "sgd");
    }
    mf_noise nz[3];
    for (int k = 0; k < 3; k++)
        mf_noise_hessian(&nz[k], 0.5 + 0.5 * k, NULL);
    double x0[3][2] = {{2.0, 0.1}, {1.5, -0.2}, {3.0, 0.0}};
    mf_run_conf confs[3];
    for (int k = 0; k < 3; k++)
        confs[k] = (mf_run_conf){&o[k], &nz[k], x0[k]};
    const int threads[] = {1, 2, 2};
    const size_t blocks[] = {5, 8, 0};
    for (size_t t = 0; t < 3; t++) {
        mf_run_config c = {.landscape = L,
                           .confs = confs,
                           .nconfs = 3,
                           .steps = 300,
                           .every = 30,
                           .seeds = 11,
                           .seed = 9,
                           .threads = threads[t],
                           .block = blocks[t],
                           .obs = obs3,
                           .nobs = 3};
        mf_result *rs[3];
        mf_err err;
        CHECK(mf_run_batch(&c, rs, &err) == MF_OK, "batch: %s", err.msg);
        for (int k = 0; k < 3; k++) {
            mf_run_config a = c;
            a.confs = NULL, a.nconfs = 0, a.optim = &o[k], a.noise = &nz[k], a.x0 = x0[k];
            a.threads = 1, a.block = 3;
            mf_result *r1;
            CHECK(mf_run(&a, &r1, &err) == MF_OK, "alone: %s", err.msg);
            CHECK(memcmp(rs[k]->data, r1->data, sizeof(double) * 3 * r1->nrec * 11) == 0,
                  "configuration %d (threads %d, block %zu) equals its run alone", k, threads[t],
                  blocks[t]);
            mf_result_free(r1);
            mf_result_free(rs[k]);
        }
    }
    /* statistics only: one block of 200 trajectories, as the stored moments */
    mf_run_config c = {.landscape = L,
                       .optim = &o[0],
                       .noise = &nz[0],
                       .x0 = x0[0],
                       .steps = 200,
                       .every = 20,
                       .seeds = 200,
                       .seed = 1,
                       .obs = obs3,
                       .nobs = 3};
    mf_result *ref, *st;
    mf_err err;
    CHECK(mf_run(&c, &ref, &err) == MF_OK, "stored: %s", err.msg);
    c.keep = MF_KEEP_STATS;
    CHECK(mf_run(&c, &st, &err) == MF_OK, "stats: %s", err.msg);
    int same = st->nrec == ref->nrec;
    for (size_t v = 0; v < 3; v++)
        for (size_t j = 0; j < ref->nrec; j++) {
            double m1, v1, m2, v2;
            mf_result_moments(ref, v, j, &m1, &v1);
            mf_result_moments(st, v, j, &m2, &v2);
            same &= m1 == m2 && v1 == v2 && st->alive[j] == 200;
        }
    CHECK(same, "statistics-only moments equal the stored run's bit for bit");
    mf_result_free(ref), mf_result_free(st);
    /* drop: lr = 0.07 from (5, 0) is at the edge of stability */
    mf_optim hot;
    mf_optim_sgd(&hot, 0.07, NULL);
    double x5[2] = {5.0, 0.0};
    mf_run_config d = {.landscape = L,
                       .optim = &hot,
                       .noise = &nz[1],
                       .x0 = x5,
                       .steps = 2000,
                       .every = 20,
                       .seeds = 64,
                       .seed = 0,
                       .obs = obs3,
                       .nobs = 3,
                       .on_nonfinite = MF_NONFINITE_DROP,
                       .block = 8};
    mf_result *dr;
    CHECK(mf_run(&d, &dr, &err) == MF_OK, "drop: %s", err.msg);
    size_t ndrop = 0, first = 64;
    for (size_t i = 0; i < 64; i++)
        if (dr->drop_step[i]) ndrop++, first = i < first ? i : first;
    CHECK(ndrop > 0 && ndrop < 64 && dr->nrec == 101, "drop: %zu of 64 dropped, the run went on",
          ndrop);
    d.on_nonfinite = MF_NONFINITE_ERROR, d.seeds = first;
    mf_result *er;
    CHECK(first > 0 && mf_run(&d, &er, &err) == MF_OK, "the survivors alone: %s", err.msg);
    same = 1;
    for (size_t v = 0; v < 3; v++)
        for (size_t j = 0; j < 101; j++)
            for (size_t i = 0; i < first; i++)
                same &= mf_result_at(dr, v, j, i) == mf_result_at(er, v, j, i);
    CHECK(same, "drop: the survivors' bits equal their run alone");
    mf_result_free(dr), mf_result_free(er);
    mf_landscape_free(L);
}

int main(void) {
    test_reproducible_layouts();
    test_one_step_by_hand();
    test_nonfinite();
    test_flow();
    test_batch();
    return check_summary();
}
