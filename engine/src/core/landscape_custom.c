/* Landscapes defined point by point by host callbacks: custom{dim, f, grad, hess} and the
 * flat quadratic manifold of quasistatic eq. (5). Missing derivatives are central
 * differences with the documented steps (landscape.h). Block functions evaluate lane by lane,
 * so blocks and points agree bit for bit. A failing callback yields NaN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "landscape_impl.h"
#include "mflab/landscape.h"

typedef struct custom {
    size_t d;
    mf_custom_fns fns;
    mf_pointfun project; /* closed-form P z, or NULL: the gradient-flow limit */
} custom;

static double stepk(double zk, double base) {
    return base * (fabs(zk) > 1.0 ? fabs(zk) : 1.0);
}

static double cvalue(const custom *p, const double *z) {
    double f;
    if (mf_host_call(p->fns.value, p->fns.ud, z, &f)) return NAN;
    return f;
}

/* gradient at one point: the callback, or central differences of f */
static void cgrad(const custom *p, const double *z, double *g) {
    const size_t d = p->d;
    if (p->fns.grad) {
        if (mf_host_call(p->fns.grad, p->fns.ud, z, g))
            for (size_t k = 0; k < d; k++)
                g[k] = NAN;
        return;
    }
    double *x = mf_scratch(SCR_FD2, sizeof(double) * d);
    for (size_t k = 0; k < d; k++) {
        if (!x) {
            g[k] = NAN;
            continue;
        }
        memcpy(x, z, sizeof(double) * d);
        double e = stepk(z[k], MF_FD_STEP1);
        x[k] = z[k] + e;
        double fp = cvalue(p, x);
        x[k] = z[k] - e;
        double fm = cvalue(p, x);
        g[k] = (fp - fm) / (2.0 * e);
    }
}

/* Hessian at one point: the callback; or central differences of the gradient callback,
 * symmetrized; or second differences of f (landscape.h gives the steps) */
static void chess(const custom *p, const double *z, double *H) {
    const size_t d = p->d;
    if (p->fns.hess) {
        if (mf_host_call(p->fns.hess, p->fns.ud, z, H))
            for (size_t k = 0; k < d * d; k++)
                H[k] = NAN;
        return;
    }
    double *w = mf_scratch(SCR_FD, sizeof(double) * 3 * d);
    if (!w) {
        for (size_t k = 0; k < d * d; k++)
            H[k] = NAN;
        return;
    }
    double *x = w, *gp = w + d, *gm = w + 2 * d;
    if (!p->fns.grad) {
        double f0 = cvalue(p, z);
        for (size_t k = 0; k < d; k++)
            for (size_t l = k; l < d; l++) {
                double ek = stepk(z[k], MF_FD_STEP2), el = stepk(z[l], MF_FD_STEP2), v;
                memcpy(x, z, sizeof(double) * d);
                if (k == l) {
                    x[k] = z[k] + ek;
                    double fp = cvalue(p, x);
                    x[k] = z[k] - ek;
                    v = (fp - 2.0 * f0 + cvalue(p, x)) / (ek * ek);
                } else {
                    double s = 0.0;
                    for (int sk = -1; sk <= 1; sk += 2)
                        for (int sl = -1; sl <= 1; sl += 2) {
                            x[k] = z[k] + sk * ek, x[l] = z[l] + sl * el;
                            s += sk * sl * cvalue(p, x);
                        }
                    v = s / (4.0 * ek * el);
                }
                H[k * d + l] = H[l * d + k] = v;
            }
        return;
    }
    for (size_t l = 0; l < d; l++) {
        memcpy(x, z, sizeof(double) * d);
        double e = stepk(z[l], MF_FD_STEP1);
        x[l] = z[l] + e;
        cgrad(p, x, gp);
        x[l] = z[l] - e;
        cgrad(p, x, gm);
        for (size_t k = 0; k < d; k++)
            H[k * d + l] = (gp[k] - gm[k]) / (2.0 * e);
    }
    for (size_t k = 0; k < d; k++)
        for (size_t l = 0; l < k; l++)
            H[k * d + l] = H[l * d + k] = 0.5 * (H[k * d + l] + H[l * d + k]);
}

