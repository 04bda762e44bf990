/* Point wrappers over the block vtable, and the generic implementations every landscape
 * without a closed form uses (landscape.h explains each). */
#include "mflab/landscape.h"
#include "mflab/ode.h"

#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "landscape_impl.h"
#include "mflab/interrupt.h"

/* ---- per-thread scratch ------------------------------------------------------------------ */

/* A host callback (a Lua function defining a landscape) may call the engine again, e.g. a
 * custom landscape's f evaluating another custom landscape's gradient. The nested call must
 * not reuse the buffers the outer call is still working in, so each nesting level of host
 * callbacks has its own set of slots (mf_scratch_enter/leave bracket every host call). */
typedef struct scratch_level {
    void *p[SCR_NSLOTS];
    size_t n[SCR_NSLOTS];
} scratch_level;

typedef struct scratch {
    int depth;
    scratch_level *lv[MF_SCRATCH_MAXDEPTH];
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg) {
    scratch *s = arg;
    for (int d = 0; d < MF_SCRATCH_MAXDEPTH; d++) {
        if (!s->lv[d]) continue;
        for (int k = 0; k < SCR_NSLOTS; k++)
            free(s->lv[d]->p[k]);
        free(s->lv[d]);
    }
    free(s);
}

static void scratch_init(void) {
    pthread_key_create(&scratch_key, scratch_free);
}

static scratch *scratch_get(void) {
    pthread_once(&scratch_once, scratch_init);
    scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) return NULL;
        if (pthread_setspecific(scratch_key, s)) {
            free(s);
            return NULL;
        }
    }
    return s;
}

int mf_scratch_enter(void) {
    scratch *s = scratch_get();
    if (!s || s->depth + 1 >= MF_SCRATCH_MAXDEPTH) return 1;
    s->depth++;
    return 0;
}

void mf_scratch_leave(void) {
    scratch *s = scratch_get();
    if (s && s->depth > 0) s->depth--;
}

void *mf_scratch(int slot, size_t bytes) {
    scratch *s = scratch_get();
    if (!s) return NULL;
    scratch_level *l = s->lv[s->depth];
    if (!l && !(l = s->lv[s->depth] = calloc(1, sizeof *l))) return NULL;
    if (l->n[slot] < bytes) {
        void *q = realloc(l->p[slot], bytes);
        if (!q) return NULL;
        l->p[slot] = q, l->n[slot] = bytes;
    }
    return l->p[slot];
}

int mf_host_call(mf_pointfun f, void *ud, const double *z, double *out) {
    if (mf_scratch_enter()) return 1; /* nested too deeply: a failure, like any other */
    int rc = f(ud, z, out);
    mf_scratch_leave();
    return rc;
}

double mf_norm2(size_t n, const double *x) {
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s += x[k] * x[k];
    return sqrt(s);
}

static void fill_nan(double *x, size_t n) {
    for (size_t k = 0; k < n; k++)
        x[k] = NAN;
}

/* ---- point wrappers ------------------------------------------------------------------------ */

double mf_landscape_value(const mf_landscape *L, const double *z) {
    double f;
    L->type->value(L, 1, z, 1, &f);
    return f;
}

void mf_landscape_grad(const mf_landscape *L, const double *z, double *g) {
    L->type->grad(L, 1, z, 1, g, 1);
}

void mf_landscape_hess(const mf_landscape *L, const double *z, double *h) {
    L->type->hess(L, 1, z, 1, h, 1);
}

void mf_landscape_hvp(const mf_landscape *L, const double *z, const double *v, double *out) {
    L->type->hvp(L, 1, z, 1, v, 1, out, 1);
}

double mf_landscape_trace_hessian(const mf_landscape *L, const double *z) {
    double t;
    L->type->trace_hessian(L, 1, z, 1, &t);
    return t;
}

