/* A minimal assertion harness for the engine's C tests: each CHECK counts, a failure prints
 * where and why, and check_summary() prints "N passed, N failed" and gives the exit code. */
#ifndef MFLAB_TEST_CHECK_H
#define MFLAB_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else {                                                                                   \
            check_failed++;                                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define CHECK_CLOSE(a, b, tol, what)                                                               \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        double s_ = fabs(b_) > 1.0 ? fabs(b_) : 1.0;                                               \
        CHECK(fabs(a_ - b_) <= (tol)*s_, "%s: %.17g vs %.17g (tol %g)", what, a_, b_,              \
              (double)(tol));                                                                      \
    } while (0)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
