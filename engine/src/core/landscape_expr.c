/* mf.landscape.expr: a landscape from an expression string (expr.h). Value, gradient, Hessian
 * and the third derivatives (for dhess, the manifold flows' derivative of H along v) are
 * symbolic derivatives of the parsed loss, evaluated by the interpreter over blocks of points;
 * the manifold (codim > 0) is found by the generic gradient-flow projection. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"
#include "landscape_impl.h"
#include "mflab/expr.h"

typedef struct xland {
    mf_expr *E;
    size_t d, np;
    double *p;                       /* parameter values */
    double *x0;                      /* start or NULL */
    mf_expr_prog *pv, *pg, *ph, *pt; /* value, gradient, Hessian, third derivatives (or NULL) */
    mf_expr_prog *pp;                /* the closed-form projection (option project) or NULL */
    mf_expr_prog *pc;                /* constraints and their Jacobian (option manifold) or NULL */
    size_t nc;                       /* number of constraints */
    int affine;                      /* their Jacobian depends on no variable */
    int compiled;                    /* every program has a compiled form (libtcc) */
    double compile_secs;
} xland;

static double *work(const mf_expr_prog *P, size_t m) {
    return mf_scratch(SCR_MODEL, mf_expr_prog_work(P, m) * sizeof(double));
}

static void nan_rows(size_t rows, size_t m, double *out, size_t ldo) {
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < m; i++)
            out[r * ldo + i] = NAN;
}

static void x_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const xland *x = L->params;
    double *w = work(x->pv, m);
    if (!w) return nan_rows(1, m, f, m);
    mf_expr_prog_eval(x->pv, x->p, m, z, ld, f, m, w);
}

static void x_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                   size_t ldg) {
    const xland *x = L->params;
    double *w = work(x->pg, m);
    if (!w) return nan_rows(x->d, m, g, ldg);
    mf_expr_prog_eval(x->pg, x->p, m, z, ld, g, ldg, w);
}

static void x_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                   size_t ldh) {
    const xland *x = L->params;
    double *w = work(x->ph, m);
    if (!w) return nan_rows(x->d * x->d, m, h, ldh);
    mf_expr_prog_eval(x->ph, x->p, m, z, ld, h, ldh, w);
}

/* out = sum_m d^3 f / dz_k dz_l dz_m v_m (row-major d x d) */
static void x_dhess(const mf_landscape *L, const double *z, const double *v, double *out) {
    const xland *x = L->params;
    if (!x->pt) return mf_landscape_generic_dhess(L, z, v, out);
    const size_t d = x->d;
    double *t = mf_scratch(SCR_FD, d * d * d * sizeof(double));
    double *w = work(x->pt, 1);
    if (!t || !w) {
        for (size_t i = 0; i < d * d; i++)
            out[i] = NAN;
        return;
    }
    mf_expr_prog_eval(x->pt, x->p, 1, z, 1, t, 1, w);
    for (size_t kl = 0; kl < d * d; kl++) {
        double s = 0;
        for (size_t c = 0; c < d; c++)
            s += t[kl * d + c] * v[c];
        out[kl] = s;
    }
}

/* The nearest point of {c = 0} to each lane of z (option manifold without project), by
 * Gauss-Newton from p = z: linearizing c at p, the nearest point of {c(p) + J (q - p) = 0} to z
 * is q = z - J^T (J J^T)^-1 (c(p) + J (z - p)). Its fixed points have c = 0 and z - q in the
 * row space of J (normal to M): the orthogonal projection, as the built-in valleys' P. The
 * convergence is linear with rate ~ curvature x distance (one step for flat constraints).
 * Lanes iterate together (one block evaluation of c and J per sweep) but each stops by its
 * own test and then stays put, so a lane's bits do not depend on the block. */