int mf_landscape_project(const mf_landscape *L, const double *z, double *pz, mf_err *err) {
    if (L->codim == 0 || !L->type->project)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "landscape '%s' knows no manifold of minima to project onto",
                          L->type->name);
    L->type->project(L, 1, z, 1, pz, 1);
    for (size_t k = 0; k < L->dim; k++)
        if (!isfinite(pz[k]))
            return mf_err_set(err, MF_ENONFINITE,
                              "the projection of this point is not defined (the gradient flow "
                              "did not reach |grad f| <= %g within %d gradients, stalled -- "
                              "|grad f| not halved and the point not moved within %d gradients, "
                              "as from a diverged point -- or the point is singular)",
                              MF_PROJECT_GTOL, MF_PROJECT_MAXEVAL, MF_PROJECT_STALL);
    return MF_OK;
}

/* The user's constraints at the manifold point pz (V: H_f(pz)'s eigenvectors, ascending, so
 * the normal space is spanned by the last codim columns): c(pz) = 0, and every grad c_j lies
 * in the normal space (a constraint that M does not satisfy to first order, or one along M). */
static int check_constraints(const mf_landscape *L, const double *pz, const double *V,
                             mf_err *err) {
    const size_t d = L->dim, c = L->codim;
    double *w = malloc(sizeof(double) * (d * d + d));
    if (!w) return mf_err_set(err, MF_ENOMEM, "out of memory checking the manifold");
    double *cv = w, *J = w + d;
    const size_t n = L->type->constraints(L, pz, cv, J);
    const double sc = mf_norm2(d, pz);
    int rc = MF_OK;
    for (size_t j = 0; j < n && rc == MF_OK; j++) {
        const double *Jj = J + j * d, gj = mf_norm2(d, Jj);
        double tang = 0.0; /* |T^T grad c_j|: the part along M */
        for (size_t k = 0; k + c < d; k++) {
            double t = 0.0;
            for (size_t a = 0; a < d; a++)
                t += V[k * d + a] * Jj[a];
            tang += t * t;
        }
        tang = sqrt(tang);
        if (!(fabs(cv[j]) <= 1e-8 * (1.0 + gj * sc)))
            rc = mf_err_set(err, MF_EINVAL,
                            "constraint %zu of the manifold is %.3g, not 0, at the projection of "
                            "x0: the minima there are not on it",
                            j + 1, cv[j]);
        else if (!(gj > 0.0) || !(tang <= 1e-6 * gj))
            rc = mf_err_set(err, MF_EINVAL,
                            "constraint %zu of the manifold does not cut across the minima at the "
                            "projection of x0: its gradient has %.3g of %.3g along M (the "
                            "Hessian's flat directions)",
                            j + 1, tang, gj);
    }
    free(w);
    return rc;
}

/* Issue 17: codim (and an expression projection) are the user's claims; a wrong one showed
 * only as NaN noise or a run that drifts off M. Thresholds are relative (1e-6): Hessians of
 * callback landscapes may be differences, accurate to ~1e-8. */
