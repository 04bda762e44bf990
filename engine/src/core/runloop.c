/* The stepping loop's shared pieces (runloop_impl.h). */
#include "runloop_impl.h"

#include <math.h>

#include "mflab/run.h"

uint64_t mf_record_count(uint64_t steps, uint64_t every) {
    return steps / every + 1 + (steps % every != 0);
}

void mf_record_times(uint64_t steps, uint64_t every, size_t nrec, uint64_t *t) {
    for (size_t j = 0; j + 1 < nrec; j++)
        t[j] = (uint64_t)j * every;
    t[nrec - 1] = steps;
}

int mf_progress_due(double *last, int force) {
    double now = mf_clock();
    if (!force && now - *last < MF_PROGRESS_PERIOD) return 0;
    *last = now;
    return 1;
}

size_t mf_first_nonfinite(const double *y, size_t n) {
    for (size_t a = 0; a < n; a++)
        if (!isfinite(y[a])) return a;
    return n;
}
