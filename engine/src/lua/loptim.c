/* Optimizer userdata and learning-rate schedules. The Lua layer (lua/mflab/opt.lua,
 * schedule.lua) has checked the options; this layer reads them into the engine's parameter
 * block, which re-checks ranges. An optimizer's user value is a table {name, desc, opts, fn}:
 * desc is what tostring prints, opts the checked options (read by opt.<key>), fn the Lua
 * function of a function schedule, tabulated by mf.run before each run. */
#include <stdio.h>
#include <string.h>

#include "lbind.h"
#include "mflab/interrupt.h"

static const char *const kinds[] = {"constant", "step", "cosine", "function", NULL};

/* Reads a schedule: a number, a function, or a schedule table {kind = ..., ...}. */
void mfl_checkschedule(lua_State *L, int idx, mf_schedule *s, const char *fname) {
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TNUMBER) {
        *s = mf_schedule_constant(lua_tonumber(L, idx));
        return;
    }
    if (lua_isfunction(L, idx)) {
        *s = (mf_schedule){.kind = MF_SCHED_TABLE, .start = 1.0};
        return;
    }
    if (!lua_istable(L, idx))
        luaL_error(L,
                   "%s: option 'lr' must be a number, a function of the step or a schedule "
                   "(mf.schedule.*), got %s",
                   fname, luaL_typename(L, idx));
    lua_getfield(L, idx, "kind");
    const char *k = lua_tostring(L, -1);
    int kind = -1;
    for (int i = 0; k && kinds[i]; i++)
        if (strcmp(kinds[i], k) == 0) kind = i;
    lua_pop(L, 1);
    if (kind < 0)
        luaL_error(L, "%s: option 'lr' is a table but not a schedule (mf.schedule.*)", fname);
    static const enum mf_schedule_kind codes[] = {MF_SCHED_CONSTANT, MF_SCHED_STEP, MF_SCHED_COSINE,
                                                  MF_SCHED_TABLE};
    *s = (mf_schedule){.kind = codes[kind]};
    s->lr = mfl_optnumber(L, idx, "lr", 0.0);
    s->gamma = mfl_optnumber(L, idx, "gamma", 0.1);
    s->step_size = (uint64_t)mfl_optcount(L, idx, "step_size", 1, 1, fname);
    s->T = (uint64_t)mfl_optcount(L, idx, "T", 1, 1, fname);
    s->eta_min = mfl_optnumber(L, idx, "eta_min", 0.0);
    s->warmup = (uint64_t)mfl_optcount(L, idx, "warmup", 0, 0, fname);
    s->start = mfl_optnumber(L, idx, "start", 1.0);
}

/* core.schedule_at(schedule, k) for the built-in kinds. */
static int l_schedule_at(lua_State *L) {
    mf_schedule s;
    mfl_checkschedule(L, 1, &s, "schedule:at");
    lua_Integer k = mfl_checkcount(L, 2, 1, "schedule:at", "the step k");
    if (s.kind == MF_SCHED_TABLE) return luaL_error(L, "schedule:at: not a built-in schedule");
    mf_err err;
    if (mf_schedule_check(&s, &err)) return mfl_raise(L, "schedule:at", &err);
    lua_pushnumber(L, mf_schedule_at(&s, (uint64_t)k));
    return 1;
}