static void custom_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const custom *p = L->params;
    double *x = mf_scratch(SCR_MODEL, sizeof(double) * p->d);
    for (size_t i = 0; i < m; i++) {
        if (!x) {
            f[i] = NAN;
            continue;
        }
        lane_get(z, ld, p->d, i, x);
        f[i] = cvalue(p, x);
    }
}

/* the per-point function in mf_lanes_map's shape */
static void custom_grad_point(const void *p, const double *x, double *out) {
    cgrad(p, x, out);
}

static void custom_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                        size_t ldg) {
    const custom *p = L->params;
    mf_lanes_map(p, custom_grad_point, m, z, ld, p->d, g, ldg, p->d);
}

/* the per-point function in mf_lanes_map's shape */
static void custom_hess_point(const void *p, const double *x, double *out) {
    chess(p, x, out);
}

static void custom_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                        size_t ldh) {
    const custom *p = L->params;
    mf_lanes_map(p, custom_hess_point, m, z, ld, p->d, h, ldh, p->d * p->d);
}

/* P z: the host's closed form (one call per lane), else the gradient-flow limit */
static void custom_project_point(const void *vp, const double *x, double *out) {
    const custom *p = vp;
    if (mf_host_call(p->project, p->fns.ud, x, out))
        for (size_t k = 0; k < p->d; k++)
            out[k] = NAN;
}

static void custom_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                           size_t ldp) {
    const custom *p = L->params;
    if (!p->project) return mf_landscape_generic_project(L, m, z, ld, pz, ldp);
    mf_lanes_map(p, custom_project_point, m, z, ld, p->d, pz, ldp, p->d);
}

static void custom_destroy(mf_landscape *L) {
    custom *p = L->params;
    if (p->fns.ud_free) p->fns.ud_free(p->fns.ud);
}

static const mf_landscape_type custom_type = {
    .name = "custom",
    .value = custom_value,
    .grad = custom_grad,
    .hess = custom_hess,
    .hvp = mf_landscape_generic_hvp,
    .trace_hessian = mf_landscape_generic_trace_hessian,
    .project = custom_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .destroy = custom_destroy,
};

static const mf_landscape_type custom_fdh_type = {
    .name = "custom",
    .value = custom_value,
    .grad = custom_grad,
    .hess = custom_hess,
    .hvp = mf_landscape_generic_hvp,
    .trace_hessian = mf_landscape_generic_trace_hessian,
    .project = custom_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess_coarse,
    .destroy = custom_destroy,
};

int mf_landscape_custom(mf_landscape **out, size_t dim, size_t codim, const mf_custom_fns *fns,
                        mf_err *err) {
    *out = NULL;
    int rc = MF_OK;
    if (dim < 1)
        rc = mf_err_set(err, MF_EINVAL, "dim must be >= 1");
    else if (codim > dim)
        rc = mf_err_set(err, MF_EINVAL, "codim %zu exceeds dim %zu", codim, dim);
    else if (!fns->value)
        rc = mf_err_set(err, MF_EINVAL, "the function f is required");
    mf_landscape *L = rc ? NULL : calloc(1, sizeof *L);
    custom *p = rc ? NULL : calloc(1, sizeof *p);
    if (!rc && (!L || !p)) rc = mf_err_set(err, MF_ENOMEM, "out of memory");
    if (rc) {
        free(L), free(p);
        if (fns->ud_free) fns->ud_free(fns->ud);
        return rc;
    }
    p->d = dim, p->fns = *fns;
    L->type = fns->hess ? &custom_type : &custom_fdh_type;
    L->dim = dim, L->codim = codim, L->params = p;
    L->flags = (fns->serial ? MF_LANDSCAPE_SERIAL : 0) | MF_LANDSCAPE_CHECK_MANIFOLD;
    *out = L;
    return MF_OK;
}

int mf_landscape_custom_set_project(mf_landscape *L, mf_pointfun project, mf_err *err) {
    if (L->type != &custom_type && L->type != &custom_fdh_type)
        return mf_err_set(err, MF_EINVAL, "not a custom landscape");
    if (L->codim == 0)
        return mf_err_set(err, MF_EINVAL,
                          "option 'project' needs codim > 0 (the codimension of the manifold it "
                          "projects onto)");
    ((custom *)L->params)->project = project;
    return MF_OK;
}

/* ---- flat quadratic manifold, quasistatic eq. (5): f(x, y) = y^T A(x) y ----------------- */

