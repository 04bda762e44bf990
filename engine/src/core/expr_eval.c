/* Straight-line programs over the expression DAG and their interpreter. The interpreter runs
 * one instruction over a chunk of EVAL_W points at a time, so the dispatch costs once per
 * chunk and the arithmetic loops vectorize. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "landscape_impl.h"
#include "mflab/expr.h"

#define EVAL_W 64

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

int mf_expr_prog_new(mf_expr_prog *p, const mf_expr_dag *g, size_t nout, const int *roots,
                     mf_err *err) {
    memset(p, 0, sizeof *p);
    int top = -1;
    for (size_t o = 0; o < nout; o++)
        if (roots[o] > top) top = roots[o];
    int *idx = malloc(sizeof(int) * ((size_t)top + 1));
    p->out = malloc(sizeof(int) * (nout ? nout : 1));
    if (!idx || !p->out) goto oom;
    for (int i = 0; i <= top; i++)
        idx[i] = 0;
    for (size_t o = 0; o < nout; o++)
        idx[roots[o]] = 1;
    size_t n = 0;
    for (int i = top; i >= 0; i--) { /* mark what the outputs need */
        if (!idx[i]) continue;
        n++;
        if (g->n[i].a >= 0) idx[g->n[i].a] = 1;
        if (g->n[i].b >= 0) idx[g->n[i].b] = 1;
    }
    p->ins = malloc(sizeof *p->ins * (n ? n : 1));
    if (!p->ins) goto oom;
    uint64_t h = mix(0xbb67ae8584caa73bULL, nout);
    for (int i = 0; i <= top; i++) {
        if (!idx[i]) {
            idx[i] = -1;
            continue;
        }
        mf_expr_node x = g->n[i];
        if (x.a >= 0) x.a = idx[x.a];
        if (x.b >= 0) x.b = idx[x.b];
        uint64_t cb;
        memcpy(&cb, &x.c, sizeof cb);
        h = mix(
            mix(mix(mix(mix(h, (uint64_t)x.op), (uint64_t)(int64_t)x.a), (uint64_t)(int64_t)x.b),
                (uint64_t)(int64_t)x.k),
            cb);
        x.hash = 0;
        idx[i] = (int)p->nins;
        p->ins[p->nins++] = x;
    }
    p->nout = nout;
    for (size_t o = 0; o < nout; o++) {
        p->out[o] = idx[roots[o]];
        h = mix(h, (uint64_t)p->out[o]);
    }
    p->hash = h;
    free(idx);
    return MF_OK;
oom:
    free(idx);
    mf_expr_prog_free(p);
    return mf_err_set(err, MF_ENOMEM, "out of memory");
}

void mf_expr_prog_free(mf_expr_prog *p) {
    free(p->ins);
    free(p->out);
    memset(p, 0, sizeof *p);
}

void mf_expr_prog_interp(const mf_expr_prog *p, size_t m, const double *z, size_t ld,
                         const double *v, size_t ldv, const double *par, double *out, size_t ldo) {
    /* the register file on a 64-byte boundary, so vector loads never straddle cache lines */
    char *raw = mf_scratch(SCR_MODEL, sizeof(double) * EVAL_W * (p->nins ? p->nins : 1) + 64);
    double *R = raw ? (double *)(raw + ((64 - (uintptr_t)raw % 64) % 64)) : NULL;
    if (!R) {
        for (size_t o = 0; o < p->nout; o++)
            for (size_t i = 0; i < m; i++)
                out[o * ldo + i] = NAN;
        return;
    }
    for (size_t i0 = 0; i0 < m; i0 += EVAL_W) {
        const size_t w = m - i0 < EVAL_W ? m - i0 : EVAL_W;
        for (size_t j = 0; j < p->nins; j++) {
            const mf_expr_node *x = &p->ins[j];
            double *restrict r = R + j * EVAL_W;
            const double *restrict a = x->a >= 0 ? R + (size_t)x->a * EVAL_W : NULL;
            const double *restrict b = x->b >= 0 ? R + (size_t)x->b * EVAL_W : NULL;
            switch (x->op) {
            case MF_EXPR_CONST:
                for (size_t l = 0; l < w; l++)
                    r[l] = x->c;
                break;
            case MF_EXPR_VAR:
                memcpy(r, z + (size_t)x->k * ld + i0, sizeof(double) * w);
                break;
            case MF_EXPR_DIR:
                memcpy(r, v + (size_t)x->k * ldv + i0, sizeof(double) * w);
                break;
            case MF_EXPR_PARAM:
                for (size_t l = 0; l < w; l++)
                    r[l] = par[x->k];
                break;
            case MF_EXPR_ADD:
                for (size_t l = 0; l < w; l++)
                    r[l] = a[l] + b[l];
                break;
            case MF_EXPR_SUB:
                for (size_t l = 0; l < w; l++)
                    r[l] = a[l] - b[l];
                break;
            case MF_EXPR_MUL:
                for (size_t l = 0; l < w; l++)
                    r[l] = a[l] * b[l];
                break;
            case MF_EXPR_DIV:
                for (size_t l = 0; l < w; l++)
                    r[l] = a[l] / b[l];
                break;
            case MF_EXPR_NEG:
                for (size_t l = 0; l < w; l++)
                    r[l] = -a[l];
                break;
            case MF_EXPR_SQRT:
                for (size_t l = 0; l < w; l++)
                    r[l] = sqrt(a[l]);
                break;
            case MF_EXPR_ABS:
                for (size_t l = 0; l < w; l++)
                    r[l] = fabs(a[l]);
                break;
            default:
                for (size_t l = 0; l < w; l++)
                    r[l] = mf_expr_apply(x->op, a[l], b ? b[l] : 0.0);
            }
        }
        for (size_t o = 0; o < p->nout; o++)
            memcpy(out + o * ldo + i0, R + (size_t)p->out[o] * EVAL_W, sizeof(double) * w);
    }
}

/* The compiled kernel is scalar code (tcc does not vectorize), the interpreter's chunk loops
 * are vector code: measured on the valley (scripts/bench expr-valley, gradients of 4096
 * trajectories), the interpreter is 1.6x faster on blocks, the kernel faster on single points
 * (projections, frames, the manifold flow). Both give the same bits, so choosing by block size
 * changes no result. */
#define EVAL_JIT_MAXM 4

void mf_expr_prog_eval(const mf_expr_prog *p, size_t m, const double *z, size_t ld, const double *v,
                       size_t ldv, const double *par, double *out, size_t ldo) {
    if (p->kernel && m <= EVAL_JIT_MAXM)
        p->kernel(m, z, ld, v, ldv, par, out, ldo);
    else
        mf_expr_prog_interp(p, m, z, ld, v, ldv, par, out, ldo);
}
