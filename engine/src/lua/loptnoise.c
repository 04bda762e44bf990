/* Noise-model userdata: small value types holding the engine's parameter blocks (the
 * optimizers are in loptim.c). Their options were checked by the Lua layer; the engine re-checks
 * ranges. */
#include <string.h>

#include "lbind.h"

static const char *space_name(enum mf_noise_space s) {
    return s == MF_SPACE_FULL ? "full" : s == MF_SPACE_NORMAL ? "normal" : "tangent";
}

static void push_noise_desc(lua_State *L, const mf_noise *nz) {
    if (strcmp(nz->type->name, "isotropic") == 0)
        lua_pushfstring(L, "isotropic{sigma = %f, space = \"%s\"}", nz->sigma,
                        space_name(nz->space));
    else if (strcmp(nz->type->name, "none") == 0)
        lua_pushstring(L, "none{}");
    else if (strcmp(nz->type->name, "label") == 0)
        lua_pushfstring(L, "label{eps = %f}", nz->sigma);
    else
        lua_pushfstring(L, "%s{sigma = %f}", nz->type->name, nz->sigma);
    if (nz->batch != 1.0) {
        lua_pushfstring(L, "minibatch{B = %f, of = %s}", nz->batch, lua_tostring(L, -1));
        lua_remove(L, -2);
    }
}

static int noise_tostring(lua_State *L) {
    lnoise *n = luaL_checkudata(L, 1, MF_NOISE);
    push_noise_desc(L, &n->nz);
    return 1;
}

static int noise_index(lua_State *L) {
    lnoise *n = luaL_checkudata(L, 1, MF_NOISE);
    const char *k = luaL_checkstring(L, 2);
    const int label = strcmp(n->nz.type->name, "label") == 0;
    if (strcmp(k, label ? "eps" : "sigma") == 0)
        lua_pushnumber(L, n->nz.sigma);
    else if (strcmp(k, "name") == 0)
        lua_pushstring(L, n->nz.type->name);
    else if (strcmp(k, "space") == 0)
        lua_pushstring(L, space_name(n->nz.space));
    else if (strcmp(k, "B") == 0)
        lua_pushnumber(L, n->nz.batch);
    else
        lua_pushnil(L);
    return 1;
}

/* core.noise_hessian(sigma) */
static int l_noise_hessian(lua_State *L) {
    double sigma = luaL_checknumber(L, 1);
    lnoise *n = lua_newuserdatauv(L, sizeof *n, 0);
    luaL_setmetatable(L, MF_NOISE);
    mf_err err;
    if (mf_noise_hessian(&n->nz, sigma, &err)) return mfl_raise(L, "mf.noise.hessian", &err);
    return 1;
}

/* core.noise_isotropic(sigma, space) */
static int l_noise_isotropic(lua_State *L) {
    double sigma = luaL_checknumber(L, 1);
    static const char *const spaces[] = {"full", "normal", NULL};
    static const enum mf_noise_space codes[] = {MF_SPACE_FULL, MF_SPACE_NORMAL};
    int s = luaL_checkoption(L, 2, "normal", spaces);
    lnoise *n = lua_newuserdatauv(L, sizeof *n, 0);
    luaL_setmetatable(L, MF_NOISE);
    mf_err err;
    if (mf_noise_isotropic(&n->nz, sigma, codes[s], &err))
        return mfl_raise(L, "mf.noise.isotropic", &err);
    return 1;
}

/* core.noise_none() */
static int l_noise_none(lua_State *L) {
    lnoise *n = lua_newuserdatauv(L, sizeof *n, 0);
    luaL_setmetatable(L, MF_NOISE);
    mf_noise_none(&n->nz, NULL);
    return 1;
}

/* core.noise_label(eps) */
static int l_noise_label(lua_State *L) {
    double eps = luaL_checknumber(L, 1);
    lnoise *n = lua_newuserdatauv(L, sizeof *n, 0);
    luaL_setmetatable(L, MF_NOISE);
    mf_err err;
    if (mf_noise_label(&n->nz, eps, &err)) return mfl_raise(L, "mf.noise.label", &err);
    return 1;
}

/* core.noise_minibatch(inner, B) */
static int l_noise_minibatch(lua_State *L) {
    lnoise *in = luaL_checkudata(L, 1, MF_NOISE);
    double B = luaL_checknumber(L, 2);
    lnoise *n = lua_newuserdatauv(L, sizeof *n, 0);
    luaL_setmetatable(L, MF_NOISE);
    mf_err err;
    if (mf_noise_minibatch(&n->nz, &in->nz, B, &err))
        return mfl_raise(L, "mf.noise.minibatch", &err);
    return 1;
}

void mfl_open_optim_noise(lua_State *L) {
    static const luaL_Reg noise_meta[] = {
        {"__tostring", noise_tostring}, {"__index", noise_index}, {NULL, NULL}};
    mfl_open_optim(L);
    mfl_newtype(L, MF_NOISE, noise_meta, NULL);
    static const luaL_Reg f[] = {
        {"noise_hessian", l_noise_hessian}, {"noise_isotropic", l_noise_isotropic},
        {"noise_none", l_noise_none},       {"noise_minibatch", l_noise_minibatch},
        {"noise_label", l_noise_label},     {NULL, NULL}};
    luaL_setfuncs(L, f, 0);
}