#define NEAREST_MAXIT 60
static void nearest_point(const xland *x, size_t m, const double *z, size_t ld, double *q) {
    const size_t d = x->d, n = x->nc, nr = n * (d + 1);
    double *cj = mf_scratch(SCR_FD2, nr * m * sizeof(double)), *w = work(x->pc, m);
    double *a = mf_scratch(SCR_FD, (n * n + 2 * n + 2 * d) * m * sizeof(double));
    unsigned char *done = (unsigned char *)(a ? a + (n * n + 2 * n) * m : NULL);
    if (!cj || !w || !a) return nan_rows(d, m, q, m);
    for (size_t r = 0; r < d; r++)
        for (size_t i = 0; i < m; i++)
            q[r * m + i] = z[r * ld + i];
    memset(done, 0, m);
    size_t left = m;
    for (int it = 0; it < NEAREST_MAXIT && left > 0; it++) {
        mf_expr_prog_eval(x->pc, x->p, m, q, m, cj, m, w);
        for (size_t i = 0; i < m; i++) {
            if (done[i]) continue;
            double *G = a + i * (n * n + 2 * n), *r = G + n * n, *u = r + n; /* J J^T, rhs, sol */
            const double *c = cj + i, *J = cj + n * m + i; /* row j of J: J[(j d + k) m] */
            for (size_t j = 0; j < n; j++) {
                double s = c[j * m]; /* c(p) + J (z - p) */
                for (size_t k = 0; k < d; k++)
                    s += J[(j * d + k) * m] * (z[k * ld + i] - q[k * m + i]);
                r[j] = s;
                for (size_t l = 0; l <= j; l++) {
                    double g = 0.0;
                    for (size_t k = 0; k < d; k++)
                        g += J[(j * d + k) * m] * J[(l * d + k) * m];
                    G[j * n + l] = g;
                }
            }
            int ok = 1; /* Cholesky of J J^T, then u = (J J^T)^-1 r */
            for (size_t j = 0; j < n && ok; j++) {
                for (size_t l = 0; l <= j; l++) {
                    double s = G[j * n + l];
                    for (size_t k = 0; k < l; k++)
                        s -= G[j * n + k] * G[l * n + k];
                    if (l < j)
                        G[j * n + l] = s / G[l * n + l];
                    else if (s > 0.0)
                        G[j * n + j] = sqrt(s);
                    else
                        ok = 0; /* constraints dependent here */
                }
            }
            for (size_t j = 0; ok && j < n; j++) {
                double s = r[j];
                for (size_t k = 0; k < j; k++)
                    s -= G[j * n + k] * u[k];
                u[j] = s / G[j * n + j];
            }
            for (size_t j = n; ok && j-- > 0;) {
                double s = u[j];
                for (size_t k = j + 1; k < n; k++)
                    s -= G[k * n + j] * u[k];
                u[j] = s / G[j * n + j];
            }
            double step = 0.0, nz = 0.0;
            for (size_t k = 0; ok && k < d; k++) {
                double v = z[k * ld + i];
                for (size_t j = 0; j < n; j++)
                    v -= J[(j * d + k) * m] * u[j];
                step = fmax(step, fabs(v - q[k * m + i]));
                nz = fmax(nz, fabs(v));
                q[k * m + i] = v;
            }
            if (ok && (x->affine || step <= 1e-14 * fmax(1.0, nz))) { /* affine: exact at once */
                done[i] = 1, left--;
            } else if (!ok || it + 1 == NEAREST_MAXIT) { /* dependent constraints, or no limit */
                for (size_t k = 0; k < d; k++)
                    q[k * m + i] = NAN;
                done[i] = 1, left--;
            }
        }
    }
}

/* P z: the closed form given as expressions (option project); else with constraints (option
 * manifold) the nearest point of their zero set; else the gradient-flow limit. Evaluated into
 * scratch first: pz may be z, and a compiled kernel may interleave reads and writes. */
static void x_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                      size_t ldp) {
    const xland *x = L->params;
    if (!x->pp && !x->pc) return mf_landscape_generic_project(L, m, z, ld, pz, ldp);
    double *o = mf_scratch(SCR_LANE, x->d * m * sizeof(double));
    if (!o) return nan_rows(x->d, m, pz, ldp);
    if (x->pp) {
        double *w = work(x->pp, m);
        if (!w) return nan_rows(x->d, m, pz, ldp);
        mf_expr_prog_eval(x->pp, x->p, m, z, ld, o, m, w);
    } else {
        nearest_point(x, m, z, ld, o);
    }
    for (size_t r = 0; r < x->d; r++)
        for (size_t i = 0; i < m; i++)
            pz[r * ldp + i] = o[r * m + i];
}

