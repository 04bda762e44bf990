/* mf.run and its result: core.run(opts) with opts already checked by the Lua layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"
#include "mflab/interrupt.h"
#include "mflab/io.h"

static lresult *checkresult(lua_State *L, int i) {
    return luaL_checkudata(L, i, MF_RESULT);
}

void mfl_pushresult(lua_State *L, mf_result *r, int info_idx) {
    info_idx = lua_absindex(L, info_idx);
    lresult *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->r = r;
    luaL_setmetatable(L, MF_RESULT);
    lua_pushvalue(L, info_idx);
    lua_setiuservalue(L, -2, 1);
}

/* Index (0-based) of the observable called name, or an error naming fname. The names table
 * is the result's private copy (r.names hands out copies), so every entry is a string. */
static size_t obs_index(lua_State *L, int ud, const char *name, const char *fname) {
    lua_getiuservalue(L, ud, 1);
    lua_getfield(L, -1, "names");
    int names = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, names);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, names, i);
        const char *s = lua_tostring(L, -1);
        int eq = s && strcmp(s, name) == 0;
        lua_pop(L, 1);
        if (eq) {
            lua_pop(L, 2);
            return (size_t)(i - 1);
        }
    }
    /* A luaL_Buffer owns the top of the stack: the separator goes in before the name is
     * pushed, so the buffer's box (created when it grows) is never above a pending value. */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
        if (i > 1) luaL_addstring(&b, ", ");
        lua_rawgeti(L, names, i);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return (size_t)luaL_error(L, "%s: '%s' was not recorded (recorded: %s)", fname, name,
                              lua_tostring(L, -1));
}

/* A fresh array with the entries 1..#t of the table at idx (raw reads: t is private). */
static void push_copy(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    lua_createtable(L, n < INT32_MAX ? (int)n : 0, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        lua_rawseti(L, -2, i);
    }
}

static void push_series(lua_State *L, const mf_result *r, size_t v, int what) {
    lvector *out = mfl_newvector(L, r->nrec);
    for (size_t j = 0; j < r->nrec; j++) {
        double mu, var;
        mf_result_moments(r, v, j, &mu, &var);
        out->x[j] = what == 0 ? mu : what == 1 ? var : sqrt(var);
    }
}

static int res_moment(lua_State *L, int what, const char *fname) {
    lresult *u = checkresult(L, 1);
    size_t v = obs_index(L, 1, luaL_checkstring(L, 2), fname);
    push_series(L, u->r, v, what);
    return 1;
}
static int res_mean(lua_State *L) {
    return res_moment(L, 0, "result:mean");
}
static int res_var(lua_State *L) {
    return res_moment(L, 1, "result:var");
}
static int res_std(lua_State *L) {
    return res_moment(L, 2, "result:std");
}

static int res_column(lua_State *L) {
    lresult *u = checkresult(L, 1);
    size_t v = obs_index(L, 1, luaL_checkstring(L, 2), "result:column");
    lua_Integer s =
        lua_isnoneornil(L, 3) ? 1 : mfl_checkcount(L, 3, 1, "result:column", "the seed");
    if (s < 1 || (size_t)s > u->r->seeds)
        return luaL_error(
            L, "result:column: seed %d out of range 1..%d%s", (int)s, (int)u->r->seeds,
            u->r->stats ? " (the trajectories kept: option 'keep_trajectories')" : "");
    lvector *out = mfl_newvector(L, u->r->nrec);
    for (size_t j = 0; j < u->r->nrec; j++)
        out->x[j] = mf_result_at(u->r, v, j, (size_t)s - 1);
    return 1;
}

/* r:at(name, j) -> the values of every seed at record j, as a table */
static int res_at(lua_State *L) {
    lresult *u = checkresult(L, 1);
    size_t v = obs_index(L, 1, luaL_checkstring(L, 2), "result:at");
    lua_Integer j = mfl_checkcount(L, 3, 1, "result:at", "the record index");
    if (j < 1 || (size_t)j > u->r->nrec)
        return luaL_error(L, "result:at: record %d out of range 1..%d", (int)j, (int)u->r->nrec);
    lvector *out = mfl_newvector(L, u->r->seeds);
    for (size_t i = 0; i < u->r->seeds; i++)
        out->x[i] = mf_result_at(u->r, v, (size_t)j - 1, i);
    return 1;
}