int mf_landscape_check_manifold(const mf_landscape *L, const double *z, mf_err *err) {
    if (!(L->flags & MF_LANDSCAPE_CHECK_MANIFOLD) || L->codim == 0) return MF_OK;
    const size_t d = L->dim, c = L->codim;
    /* H and V: the dense Hessian and its eigenvectors, or above the cap the power iteration's
     * two vectors (64 MB of dense work at d = 2000 would go unused) */
    const size_t nm = d <= MF_CHECK_MANIFOLD_MAXDIM ? d * d : d;
    double *w = malloc(sizeof(double) * (2 * nm + 4 * d));
    if (!w) return mf_err_set(err, MF_ENOMEM, "out of memory checking the manifold");
    double *H = w, *V = H + nm, *pz = V + nm, *pp = pz + d, *g = pp + d, *lam = g + d;
    int rc = mf_landscape_project(L, z, pz, err);
    if (rc) goto out;
    const double sc = fmax(1.0, mf_norm2(d, pz));
    L->type->project(L, 1, pz, 1, pp, 1);
    double moved = 0.0;
    for (size_t k = 0; k < d; k++)
        moved = fmax(moved, fabs(pp[k] - pz[k]));
    if (!(moved <= 1e-8 * sc)) {
        rc = mf_err_set(err, MF_EINVAL,
                        "the projection is not a projection: at x0, P(P x0) differs from P x0 "
                        "by %.3g",
                        moved);
        goto out;
    }
    mf_landscape_grad(L, pz, g);
    if (d > MF_CHECK_MANIFOLD_MAXDIM) { /* the dense Hessian would cost more than the run's start */
        /* lambda_max by 30 power iterations on Hessian-vector products: the gradient's scale */
        double *v = H, *hv = V, top = 0.0;
        for (size_t k = 0; k < d; k++)
            v[k] = (k % 2 ? -1.0 : 1.0) / sqrt((double)d) * (1.0 + 1e-3 * (double)(k % 7));
        for (int it = 0; it < 30; it++) {
            mf_landscape_hvp(L, pz, v, hv);
            top = mf_norm2(d, hv);
            if (!(top > 0.0) || !isfinite(top)) break;
            for (size_t k = 0; k < d; k++)
                v[k] = hv[k] / top;
        }
        const double gn = mf_norm2(d, g);
        if (!(gn <= 1e-6 * top * sc) || !(top > 0.0))
            rc = mf_err_set(err, MF_EINVAL,
                            "the projection of x0 is not a minimum: |grad f| = %.3g there (the "
                            "Hessian's largest eigenvalue ~%.3g; codim is not checked above "
                            "dimension %d)",
                            gn, top, MF_CHECK_MANIFOLD_MAXDIM);
        goto out;
    }
    mf_landscape_hess(L, pz, H);
    if (mf_sym_eig_top(d, d, H, lam, V)) {
        rc = mf_err_set(err, MF_ENONFINITE,
                        "the Hessian at the projection of x0 has no eigendecomposition (not "
                        "finite?)");
        goto out;
    }
    const double top = fmax(fabs(lam[0]), fabs(lam[d - 1])), tol = 1e-6 * top;
    size_t pos = 0, neg = 0;
    for (size_t k = 0; k < d; k++)
        pos += lam[k] > tol, neg += lam[k] < -tol;
    const double gn = mf_norm2(d, g);
    if (!(gn <= tol * sc) || top == 0.0) {
        rc = mf_err_set(err, MF_EINVAL,
                        "the projection of x0 is not a minimum: |grad f| = %.3g there (the "
                        "Hessian's largest eigenvalue %.3g)%s",
                        gn, top, top == 0.0 ? ": it vanishes, codim cannot be checked" : "");
    } else if (neg > 0) {
        rc = mf_err_set(err, MF_EINVAL,
                        "the projection of x0 is not a minimum: the Hessian there has %zu "
                        "negative eigenvalue(s) (smallest %.3g)",
                        neg, lam[0]);
    } else if (pos != c) {
        rc = mf_err_set(err, MF_EINVAL,
                        "codim %zu is inconsistent with the minima: the Hessian at the "
                        "projection of x0 has %zu eigenvalue(s) above 1e-6 of its largest (%.3g), "
                        "so M has codim %zu there",
                        c, pos, top, pos);
    }
    if (rc == MF_OK && L->type->constraints) rc = check_constraints(L, pz, V, err);
out:
    free(w);
    return rc;
}

int mf_landscape_frame(const mf_landscape *L, const double *z, double *T, double *N, mf_err *err) {
    if (L->codim == 0 || !L->type->frame)
        return mf_err_set(err, MF_EUNSUPPORTED, "landscape '%s' knows no manifold of minima",
                          L->type->name);
    L->type->frame(L, z, T, N);
    const size_t nt = L->dim * (L->dim - L->codim), nn = L->dim * L->codim;
    for (size_t k = 0; k < nt + nn; k++)
        if (!isfinite(k < nt ? T[k] : N[k - nt]))
            return mf_err_set(err, MF_ENONFINITE,
                              "the tangent frame is not defined here (eigendecomposition failed)");
    return MF_OK;
}

int mf_landscape_test_loss(const mf_landscape *L, const double *z, double *out, mf_err *err) {
    if (!L->type->test_loss)
        return mf_err_set(err, MF_EUNSUPPORTED, "landscape '%s' has no test loss", L->type->name);
    L->type->test_loss(L, 1, z, 1, out);
    return MF_OK;
}

int mf_landscape_field(const mf_landscape *L, const char *name, mf_field *out) {
    return L->type->field && L->type->field(L, name, out);
}

void mf_landscape_free(mf_landscape *L) {
    if (!L) return;
    if (L->type->destroy) L->type->destroy(L);
    free(L->params);
    free(L);
}

