/* Defensive range checks shared by the optimizer types' check entries (not public API). The user
 * meets the Lua schema's messages first; these guard the C API. */
#ifndef MFLAB_OPTIM_CHECK_H
#define MFLAB_OPTIM_CHECK_H

#include <math.h>

#include "mflab/error.h"

static inline int optim_unit(double x) { /* in [0, 1) */
    return isfinite(x) && x >= 0.0 && x < 1.0;
}
static inline int optim_finite_pos(double x) {
    return isfinite(x) && x > 0.0;
}
static inline int optim_wd_ok(double x) {
    return isfinite(x) && x >= 0.0;
}
#define OPTIM_BAD(err, opt, want, val)                                                             \
    mf_err_set(err, MF_EINVAL, "option '%s' must be %s, got %g", opt, want, (double)(val))

#endif
