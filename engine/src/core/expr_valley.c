/* mf.landscape.valley{h = "..."} and rotated_valley{h = "..."}: h an expression in one variable
 * x. Its first three derivatives are symbolic (expr_diff.c); h, h', h'', h''' are one program
 * (compiled with libtcc where the build has it, the interpreter's bits otherwise) that the
 * valley calls as its thread-safe host function (landscape_valley.c, mf_landscape_valley_fn3):
 * everything else, P, the frames, the noise and Adam's flow, is the built-in valley's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr_impl.h"
#include "landscape_impl.h"
#include "mflab/expr.h"

typedef struct hexpr {
    mf_expr *E;
    mf_expr_prog *P;
    size_t nwork; /* doubles of work for one point */
} hexpr;

/* work on the stack up to this many doubles (an h of a few hundred operations) */
#define HEXPR_STACK 512

static int h_eval(void *ud, double x, double out[4]) {
    const hexpr *h = ud;
    double p = 0, stack[HEXPR_STACK];
    if (h->nwork <= HEXPR_STACK) {
        mf_expr_prog_eval(h->P, &p, 1, &x, 1, out, 1, stack);
    } else { /* a scratch level of its own: the caller may hold the landscape's scratch */
        if (mf_scratch_enter()) return 1;
        double *w = mf_scratch(SCR_MODEL, h->nwork * sizeof *w);
        if (w) mf_expr_prog_eval(h->P, &p, 1, &x, 1, out, 1, w);
        mf_scratch_leave();
        if (!w) return 1;
    }
    /* the valley needs h > 0 (and the noise sqrt(h)); a NaN ends a run with its error */
    return !(out[0] > 0) || !isfinite(out[1]) || !isfinite(out[2]) || !isfinite(out[3]);
}

static void h_free(void *ud) {
    hexpr *h = ud;
    if (!h) return;
    mf_expr_prog_free(h->P);
    mf_expr_free(h->E);
    free(h);
}

int mf_landscape_valley_expr(mf_landscape **out, int rotated, double theta, const char *src,
                             mf_err *err) {
    *out = NULL;
    const char *fname = rotated ? "mf.landscape.rotated_valley" : "mf.landscape.valley";
    char what[64];
    snprintf(what, sizeof what, "%s: option 'h'", fname);
    static const char *const vars[] = {"x"};
    hexpr *h = calloc(1, sizeof *h);
    if (!h) return mf_err_set(err, MF_ENOMEM, "%s: out of memory", fname);
    int rc = mf_expr_new(&h->E, 1, vars, 0, NULL, err), roots[4];
    if (!rc) rc = mf_expr_parse(h->E, src, what, &roots[0], err);
    if (rc) {
        h_free(h);
        return rc;
    }
    for (int k = 1; k < 4; k++)
        roots[k] = mf_expr_diff(h->E, roots[k - 1], 0);
    if (!mf_expr_failed(h->E)) h->P = mf_expr_prog_new(h->E, 4, roots);
    if (!h->P) {
        h_free(h);
        return mf_err_set(err, MF_ENOMEM, "%s: out of memory", fname);
    }
    h->nwork = mf_expr_prog_work(h->P, 1);
    /* h must stay positive: refuse one that is not where it is defined on [-10, 10] (it is
     * checked again wherever it is evaluated) */
    for (int i = 0; i <= 2000; i++) {
        double x = (i - 1000) / 100.0, o[4], w[HEXPR_STACK], p = 0;
        if (h->nwork > HEXPR_STACK) break;
        mf_expr_prog_eval(h->P, &p, 1, &x, 1, o, 1, w);
        if (isfinite(o[0]) && !(o[0] > 0)) {
            h_free(h);
            return mf_err_set(err, MF_EINVAL,
                              "%s: option 'h' must stay positive (the valley needs h > 0), but "
                              "h(%.17g) = %.17g",
                              fname, x, o[0]);
        }
    }
    mf_expr_jit(h->P, NULL); /* the interpreter (the same bits) if this fails */
    rc = mf_landscape_valley_fn3(out, rotated, theta, h_eval, h, h_free, err);
    if (rc && err) { /* name the constructor, as its other errors do */
        mf_err e = *err;
        mf_err_set(err, e.code, "%s: %s", fname, e.msg);
    }
    return rc;
}
