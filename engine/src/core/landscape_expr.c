/* A landscape given by an expression string (expr.h): value, gradient, Hessian,
 * Hessian-vector product, trace and the third-derivative contraction dhess are programs over
 * one DAG built once from the symbolic derivatives; projection, frames and the noise hooks are
 * the generic ones (gradient-flow projection, eigendecomposition of the exact Hessian).
 * Parameters are inputs of the programs: mf_landscape_expr_set changes them between runs
 * without rebuilding anything. Evaluations only read the landscape, so it is thread-safe. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landscape_impl.h"
#include "mflab/expr.h"
#include "mflab/landscape.h"

/* Above this dimension dhess is the central difference of the exact Hessian (the symbolic
 * contraction has d^3 derivative sweeps). */
#define EXPR_DHESS_MAXDIM 24

typedef struct exprl {
    size_t d, npar;
    char **pnames;
    double *pvals;
    mf_expr_dag g;
    mf_expr_prog value, grad, hess, hvp, trace, dhess;
    int has_dhess;
    double *x0;
    double compile_secs;
    int compiled;
} exprl;

static void ex_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const exprl *e = L->params;
    mf_expr_prog_eval(&e->value, m, z, ld, NULL, 0, e->pvals, f, m);
}

static void ex_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const exprl *e = L->params;
    mf_expr_prog_eval(&e->grad, m, z, ld, NULL, 0, e->pvals, g, ldg);
}

static void ex_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const exprl *e = L->params;
    mf_expr_prog_eval(&e->hess, m, z, ld, NULL, 0, e->pvals, h, ldh);
}

static void ex_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const exprl *e = L->params;
    mf_expr_prog_eval(&e->hvp, m, z, ld, v, ldv, e->pvals, out, ldo);
}

static void ex_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const exprl *e = L->params;
    mf_expr_prog_eval(&e->trace, m, z, ld, NULL, 0, e->pvals, tr, m);
}

static void ex_dhess(const mf_landscape *L, const double *z, const double *v, double *out) {
    const exprl *e = L->params;
    if (!e->has_dhess) {
        mf_landscape_generic_dhess(L, z, v, out);
        return;
    }
    mf_expr_prog_eval(&e->dhess, 1, z, 1, v, 1, e->pvals, out, 1);
}

static void ex_destroy(mf_landscape *L) {
    exprl *e = L->params;
    if (!e) return;
    for (size_t k = 0; e->pnames && k < e->npar; k++)
        free(e->pnames[k]);
    free(e->pnames);
    free(e->pvals);
    free(e->x0);
    mf_expr_prog_free(&e->value);
    mf_expr_prog_free(&e->grad);
    mf_expr_prog_free(&e->hess);
    mf_expr_prog_free(&e->hvp);
    mf_expr_prog_free(&e->trace);
    mf_expr_prog_free(&e->dhess);
    mf_expr_dag_free(&e->g);
}

static const mf_landscape_type expr_type = {
    .name = "expr",
    .value = ex_value,
    .grad = ex_grad,
    .hess = ex_hess,
    .hvp = ex_hvp,
    .trace_hessian = ex_trace,
    .project = mf_landscape_generic_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = ex_dhess,
    .destroy = ex_destroy,
};

/* The derivative programs: gradient g_k, Hessian H_kl = d g_k / d z_l (one node for both
 * triangles), (H v)_k = sum_l H_kl v_l, Tr H, and dH[v]_kl = sum_j v_j d H_kl / d z_j. */
static int build(exprl *e, int f, mf_err *err) {
    const size_t d = e->d;
    mf_expr_dag *g = &e->g;
    int *gk = malloc(sizeof(int) * d), *H = malloc(sizeof(int) * d * d),
        *hv = malloc(sizeof(int) * d), *DH = NULL;
    int rc = MF_OK, tr;
    if (!gk || !H || !hv) goto oom;
    for (size_t k = 0; k < d; k++)
        if ((gk[k] = mf_expr_diff(g, f, (int)k)) < 0) goto oom;
    for (size_t k = 0; k < d; k++)
        for (size_t l = k; l < d; l++) {
            if ((H[k * d + l] = mf_expr_diff(g, gk[k], (int)l)) < 0) goto oom;
            H[l * d + k] = H[k * d + l];
        }
    tr = mf_expr_const(g, 0.0);
    for (size_t k = 0; k < d; k++) {
        hv[k] = mf_expr_const(g, 0.0);
        for (size_t l = 0; l < d; l++)
            hv[k] = mf_expr_binary(
                g, MF_EXPR_ADD, hv[k],
                mf_expr_binary(g, MF_EXPR_MUL, H[k * d + l], mf_expr_leaf(g, MF_EXPR_DIR, (int)l)));
        tr = mf_expr_binary(g, MF_EXPR_ADD, tr, H[k * d + k]);
        if (hv[k] < 0 || tr < 0) goto oom;
    }
    if ((rc = mf_expr_prog_new(&e->value, g, 1, &f, err)) ||
        (rc = mf_expr_prog_new(&e->grad, g, d, gk, err)) ||
        (rc = mf_expr_prog_new(&e->hess, g, d * d, H, err)) ||
        (rc = mf_expr_prog_new(&e->hvp, g, d, hv, err)) ||
        (rc = mf_expr_prog_new(&e->trace, g, 1, &tr, err)))
        goto done;
    if (d <= EXPR_DHESS_MAXDIM) {
        DH = malloc(sizeof(int) * d * d);
        if (!DH) goto oom;
        for (size_t k = 0; k < d; k++)
            for (size_t l = k; l < d; l++) {
                int s = mf_expr_const(g, 0.0);
                for (size_t j = 0; j < d && s >= 0; j++)
                    s = mf_expr_binary(g, MF_EXPR_ADD, s,
                                       mf_expr_binary(g, MF_EXPR_MUL,
                                                      mf_expr_leaf(g, MF_EXPR_DIR, (int)j),
                                                      mf_expr_diff(g, H[k * d + l], (int)j)));
                if (s < 0) goto oom;
                DH[k * d + l] = DH[l * d + k] = s;
            }
        if ((rc = mf_expr_prog_new(&e->dhess, g, d * d, DH, err))) goto done;
        e->has_dhess = 1;
    }
    goto done;
oom:
    rc = mf_err_set(err, MF_ENOMEM, "out of memory");
done:
    free(gk), free(H), free(hv), free(DH);
    return rc;
}