/* ---- generic Hessian products ---------------------------------------------------------------- */

void mf_landscape_generic_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld,
                              const double *v, size_t ldv, double *out, size_t ldo) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * (d * d + 2 * d));
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            for (size_t k = 0; k < d; k++)
                out[k * ldo + i] = NAN;
            continue;
        }
        double *H = w, *x = w + d * d, *u = x + d;
        lane_get(z, ld, d, i, x);
        lane_get(v, ldv, d, i, u);
        mf_landscape_hess(L, x, H);
        for (size_t k = 0; k < d; k++) {
            double s = 0.0;
            for (size_t l = 0; l < d; l++)
                s += H[k * d + l] * u[l];
            out[k * ldo + i] = s;
        }
    }
}

/* e = MF_FD_STEP1 max(1, |z|)/|v| (landscape.h) */
static double fd_step(size_t d, const double *z, const double *v) {
    double nz = mf_norm2(d, z), nv = mf_norm2(d, v);
    return MF_FD_STEP1 * (nz > 1.0 ? nz : 1.0) / nv;
}

void mf_landscape_generic_hvp_fd(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                 const double *v, size_t ldv, double *out, size_t ldo) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * 6 * d);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            for (size_t k = 0; k < d; k++)
                out[k * ldo + i] = NAN;
            continue;
        }
        double *x = w, *u = x + d, *zp = u + d, *zm = zp + d, *gp = zm + d, *gm = gp + d;
        lane_get(z, ld, d, i, x);
        lane_get(v, ldv, d, i, u);
        double nv = mf_norm2(d, u);
        if (nv == 0.0) {
            for (size_t k = 0; k < d; k++)
                out[k * ldo + i] = 0.0;
            continue;
        }
        double e = fd_step(d, x, u);
        for (size_t k = 0; k < d; k++)
            zp[k] = x[k] + e * u[k], zm[k] = x[k] - e * u[k];
        mf_landscape_grad(L, zp, gp);
        mf_landscape_grad(L, zm, gm);
        for (size_t k = 0; k < d; k++)
            out[k * ldo + i] = (gp[k] - gm[k]) / (2.0 * e);
    }
}

void mf_landscape_generic_trace_hessian(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                        double *tr) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * (d * d + d));
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            tr[i] = NAN;
            continue;
        }
        double *H = w, *x = w + d * d;
        lane_get(z, ld, d, i, x);
        mf_landscape_hess(L, x, H);
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += H[k * d + k];
        tr[i] = s;
    }
}

static void dhess_step(const mf_landscape *L, const double *z, const double *v, double *out,
                       double base) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * (d * d + 2 * d));
    if (!w) {
        fill_nan(out, d * d);
        return;
    }
    double *Hm = w, *zp = w + d * d, *zm = zp + d;
    if (mf_norm2(d, v) == 0.0) {
        memset(out, 0, sizeof(double) * d * d);
        return;
    }
    double nz = mf_norm2(d, z), e = base * (nz > 1.0 ? nz : 1.0) / mf_norm2(d, v);
    for (size_t k = 0; k < d; k++)
        zp[k] = z[k] + e * v[k], zm[k] = z[k] - e * v[k];
    mf_landscape_hess(L, zp, out);
    mf_landscape_hess(L, zm, Hm);
    for (size_t k = 0; k < d * d; k++)
        out[k] = (out[k] - Hm[k]) / (2.0 * e);
}

void mf_landscape_generic_dhess(const mf_landscape *L, const double *z, const double *v,
                                double *out) {
    dhess_step(L, z, v, out, MF_FD_STEP1);
}

void mf_landscape_generic_dhess_coarse(const mf_landscape *L, const double *z, const double *v,
                                       double *out) {
    dhess_step(L, z, v, out, MF_FD_STEP_DH);
}

/* ---- the gradient-flow limit Phi ----------------------------------------------------------- */

/* A stalled projection (either stage): |grad f| has not halved within MF_PROJECT_STALL
 * gradients and x has not moved by 1e-8 |x| meanwhile -- what rounding leaves of the flow from
 * a diverged point (|z| ~ 1e30: the budget's 2e6 gradients took seconds per trajectory-step).
 * A slow but real flow moves x, and keeps going. st: the best |grad f| (0: none yet), the
 * gradient count and x (anchor, d doubles) when the window began. */
