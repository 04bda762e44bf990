/* The interpreter: a program is the list of nodes the roots need, in index order (children
 * first), each reading its operands from slots. It runs over a chunk of up to MF_EXPR_CHUNK
 * points per instruction, so the dispatch costs once per chunk, not once per point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"

#define MF_EXPR_CHUNK 32

/* The interpreter's rows: a value's row is free after its last reader (roots live to the end);
 * a result never shares a row with its operands (the chunk loops then do not alias). */
static int assign_rows(mf_expr_prog *P) {
    size_t n = P->nins;
    int *last = malloc((n ? n : 1) * sizeof *last), *fr = malloc((n ? n : 1) * sizeof *fr);
    P->wrow = malloc((n ? 3 * n : 1) * sizeof *P->wrow);
    P->wroot = malloc((P->nroots ? P->nroots : 1) * sizeof *P->wroot);
    int rc = -1;
    if (!last || !fr || !P->wrow || !P->wroot) goto done;
    for (size_t j = 0; j < n; j++)
        last[j] = (int)j;
    for (size_t j = 0; j < n; j++) {
        const mf_xins *in = &P->ins[j];
        if (in->op >= MF_X_ADD) last[in->a] = (int)j;
        if (in->op >= MF_X_ADD && in->op <= MF_X_LT) last[in->b] = (int)j;
    }
    for (size_t r = 0; r < P->nroots; r++)
        last[P->roots[r]] = (int)n; /* live to the end */
    size_t nfree = 0, rows = 0;
    for (size_t j = 0; j < n; j++) {
        const mf_xins *in = &P->ins[j];
        int sa = in->op >= MF_X_ADD ? P->wrow[3 * (size_t)in->a] : 0;
        int sb = in->op >= MF_X_ADD && in->op <= MF_X_LT ? P->wrow[3 * (size_t)in->b] : 0;
        int dst = nfree ? fr[--nfree] : (int)rows++;
        P->wrow[3 * j] = dst, P->wrow[3 * j + 1] = sa, P->wrow[3 * j + 2] = sb;
        /* operands read for the last time free their rows (once, if a == b) */
        if (in->op >= MF_X_ADD && last[in->a] == (int)j) fr[nfree++] = sa;
        if (in->op >= MF_X_ADD && in->op <= MF_X_LT && last[in->b] == (int)j && in->b != in->a)
            fr[nfree++] = sb;
        if (last[j] == (int)j) fr[nfree++] = dst; /* never read */
    }
    for (size_t r = 0; r < P->nroots; r++)
        P->wroot[r] = P->wrow[3 * (size_t)P->roots[r]];
    P->nrows = rows;
    rc = 0;
done:
    free(last);
    free(fr);
    return rc;
}

mf_expr_prog *mf_expr_prog_new(const mf_expr *E, size_t nroots, const int *roots) {
    size_t n = E->len;
    int *slot = malloc((n ? n : 1) * sizeof *slot);
    char *need = calloc(n ? n : 1, 1);
    mf_expr_prog *P = calloc(1, sizeof *P);
    if (!slot || !need || !P) goto fail;
    for (size_t r = 0; r < nroots; r++)
        need[roots[r]] = 1;
    for (size_t i = n; i-- > 0;) { /* children have smaller indices */
        if (!need[i]) continue;
        const mf_xnode *x = &E->n[i];
        if (x->op >= MF_X_ADD) need[x->a] = 1;
        if (x->op >= MF_X_ADD && x->op <= MF_X_LT) need[x->b] = 1;
    }
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        cnt += need[i];
    P->ins = malloc((cnt ? cnt : 1) * sizeof *P->ins);
    P->roots = malloc((nroots ? nroots : 1) * sizeof *P->roots);
    if (!P->ins || !P->roots) goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!need[i]) continue;
        const mf_xnode *x = &E->n[i];
        mf_xins in = {x->op, x->a, x->b, 0, x->c};
        if (x->op >= MF_X_ADD) in.a = slot[x->a];
        if (x->op >= MF_X_ADD && x->op <= MF_X_LT) in.b = slot[x->b];
        if (x->op == MF_X_POW && E->n[x->b].op == MF_X_CONST) {
            double e = E->n[x->b].c;
            if (e == floor(e) && fabs(e) <= 64) in.ipow = 1, in.c = e;
        }
        slot[i] = (int)P->nins;
        P->ins[P->nins++] = in;
    }
    for (size_t r = 0; r < nroots; r++)
        P->roots[r] = slot[roots[r]];
    P->nroots = nroots;
    free(slot);
    free(need);
    if (assign_rows(P)) goto fail2;
    return P;
fail:
    free(slot);
    free(need);
fail2:
    mf_expr_prog_free(P);
    return NULL;
}

void mf_expr_prog_free(mf_expr_prog *P) {
    if (!P) return;
    free(P->ins);
    free(P->roots);
    free(P->wrow);
    free(P->wroot);
    free(P);
}

size_t mf_expr_prog_work(const mf_expr_prog *P, size_t m) {
    (void)m;
    return (P->nrows ? P->nrows : 1) * MF_EXPR_CHUNK;
}

