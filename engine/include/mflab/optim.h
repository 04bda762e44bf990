/* Optimizers (doc/math.md §3): a step for a block of points, given the noisy gradient
 * g = grad f(z) - D xi. State (momenta, second moments) lives in nstate arrays of d rows
 * beside z, in the same structure-of-arrays layout: row r of state array s for point i at
 * state[s*lds + r*ld + i], with z's row stride ld (run.c passes ld = m, the block's width,
 * and lds = d*m; a run of several configurations steps each configuration's part of a block
 * with pointers offset into the block and the same strides). Per-trajectory scalar state
 * (scalar RMSprop's v) uses row 0 of its array.
 *
 * Learning rates are schedules (mf_schedule): step k (1-based) uses lr(k). Step k of a
 * built-in schedule is torch's scheduler "epoch" k-1, so lr(1) is the base learning rate
 * and lr(k) equals torch's get_last_lr() after k-1 calls of scheduler.step(). */
#ifndef MFLAB_OPTIM_H
#define MFLAB_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mf_schedule_kind {
    MF_SCHED_CONSTANT, /* lr */
    MF_SCHED_STEP,     /* lr gamma^floor((k-1)/step_size)                       (torch StepLR) */
    MF_SCHED_COSINE,   /* eta_min + (lr - eta_min)(1 + cos(pi (k-1)/T))/2 (CosineAnnealingLR) */
    MF_SCHED_TABLE     /* table[k-1]; the last entry for k > ntable (a tabulated Lua function) */
};

typedef struct mf_schedule {
    enum mf_schedule_kind kind;
    double lr; /* base learning rate (constant, step, cosine) */
    double gamma;
    uint64_t step_size;
    uint64_t T;
    double eta_min;
    /* Linear warm-up on top of any kind (torch LinearLR(start_factor, total_iters=warmup)):
     * the rate is multiplied by start + (1 - start) min(k-1, warmup)/warmup. 0: none. */
    uint64_t warmup;
    double start;
    const double *table; /* not owned */
    size_t ntable;
} mf_schedule;

/* A constant schedule. */
mf_schedule mf_schedule_constant(double lr);
/* Checks ranges: lr > 0, gamma > 0, step_size >= 1, T >= 1, 0 <= eta_min, start in (0, 1],
 * table entries finite and >= 0. */
int mf_schedule_check(const mf_schedule *s, mf_err *err);
/* The learning rate of step k >= 1. */
double mf_schedule_at(const mf_schedule *s, uint64_t k);

typedef struct mf_optim mf_optim;

#define MF_OPTIM_MAXSTATE 3

struct mf_optim_params;

typedef struct mf_optim_type {
    const char *name;
    size_t nstate;                              /* state arrays of d rows per point */
    const char *state_names[MF_OPTIM_MAXSTATE]; /* for recording: "<name><k>" */
    int scalar_state;                           /* state is one number per trajectory */
    int momentum_state;                         /* index of the momentum array, or -1 */
    /* Optional: initial state (zero otherwise), called once before step 1. */
    void (*init)(const mf_optim *o, size_t d, size_t m, double *state, size_t lds);
    /* One step k (1-based) for a block: z, g and each state array have d rows. lane0 is the
     * index of the block's first point in the run: a step whose arithmetic depends on where a
     * lane sits in a vector (Adam's two division paths) chooses by the point's index, so
     * every trajectory takes the same path whatever the block layout. */
    void (*step)(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                 size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0);
    /* Effective learning rate of each point after k steps: the step size per unit gradient
     * that lr(max(k, 1)) gives with the current state; NULL: lr(max(k, 1)) itself. */
    void (*lr_eff)(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                   const double *state, size_t lds, uint64_t k, double *out);
    /* Optional: checks the parameters this optimizer reads (and the schedule, if it needs a
     * particular kind); errors name the option as the Lua API spells it. */
    int (*check)(const struct mf_optim_params *p, const mf_schedule *lr, mf_err *err);
} mf_optim_type;

/* Every optimizer's parameters; each type reads the ones it documents. */
typedef struct mf_optim_params {
    double momentum;     /* sgd: torch momentum; momentum: mu (Q); heavy_ball: beta (F);
                            rmsprop: torch momentum */
    double dampening;    /* sgd */
    int nesterov;        /* sgd */
    double weight_decay; /* sgd, adam, adamw, rmsprop (torch); gd_wd: lambda-hat (S(1)) */
    double beta1, beta2; /* adam, adamw; scalar_rmsprop: beta2 is beta */
    double eps;          /* adam, adamw, rmsprop */
    double alpha;        /* rmsprop: smoothing constant */
    int centered;        /* rmsprop */
    double v0;           /* scalar_rmsprop: v_0 > 0 */
} mf_optim_params;

struct mf_optim {
    const mf_optim_type *type;
    double lr; /* the base learning rate (lr(1) without warm-up) */
    mf_schedule sched;
    mf_optim_params p;
};

/* Builds optimizer `name` (sgd, momentum, heavy_ball, adam, adamw, rmsprop, scalar_rmsprop,
 * gd_wd, projected_gd) with parameters p and learning-rate schedule lr, after checking their
 * ranges; errors name the option as the Lua API spells it. */
int mf_optim_make(mf_optim *o, const char *name, const mf_optim_params *p, const mf_schedule *lr,
                  mf_err *err);

/* Plain SGD with a constant learning rate: z <- z - lr g. */
int mf_optim_sgd(mf_optim *o, double lr, mf_err *err);

/* Whether o is an optimizer of type t (one of the vtables below), on whichever
 * instruction-set path mf_optim_make gave it (mflab/isa.h): compare types with this, not ==. */
int mf_optim_is(const mf_optim *o, const mf_optim_type *t);

/* The vtables, for mf_optim_make and introspection. */
extern const mf_optim_type mf_optim_sgd_type, mf_optim_momentum_type, mf_optim_heavy_ball_type,
    mf_optim_adam_type, mf_optim_adamw_type, mf_optim_rmsprop_type, mf_optim_scalar_rmsprop_type,
    mf_optim_gd_wd_type, mf_optim_projected_gd_type;

/* The momentum coefficient mu in the quasistatic convention m <- mu m - lr g, z <- z + m, if
 * the optimizer is one of sgd (dampening 0, no Nesterov, no weight decay), momentum or
 * heavy_ball (returns 1 and sets *mu); 0 otherwise. Plain SGD has mu = 0. */
int mf_optim_momentum_mu(const mf_optim *o, double *mu);

#ifdef __cplusplus
}
#endif

#endif