typedef struct stall {
    double best;
    long at;
    double *anchor;
} stall;

static int stalled(stall *st, size_t d, const double *x, double gn, long evals) {
    if (st->best == 0.0 || gn <= 0.5 * st->best) {
        st->best = gn, st->at = evals;
        memcpy(st->anchor, x, sizeof(double) * d);
        return 0;
    }
    if (evals - st->at <= MF_PROJECT_STALL) return 0;
    double moved = 0.0;
    for (size_t a = 0; a < d; a++)
        moved = fmax(moved, fabs(x[a] - st->anchor[a]));
    const double nx = mf_norm2(d, x);
    if (moved <= 1e-8 * (nx > 1.0 ? nx : 1.0)) return 1;
    st->best = gn, st->at = evals; /* slow but moving: a new window */
    memcpy(st->anchor, x, sizeof(double) * d);
    return 0;
}

/* Gradient descent from x (near M) until |grad f| <= gtol, with step 0.9/lambda, lambda the
 * largest Hessian eigenvalue by power iteration on hvp; the step halves whenever |grad f|
 * grows. GD is the Euler scheme of the flow: near M its drift along M is second order in the
 * distance to M, which is already below the switch-over threshold. */
static int polish(const mf_landscape *L, double *x, double *g, double gtol, long evals) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_POLISH, sizeof(double) * 4 * d);
    if (!w) return -1;
    double *v = w + d, *hv = v + d, gn = mf_norm2(d, g), lam = 0.0;
    stall st = {.anchor = hv + d};
    memcpy(v, g, sizeof(double) * d);
    for (int it = 0; it < 30; it++) {
        double nv = mf_norm2(d, v);
        if (!(nv > 0.0) || !isfinite(nv)) break;
        for (size_t a = 0; a < d; a++)
            v[a] /= nv;
        L->type->hvp(L, 1, x, 1, v, 1, hv, 1);
        lam = mf_norm2(d, hv);
        memcpy(v, hv, sizeof(double) * d);
    }
    if (!(lam > 0.0) || !isfinite(lam)) return -1;
    double eta = 0.9 / lam;
    while (evals < MF_PROJECT_MAXEVAL) {
        if (mf_interrupt_pending()) return -1; /* Ctrl-C: up to 2e6 gradients otherwise */
        memcpy(w, x, sizeof(double) * d);
        for (size_t a = 0; a < d; a++)
            x[a] -= eta * g[a];
        L->type->grad(L, 1, x, 1, g, 1);
        evals++;
        double gn1 = mf_norm2(d, g);
        if (!isfinite(gn1)) return -1;
        if (gn1 <= gtol) return 0;
        if (stalled(&st, d, x, gn1, evals)) return -1;
        if (gn1 > gn) { /* overshoot: back, smaller step */
            memcpy(x, w, sizeof(double) * d);
            L->type->grad(L, 1, x, 1, g, 1);
            eta *= 0.5;
            continue;
        }
        gn = gn1;
    }
    return -1;
}

/* dz/dt = -grad f, and the switch to the last stage, for mf_ode_dopri5_until */
typedef struct gf_ctx {
    const mf_landscape *L;
    size_t d;
    double gswitch;
    long evals;
    stall st; /* its anchor: polish's scratch, free until polish begins */
} gf_ctx;

static int gf_rhs(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)t, (void)err;
    gf_ctx *c = ctx;
    mf_landscape_grad(c->L, y, dy);
    for (size_t a = 0; a < c->d; a++)
        dy[a] = -dy[a];
    c->evals++;
    return MF_OK;
}

static int gf_done(void *ctx, double t, const double *y, const double *dy) {
    (void)t;
    const gf_ctx *c = ctx;
    gf_ctx *b = ctx;
    /* hovering at the stability limit without moving: on to gradient descent (polish) */
    if (!b->st.anchor) b->st.anchor = mf_scratch(SCR_POLISH, sizeof(double) * 4 * c->d);
    if (!b->st.anchor) return 1;
    if (stalled(&b->st, c->d, y, mf_norm2(c->d, dy), c->evals)) return 1;
    return mf_norm2(c->d, dy) <= c->gswitch || c->evals >= MF_PROJECT_MAXEVAL;
}

