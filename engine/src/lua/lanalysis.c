/* Analysis binding: spectra and traces of a landscape's Hessian, fits, closed forms.
 * Options are checked by lua/mflab/analysis.lua; this layer converts arrays and calls in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"
#include "mflab/analysis.h"

/* The Hessian of a landscape at a point as a matrix-vector product: the landscape's
 * Hessian-vector product (analytic where the landscape has one), so nothing of size d^2 is
 * formed for large landscapes. */
typedef struct hess_op {
    const mf_landscape *L;
    const double *z;
} hess_op;

static int hess_matvec(void *ctx, const double *v, double *out, mf_err *err) {
    hess_op *op = ctx;
    (void)err;
    mf_landscape_hvp(op->L, op->z, v, out);
    return MF_OK;
}

/* The operator at the point at index idx; the point lives on the Lua stack. */
static hess_op push_hess_op(lua_State *L, mf_landscape *ls, int idx, const char *fname) {
    double *z = lua_newuserdatauv(L, sizeof(double) * ls->dim, 0);
    mfl_checkpoint(L, idx, ls->dim, z, fname, "z");
    return (hess_op){ls, z};
}

/* core.hessian_top(L, z, k, tol, maxiter, seed) -> values, vectors, products */
static int l_hessian_top(lua_State *L) {
    mf_landscape *ls = ((llandscape *)luaL_checkudata(L, 1, MF_LANDSCAPE))->L;
    lua_Integer k = mfl_checkcount(L, 3, 1, "mf.analysis.top", "argument 'k'");
    double tol = luaL_checknumber(L, 4);
    lua_Integer maxiter = mfl_checkcount(L, 5, 0, "mf.analysis.top", "option 'maxiter'");
    lua_Integer seed = mfl_checkcount(L, 6, 0, "mf.analysis.top", "option 'seed'");
    const char *fname = "mf.analysis.top";
    if (k < 1 || (size_t)k > ls->dim)
        return luaL_error(L, "%s: k = %d must be between 1 and the dimension %d", fname, (int)k,
                          (int)ls->dim);
    hess_op op = push_hess_op(L, ls, 2, fname);
    double *vals = lua_newuserdatauv(L, sizeof(double) * (size_t)k * (ls->dim + 1), 0);
    double *vecs = vals + k;
    size_t nmv;
    mf_err err;
    if (mf_lanczos_top(ls->dim, hess_matvec, &op, (size_t)k, tol, (size_t)maxiter, (uint64_t)seed,
                       vals, vecs, &nmv, &err))
        return mfl_raise(L, fname, &err);
    mfl_pushtable(L, vals, (size_t)k);
    lua_createtable(L, (int)k, 0);
    for (lua_Integer i = 0; i < k; i++) {
        mfl_pushvector(L, vecs + i * ls->dim, ls->dim);
        lua_seti(L, -2, i + 1);
    }
    lua_pushinteger(L, (lua_Integer)nmv);
    return 3;
}

/* core.hessian_trace(L, z, method, tol, max_samples, seed) -> trace, se, samples */
static int l_hessian_trace(lua_State *L) {
    mf_landscape *ls = ((llandscape *)luaL_checkudata(L, 1, MF_LANDSCAPE))->L;
    static const char *const methods[] = {"exact", "hutchinson", NULL};
    int method = luaL_checkoption(L, 3, "exact", methods);
    double tol = luaL_checknumber(L, 4);
    lua_Integer maxs = mfl_checkcount(L, 5, 1, "mf.analysis.trace", "option 'max_samples'");
    lua_Integer seed = mfl_checkcount(L, 6, 0, "mf.analysis.trace", "option 'seed'");
    const char *fname = "mf.analysis.trace";
    hess_op op = push_hess_op(L, ls, 2, fname);
    if (method == 0) {
        lua_pushnumber(L, mf_landscape_trace_hessian(ls, op.z));
        lua_pushnumber(L, 0.0);
        lua_pushinteger(L, 0);
        return 3;
    }
    double tr, se;
    size_t ns;
    mf_err err;
    if (mf_hutchinson_trace(ls->dim, hess_matvec, &op, tol, 10, (size_t)maxs, (uint64_t)seed, &tr,
                            &se, &ns, &err))
        return mfl_raise(L, fname, &err);
    lua_pushnumber(L, tr);
    lua_pushnumber(L, se);
    lua_pushinteger(L, (lua_Integer)ns);
    return 3;
}