/* c (nc entries) then, when J is not NULL, the Jacobian (nc x d) at one point */
static size_t x_constraints(const mf_landscape *L, const double *z, double *c, double *J) {
    const xland *x = L->params;
    if (!x->pc) return 0;
    const size_t n = x->nc, d = x->d;
    double *o = mf_scratch(SCR_LANE, n * (d + 1) * sizeof(double)), *w = work(x->pc, 1);
    if (!o || !w) {
        for (size_t k = 0; k < n; k++)
            c[k] = NAN;
        for (size_t k = 0; J && k < n * d; k++)
            J[k] = NAN;
        return n;
    }
    mf_expr_prog_eval(x->pc, x->p, 1, z, 1, o, 1, w);
    memcpy(c, o, n * sizeof(double));
    if (J) memcpy(J, o + n, n * d * sizeof(double));
    return n;
}

static void x_destroy(mf_landscape *L) {
    xland *x = L->params;
    mf_expr_prog_free(x->pp);
    mf_expr_prog_free(x->pc);
    mf_expr_free(x->E);
    mf_expr_prog_free(x->pv);
    mf_expr_prog_free(x->pg);
    mf_expr_prog_free(x->ph);
    mf_expr_prog_free(x->pt);
    free(x->p);
    free(x->x0);
}

static const mf_landscape_type expr_type = {
    .name = "expr",
    .value = x_value,
    .grad = x_grad,
    .hess = x_hess,
    .hvp = mf_landscape_generic_hvp,
    .trace_hessian = mf_landscape_generic_trace_hessian,
    .project = x_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = x_dhess,
    .constraints = x_constraints,
    .destroy = x_destroy,
};

/* third derivatives only while the graph stays moderate (a large d gets dhess by differences) */
#define MF_EXPR_MAX_NODES 2000000

int mf_landscape_expr(mf_landscape **out, const char *f, size_t nvars, const char *const *vars,
                      size_t nparams, const char *const *pnames, const double *pvals, size_t codim,
                      const double *x0, mf_err *err) {
    *out = NULL;
    const char *what = "mf.landscape.expr: option 'f'";
    if (nvars < 1 || nvars > 1000)
        return mf_err_set(err, MF_EINVAL, "mf.landscape.expr: need 1 to 1000 variables, got %zu",
                          nvars);
    if (codim > nvars)
        return mf_err_set(err, MF_EINVAL,
                          "mf.landscape.expr: option 'codim' must be <= the number of variables "
                          "%zu, got %zu",
                          nvars, codim);
    for (size_t i = 0; i < nvars + nparams; i++) {
        const char *a = i < nvars ? vars[i] : pnames[i - nvars];
        for (size_t j = 0; j < i; j++) {
            const char *b = j < nvars ? vars[j] : pnames[j - nvars];
            if (!strcmp(a, b))
                return mf_err_set(err, MF_EINVAL,
                                  "mf.landscape.expr: name '%s' given twice (variables and "
                                  "parameters need distinct names)",
                                  a);
        }
    }
    for (size_t i = 0; i < nparams; i++)
        if (!isfinite(pvals[i]))
            return mf_err_set(err, MF_EINVAL,
                              "mf.landscape.expr: option 'params': parameter '%s' needs a finite "
                              "value",
                              pnames[i]);
    mf_landscape *L = calloc(1, sizeof *L);
    xland *x = calloc(1, sizeof *x);
    int *roots = NULL, rc = MF_OK;
    if (!L || !x) {
        free(L), free(x);
        return mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
    }
    L->type = &expr_type;
    L->params = x;
    L->flags = MF_LANDSCAPE_CHECK_MANIFOLD;
    L->dim = nvars;
    L->codim = codim;
    x->d = nvars;
    x->np = nparams;
    if ((rc = mf_expr_new(&x->E, nvars, vars, nparams, pnames, err))) goto done;
    x->p = malloc((nparams ? nparams : 1) * sizeof *x->p);
    if (x0) x->x0 = malloc(nvars * sizeof *x->x0);
    if (!x->p || (x0 && !x->x0)) goto oom;
    if (nparams) memcpy(x->p, pvals, nparams * sizeof *x->p);
    if (x0) memcpy(x->x0, x0, nvars * sizeof *x->x0), L->x0 = x->x0;
    int root;
    if ((rc = mf_expr_parse(x->E, f, what, &root, err))) goto done;
    const size_t d = nvars;
    roots = malloc(d * d * d * sizeof *roots + sizeof *roots);
    if (!roots) goto oom;
    x->pv = mf_expr_prog_new(x->E, 1, &root);
    for (size_t k = 0; k < d; k++)
        roots[k] = mf_expr_diff(x->E, root, k);
    x->pg = mf_expr_prog_new(x->E, d, roots);
    for (size_t k = 0; k < d; k++) {
        int g = mf_expr_diff(x->E, root, k);
        for (size_t l = k; l < d; l++)
            roots[k * d + l] = roots[l * d + k] = mf_expr_diff(x->E, g, l);
    }
    if (mf_expr_failed(x->E)) goto oom;
    x->ph = mf_expr_prog_new(x->E, d * d, roots);
    if (!x->pv || !x->pg || !x->ph) goto oom;
    if (d <= MF_EXPR_MAX_THIRD) {
        for (size_t k = 0; k < d; k++)
            for (size_t l = k; l < d; l++) {
                int h = mf_expr_diff(x->E, mf_expr_diff(x->E, root, k), l);
                for (size_t c = l; c < d; c++) {
                    int t = mf_expr_diff(x->E, h, c);
                    size_t idx[6][3] = {{k, l, c}, {k, c, l}, {l, k, c},
                                        {l, c, k}, {c, k, l}, {c, l, k}};
                    for (int s = 0; s < 6; s++)
                        roots[(idx[s][0] * d + idx[s][1]) * d + idx[s][2]] = t;
                }
            }
        if (!mf_expr_failed(x->E) && mf_expr_size(x->E) < MF_EXPR_MAX_NODES)
            x->pt = mf_expr_prog_new(x->E, d * d * d, roots);
    }
    /* machine code for single points where the build has libtcc (expr_tcc.c) */
    x->compiled = mf_expr_jit_available();
    mf_expr_prog *progs[] = {x->pv, x->pg, x->ph, x->pt};
    for (size_t j = 0; j < sizeof progs / sizeof *progs; j++) {
        double s = 0;
        if (progs[j] && mf_expr_jit(progs[j], &s)) x->compiled = 0;
        x->compile_secs += s;
    }
    goto done;
oom:
    rc = mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
done:
    free(roots);
    if (rc) {
        mf_landscape_free(L);
        return rc;
    }
    *out = L;
    return MF_OK;
}

