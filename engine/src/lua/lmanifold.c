/* mf.manifold.flow: core.flow(landscape, optimizer, noise, order) -> flow userdata whose user
 * values keep the three alive (the engine's flow points into them). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lbind.h"

typedef struct lflow {
    mf_flow *fl;
    int order;
    int warned; /* printed already: 1 the note about a start off the manifold, 2 the flow's
                   warning about its assumptions */
} lflow;

static int l_flow(lua_State *L) {
    llandscape *ls = luaL_checkudata(L, 1, MF_LANDSCAPE);
    loptim *o = luaL_checkudata(L, 2, MF_OPTIM);
    lnoise *n = luaL_testudata(L, 3, MF_NOISE);
    int order = lua_isnoneornil(L, 4)
                    ? 1
                    : (int)mfl_checkcount(L, 4, 1, "mf.manifold.flow", "option 'order'");
    lflow *f = lua_newuserdatauv(L, sizeof *f, 3);
    f->fl = NULL;
    f->warned = 0;
    luaL_setmetatable(L, MF_FLOW);
    for (int i = 1; i <= 3; i++) {
        lua_pushvalue(L, i);
        lua_setiuservalue(L, -2, i);
    }
    mf_err err;
    f->order = order;
    if (mf_flow_new(&f->fl, ls->L, &o->o, n ? &n->nz : NULL, order, &err))
        return mfl_raise(L, "mf.manifold.flow", &err);
    return 1;
}

static mf_flow *checkflow(lua_State *L, int i) {
    lflow *f = luaL_checkudata(L, i, MF_FLOW);
    return f->fl;
}

/* flow:drift(z) -> dz/dt at the manifold point z */
static int flow_drift(lua_State *L) {
    mf_flow *fl = checkflow(L, 1);
    lua_getiuservalue(L, 1, 1);
    size_t d = ((llandscape *)lua_touserdata(L, -1))->L->dim;
    double *z = lua_newuserdatauv(L, 2 * d * sizeof(double), 0);
    mfl_checkpoint(L, 2, d, z, "flow:drift", "z");
    mf_err err;
    int rc = mf_flow_drift(fl, z, z + d, &err);
    lua_getiuservalue(L, 1, 1);
    mfl_landscape_checkcb(L, lua_touserdata(L, -1));
    if (rc) return mfl_raise(L, "flow:drift", &err);
    mfl_pushtable(L, z + d, d);
    return 1;
}

/* flow:integrate(opts): x0, steps, every, method, rtol, atol, seeds, seed, h, checked by the Lua
 * layer */
