/* core.ode_integrate: a user's own ODE dy/dt = f(t, y), f a Lua function, integrated with the
 * engine's integrators (engine/include/mflab/ode.h) and recorded at given times. The Lua layer
 * (lua/mflab/ode.lua) checks the options; this file only moves numbers across. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>

#include "lbind.h"
#include "mflab/interrupt.h"
#include "mflab/ode.h"

typedef struct lode {
    lua_State *L;
    int fn;     /* stack index of the right-hand side */
    size_t n;   /* dimension */
    int failed; /* the Lua error message is on the stack at index `msg` */
} lode;

/* The right-hand side as the engine sees it. The Lua function runs under lua_pcall, so a Lua
 * error never unwinds through the integrator: it comes back as an error code, and the message
 * is raised once the engine has returned. */
static int lode_rhs(void *ctx, double t, const double *y, double *dydt, mf_err *err) {
    lode *o = ctx;
    lua_State *L = o->L;
    if (mf_interrupt_pending()) return mf_err_set(err, MF_EINTR, "interrupted");
    lua_pushvalue(L, o->fn);
    lua_pushnumber(L, t);
    mfl_pushtable(L, y, o->n);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        mf_err_set(err, MF_EINVAL, "option 'rhs' raised an error at t = %.17g: %s", t,
                   m ? m : "(error object is not a string)");
        lua_pop(L, 1);
        return err->code;
    }
    int rc = MF_OK;
    if (lua_type(L, -1) != LUA_TTABLE) {
        rc = mf_err_set(err, MF_EINVAL, "option 'rhs' must return a table of %zu numbers, got %s",
                        o->n, luaL_typename(L, -1));
    } else {
        for (size_t k = 0; k < o->n && rc == MF_OK; k++) {
            /* lua_rawgeti: no metamethod may raise here */
            int tp = lua_rawgeti(L, -1, (lua_Integer)k + 1);
            if (tp != LUA_TNUMBER)
                rc = mf_err_set(err, MF_EINVAL,
                                "option 'rhs' must return a table of %zu numbers: entry %zu "
                                "is %s (at t = %.17g)",
                                o->n, k + 1, lua_typename(L, tp), t);
            else
                dydt[k] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* core.ode_integrate(rhs, y0, times, method, rtol, atol, h) -> ys (array of arrays, one per
 * time), accepted, rejected, evals. times[1] is the start; method "dp45" (adaptive, rtol and
 * atol per step) or "rk4" (fixed step h, the last one before a record time shortened). */
static int l_ode_integrate(lua_State *L) {
    const char *fname = "mf.ode.integrate";
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    static const char *const methods[] = {"dp45", "rk4", NULL};
    int method = luaL_checkoption(L, 4, NULL, methods);
    double rtol = luaL_checknumber(L, 5), atol = luaL_checknumber(L, 6),
           hfix = luaL_checknumber(L, 7);
    size_t n = (size_t)luaL_len(L, 2), nt = (size_t)luaL_len(L, 3);
    if (n < 1 || n > 100000) return luaL_error(L, "%s: option 'y0' needs 1 to 100000 entries", fname);
    if (nt < 1 || nt > 100000000) return luaL_error(L, "%s: between 1 and 1e8 record times", fname);
    /* work in a userdata: freed by the collector whatever happens below */
    double *w = lua_newuserdatauv(L, sizeof(double) * (2 * n + mf_ode_worksize(n)), 0);
    int wi = lua_gettop(L);
    double *y = w, *ytmp = y + n, *work = ytmp + n;
    mfl_checkpoint(L, 2, n, y, fname, "y0");
    lode o = {.L = L, .fn = 1, .n = n};
    lua_createtable(L, (int)nt, 0);
    int out = lua_gettop(L);
    mfl_pushtable(L, y, n);
    lua_rawseti(L, out, 1);
    mf_ode_stats st = {0};
    mf_err err = {0};
    lua_rawgeti(L, 3, 1);
    double t = lua_tonumber(L, -1), h = 0.0;
    lua_pop(L, 1);
    int rc = MF_OK;
    for (size_t j = 2; j <= nt && rc == MF_OK; j++) {
        lua_rawgeti(L, 3, (lua_Integer)j);
        double t1 = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (method == 0) {
            rc = mf_ode_dopri5(n, lode_rhs, NULL, &o, t, t1, y, rtol, atol, &h, work, &st, &err);
        } else {
            while (rc == MF_OK && t < t1) {
                double step = t + hfix >= t1 ? t1 - t : hfix;
                rc = mf_ode_rk4_step(n, lode_rhs, NULL, &o, t, step, y, work, &err);
                t = t + step >= t1 ? t1 : t + step;
                st.accepted++, st.evals += 4;
            }
        }
        t = t1;
        for (size_t k = 0; k < n && rc == MF_OK; k++)
            if (!isfinite(y[k]))
                rc = mf_err_set(&err, MF_ENONFINITE, "y%zu is not finite at t = %.17g", k + 1, t1);
        if (rc == MF_OK) {
            mfl_pushtable(L, y, n);
            lua_rawseti(L, out, (lua_Integer)j);
        }
    }
    (void)wi;
    if (rc != MF_OK) return mfl_raise(L, fname, &err);
    lua_pushinteger(L, (lua_Integer)st.accepted);
    lua_pushinteger(L, (lua_Integer)st.rejected);
    lua_pushinteger(L, (lua_Integer)st.evals);
    return 4;
}

void mfl_open_ode(lua_State *L) {
    lua_pushcfunction(L, l_ode_integrate);
    lua_setfield(L, -2, "ode_integrate");
}