/* Reads a Lua array of numbers at idx into a stack-owned buffer. */
static double *checkarray(lua_State *L, int idx, size_t *n, const char *fname, const char *what) {
    if (!lua_istable(L, idx) && !luaL_testudata(L, idx, MF_VECTOR))
        luaL_error(L, "%s: argument '%s' must be an array of numbers, got %s", fname, what,
                   luaL_typename(L, idx));
    lua_Integer len = luaL_len(L, idx);
    double *x = lua_newuserdatauv(L, sizeof(double) * (size_t)(len > 0 ? len : 1), 0);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, idx, i);
        int ok;
        x[i - 1] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "%s: %s[%d] must be a number, got %s", fname, what, (int)i,
                       luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    *n = (size_t)len;
    return x;
}

/* core.fit(kind, x, y) -> p (table), se (table), rss */
static int l_fit(lua_State *L) {
    static const char *const kinds[] = {"exp_timescale", "powerlaw", "vee", NULL};
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    char fname[64];
    snprintf(fname, sizeof fname, "mf.fit.%s", kinds[kind]);
    size_t nx, ny;
    double *x = checkarray(L, 2, &nx, fname, kind == 0 ? "t" : "x");
    double *y = checkarray(L, 3, &ny, fname, "y");
    if (nx != ny)
        return luaL_error(L, "%s: arguments '%s' and 'y' have different lengths (%d and %d)", fname,
                          kind == 0 ? "t" : "x", (int)nx, (int)ny);
    mf_fit_result r;
    mf_err err;
    int rc = kind == 0   ? mf_fit_exp_timescale(x, y, nx, &r, &err)
             : kind == 1 ? mf_fit_powerlaw(x, y, nx, &r, &err)
                         : mf_fit_vee(x, y, nx, &r, &err);
    if (rc) return mfl_raise(L, fname, &err);
    size_t np = kind == 0 ? 3 : kind == 1 ? 2 : 4;
    mfl_pushtable(L, r.p, np);
    mfl_pushtable(L, r.se, np);
    lua_pushnumber(L, r.rss);
    return 3;
}

/* core.closed(name, ...) */
static int l_closed(lua_State *L) {
    static const char *const names[] = {"hb_spectrum", "ou_variance", "uv_tau1", "uv_tau2",
                                        "uv_cstar",    "speed",       "range",   NULL};
    int which = luaL_checkoption(L, 1, NULL, names);
    double a[7];
    for (int i = 0; i < 7; i++)
        a[i] = luaL_optnumber(L, i + 2, 0.0);
    switch (which) {
    case 0: {
        double re[2], im[2];
        mf_hb_spectrum(a[0], a[1], a[2], re, im);
        lua_pushnumber(L, re[0]), lua_pushnumber(L, im[0]);
        lua_pushnumber(L, re[1]), lua_pushnumber(L, im[1]);
        return 4;
    }
    case 1:
        lua_pushnumber(L, mf_hb_ou_variance(a[0], a[1], a[2], a[3], a[4]));
        return 1;
    case 2:
        lua_pushnumber(L, mf_uv_tau1(a[0], a[1], a[2]));
        return 1;
    case 3:
        lua_pushnumber(L, mf_uv_tau2(a[0], a[1], a[2], a[3], a[4], a[5], a[6]));
        return 1;
    case 4:
        lua_pushnumber(L, mf_uv_cstar(a[0], a[1], a[2], a[3]));
        return 1;
    case 5:
        lua_pushnumber(L, mf_speed_factor(a[0], a[1], a[2]));
        return 1;
    default:
        lua_pushnumber(L, mf_range_factor(a[0], a[1], a[2]));
        return 1;
    }
}

void mfl_open_analysis(lua_State *L) {
    static const luaL_Reg f[] = {{"hessian_top", l_hessian_top},
                                 {"hessian_trace", l_hessian_trace},
                                 {"fit", l_fit},
                                 {"closed", l_closed},
                                 {NULL, NULL}};
    luaL_setfuncs(L, f, 0);
}