/* ---- parameters between runs, build information ----------------------------------------- */

static xland *as_expr(const mf_landscape *L) {
    return L && L->type == &expr_type ? L->params : NULL;
}

int mf_landscape_expr_set(mf_landscape *L, const char *name, double value, mf_err *err) {
    xland *x = as_expr(L);
    if (!x) return mf_err_set(err, MF_EINVAL, "not an expression landscape");
    size_t k = 0;
    while (k < x->np && strcmp(x->E->params[k], name) != 0)
        k++;
    if (k == x->np) {
        char list[512] = "";
        size_t n = 0;
        for (size_t j = 0; j < x->np && n < sizeof list - 80; j++)
            n +=
                (size_t)snprintf(list + n, sizeof list - n, "%s%s", j ? ", " : "", x->E->params[j]);
        return mf_err_set(err, MF_EINVAL, "no parameter '%s' (parameters: %s)", name,
                          x->np ? list : "none");
    }
    if (!isfinite(value))
        return mf_err_set(err, MF_EINVAL, "parameter '%s' must be finite, got %g", name, value);
    x->p[k] = value;
    return MF_OK;
}

size_t mf_landscape_expr_params(const mf_landscape *L, const char *const **names,
                                const double **values) {
    const xland *x = as_expr(L);
    if (!x) return 0;
    if (names) *names = (const char *const *)x->E->params;
    if (values) *values = x->p;
    return x->np;
}

int mf_landscape_expr_info(const mf_landscape *L, size_t *nodes, int *compiled, double *secs) {
    const xland *x = as_expr(L);
    if (!x) return 0;
    if (nodes) *nodes = mf_expr_size(x->E);
    if (compiled) *compiled = x->compiled;
    if (secs) *secs = x->compile_secs;
    return 1;
}

void mf_landscape_expr_interpret(mf_landscape *L) {
    xland *x = as_expr(L);
    if (!x) return;
    mf_expr_prog *progs[] = {x->pv, x->pg, x->ph, x->pt, x->pp, x->pc};
    for (size_t j = 0; j < sizeof progs / sizeof *progs; j++)
        if (progs[j]) progs[j]->kernel = NULL; /* the cache keeps the code */
    x->compiled = 0;
}

/* ---- the manifold: a closed-form projection ----------------------------------------------- */

