/* Compiling expression programs to machine code in-process with libtcc (MFLAB_WITH_TCC).
 *
 * A program becomes one C function that loops over the points of a block and computes every
 * instruction as a local double, in the interpreter's order and with the interpreter's
 * operations (mf_expr_apply), so the two agree bit for bit. Constants are read from an array
 * handed to tcc as a symbol (no decimal round trip through tcc's number parser); the maths
 * functions are this process's libm, bound by tcc_add_symbol (-nostdlib: nothing else is
 * linked). Compiled programs are cached for the life of the process, keyed by the program's
 * hash and checked against a copy of its instructions, so building the same landscape again
 * compiles nothing; the cache holds at most JIT_MAXCACHE programs (later ones are
 * interpreted). libtcc keeps global state, so compilation is serialized by a mutex;
 * MFLAB_JIT_DEBUG=1 prints why a compilation failed. Without
 * libtcc every program is interpreted (expr_eval.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"

#ifdef MFLAB_HAVE_TCC
#include <libtcc.h>
#include <math.h>
#include <pthread.h>
#include <time.h>

#define JIT_MAXCACHE 1024

typedef struct jit_entry {
    uint64_t hash;
    size_t nins, nout;
    mf_xins *ins;
    int *out;
    double *k; /* constants, referenced by the compiled code */
    TCCState *s;
    mf_expr_kernel fn;
} jit_entry;

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;
static jit_entry jit_cache[JIT_MAXCACHE];
static size_t jit_len;

int mf_expr_jit_available(void) {
    return 1;
}

