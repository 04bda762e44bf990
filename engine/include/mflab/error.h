/* Errors of the engine: every fallible function returns 0 on success or a negative MF_E*
 * code, and writes a one-line message into a caller-supplied mf_err. The engine never
 * exits, aborts or prints. */
#ifndef MFLAB_ERROR_H
#define MFLAB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* printf-format checking where the compiler has it (GCC, Clang); nothing elsewhere */
#ifndef MF_PRINTF_LIKE /* (the FFI declarations are generated with it defined empty) */
#if defined(__GNUC__) || defined(__clang__)
#define MF_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define MF_PRINTF_LIKE(f, a)
#endif
#endif

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
int mf_err_set(mf_err *err, int code, const char *fmt, ...) MF_PRINTF_LIKE(3, 4);

/* The memory budget of one request (a run's records and state, a flow's records, a tabulated
 * schedule): MFLAB_MAX_MEMORY bytes if set (a number with an optional k, M or G suffix), else
 * half the physical memory. Sizes are passed as doubles so that products never wrap.
 * mf_budget_check returns MF_OK, or MF_ENOMEM with "<what> would need X GB (limit Y GB);
 * <hint>" before anything is allocated (instead of a kill by the out-of-memory killer). */
double mf_memory_limit(void);
int mf_budget_check(double bytes, const char *what, const char *hint, mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
