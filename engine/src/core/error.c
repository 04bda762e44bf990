#include "mflab/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int mf_err_set(mf_err *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

double mf_memory_limit(void) {
    const char *e = getenv("MFLAB_MAX_MEMORY");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        double mult = *end == 'k' || *end == 'K'   ? 1e3
                      : *end == 'M' || *end == 'm' ? 1e6
                      : *end == 'G' || *end == 'g' ? 1e9
                                                   : 1.0;
        if (v > 0) return v * mult;
    }
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) return 0.5 * (double)pages * (double)size;
    return 4e9; /* unknown: a conservative 4 GB */
}

int mf_budget_check(double bytes, const char *what, const char *hint, mf_err *err) {
    double limit = mf_memory_limit();
    if (bytes <= limit) return MF_OK;
    return mf_err_set(err, MF_ENOMEM, "%s would need %.3g GB (limit %.3g GB, MFLAB_MAX_MEMORY); %s",
                      what, bytes / 1e9, limit / 1e9, hint);
}