/* A growing text buffer; failed = 1 once out of memory. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void put(sbuf *b, const char *fmt, ...) {
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = 2 * b->cap + (size_t)n + 1024;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
}

/* The C text of p; constants become K[j] (j = the instruction's index). */
static char *gen(const mf_expr_prog *p) {
    sbuf b = {.s = malloc(4096), .cap = 4096};
    if (!b.s) return NULL;
    b.s[0] = 0;
    put(&b, "typedef unsigned long size_t;\n"
            "double sin(double), cos(double), tan(double), exp(double), log(double),\n"
            "  log1p(double), sqrt(double), tanh(double), pow(double, double), fabs(double),\n"
            "  fmin(double, double), fmax(double, double), mf_expr_powi(double, int);\n"
            "extern double mf_K[];\n"
            "void mf_kernel(const double *par, size_t m, const double *z, size_t ld, double *out,\n"
            "               size_t ldo) {\n"
            "  const double *K = mf_K;\n"
            "  for (size_t i = 0; i < m; i++) {\n");
    static const char *bin[] = {
        [MF_X_ADD] = "+", [MF_X_SUB] = "-", [MF_X_MUL] = "*", [MF_X_DIV] = "/"};
    static const char *fn1[] = {[MF_X_SIN] = "sin",   [MF_X_COS] = "cos",   [MF_X_TAN] = "tan",
                                [MF_X_EXP] = "exp",   [MF_X_LOG] = "log",   [MF_X_LOG1P] = "log1p",
                                [MF_X_SQRT] = "sqrt", [MF_X_TANH] = "tanh", [MF_X_ABS] = "fabs"};
    for (size_t j = 0; j < p->nins; j++) {
        const mf_xins *x = &p->ins[j];
        put(&b, "    double r%zu = ", j);
        switch (x->op) {
        case MF_X_CONST:
            put(&b, "K[%zu];\n", j);
            break;
        case MF_X_VAR:
            put(&b, "z[%d * ld + i];\n", x->a);
            break;
        case MF_X_PARAM:
            put(&b, "par[%d];\n", x->a);
            break;
        case MF_X_ADD:
        case MF_X_SUB:
        case MF_X_MUL:
        case MF_X_DIV:
            put(&b, "r%d %s r%d;\n", x->a, bin[x->op], x->b);
            break;
        case MF_X_POW:
            if (x->ipow)
                put(&b, "mf_expr_powi(r%d, %d);\n", x->a, (int)x->c);
            else
                put(&b, "pow(r%d, r%d);\n", x->a, x->b);
            break;
        case MF_X_MIN:
            put(&b, "fmin(r%d, r%d);\n", x->a, x->b);
            break;
        case MF_X_MAX:
            put(&b, "fmax(r%d, r%d);\n", x->a, x->b);
            break;
        case MF_X_LT:
            put(&b, "r%d < r%d;\n", x->a, x->b);
            break;
        case MF_X_NEG:
            put(&b, "-r%d;\n", x->a);
            break;
        case MF_X_SIGMOID:
            put(&b, "1 / (1 + exp(-r%d));\n", x->a);
            break;
        case MF_X_SIGN:
            put(&b, "(r%d > 0) - (r%d < 0);\n", x->a, x->a);
            break;
        default:
            if (x->op < (int)(sizeof fn1 / sizeof *fn1) && fn1[x->op])
                put(&b, "%s(r%d);\n", fn1[x->op], x->a);
            else
                b.failed = 1;
        }
    }
    for (size_t o = 0; o < p->nroots; o++)
        put(&b, "    out[%zu * ldo + i] = r%d;\n", o, p->roots[o]);
    put(&b, "  }\n}\n");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static void quiet(void *opaque, const char *msg) {
    (void)opaque, (void)msg; /* a failed compile falls back to the interpreter */
    if (getenv("MFLAB_JIT_DEBUG")) fprintf(stderr, "tcc: %s\n", msg);
}

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* The cache key: a hash of the instructions and roots (checked against a stored copy). */
static uint64_t prog_hash(const mf_expr_prog *p) {
    uint64_t h = mix(0xbb67ae8584caa73bULL, p->nroots);
    for (size_t j = 0; j < p->nins; j++) {
        const mf_xins *x = &p->ins[j];
        uint64_t cb;
        memcpy(&cb, &x->c, sizeof cb);
        h = mix(
            mix(mix(mix(mix(h, (uint64_t)x->op), (uint64_t)(int64_t)x->a), (uint64_t)(int64_t)x->b),
                (uint64_t)x->ipow),
            cb);
    }
    for (size_t r = 0; r < p->nroots; r++)
        h = mix(h, (uint64_t)(int64_t)p->roots[r]);
    return h;
}

static int same_prog(const jit_entry *e, const mf_expr_prog *p, uint64_t h) {
    return e->hash == h && e->nins == p->nins && e->nout == p->nroots &&
           memcmp(e->ins, p->ins, sizeof *p->ins * p->nins) == 0 &&
           memcmp(e->out, p->roots, sizeof *p->roots * p->nroots) == 0;
}

static int compile(const mf_expr_prog *p, uint64_t h, jit_entry *e) {
    memset(e, 0, sizeof *e);
    char *src = gen(p);
    e->k = malloc(sizeof(double) * (p->nins ? p->nins : 1));
    e->ins = malloc(sizeof *p->ins * (p->nins ? p->nins : 1));
    e->out = malloc(sizeof *p->roots * (p->nroots ? p->nroots : 1));
    TCCState *s = src && e->k && e->ins && e->out ? tcc_new() : NULL;
    int ok = 0;
    if (s) {
        for (size_t j = 0; j < p->nins; j++)
            e->k[j] = p->ins[j].c;
        tcc_set_error_func(s, NULL, quiet);
        tcc_set_options(s, "-nostdlib");
        tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
        static const struct {
            const char *name;
            const void *fn;
        } syms[] = {{"fmin", (const void *)fmin},
                    {"fmax", (const void *)fmax},
                    {"mf_expr_powi", (const void *)mf_expr_powi},
                    {"sin", (const void *)sin},
                    {"cos", (const void *)cos},
                    {"tan", (const void *)tan},
                    {"exp", (const void *)exp},
                    {"log", (const void *)log},
                    {"log1p", (const void *)log1p},
                    {"sqrt", (const void *)sqrt},
                    {"tanh", (const void *)tanh},
                    {"pow", (const void *)pow},
                    {"fabs", (const void *)fabs}};
        ok = tcc_compile_string(s, src) == 0;
        for (size_t j = 0; ok && j < sizeof syms / sizeof *syms; j++)
            ok = tcc_add_symbol(s, syms[j].name, syms[j].fn) == 0;
        ok = ok && tcc_add_symbol(s, "mf_K", e->k) == 0;
        ok = ok && tcc_relocate(s, TCC_RELOCATE_AUTO) >= 0;
        void *fn = ok ? tcc_get_symbol(s, "mf_kernel") : NULL;
        ok = fn != NULL;
        if (ok) memcpy(&e->fn, &fn, sizeof fn);
    }
    free(src);
    if (!ok) {
        if (s) tcc_delete(s);
        free(e->k), free(e->ins), free(e->out);
        memset(e, 0, sizeof *e);
        return -1;
    }
    memcpy(e->ins, p->ins, sizeof *p->ins * p->nins);
    memcpy(e->out, p->roots, sizeof *p->roots * p->nroots);
    e->hash = h, e->nins = p->nins, e->nout = p->nroots, e->s = s;
    return 0;
}

int mf_expr_jit(mf_expr_prog *p, double *secs) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = -1;
    /* every value is a local of the kernel's stack frame; and a million outputs (the Hessian of
     * 1000 coordinates) take seconds to compile for little gain over the interpreter */
    if (p->nins > MF_EXPR_JIT_MAXINS || p->nroots > MF_EXPR_JIT_MAXOUT) {
        if (secs) *secs = 0.0;
        return -1;
    }
    uint64_t h = prog_hash(p);
    pthread_mutex_lock(&jit_lock);
    for (size_t i = 0; i < jit_len; i++)
        if (same_prog(&jit_cache[i], p, h)) {
            p->kernel = jit_cache[i].fn;
            rc = 0;
            break;
        }
    if (rc && jit_len < JIT_MAXCACHE && compile(p, h, &jit_cache[jit_len]) == 0) {
        p->kernel = jit_cache[jit_len++].fn;
        rc = 0;
    }
    pthread_mutex_unlock(&jit_lock);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (secs) *secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}

#else
int mf_expr_jit_available(void) {
    return 0;
}

int mf_expr_jit(mf_expr_prog *p, double *secs) {
    (void)p;
    if (secs) *secs = 0.0;
    return -1;
}
#endif
