/* Pieces of the stepping loop shared by mf_run (run.c) and mf_flow_integrate (manifold_flow.c)
 * (runloop.c; not public API): the record grid, the progress throttle, the finiteness test. */
#ifndef MFLAB_RUNLOOP_IMPL_H
#define MFLAB_RUNLOOP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

/* Records at steps 0, every, 2 every, ..., and always the last step: how many (every >= 1). */
uint64_t mf_record_count(uint64_t steps, uint64_t every);
/* t[0..nrec) of that grid, nrec = mf_record_count(steps, every). Polls the interrupt and
 * *cancel (NULL: none) as it goes: MF_EINTR (with a message in err) if either is set. */
int mf_record_times(uint64_t steps, uint64_t every, size_t nrec, uint64_t *t, const int *cancel,
                    mf_err *err);
/* 1 when a progress report is due: force, or MF_PROGRESS_PERIOD seconds since *last (then
 * *last is now). Calling thread only. */
int mf_progress_due(double *last, int force);
/* The index of the first NaN or Inf among y[0..n), or n if there is none. */
size_t mf_first_nonfinite(const double *y, size_t n);

#endif