double mf_expr_powi(double x, int n) {
    unsigned u = (unsigned)(n < 0 ? -n : n);
    double r = 1, b = x;
    int first = 1;
    while (u) {
        if (u & 1) r = first ? b : r * b, first = 0;
        u >>= 1;
        if (u) b *= b;
    }
    return n < 0 ? 1 / r : r;
}

static double sigmoid(double x) {
    return 1 / (1 + exp(-x));
}

int mf_expr_prog_compiled(const mf_expr_prog *P) {
    return P && P->kernel != NULL;
}

void mf_expr_prog_eval(const mf_expr_prog *P, const double *p, size_t m, const double *z, size_t ld,
                       double *out, size_t ldo, double *work) {
    if (P->kernel && m <= MF_EXPR_JIT_MAXM)
        P->kernel(p, m, z, ld, out, ldo);
    else
        mf_expr_prog_eval_interp(P, p, m, z, ld, out, ldo, work);
}

void mf_expr_prog_eval_interp(const mf_expr_prog *P, const double *p, size_t m, const double *z,
                              size_t ld, double *out, size_t ldo, double *work) {
    enum { B = MF_EXPR_CHUNK };
    for (size_t i0 = 0; i0 < m; i0 += B) {
        size_t mb = m - i0 < B ? m - i0 : B;
        for (size_t j = 0; j < P->nins; j++) {
            const mf_xins *in = &P->ins[j];
            const int *row = P->wrow + 3 * j;
            double *o = work + (size_t)row[0] * B;
            const double *A = work + (size_t)row[1] * B, *Bv = work + (size_t)row[2] * B;
            size_t i;
            switch (in->op) {
            case MF_X_CONST:
                for (i = 0; i < mb; i++)
                    o[i] = in->c;
                break;
            case MF_X_VAR: {
                const double *zk = z + (size_t)in->a * ld + i0;
                for (i = 0; i < mb; i++)
                    o[i] = zk[i];
                break;
            }
            case MF_X_PARAM:
                for (i = 0; i < mb; i++)
                    o[i] = p[in->a];
                break;
            case MF_X_ADD:
                for (i = 0; i < mb; i++)
                    o[i] = A[i] + Bv[i];
                break;
            case MF_X_SUB:
                for (i = 0; i < mb; i++)
                    o[i] = A[i] - Bv[i];
                break;
            case MF_X_MUL:
                for (i = 0; i < mb; i++)
                    o[i] = A[i] * Bv[i];
                break;
            case MF_X_DIV:
                for (i = 0; i < mb; i++)
                    o[i] = A[i] / Bv[i];
                break;
            case MF_X_POW:
                if (in->ipow && in->c == 2) /* mf_expr_powi's products, in vector loops */
                    for (i = 0; i < mb; i++)
                        o[i] = A[i] * A[i];
                else if (in->ipow && in->c == 3)
                    for (i = 0; i < mb; i++)
                        o[i] = A[i] * (A[i] * A[i]);
                else if (in->ipow)
                    for (i = 0; i < mb; i++)
                        o[i] = mf_expr_powi(A[i], (int)in->c);
                else
                    for (i = 0; i < mb; i++)
                        o[i] = pow(A[i], Bv[i]);
                break;
            case MF_X_MIN:
                for (i = 0; i < mb; i++)
                    o[i] = fmin(A[i], Bv[i]);
                break;
            case MF_X_MAX:
                for (i = 0; i < mb; i++)
                    o[i] = fmax(A[i], Bv[i]);
                break;
            case MF_X_LT:
                for (i = 0; i < mb; i++)
                    o[i] = A[i] < Bv[i];
                break;
            case MF_X_NEG:
                for (i = 0; i < mb; i++)
                    o[i] = -A[i];
                break;
            case MF_X_SIN:
                for (i = 0; i < mb; i++)
                    o[i] = sin(A[i]);
                break;
            case MF_X_COS:
                for (i = 0; i < mb; i++)
                    o[i] = cos(A[i]);
                break;
            case MF_X_TAN:
                for (i = 0; i < mb; i++)
                    o[i] = tan(A[i]);
                break;
            case MF_X_EXP:
                for (i = 0; i < mb; i++)
                    o[i] = exp(A[i]);
                break;
            case MF_X_LOG:
                for (i = 0; i < mb; i++)
                    o[i] = log(A[i]);
                break;
            case MF_X_LOG1P:
                for (i = 0; i < mb; i++)
                    o[i] = log1p(A[i]);
                break;
            case MF_X_SQRT:
                for (i = 0; i < mb; i++)
                    o[i] = sqrt(A[i]);
                break;
            case MF_X_TANH:
                for (i = 0; i < mb; i++)
                    o[i] = tanh(A[i]);
                break;
            case MF_X_SIGMOID:
                for (i = 0; i < mb; i++)
                    o[i] = sigmoid(A[i]);
                break;
            case MF_X_ABS:
                for (i = 0; i < mb; i++)
                    o[i] = fabs(A[i]);
                break;
            case MF_X_SIGN:
                for (i = 0; i < mb; i++)
                    o[i] = (A[i] > 0) - (A[i] < 0);
                break;
            }
        }
        for (size_t r = 0; r < P->nroots; r++) {
            const double *s = work + (size_t)P->wroot[r] * B;
            double *o = out + r * ldo + i0;
            for (size_t i = 0; i < mb; i++)
                o[i] = s[i];
        }
    }
}