/* x (in place) -> Phi(x); 0 on success. Adaptive Dormand-Prince (ode.c, rtol 1e-10, atol
 * 1e-11 max(1, |z|)) until |grad f| is small (1e-8 max(1, |z|)), then gradient descent to
 * |grad f| <= MF_PROJECT_GTOL max(1, |z|): an explicit adaptive method alone stalls near M,
 * where it hovers at its stability limit and its error estimate sees only rounding.
 * What must be accurate is the limit; the normal coordinates, decaying to 0, are held only to
 * the absolute tolerance. atol 1e-12 max(1, |z|) took ~1.4x the gradients on the valley (the
 * limit stays within 1e-12 of the exact one, tests/expr/test_expr_project.lua); 1e-10 max(1, |z|)
 * let the step reach the stability limit early on matrix factorization, where the flow then
 * stalled. */
static int gradient_flow(const mf_landscape *L, double *x) {
    const size_t d = L->dim;
    double *w = mf_scratch(SCR_PROJECT, sizeof(double) * mf_ode_worksize(d));
    if (!w) return -1;
    double *g = w; /* the first gradient; then the integrator's work */
    mf_landscape_grad(L, x, g);
    double nz = mf_norm2(d, x), gn = mf_norm2(d, g), sc = nz > 1.0 ? nz : 1.0;
    const double gtol = MF_PROJECT_GTOL * sc;
    if (!isfinite(gn)) return -1;
    if (gn <= gtol) return 0;
    gf_ctx c = {.L = L, .d = d, .gswitch = 1e-8 * sc, .evals = 1};
    double h = 1e-3 * sc / gn;
    if (mf_ode_dopri5_until(d, gf_rhs, NULL, gf_done, &c, 0.0, INFINITY, x, 1e-10, 1e-11 * sc, &h,
                            w, NULL, NULL) ||
        c.evals >= MF_PROJECT_MAXEVAL)
        return -1;
    mf_landscape_grad(L, x, g);
    return polish(L, x, g, gtol, c.evals);
}

void mf_landscape_generic_project(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                  double *pz, size_t ldp) {
    const size_t d = L->dim;
    double *x = mf_scratch(SCR_LANE, sizeof(double) * d);
    for (size_t i = 0; i < m; i++) {
        if (!x) {
            for (size_t k = 0; k < d; k++)
                pz[k * ldp + i] = NAN;
            continue;
        }
        lane_get(z, ld, d, i, x);
        if (gradient_flow(L, x)) fill_nan(x, d);
        lane_put(pz, ldp, d, i, x);
    }
}

/* ---- eigen-decompositions ------------------------------------------------------------------ */

int mf_sym_eig_top(size_t d, size_t c, double *H, double *vals, double *vecs) {
    lapack_int n = (lapack_int)d, il = (lapack_int)(d - c + 1), iu = (lapack_int)d, found = 0;
    lapack_int *iw = mf_scratch(SCR_EIGI, sizeof(lapack_int) * 12 * (d + 1));
    if (!iw) return -1;
    /* work sizes of dsyevr: lwork >= 26 n, liwork >= 10 n (LAPACK documentation) */
    size_t lwork = 26 * d + 1, liwork = 10 * d + 1;
    double *work = mf_scratch(SCR_EIG, sizeof(double) * (lwork + d));
    if (!work) return -1;
    double *wv = work + lwork; /* all eigenvalues (dsyevr writes n of them) */
    lapack_int info = LAPACKE_dsyevr_work(
        LAPACK_COL_MAJOR, 'V', c == d ? 'A' : 'I', 'U', n, H, n, 0.0, 0.0, il, iu, 0.0, &found, wv,
        vecs, n, iw + 10 * d + 1, work, (lapack_int)lwork, iw, (lapack_int)liwork);
    if (info != 0) return (int)info;
    for (size_t j = 0; j < c; j++) {
        vals[j] = wv[j];
        double *q = vecs + j * d, big = 0.0;
        size_t at = 0;
        for (size_t a = 0; a < d; a++)
            if (fabs(q[a]) > big) big = fabs(q[a]), at = a;
        if (q[at] < 0.0)
            for (size_t a = 0; a < d; a++)
                q[a] = -q[a];
    }
    return 0;
}