int mf_landscape_expr_set_projection(mf_landscape *L, size_t n, const char *const *exprs,
                                     mf_err *err) {
    xland *x = as_expr(L);
    if (!x) return mf_err_set(err, MF_EINVAL, "not an expression landscape");
    if (L->codim == 0)
        return mf_err_set(err, MF_EINVAL,
                          "mf.landscape.expr: option 'project' needs codim > 0 (the codimension "
                          "of the manifold it projects onto)");
    if (n != x->d)
        return mf_err_set(err, MF_EINVAL,
                          "mf.landscape.expr: option 'project' needs one expression per variable "
                          "(%zu), got %zu",
                          x->d, n);
    int *roots = malloc(n * sizeof *roots);
    if (!roots) return mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
    int rc = MF_OK;
    for (size_t k = 0; k < n && rc == MF_OK; k++) {
        char what[64];
        snprintf(what, sizeof what, "mf.landscape.expr: option 'project'[%zu]", k + 1);
        rc = mf_expr_parse(x->E, exprs[k], what, &roots[k], err);
    }
    mf_expr_prog *P = NULL;
    if (rc == MF_OK && (mf_expr_failed(x->E) || !(P = mf_expr_prog_new(x->E, n, roots))))
        rc = mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
    free(roots);
    if (rc) return rc;
    double secs = 0;
    if (x->compiled && mf_expr_jit(P, &secs)) x->compiled = 0;
    x->compile_secs += secs;
    mf_expr_prog_free(x->pp);
    x->pp = P;
    return MF_OK;
}

int mf_landscape_expr_has_projection(const mf_landscape *L) {
    const xland *x = as_expr(L);
    return x && x->pp;
}

int mf_landscape_expr_set_manifold(mf_landscape *L, size_t n, const char *const *exprs,
                                   mf_err *err) {
    xland *x = as_expr(L);
    if (!x) return mf_err_set(err, MF_EINVAL, "not an expression landscape");
    const size_t d = x->d;
    if (n < 1 || n > d)
        return mf_err_set(err, MF_EINVAL,
                          "mf.landscape.expr: option 'manifold' needs 1 to %zu constraints (one "
                          "per normal direction), got %zu",
                          d, n);
    if (L->codim != 0 && L->codim != n)
        return mf_err_set(err, MF_EINVAL,
                          "mf.landscape.expr: option 'manifold' gives %zu constraint(s), so the "
                          "manifold has codim %zu, but option 'codim' is %zu",
                          n, n, L->codim);
    int *roots = malloc(n * (d + 1) * sizeof *roots);
    if (!roots) return mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
    int rc = MF_OK;
    for (size_t j = 0; j < n && rc == MF_OK; j++) {
        char what[64];
        snprintf(what, sizeof what, "mf.landscape.expr: option 'manifold'[%zu]", j + 1);
        rc = mf_expr_parse(x->E, exprs[j], what, &roots[j], err);
    }
    for (size_t j = 0; j < n && rc == MF_OK; j++)
        for (size_t k = 0; k < d; k++)
            roots[n + j * d + k] = mf_expr_diff(x->E, roots[j], k);
    mf_expr_prog *P = NULL;
    if (rc == MF_OK && (mf_expr_failed(x->E) || !(P = mf_expr_prog_new(x->E, n * (d + 1), roots))))
        rc = mf_err_set(err, MF_ENOMEM, "mf.landscape.expr: out of memory");
    /* affine constraints (a Jacobian of constants and parameters): one Gauss-Newton step */
    const size_t nn = mf_expr_size(x->E);
    unsigned char *dep = rc == MF_OK ? malloc(nn + 1) : NULL;
    int affine = dep != NULL;
    for (size_t i = 0; dep && i < nn; i++) {
        const mf_xnode *q = &x->E->n[i];
        if (q->op == MF_X_CONST || q->op == MF_X_PARAM)
            dep[i] = 0;
        else if (q->op == MF_X_VAR)
            dep[i] = 1;
        else /* children have smaller indices; an unused b only makes this conservative */
            dep[i] = (q->a >= 0 && (size_t)q->a < i && dep[q->a]) ||
                     (q->b >= 0 && (size_t)q->b < i && dep[q->b]);
    }
    for (size_t j = n; dep && j < n * (d + 1); j++)
        if (dep[roots[j]]) affine = 0;
    free(dep);
    free(roots);
    if (rc) return rc;
    double secs = 0;
    if (x->compiled && mf_expr_jit(P, &secs)) x->compiled = 0;
    x->compile_secs += secs;
    mf_expr_prog_free(x->pc);
    x->pc = P, x->nc = n, x->affine = affine;
    L->codim = n;
    return MF_OK;
}