int mf_landscape_expr(mf_landscape **out, const char *f, size_t nvar, const char *const *vars,
                      size_t npar, const char *const *pnames, const double *pvals, size_t codim,
                      const double *x0, int compile, mf_err *err) {
    *out = NULL;
    if (nvar < 1) return mf_err_set(err, MF_EINVAL, "need at least one variable");
    if (codim > nvar)
        return mf_err_set(err, MF_EINVAL, "codim %zu exceeds the number of variables %zu", codim,
                          nvar);
    for (size_t k = 0; k < npar; k++)
        if (!isfinite(pvals[k]))
            return mf_err_set(err, MF_EINVAL, "parameter '%s' is not finite", pnames[k]);
    mf_landscape *L = calloc(1, sizeof *L);
    exprl *e = calloc(1, sizeof *e);
    if (!L || !e) {
        free(L), free(e);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    L->type = &expr_type, L->params = e, L->dim = nvar, L->codim = codim;
    e->d = nvar, e->npar = npar;
    mf_expr_dag_init(&e->g);
    int rc = MF_OK, root;
    e->pnames = calloc(npar ? npar : 1, sizeof *e->pnames);
    e->pvals = calloc(npar ? npar : 1, sizeof *e->pvals);
    if (x0) e->x0 = malloc(sizeof(double) * nvar);
    if (!e->pnames || !e->pvals || (x0 && !e->x0)) {
        rc = mf_err_set(err, MF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < npar; k++) {
        e->pvals[k] = pvals[k];
        if (!(e->pnames[k] = strdup(pnames[k]))) {
            rc = mf_err_set(err, MF_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (x0) {
        memcpy(e->x0, x0, sizeof(double) * nvar);
        L->x0 = e->x0;
    }
    if ((rc = mf_expr_parse(&e->g, f, nvar, vars, npar, pnames, &root, err))) goto fail;
    if ((rc = build(e, root, err))) goto fail;
    /* the compiled form where the build has libtcc; the interpreter otherwise */
    mf_expr_prog *progs[] = {&e->value, &e->grad, &e->hess, &e->hvp, &e->trace, &e->dhess};
    e->compiled = compile && mf_expr_jit_available();
    for (size_t j = 0; compile && j < sizeof progs / sizeof *progs; j++) {
        double s = 0.0;
        if (progs[j]->nout && mf_expr_jit(progs[j], &s)) e->compiled = 0;
        e->compile_secs += s;
    }
    *out = L;
    return MF_OK;
fail:
    mf_landscape_free(L);
    return rc;
}

static int is_expr(const mf_landscape *L) {
    return L && L->type == &expr_type;
}

int mf_landscape_expr_set(mf_landscape *L, const char *name, double value, mf_err *err) {
    if (!is_expr(L)) return mf_err_set(err, MF_EINVAL, "not an expression landscape");
    exprl *e = L->params;
    if (!isfinite(value)) return mf_err_set(err, MF_EINVAL, "parameter '%s' must be finite", name);
    for (size_t k = 0; k < e->npar; k++)
        if (strcmp(e->pnames[k], name) == 0) {
            e->pvals[k] = value;
            return MF_OK;
        }
    char list[512];
    size_t n = 0;
    list[0] = 0;
    for (size_t k = 0; k < e->npar && n < sizeof list - 80; k++)
        n += snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", e->pnames[k]);
    return mf_err_set(err, MF_EINVAL, "no parameter '%s' (parameters: %s)", name,
                      e->npar ? list : "none");
}

size_t mf_landscape_expr_params(const mf_landscape *L, const char *const **names,
                                const double **values) {
    if (!is_expr(L)) return 0;
    const exprl *e = L->params;
    if (names) *names = (const char *const *)e->pnames;
    if (values) *values = e->pvals;
    return e->npar;
}

int mf_landscape_expr_info(const mf_landscape *L, size_t *nodes, int *compiled, double *secs) {
    if (!is_expr(L)) return 0;
    const exprl *e = L->params;
    if (nodes) *nodes = e->g.len;
    if (compiled) *compiled = e->compiled;
    if (secs) *secs = e->compile_secs;
    return 1;
}