/* r:min(name), r:max(name): per-record extremes of a statistics-only result */
static int res_extreme(lua_State *L, int max, const char *fname) {
    lresult *u = checkresult(L, 1);
    size_t v = obs_index(L, 1, luaL_checkstring(L, 2), fname);
    const mf_result *r = u->r;
    if (!r->stats)
        return luaL_error(L, "%s: needs a statistics-only result (keep = \"stats\")", fname);
    lvector *out = mfl_newvector(L, r->nrec);
    for (size_t j = 0; j < r->nrec; j++) {
        const size_t h = v * r->nrec_alloc + j;
        out->x[j] = max ? r->stats->max[h] : r->stats->min[h];
    }
    return 1;
}
static int res_min(lua_State *L) {
    return res_extreme(L, 0, "result:min");
}
static int res_max(lua_State *L) {
    return res_extreme(L, 1, "result:max");
}

/* r:quantile(name, p): the series of quantile p (one of the run's quantile levels) */
static int res_quantile(lua_State *L) {
    lresult *u = checkresult(L, 1);
    size_t v = obs_index(L, 1, luaL_checkstring(L, 2), "result:quantile");
    double p = luaL_checknumber(L, 3);
    const mf_result *r = u->r;
    if (!r->stats)
        return luaL_error(L, "result:quantile: needs a statistics-only result (keep = \"stats\")");
    size_t a = 0;
    while (a < r->stats->nq && r->stats->q[a] != p)
        a++;
    if (a == r->stats->nq) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < r->stats->nq; i++) {
            lua_pushfstring(L, "%s%f", i ? ", " : "", r->stats->q[i]);
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        return luaL_error(
            L, "result:quantile: level %f was not kept (option 'quantiles' of mf.run: %s)", p,
            r->stats->nq ? lua_tostring(L, -1) : "none");
    }
    lvector *out = mfl_newvector(L, r->nrec);
    for (size_t j = 0; j < r->nrec; j++)
        out->x[j] = r->stats->quant[(v * r->nrec_alloc + j) * r->stats->nq + a];
    return 1;
}