void mf_landscape_generic_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    const size_t d = L->dim, c = L->codim;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * (2 * d * d + d));
    if (!w || c == 0 || c > d) {
        fill_nan(T, d * (d - (c <= d ? c : d))), fill_nan(N, d * c);
        return;
    }
    double *H = w, *V = w + d * d, *lam = V + d * d;
    mf_landscape_hess(L, z, H);
    if (mf_sym_eig_top(d, d, H, lam, V)) {
        fill_nan(T, d * (d - c)), fill_nan(N, d * c);
        return;
    }
    memcpy(T, V, sizeof(double) * d * (d - c));
    memcpy(N, V + d * (d - c), sizeof(double) * d * c);
}

/* The c (1 or 2) largest eigenpairs of the symmetric 2 x 2 matrix (a b; b e) as
 * mf_sym_eig_top gives them (ascending, largest-magnitude entry of each vector positive), in
 * closed form: LAPACK's call costs more than the rest of a noise step of a 2-D landscape.
 * Diagonal matrices (b = 0, the flat valley) come out exact, as from dsyevr. */
void mf_sym2_eig_top(size_t c, const double *H, double *vals, double *vecs) {
    const double a = H[0], b = 0.5 * (H[1] + H[2]), e = H[3];
    double l0, l1, v[2]; /* l0 <= l1; v the unit eigenvector of l1 */
    if (b == 0.0) {
        int xbig = a > e;
        l1 = xbig ? a : e, l0 = xbig ? e : a;
        v[0] = xbig, v[1] = !xbig;
    } else {
        const double t = 0.5 * (a - e), r = hypot(t, b), mid = 0.5 * (a + e);
        l1 = mid + r;
        l0 = mid - r;
        if (fabs(l1) > fabs(l0) && l1 != 0.0) l0 = (a * e - b * b) / l1; /* no cancellation */
        /* (l1 - e, b) and (b, l1 - a) are both eigenvectors: take the longer, r + |t| >= r */
        if (t >= 0.0)
            v[0] = t + r, v[1] = b;
        else
            v[0] = b, v[1] = r - t;
        const double n = hypot(v[0], v[1]);
        v[0] /= n, v[1] /= n;
        if (fabs(v[1]) > fabs(v[0]) ? v[1] < 0.0 : v[0] < 0.0) v[0] = -v[0], v[1] = -v[1];
    }
    if (c == 1) {
        vals[0] = l1, vecs[0] = v[0], vecs[1] = v[1];
        return;
    }
    double u[2] = {-v[1], v[0]}; /* the eigenvector of l0 */
    if (fabs(u[1]) > fabs(u[0]) ? u[1] < 0.0 : u[0] < 0.0) u[0] = -u[0], u[1] = -u[1];
    vals[0] = l0, vals[1] = l1;
    vecs[0] = u[0], vecs[1] = u[1], vecs[2] = v[0], vecs[3] = v[1];
}

/* N and the normal eigenvalues of H_f at Pz, then g -= s N diag(q) xi with q = 1 (normal
 * noise) or sqrt(lambda/2) (Hessian noise, A = H_f/2). Projections and Hessians go in chunks
 * of NOISE_CHUNK lanes where the Hessians are small (a closed-form projection and the
 * Hessian then run as block code); block and point evaluations agree bit for bit, so the
 * chunking changes no result. */
