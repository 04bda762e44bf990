/* Errors of the engine: every fallible function returns 0 on success or a negative MF_E*
 * code, and writes a one-line message into a caller-supplied mf_err. The engine never
 * exits, aborts or prints. */
#ifndef MFLAB_ERROR_H
#define MFLAB_ERROR_H

enum {
    MF_OK = 0,
    MF_EINVAL = -1,      /* bad argument */
    MF_ENOMEM = -2,      /* allocation failed */
    MF_ENONFINITE = -3,  /* NaN or Inf produced during a run */
    MF_EINTR = -4,       /* interrupted (Ctrl-C) */
    MF_EIO = -5,         /* file could not be written */
    MF_EUNSUPPORTED = -6 /* combination not supported */
};

typedef struct mf_err {
    int code;
    char msg[256];
} mf_err;

/* Records code and a printf-style message in err (if err is not NULL); returns code. */
int mf_err_set(mf_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