/* r:alive([j]): trajectories alive (finite) at record j, or the table for every record */
static int res_alive(lua_State *L) {
    const mf_result *r = checkresult(L, 1)->r;
    if (!lua_isnoneornil(L, 2)) {
        lua_Integer j = mfl_checkcount(L, 2, LUA_MININTEGER, "result:alive", "the record index");
        if (j < 1 || (size_t)j > r->nrec)
            return luaL_error(L, "result:alive: record %d out of range 1..%d", (int)j,
                              (int)r->nrec);
        lua_pushinteger(L, r->alive ? (lua_Integer)r->alive[j - 1] : (lua_Integer)r->ntraj);
        return 1;
    }
    lua_createtable(L, (int)r->nrec, 0);
    for (size_t j = 0; j < r->nrec; j++) {
        lua_pushinteger(L, r->alive ? (lua_Integer)r->alive[j] : (lua_Integer)r->ntraj);
        lua_seti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

/* r:save(path [, layout]) with layout "summary" (default) or "long" */
static int res_save(lua_State *L) {
    lresult *u = checkresult(L, 1);
    const char *path = luaL_checkstring(L, 2);
    static const char *const layouts[] = {"summary", "long", NULL};
    int layout = luaL_checkoption(L, 3, "summary", layouts);
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "names");
    size_t n = u->r->nobs;
    const char **names = lua_newuserdatauv(L, (n + 1) * sizeof *names, 0);
    for (size_t v = 0; v < n; v++) {
        lua_geti(L, -2, (lua_Integer)v + 1);
        names[v] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the string stays alive in the names table */
    }
    lua_getfield(L, -3, "meta");
    const char *meta = lua_tostring(L, -1);
    mf_err err;
    if (mf_result_write_csv(u->r, names, meta, layout ? MF_CSV_LONG : MF_CSV_SUMMARY, path, &err))
        return mfl_raise(L, "result:save", &err);
    lua_settop(L, 1);
    return 1;
}

static int res_index(lua_State *L) {
    lresult *u = checkresult(L, 1);
    const char *k = luaL_checkstring(L, 2);
    mf_result *r = u->r;
    if (strcmp(k, "t") == 0) { /* steps as doubles: exact below 2^53 */
        lvector *out = mfl_newvector(L, r->nrec);
        for (size_t j = 0; j < r->nrec; j++)
            out->x[j] = (double)r->t[j];
    } else if (strcmp(k, "seeds") == 0) {
        lua_pushinteger(L, (lua_Integer)r->ntraj);
    } else if (strcmp(k, "kept") == 0) { /* trajectories stored whole */
        lua_pushinteger(L, (lua_Integer)r->seeds);
    } else if (strcmp(k, "stats") == 0) {
        lua_pushboolean(L, r->stats != NULL);
    } else if (strcmp(k, "quantiles") == 0) {
        lua_createtable(L, r->stats ? (int)r->stats->nq : 0, 0);
        for (size_t a = 0; r->stats && a < r->stats->nq; a++) {
            lua_pushnumber(L, r->stats->q[a]);
            lua_seti(L, -2, (lua_Integer)a + 1);
        }
    } else if (strcmp(k, "dropped") == 0 || strcmp(k, "drop_step") == 0) {
        /* dropped: the trajectories (1-based) that left the reals; drop_step[i]: the step at
         * which trajectory i did (0: never) */
        int all = k[1] == 'r' && k[4] == '_';
        lua_newtable(L);
        lua_Integer n = 0;
        for (size_t i = 0; i < r->ntraj; i++) {
            uint64_t s = r->drop_step ? r->drop_step[i] : 0;
            if (all) {
                lua_pushinteger(L, (lua_Integer)s);
                lua_seti(L, -2, (lua_Integer)i + 1);
            } else if (s) {
                lua_pushinteger(L, (lua_Integer)i + 1);
                lua_seti(L, -2, ++n);
            }
        }
    } else if (strcmp(k, "fail_step") == 0 || strcmp(k, "fail_trajectory") == 0) {
        if (!r->fail_step)
            lua_pushnil(L);
        else
            lua_pushinteger(L, k[5] == 's' ? (lua_Integer)r->fail_step
                                           : (lua_Integer)r->fail_traj + 1);
    } else if (strcmp(k, "error") == 0) {
        lua_getiuservalue(L, 1, 1);
        lua_getfield(L, -1, k);
    } else if (strcmp(k, "steps") == 0) {
        lua_pushinteger(L, (lua_Integer)r->steps_done);
    } else if (strcmp(k, "nrec") == 0) {
        lua_pushinteger(L, (lua_Integer)r->nrec);
    } else if (strcmp(k, "names") == 0) { /* a copy: the result's own list stays private */
        lua_getiuservalue(L, 1, 1);
        lua_getfield(L, -1, k);
        push_copy(L, -1);
    } else if (strcmp(k, "meta") == 0 || strcmp(k, "metadata") == 0) {
        lua_getiuservalue(L, 1, 1);
        lua_getfield(L, -1, k);
    } else {
        luaL_getmetafield(L, 1, "methods");
        if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
        /* r.x1 is the series of a one-seed result (a manifold flow, a single run) */
        size_t v = obs_index(L, 1, k, "result");
        if (r->ntraj != 1)
            return luaL_error(L,
                              "result: r.%s needs a one-seed result; use r:mean('%s') or "
                              "r:column('%s', seed)",
                              k, k, k);
        push_series(L, r, v, 0);
    }
    return 1;
}

static int res_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)checkresult(L, 1)->r->nrec);
    return 1;
}