#define NOISE_CHUNK 64
static void generic_noise_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                              const double *xi, size_t ldxi, double *g, size_t ldg, int hessian) {
    const size_t d = L->dim, c = L->codim, ch = d <= 16 ? NOISE_CHUNK : 1;
    double *w = mf_scratch(SCR_NOISE, sizeof(double) * ((d * d + d) * ch + 2 * d * d + d + c));
    for (size_t i0 = 0; i0 < m; i0 += ch) {
        const size_t n = m - i0 < ch ? m - i0 : ch;
        double *Hb = w, *px = Hb + d * d * ch, *H = px + d * ch, *V = H + d * d, *lam = V + d * d;
        int okb = w != NULL && c > 0;
        if (okb) {
            L->type->project(L, n, z + i0, ld, px, n);
            L->type->hess(L, n, px, n, Hb, n);
        }
        for (size_t i = i0; i < i0 + n; i++) {
            int ok = okb;
            if (ok) {
                lane_get(Hb, n, d * d, i - i0, H);
                if (d == 2 && c <= 2)
                    mf_sym2_eig_top(c, H, lam, V);
                else
                    ok = mf_sym_eig_top(d, c, H, lam, V) == 0;
            }
            for (size_t j = 0; ok && j < c; j++) {
                double q = hessian ? sqrt(fmax(lam[j], 0.0) / 2.0) : 1.0;
                double coef = s * q * xi[j * ldxi + i];
                for (size_t a = 0; a < d; a++)
                    g[a * ldg + i] -= coef * V[j * d + a];
            }
            if (!ok)
                for (size_t a = 0; a < d; a++)
                    g[a * ldg + i] = NAN;
        }
    }
}

void mf_landscape_generic_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                     double s, const double *xi, size_t ldxi, double *g,
                                     size_t ldg) {
    generic_noise_sub(L, m, z, ld, s, xi, ldxi, g, ldg, 0);
}

void mf_landscape_generic_hess_sqrt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                        double s, const double *xi, size_t ldxi, double *g,
                                        size_t ldg) {
    generic_noise_sub(L, m, z, ld, s, xi, ldxi, g, ldg, 1);
}

int mf_landscape_check_dense_noise(const mf_landscape *L, int hessian, const char *what,
                                   mf_err *err) {
    const int generic = hessian ? L->type->hess_sqrt_sub == mf_landscape_generic_hess_sqrt_sub
                                : L->type->normal_sub == mf_landscape_generic_normal_sub;
    if (!generic || L->dim <= MF_DENSE_MAXDIM) return MF_OK;
    /* generic_noise_sub: 2 d^2 doubles per thread, an O(d^3) eigensolve per trajectory-step */
    const int label = L->nres > 0 && L->type->residual_jt_sub;
    return mf_err_set(err, MF_EINVAL,
                      "%s on landscape '%s' of dimension %zu takes the dense normal-space path "
                      "(its %zu x %zu Hessian eigendecomposed every step of every trajectory), "
                      "which is limited to dimension %d; use %s",
                      what, L->type->name, L->dim, L->dim, L->dim, MF_DENSE_MAXDIM,
                      label ? "mf.noise.label{eps = ...} (matrix-free J^T xi; on the zero-loss "
                              "manifold D D^T = 2 w eps^2 H_f, Hessian noise up to its scale)"
                            : "isotropic noise with space = 'full' (matrix-free), or a landscape "
                              "with a closed-form normal space");
}

void mf_landscape_generic_residual_jt_sub(const mf_landscape *L, size_t m, const double *z,
                                          size_t ld, double s, const double *xi, size_t ldxi,
                                          double *g, size_t ldg) {
    const size_t d = L->dim, n = L->nres;
    double *w = mf_scratch(SCR_HVP, sizeof(double) * (n * d + d));
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            for (size_t a = 0; a < d; a++)
                g[a * ldg + i] = NAN;
            continue;
        }
        double *J = w, *x = w + n * d;
        lane_get(z, ld, d, i, x);
        L->type->residual_jacobian(L, x, J);
        for (size_t a = 0; a < d; a++) {
            double acc = 0.0;
            for (size_t r = 0; r < n; r++)
                acc += J[r * d + a] * xi[r * ldxi + i];
            g[a * ldg + i] -= s * acc;
        }
    }
}

void mf_lanes_map(const void *ctx, mf_point_map fn, size_t m, const double *z, size_t ld, size_t d,
                  double *out, size_t ldo, size_t nout) {
    double *x = mf_scratch(SCR_MODEL, sizeof(double) * (d + nout));
    for (size_t i = 0; i < m; i++) {
        if (!x) {
            for (size_t k = 0; k < nout; k++)
                out[k * ldo + i] = NAN;
            continue;
        }
        lane_get(z, ld, d, i, x);
        fn(ctx, x, x + d);
        lane_put(out, ldo, nout, i, x + d);
    }
}
