/* The stepping loop's shared pieces (runloop_impl.h). */
#include "runloop_impl.h"

#include <math.h>

#include "mflab/error.h"
#include "mflab/interrupt.h"
#include "mflab/run.h"

uint64_t mf_record_count(uint64_t steps, uint64_t every) {
    return steps / every + 1 + (steps % every != 0);
}

int mf_record_times(uint64_t steps, uint64_t every, size_t nrec, uint64_t *t, const int *cancel,
                    mf_err *err) {
    /* A grid of 10^8 or more times (a long run recorded often, within the memory budget) takes
     * seconds, most of it faulting in fresh pages: poll the interrupt every 2^16 entries
     * (512 KB of times, well under a millisecond), so the first Ctrl-C stops it. */
    const size_t chunk = (size_t)1 << 16;
    for (size_t j0 = 0; j0 + 1 < nrec; j0 += chunk) {
        if (j0 && mf_cancel_requested(cancel))
            return mf_err_set(err, MF_EINTR,
                              "interrupted while laying out the %zu record times (at %zu)", nrec,
                              j0);
        const size_t j1 = nrec - 1 - j0 < chunk ? nrec - 1 : j0 + chunk;
        for (size_t j = j0; j < j1; j++)
            t[j] = (uint64_t)j * every;
    }
    t[nrec - 1] = steps;
    return MF_OK;
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