static int flow_integrate(lua_State *L) {
    mf_flow *fl = checkflow(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getiuservalue(L, 1, 1);
    size_t d = ((llandscape *)lua_touserdata(L, -1))->L->dim;
    double *x0 = lua_newuserdatauv(L, d * sizeof(double), 0);
    lua_getfield(L, 2, "x0");
    mfl_checkpoint(L, -1, d, x0, "flow:integrate", "option 'x0'");
    static const char *const methods[] = {"rk4", "dp45", "em", "momentum", NULL};
    static const enum mf_flow_method codes[] = {MF_FLOW_RK4, MF_FLOW_DP45, MF_FLOW_EM,
                                                MF_FLOW_MOMENTUM};
    lua_getfield(L, 2, "method");
    int method = luaL_checkoption(L, -1, "rk4", methods);
    mf_flow_config cfg = {
        .x0 = x0,
        .steps = (uint64_t)mfl_optcount(L, 2, "steps", 0, 0, "flow:integrate"),
        .every = (uint64_t)mfl_optcount(L, 2, "every", 1, 1, "flow:integrate"),
        .method = codes[method],
        .rtol = mfl_optnumber(L, 2, "rtol", 1e-9),
        .atol = mfl_optnumber(L, 2, "atol", 1e-12),
        .seeds = (size_t)mfl_optcount(L, 2, "seeds", 1, 1, "flow:integrate"),
        .seed = (uint64_t)mfl_optcount(L, 2, "seed", 0, 0, "flow:integrate"),
        .h = (uint64_t)mfl_optcount(L, 2, "h", 1, 1, "flow:integrate"),
    };
    if (lua_isnil(L, -1)) cfg.method = mf_flow_is_sde(fl) ? MF_FLOW_EM : MF_FLOW_RK4;
    /* a start far from the manifold is projected; say so once per flow */
    lflow *lf = lua_touserdata(L, 1);
    lua_getiuservalue(L, 1, 1);
    mf_landscape *ls = ((llandscape *)lua_touserdata(L, -1))->L;
    double *p = lua_newuserdatauv(L, d * sizeof(double), 0);
    if (!(lf->warned & 1) && mf_landscape_project(ls, x0, p, NULL) == MF_OK) {
        double dist = 0.0, nrm = 0.0;
        for (size_t i = 0; i < d; i++)
            dist += (x0[i] - p[i]) * (x0[i] - p[i]), nrm += x0[i] * x0[i];
        if (sqrt(dist) > 1e-6 * (1.0 + sqrt(nrm))) {
            lua_writestringerror("flow:integrate: x0 is %s from the manifold of minima; the flow "
                                 "starts from its projection\n",
                                 lua_pushfstring(L, "%f", sqrt(dist)));
            lf->warned |= 1;
        }
    }
    /* a start outside the flow's assumptions: say so once per flow */
    mf_err note;
    if (!(lf->warned & 2) && mf_landscape_project(ls, x0, p, NULL) == MF_OK &&
        mf_flow_assumptions(lf->fl, p, &note)) {
        lua_writestringerror("flow:integrate: warning: %s\n", note.msg);
        lf->warned |= 2;
    }
    mf_result *r = NULL;
    mf_err err;
    mfl_progress progress;
    int has_progress = mfl_progress_init(L, 2, &progress);
    mf_flow_set_progress(fl, has_progress ? mfl_progress_call : NULL, &progress);
    int rc = mf_flow_integrate(fl, &cfg, &r, &err);
    mf_flow_set_progress(fl, NULL, NULL);
    if (!r) {
        lua_getiuservalue(L, 1, 1);
        mfl_landscape_checkcb(L, lua_touserdata(L, -1));
        return mfl_raise(L, "flow:integrate", &err);
    }
    lua_createtable(L, 0, 2);
    int info = lua_gettop(L);
    lua_createtable(L, (int)r->nobs, 0);
    for (size_t v = 0; v < r->nobs; v++) { /* x1..xd, then m1..md for the second order */
        lua_pushfstring(L, "%s%d", v < d ? "x" : "m", (int)(v < d ? v : v - d) + 1);
        lua_seti(L, -2, (lua_Integer)v + 1);
    }
    lua_setfield(L, info, "names");
    lua_getfield(L, 2, "meta");
    lua_setfield(L, info, "meta");
    if (lua_getfield(L, 2, "metadata") == LUA_TTABLE) { /* the method used, default resolved */
        static const char *const names[] = {"rk4", "dp45", "em", "momentum"};
        lua_pushstring(L, names[cfg.method]);
        lua_setfield(L, -2, "method");
    }
    lua_setfield(L, info, "metadata");
    mfl_pushresult(L, r, info);
    lua_getiuservalue(L, 1, 1);
    mfl_landscape_checkcb(L, lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (rc) return mfl_raise_result(L, "flow:integrate", &err, -1);
    return 1;
}

/* flow:dt() -> the flow's time per iteration (lr; lr^2 for adam; lr * wd for gd_wd) */
static int flow_dt(lua_State *L) {
    lua_pushnumber(L, mf_flow_dt(checkflow(L, 1)));
    return 1;
}

static int flow_tostring(lua_State *L) {
    checkflow(L, 1);
    lua_getiuservalue(L, 1, 2);
    lua_getiuservalue(L, 1, 3);
    const char *opt = luaL_tolstring(L, -2, NULL);
    const char *noise = luaL_tolstring(L, -2, NULL);
    int order = ((lflow *)lua_touserdata(L, 1))->order;
    lua_pushfstring(L, "manifold flow (%s order) of %s with noise %s",
                    order == 2 ? "second" : "first", opt, noise);
    return 1;
}

static int flow_gc(lua_State *L) {
    lflow *f = luaL_checkudata(L, 1, MF_FLOW);
    mf_flow_free(f->fl);
    f->fl = NULL;
    return 0;
}

void mfl_open_manifold(lua_State *L) {
    static const luaL_Reg meta[] = {{"__tostring", flow_tostring}, {"__gc", flow_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"drift", flow_drift}, {"dt", flow_dt}, {"integrate", flow_integrate}, {NULL, NULL}};
    mfl_newtype(L, MF_FLOW, meta, methods);
    lua_pushcfunction(L, l_flow);
    lua_setfield(L, -2, "flow");
}