typedef struct qman {
    size_t k, d, c; /* x in R^k, y in R^c, c = d - k */
    mf_pointfun A;
    void *ud;
    void (*ud_free)(void *);
} qman;

/* q(x) = y^T A(x) y, with A written into Abuf (c x c) */
static double qform(const qman *p, const double *x, const double *y, double *Abuf) {
    if (mf_host_call(p->A, p->ud, x, Abuf)) return NAN;
    double s = 0.0;
    for (size_t a = 0; a < p->c; a++) {
        double r = 0.0;
        for (size_t b = 0; b < p->c; b++)
            r += Abuf[a * p->c + b] * y[b];
        s += y[a] * r;
    }
    return s;
}

/* work: x copy (k) + A (c^2) + second A (c^2) */
static double *qwork(const qman *p, int slot) {
    return mf_scratch(slot, sizeof(double) * (p->k + 2 * p->c * p->c + 1));
}

static void qm_point_value(const qman *p, const double *z, double *f) {
    double *w = qwork(p, SCR_FD2);
    *f = w ? qform(p, z, z + p->k, w + p->k) : NAN;
}

static void qm_point_grad(const qman *p, const double *z, double *g) {
    const size_t k = p->k, c = p->c;
    double *w = qwork(p, SCR_FD2);
    if (!w) {
        for (size_t a = 0; a < p->d; a++)
            g[a] = NAN;
        return;
    }
    double *x = w, *A = w + k;
    const double *y = z + k;
    for (size_t j = 0; j < k; j++) { /* d/dx_j y^T A y by a central difference */
        memcpy(x, z, sizeof(double) * k);
        double e = stepk(z[j], MF_FD_STEP1);
        x[j] = z[j] + e;
        double qp = qform(p, x, y, A);
        x[j] = z[j] - e;
        double qm = qform(p, x, y, A);
        g[j] = (qp - qm) / (2.0 * e);
    }
    if (mf_host_call(p->A, p->ud, z, A)) {
        for (size_t a = 0; a < c; a++)
            g[k + a] = NAN;
        return;
    }
    for (size_t a = 0; a < c; a++) { /* (A + A^T) y */
        double r = 0.0;
        for (size_t b = 0; b < c; b++)
            r += (A[a * c + b] + A[b * c + a]) * y[b];
        g[k + a] = r;
    }
}

static void qm_point_hess(const qman *p, const double *z, double *H) {
    const size_t k = p->k, c = p->c, d = p->d;
    double *w = qwork(p, SCR_FD);
    if (!w) {
        for (size_t a = 0; a < d * d; a++)
            H[a] = NAN;
        return;
    }
    double *x = w, *A = w + k, *B = A + c * c;
    const double *y = z + k;
    double q0 = qform(p, z, y, A);
    for (size_t i = 0; i < k; i++) /* xx: second differences of q with step MF_FD_STEP2 */
        for (size_t j = i; j < k; j++) {
            double ei = stepk(z[i], MF_FD_STEP2), ej = stepk(z[j], MF_FD_STEP2), v;
            memcpy(x, z, sizeof(double) * k);
            if (i == j) {
                x[i] = z[i] + ei;
                double qp = qform(p, x, y, A);
                x[i] = z[i] - ei;
                double qm = qform(p, x, y, A);
                v = (qp - 2.0 * q0 + qm) / (ei * ei);
            } else {
                double s = 0.0;
                for (int si = -1; si <= 1; si += 2)
                    for (int sj = -1; sj <= 1; sj += 2) {
                        x[i] = z[i] + si * ei, x[j] = z[j] + sj * ej;
                        s += si * sj * qform(p, x, y, A);
                    }
                v = s / (4.0 * ei * ej);
            }
            H[i * d + j] = H[j * d + i] = v;
        }
    for (size_t j = 0; j < k; j++) { /* xy: d/dx_j (A + A^T) y */
        memcpy(x, z, sizeof(double) * k);
        double e = stepk(z[j], MF_FD_STEP1);
        x[j] = z[j] + e;
        int bad = mf_host_call(p->A, p->ud, x, A);
        x[j] = z[j] - e;
        bad |= mf_host_call(p->A, p->ud, x, B);
        for (size_t a = 0; a < c; a++) {
            double r = 0.0;
            for (size_t b = 0; b < c; b++)
                r += ((A[a * c + b] + A[b * c + a]) - (B[a * c + b] + B[b * c + a])) * y[b];
            H[j * d + k + a] = H[(k + a) * d + j] = bad ? NAN : r / (2.0 * e);
        }
    }
    int bad = mf_host_call(p->A, p->ud, z, A); /* yy: A + A^T */
    for (size_t a = 0; a < c; a++)
        for (size_t b = 0; b < c; b++)
            H[(k + a) * d + k + b] = bad ? NAN : A[a * c + b] + A[b * c + a];
}

