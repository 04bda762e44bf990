/* Compiling expression programs to machine code with libtcc (MFLAB_WITH_TCC). Without it the
 * interpreter (expr_eval.c) runs every program. */
#include "mflab/expr.h"

#ifndef MFLAB_HAVE_TCC
int mf_expr_jit_available(void) {
    return 0;
}

int mf_expr_jit(mf_expr_prog *p, double *secs) {
    (void)p;
    if (secs) *secs = 0.0;
    return -1;
}
#endif