/* core.optim(name, opts, desc) */
static int l_optim(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checkstring(L, 3);
    char fname[64];
    snprintf(fname, sizeof fname, "mf.opt.%s", name);
    mf_optim_params p = {0};
    p.momentum = mfl_optnumber(L, 2, "momentum",
                               mfl_optnumber(L, 2, "mu", mfl_optnumber(L, 2, "beta", 0.0)));
    p.dampening = mfl_optnumber(L, 2, "dampening", 0.0);
    lua_getfield(L, 2, "nesterov");
    p.nesterov = lua_toboolean(L, -1);
    lua_getfield(L, 2, "centered");
    p.centered = lua_toboolean(L, -1);
    lua_pop(L, 2);
    p.weight_decay = mfl_optnumber(L, 2, "weight_decay", mfl_optnumber(L, 2, "wd", 0.0));
    if (lua_getfield(L, 2, "betas") == LUA_TTABLE) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2);
        p.beta1 = lua_tonumber(L, -2), p.beta2 = lua_tonumber(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    if (strcmp(name, "scalar_rmsprop") == 0) p.beta2 = mfl_optnumber(L, 2, "beta", 0.0);
    p.eps = mfl_optnumber(L, 2, "eps", 0.0);
    p.alpha = mfl_optnumber(L, 2, "alpha", 0.0);
    p.v0 = mfl_optnumber(L, 2, "v0", 0.0);

    lua_getfield(L, 2, "lr");
    int lr = lua_gettop(L);
    mf_schedule s;
    mfl_checkschedule(L, lr, &s, fname);
    double first = 0.0;
    if (s.kind == MF_SCHED_TABLE) { /* check the function at step 1 now; mf.run tabulates it */
        lua_pushvalue(L, lr);
        lua_pushinteger(L, 1);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L,
                              "%s: option 'lr': the schedule returned %s at step 1, not a number",
                              fname, luaL_typename(L, -1));
        first = lua_tonumber(L, -1);
        lua_pop(L, 1);
        s.table = &first, s.ntable = 1;
    }
    loptim *o = lua_newuserdatauv(L, sizeof *o, 1);
    luaL_setmetatable(L, MF_OPTIM);
    mf_err err;
    if (mf_optim_make(&o->o, name, &p, &s, &err)) return mfl_raise(L, fname, &err);
    o->o.sched.table = NULL, o->o.sched.ntable = 0;
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "name");
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "desc");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "opts");
    if (s.kind == MF_SCHED_TABLE) {
        lua_pushvalue(L, lr);
        lua_setfield(L, -2, "fn");
    }
    lua_setiuservalue(L, -2, 1);
    return 1;
}

int mfl_optim_prepare(lua_State *L, int idx, uint64_t steps, mf_optim *out, const char *fname) {
    loptim *o = luaL_checkudata(L, idx, MF_OPTIM);
    *out = o->o;
    if (o->o.sched.kind != MF_SCHED_TABLE) return 0;
    idx = lua_absindex(L, idx);
    size_t n = steps ? (size_t)steps : 1;
    mf_err err; /* checked before the table is allocated or the function called n times */
    if (mf_budget_check((double)n * sizeof(double), "tabulating the function-valued lr",
                        "use fewer steps or a built-in schedule (mf.schedule.*)", &err))
        return mfl_raise(L, fname, &err);
    double *t = lua_newuserdatauv(L, n * sizeof(double), 0);
    lua_getiuservalue(L, idx, 1);
    lua_getfield(L, -1, "fn");
    int fn = lua_gettop(L);
    for (size_t k = 0; k < n; k++) {
        /* Ctrl-C's hook stops the Lua function only in the thread it was set on (not in a
         * coroutine, nor when fn is a C function and the hook was cleared): poll the engine's
         * flag too, every 2^16 calls (~10 ms), and stop with an error naming the function */
        if ((k & 0xffff) == 0 && k && mf_interrupt_pending()) {
            mf_err_set(&err, MF_EINTR,
                       "interrupted while tabulating the function-valued lr, at step %zu of %zu",
                       k + 1, n);
            return mfl_raise(L, fname, &err);
        }
        lua_pushvalue(L, fn);
        lua_pushinteger(L, (lua_Integer)k + 1);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L,
                              "%s: the optimizer's option 'lr': the schedule returned %s at "
                              "step %I, not a number",
                              fname, luaL_typename(L, -1), (lua_Integer)k + 1);
        t[k] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 2); /* the table stays below, anchored on the stack for the run */
    out->sched.table = t, out->sched.ntable = n;
    return 1;
}

static int optim_tostring(lua_State *L) {
    luaL_checkudata(L, 1, MF_OPTIM);
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "desc");
    return 1;
}

static int optim_index(lua_State *L) {
    loptim *o = luaL_checkudata(L, 1, MF_OPTIM);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "name") == 0) {
        lua_pushstring(L, o->o.type->name);
    } else if (strcmp(k, "state_names") == 0) {
        lua_newtable(L);
        for (size_t s = 0; s < o->o.type->nstate; s++)
            if (o->o.type->state_names[s]) {
                lua_pushstring(L, o->o.type->state_names[s]);
                lua_seti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
            }
    } else {
        lua_getiuservalue(L, 1, 1);
        lua_getfield(L, -1, "opts");
        lua_getfield(L, -1, k);
    }
    return 1;
}

void mfl_open_optim(lua_State *L) {
    static const luaL_Reg meta[] = {
        {"__tostring", optim_tostring}, {"__index", optim_index}, {NULL, NULL}};
    mfl_newtype(L, MF_OPTIM, meta, NULL);
    static const luaL_Reg f[] = {{"optim", l_optim}, {"schedule_at", l_schedule_at}, {NULL, NULL}};
    luaL_setfuncs(L, f, 0);
}
