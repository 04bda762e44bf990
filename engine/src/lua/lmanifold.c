/* mf.manifold.flow: core.flow(landscape, optimizer, noise) -> flow userdata whose user values
 * keep the three alive (the engine's flow points into them). */
#include <string.h>

#include "lbind.h"

typedef struct lflow {
    mf_flow *fl;
} lflow;

static int l_flow(lua_State *L) {
    llandscape *ls = luaL_checkudata(L, 1, MF_LANDSCAPE);
    loptim *o = luaL_checkudata(L, 2, MF_OPTIM);
    lnoise *n = luaL_testudata(L, 3, MF_NOISE);
    lflow *f = lua_newuserdatauv(L, sizeof *f, 3);
    f->fl = NULL;
    luaL_setmetatable(L, MF_FLOW);
    for (int i = 1; i <= 3; i++) {
        lua_pushvalue(L, i);
        lua_setiuservalue(L, -2, i);
    }
    mf_err err;
    if (mf_flow_new(&f->fl, ls->L, &o->o, n ? &n->nz : NULL, &err))
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
    if (mf_flow_drift(fl, z, z + d, &err)) return mfl_raise(L, "flow:drift", &err);
    mfl_pushtable(L, z + d, d);
    return 1;
}

/* flow:integrate(opts): opts.x0, steps, every checked by the Lua layer */
static int flow_integrate(lua_State *L) {
    mf_flow *fl = checkflow(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getiuservalue(L, 1, 1);
    size_t d = ((llandscape *)lua_touserdata(L, -1))->L->dim;
    double *x0 = lua_newuserdatauv(L, d * sizeof(double), 0);
    lua_getfield(L, 2, "x0");
    mfl_checkpoint(L, -1, d, x0, "flow:integrate", "option 'x0'");
    uint64_t steps = (uint64_t)mfl_optinteger(L, 2, "steps", 0);
    uint64_t every = (uint64_t)mfl_optinteger(L, 2, "every", 1);
    lua_getfield(L, 2, "scheme");
    mf_flow_set_discrete(fl, lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "momentum") == 0);
    lua_pop(L, 1);
    mf_result *r = NULL;
    mf_err err;
    mfl_progress progress;
    int has_progress = mfl_progress_init(L, 2, &progress);
    mf_flow_set_progress(fl, has_progress ? mfl_progress_call : NULL, &progress);
    int rc = mf_flow_integrate(fl, x0, steps, every, &r, &err);
    mf_flow_set_progress(fl, NULL, NULL);
    if (!r) return mfl_raise(L, "flow:integrate", &err);
    lua_createtable(L, 0, 2);
    int info = lua_gettop(L);
    lua_createtable(L, (int)r->nobs, 0);
    for (size_t v = 0; v < r->nobs; v++) {
        lua_pushfstring(L, "x%d", (int)v + 1);
        lua_seti(L, -2, (lua_Integer)v + 1);
    }
    lua_setfield(L, info, "names");
    lua_getfield(L, 2, "meta");
    lua_setfield(L, info, "meta");
    mfl_pushresult(L, r, info);
    if (rc) return mfl_raise(L, "flow:integrate", &err); /* the result is collected */
    return 1;
}

static int flow_tostring(lua_State *L) {
    checkflow(L, 1);
    lua_getiuservalue(L, 1, 2);
    lua_getiuservalue(L, 1, 3);
    const char *opt = luaL_tolstring(L, -2, NULL);
    const char *noise = luaL_tolstring(L, -2, NULL);
    lua_pushfstring(L, "manifold flow (first order) of %s with noise %s", opt, noise);
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
    static const luaL_Reg methods[] = {{"drift", flow_drift}, {"integrate", flow_integrate},
                                       {NULL, NULL}};
    mfl_newtype(L, MF_FLOW, meta, methods);
    lua_pushcfunction(L, l_flow);
    lua_setfield(L, -2, "flow");
}