static void qm_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const qman *p = L->params;
    double *x = mf_scratch(SCR_MODEL, sizeof(double) * p->d);
    for (size_t i = 0; i < m; i++) {
        if (!x) {
            f[i] = NAN;
            continue;
        }
        lane_get(z, ld, p->d, i, x);
        qm_point_value(p, x, &f[i]);
    }
}

/* the per-point function in mf_lanes_map's shape */
static void qm_grad_point(const void *p, const double *x, double *out) {
    qm_point_grad(p, x, out);
}

static void qm_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const qman *p = L->params;
    mf_lanes_map(p, qm_grad_point, m, z, ld, p->d, g, ldg, p->d);
}

/* the per-point function in mf_lanes_map's shape */
static void qm_hess_point(const void *p, const double *x, double *out) {
    qm_point_hess(p, x, out);
}

static void qm_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const qman *p = L->params;
    mf_lanes_map(p, qm_hess_point, m, z, ld, p->d, h, ldh, p->d * p->d);
}

static void qm_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                       size_t ldp) {
    const qman *p = L->params;
    for (size_t a = 0; a < p->d; a++)
        for (size_t i = 0; i < m; i++)
            pz[a * ldp + i] = a < p->k ? z[a * ld + i] : 0.0;
}

static void qm_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg) {
    const qman *p = L->params;
    for (size_t a = 0; a < p->c; a++)
        for (size_t i = 0; i < m; i++)
            g[(p->k + a) * ldg + i] -= s * xi[a * ldxi + i];
}

static void qm_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    const qman *p = L->params;
    const size_t d = p->d;
    memset(T, 0, sizeof(double) * d * p->k);
    memset(N, 0, sizeof(double) * d * p->c);
    for (size_t j = 0; j < p->k; j++)
        T[j * d + j] = 1.0;
    for (size_t j = 0; j < p->c; j++)
        N[j * d + p->k + j] = 1.0;
}

static void qm_destroy(mf_landscape *L) {
    qman *p = L->params;
    if (p->ud_free) p->ud_free(p->ud);
}

static const mf_landscape_type qman_type = {
    .name = "quadratic_manifold",
    .value = qm_value,
    .grad = qm_grad,
    .hess = qm_hess,
    .hvp = mf_landscape_generic_hvp,
    .trace_hessian = mf_landscape_generic_trace_hessian,
    .project = qm_project,
    .normal_sub = qm_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = qm_frame,
    .dhess = mf_landscape_generic_dhess_coarse,
    .destroy = qm_destroy,
};

int mf_landscape_quadratic_manifold(mf_landscape **out, size_t k, size_t d, mf_pointfun A, void *ud,
                                    void (*ud_free)(void *), int serial, mf_err *err) {
    *out = NULL;
    int rc = MF_OK;
    if (k < 1 || k >= d)
        rc = mf_err_set(err, MF_EINVAL, "need 1 <= k < d, got k = %zu, d = %zu", k, d);
    else if (!A)
        rc = mf_err_set(err, MF_EINVAL, "the matrix function A is required");
    mf_landscape *L = rc ? NULL : calloc(1, sizeof *L);
    qman *p = rc ? NULL : calloc(1, sizeof *p);
    if (!rc && (!L || !p)) rc = mf_err_set(err, MF_ENOMEM, "out of memory");
    if (rc) {
        free(L), free(p);
        if (ud_free) ud_free(ud);
        return rc;
    }
    p->k = k, p->d = d, p->c = d - k, p->A = A, p->ud = ud, p->ud_free = ud_free;
    L->type = &qman_type;
    L->dim = d, L->codim = d - k, L->params = p;
    L->flags = serial ? MF_LANDSCAPE_SERIAL : 0;
    *out = L;
    return MF_OK;
}