static int res_tostring(lua_State *L) {
    lresult *u = checkresult(L, 1);
    mf_result *r = u->r;
    lua_settop(L, 1);
    lua_getiuservalue(L, 1, 1);  /* 2: info */
    lua_getfield(L, 2, "names"); /* 3: names */
    lua_getfield(L, 2, "meta");  /* 4: meta */
    char line[200];
    snprintf(
        line, sizeof line, "mf result: %zu seed%s x %zu records (t = %llu..%llu)%s; recorded ",
        r->ntraj, r->ntraj == 1 ? "" : "s", r->nrec, (unsigned long long)(r->nrec ? r->t[0] : 0),
        (unsigned long long)(r->nrec ? r->t[r->nrec - 1] : 0), r->stats ? ", statistics only" : "");
    /* only the buffer's own slot is above index 4 while it is in use; each value is pushed
     * right before the luaL_addvalue that takes it */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, line);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    for (lua_Integer v = 1; v <= n; v++) {
        if (v > 1) luaL_addstring(&b, ", ");
        lua_rawgeti(L, 3, v);
        luaL_addvalue(&b);
    }
    if (lua_type(L, 4) == LUA_TSTRING) { /* what ran: a second line */
        luaL_addstring(&b, "\n  ");
        lua_pushvalue(L, 4);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

static int res_gc(lua_State *L) {
    lresult *u = checkresult(L, 1);
    mf_result_free(u->r);
    u->r = NULL;
    return 0;
}

/* Raises an error object: a table with message, step, trajectory and result (what was
 * recorded before the failure), whose __tostring is the message. */
int mfl_raise_result(lua_State *L, const char *fname, const mf_err *err, int res_idx) {
    res_idx = lua_absindex(L, res_idx);
    mf_result *r = checkresult(L, res_idx)->r;
    mfl_interrupt_reported(L, err);
    lua_createtable(L, 0, 4);
    lua_pushfstring(L, "%s: %s", fname, err->msg);
    lua_setfield(L, -2, "message");
    if (err->code == MF_ENONFINITE && r->fail_step) {
        lua_pushinteger(L, (lua_Integer)r->fail_step);
        lua_setfield(L, -2, "step");
        lua_pushinteger(L, (lua_Integer)r->fail_traj + 1);
        lua_setfield(L, -2, "trajectory");
    }
    lua_pushvalue(L, res_idx);
    lua_setfield(L, -2, "result");
    luaL_setmetatable(L, MF_ERROR);
    return lua_error(L);
}

static int err_tostring(lua_State *L) {
    lua_getfield(L, 1, "message");
    return 1;
}

static void *checkudata_or_nil(lua_State *L, int t, const char *key, const char *tname,
                               int required) {
    lua_getfield(L, t, key);
    void *p = lua_isnil(L, -1) ? NULL : luaL_testudata(L, -1, tname);
    if (!p && (required || !lua_isnil(L, -1)))
        luaL_error(L, "mf.run: option '%s' must be a %s, got %s", key, tname, luaL_typename(L, -1));
    lua_pop(L, 1); /* kept alive by the options table */
    return p;
}

/* "m1..m<d>, v1..v<d>" for the record error message */
static const char *state_list(const mf_optim *o, size_t d) {
    static _Thread_local char buf[160];
    buf[0] = '\0';
    for (size_t a = 0; a < o->type->nstate; a++) {
        const char *n = o->type->state_names[a];
        if (!n) continue;
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof buf - len, "%s%s%s", len ? ", " : "", n,
                 o->type->scalar_state ? "" : "1..");
        if (!o->type->scalar_state) {
            len = strlen(buf);
            snprintf(buf + len, sizeof buf - len, "%s%zu", n, d);
        }
    }
    return buf[0] ? buf : "none";
}

/* "x1..x<d>, loss, trH, ..." from core's list of observables (the optimizer's state apart) */
static void push_known(lua_State *L, size_t d) {
    const mf_observable_info *info;
    size_t n = mf_observable_list(&info);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) {
        const char *name = info[i].name;
        if (info[i].kind == MF_OBS_STATE) continue;
        if (i) luaL_addstring(&b, ", ");
        const char *k = strstr(name, "<k>");
        if (k) { /* a family: x<k> -> x1..x<d> */
            luaL_addlstring(&b, name, (size_t)(k - name));
            luaL_addstring(&b, "1..");
            luaL_addlstring(&b, name, (size_t)(k - name));
            char num[24];
            snprintf(num, sizeof num, "%zu", d);
            luaL_addstring(&b, num);
        } else {
            luaL_addstring(&b, name);
        }
    }
    luaL_pushresult(&b);
}

/* core.observables() -> {{name =, doc =}, ...}: the recorder's list, for help and README */
static int l_observables(lua_State *L) {
    const mf_observable_info *info;
    size_t n = mf_observable_list(&info);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, info[i].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, info[i].doc);
        lua_setfield(L, -2, "doc");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* The info table of a result: names, and meta and metadata from the table at t. */
static void push_info(lua_State *L, int names, int t) {
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, names); /* the result's own copy of the names */
    lua_setfield(L, -2, "names");
    lua_getfield(L, t, "meta");
    lua_setfield(L, -2, "meta");
    lua_getfield(L, t, "metadata");
    lua_setfield(L, -2, "metadata");
}

/* One configuration from the table at t: optimizer (prepared), noise and x0 (into x0). */
static void read_conf(lua_State *L, int t, size_t d, mf_optim *opt, mf_run_conf *cf, double *x0,
                      uint64_t steps) {
    checkudata_or_nil(L, t, "optimizer", MF_OPTIM, 1);
    lnoise *n = checkudata_or_nil(L, t, "noise", MF_NOISE, 0);
    lua_getfield(L, t, "x0");
    mfl_checkpoint(L, -1, d, x0, "mf.run", "option 'x0'");
    lua_pop(L, 1);
    lua_getfield(L, t, "optimizer");
    mfl_optim_prepare(L, -1, steps, opt, "mf.run"); /* a tabulated schedule stays on the stack */
    *cf = (mf_run_conf){opt, n ? &n->nz : NULL, x0};
}

static int l_run(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    mf_run_config c = {0};
    llandscape *ls = checkudata_or_nil(L, 1, "landscape", MF_LANDSCAPE, 1);
    c.landscape = ls->L;
    size_t d = ls->L->dim;
    c.steps = (uint64_t)mfl_optcount(L, 1, "steps", 0, 0, "mf.run");
    c.every = (uint64_t)mfl_optcount(L, 1, "every", 1, 1, "mf.run");
    c.seeds = (size_t)mfl_optcount(L, 1, "seeds", 1, 1, "mf.run");
    c.seed = (uint64_t)mfl_optcount(L, 1, "seed", 0, 0, "mf.run");
    c.threads = (int)mfl_optcount(L, 1, "threads", 0, 0, "mf.run");
    c.block = (size_t)mfl_optcount(L, 1, "block", 0, 0, "mf.run");

    /* configurations: opts.configs (a batched run) or the options themselves */
    int batched = lua_getfield(L, 1, "configs") == LUA_TTABLE;
    int confs_t = lua_gettop(L);
    size_t K = batched ? (size_t)luaL_len(L, confs_t) : 1;
    if (batched && K < 1) return luaL_error(L, "mf.run: option 'configs' is empty");
    mf_run_conf *confs = lua_newuserdatauv(L, K * sizeof *confs, 0);
    mf_optim *opts = lua_newuserdatauv(L, K * sizeof *opts, 0);
    double *x0s = lua_newuserdatauv(L, K * d * sizeof(double), 0);
    for (size_t k = 0; k < K; k++) {
        luaL_checkstack(L, 4, "mf.run: too many configurations");
        int t = 1;
        if (batched) {
            lua_geti(L, confs_t, (lua_Integer)k + 1);
            luaL_checktype(L, -1, LUA_TTABLE);
            t = lua_gettop(L); /* stays on the stack: it anchors the configuration's objects */
        }
        read_conf(L, t, d, &opts[k], &confs[k], x0s + k * d, c.steps);
    }
    c.confs = confs;
    c.nconfs = K;

    /* observables: the names in opts.record, in order */
    lua_getfield(L, 1, "record");
    int rec = lua_gettop(L);
    luaL_checktype(L, rec, LUA_TTABLE);
    lua_Integer nrecord = luaL_len(L, rec); /* a __len may say anything */
    if (nrecord < 0 || nrecord > MFL_MAX_RECORD)
        return luaL_error(L, "mf.run: option 'record' has %I entries (at most %d)", nrecord,
                          MFL_MAX_RECORD);
    size_t nobs = (size_t)nrecord;
    mf_observable *obs = lua_newuserdatauv(L, (nobs + 1) * sizeof *obs, 0);
    lua_createtable(L, (int)nobs, 0); /* the result's own copy of the names, as strings */
    int names = lua_gettop(L);
    for (size_t v = 0; v < nobs; v++) {
        lua_geti(L, rec, (lua_Integer)v + 1);
        const char *s = lua_tostring(L, -1);
        if (!s || !mf_observable_parse(s, ls->L, &opts[0], &obs[v])) {
            push_known(L, d); /* the names from core's one list */
            return luaL_error(
                L,
                "mf.run: option 'record': unknown observable '%s' (known: %s%s%s, and the "
                "optimizer's state: %s)",
                s ? s : luaL_typename(L, -2), lua_tostring(L, -1),
                ls->L->type->obs_help ? ", " : "",
                ls->L->type->obs_help ? ls->L->type->obs_help : "", state_list(&opts[0], d));
        }
        lua_rawseti(L, names, (lua_Integer)v + 1);
    }
    c.obs = obs;
    c.nobs = nobs;

    /* divergence and what to keep */
    lua_getfield(L, 1, "on_nonfinite");
    const char *onf = lua_tostring(L, -1);
    c.on_nonfinite = onf && strcmp(onf, "drop") == 0 ? MF_NONFINITE_DROP : MF_NONFINITE_ERROR;
    lua_getfield(L, 1, "keep");
    const char *keep = lua_tostring(L, -1);
    c.keep = keep && strcmp(keep, "stats") == 0 ? MF_KEEP_STATS : MF_KEEP_TRAJECTORIES;
    lua_pop(L, 2);
    c.keep_trajectories = (size_t)mfl_optcount(L, 1, "keep_trajectories", 0, 0, "mf.run");
    if (lua_getfield(L, 1, "quantiles") == LUA_TTABLE) {
        size_t nq = (size_t)luaL_len(L, -1);
        double *q = lua_newuserdatauv(L, (nq + 1) * sizeof *q, 0); /* stays on the stack */
        for (size_t a = 0; a < nq; a++) {
            lua_geti(L, -2, (lua_Integer)a + 1);
            q[a] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        c.quantiles = q, c.nquantiles = nq;
    }

    /* checkpoint = {path =, every = seconds}, resume = path (checked by the Lua layer) */
    if (lua_getfield(L, 1, "checkpoint") == LUA_TTABLE) {
        lua_getfield(L, -1, "path");
        c.checkpoint = lua_tostring(L, -1); /* anchored by the options table */
        lua_pop(L, 1);
        c.checkpoint_every = mfl_optnumber(L, lua_gettop(L), "every", 60.0);
    }
    lua_getfield(L, 1, "resume");
    c.resume = lua_tostring(L, -1);
    lua_pop(L, 2);

    mfl_progress progress;
    if (mfl_progress_init(L, 1, &progress)) {
        c.progress = mfl_progress_call;
        c.progress_ctx = &progress;
    }
    mf_result **rs = lua_newuserdatauv(L, K * sizeof *rs, 0);
    mf_err err = {0};
    int rc = mf_run_batch(&c, rs, &err);
    if (!rs[0]) {
        mfl_landscape_checkcb(L, ls); /* a Lua-defined landscape's own error comes first */
        return mfl_raise(L, "mf.run", &err);
    }
    if (!batched) {
        push_info(L, names, 1);
        mfl_pushresult(L, rs[0], -1);
        mfl_landscape_checkcb(L, ls);
        if (rc) return mfl_raise_result(L, "mf.run", &err, -1);
        return 1;
    }
    /* K results; a configuration that left the reals carries its error instead of raising */
    lua_createtable(L, (int)K, 0);
    int arr = lua_gettop(L);
    for (size_t k = 0; k < K; k++) {
        lua_geti(L, confs_t, (lua_Integer)k + 1);
        push_info(L, names, lua_gettop(L));
        if (rs[k]->fail_step) {
            lua_pushfstring(L,
                            "mf.run: configuration %d: non-finite value at step %I in trajectory "
                            "%d (seed index, 1-based); %d records before it kept",
                            (int)k + 1, (lua_Integer)rs[k]->fail_step, (int)rs[k]->fail_traj + 1,
                            (int)rs[k]->nrec);
            lua_setfield(L, -2, "error");
        }
        mfl_pushresult(L, rs[k], -1);
        lua_seti(L, arr, (lua_Integer)k + 1);
        lua_pop(L, 2);
    }
    mfl_landscape_checkcb(L, ls);
    if (rc == MF_EINTR || (rc && rc != MF_ENONFINITE)) return mfl_raise(L, "mf.run", &err);
    lua_settop(L, arr);
    return 1;
}

void mfl_open_run(lua_State *L) {
    static const luaL_Reg meta[] = {{"__index", res_index},
                                    {"__len", res_len},
                                    {"__tostring", res_tostring},
                                    {"__gc", res_gc},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"mean", res_mean},     {"var", res_var}, {"std", res_std},
        {"column", res_column}, {"at", res_at},   {"save", res_save},
        {"min", res_min},       {"max", res_max}, {"quantile", res_quantile},
        {"alive", res_alive},   {NULL, NULL}};
    static const luaL_Reg err_meta[] = {{"__tostring", err_tostring}, {NULL, NULL}};
    mfl_newtype(L, MF_RESULT, meta, methods);
    mfl_newtype(L, MF_ERROR, err_meta, NULL);
    lua_pushcfunction(L, l_run);
    lua_setfield(L, -2, "run");
    lua_pushcfunction(L, l_observables);
    lua_setfield(L, -2, "observables");
}
