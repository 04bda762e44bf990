/* The C module "mflab.core": registers the userdata types and the engine's constructors.
 * The public, documented API is lua/mflab/init.lua, which checks option tables against
 * their schemas and calls into this module. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <cblas.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbind.h"
#include "mflab/isa.h"
#include "mflab/interrupt.h"
#include "mflab_lua.h"

void mfl_interrupt_reported(lua_State *L, const mf_err *err) {
    if (err->code != MF_EINTR) return;
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, MFL_INTERRUPT_REPORTED);
}

int mfl_raise(lua_State *L, const char *fname, const mf_err *err) {
    mfl_interrupt_reported(L, err);
    return luaL_error(L, "%s: %s", fname, err->msg);
}

size_t mfl_checklen(lua_State *L, int idx, size_t max, const char *fname, const char *what) {
    lua_Integer n = luaL_len(L, idx);
    if (n < 0 || (lua_Unsigned)n > max)
        luaL_error(L, "%s: %s has length %I (must be 0..%I)", fname, what, n, (lua_Integer)max);
    return (size_t)n;
}

void mfl_checkpoint(lua_State *L, int idx, size_t d, double *out, const char *fname,
                    const char *what) {
    lvector *v = luaL_testudata(L, idx, MF_VECTOR);
    if (v) {
        if (v->n != d)
            luaL_error(L, "%s: %s has %I entries, the landscape has dimension %I", fname, what,
                       (lua_Integer)v->n, (lua_Integer)d);
        memcpy(out, v->x, d * sizeof *out);
        return;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: %s must be a table of %d numbers or a vector, got %s", fname, what,
                   (int)d, luaL_typename(L, idx));
    lua_Integer n = luaL_len(L, idx);
    if (n != (lua_Integer)d) /* a __len of -1 or 2^61 lands here too */
        luaL_error(L, "%s: %s has %I entries, the landscape has dimension %I", fname, what, n,
                   (lua_Integer)d);
    for (size_t i = 0; i < d; i++) {
        lua_geti(L, idx, (lua_Integer)i + 1);
        int ok;
        out[i] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "%s: %s[%d] must be a number, got %s", fname, what, (int)i + 1,
                       luaL_typename(L, -1));
        lua_pop(L, 1);
    }
}

void mfl_pushtable(lua_State *L, const double *x, size_t n) {
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, x[i]);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
}

void mfl_newtype(lua_State *L, const char *tname, const luaL_Reg *meta, const luaL_Reg *methods) {
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, meta, 0);
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        if (lua_getfield(L, -2, "__index") == LUA_TNIL) {
            lua_pushvalue(L, -2);
            lua_setfield(L, -4, "__index");
        }
        lua_pop(L, 1);
        lua_setfield(L, -2, "methods");
    }
    lua_pop(L, 1);
}

lua_Integer mfl_checkcount(lua_State *L, int idx, lua_Integer min, const char *fname,
                           const char *what) {
    int isnum;
    lua_Integer v = lua_tointegerx(L, idx, &isnum); /* 1e6 converts; 1.5, NaN, 1e300 do not */
    if (!isnum || v < min) {
        if (lua_type(L, idx) == LUA_TNUMBER)
            luaL_error(L, "%s: %s must be an integer >= %I, got %s", fname, what, (LUAI_UACINT)min,
                       lua_tostring(L, idx));
        luaL_error(L, "%s: %s must be an integer >= %I, got %s", fname, what, (LUAI_UACINT)min,
                   luaL_typename(L, idx));
    }
    return v;
}

lua_Integer mfl_optcount(lua_State *L, int t, const char *key, lua_Integer def, lua_Integer min,
                         const char *fname) {
    lua_getfield(L, t, key);
    lua_Integer v = def;
    if (!lua_isnil(L, -1)) {
        char what[64];
        snprintf(what, sizeof what, "option '%s'", key);
        v = mfl_checkcount(L, -1, min, fname, what);
    }
    lua_pop(L, 1);
    return v;
}

double mfl_optnumber(lua_State *L, int t, const char *key, double def) {
    lua_getfield(L, t, key);
    double v = lua_isnil(L, -1) ? def : lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

int mfl_progress_init(lua_State *L, int t, mfl_progress *p) {
    lua_getfield(L, t, "progress");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    luaL_checktype(L, -1, LUA_TFUNCTION);
    *p = (mfl_progress){.L = L, .fn = lua_gettop(L), .t0 = mf_clock()};
    return 1;
}

void mfl_progress_call(void *ctx, uint64_t done, uint64_t total) {
    mfl_progress *p = ctx;
    if (p->off || !lua_checkstack(p->L, 4)) return;
    lua_pushvalue(p->L, p->fn);
    lua_pushinteger(p->L, (lua_Integer)done);
    lua_pushinteger(p->L, (lua_Integer)total);
    lua_pushnumber(p->L, mf_clock() - p->t0);
    if (lua_pcall(p->L, 3, 0, 0) != LUA_OK) { /* never unwind through the engine */
        lua_pop(p->L, 1);
        p->off = 1;
    }
}

/* core.isatty(name): whether "stdin", "stdout" or "stderr" is a terminal */
static int l_isatty(lua_State *L) {
    static const char *const names[] = {"stdin", "stdout", "stderr", NULL};
    lua_pushboolean(L, isatty(luaL_checkoption(L, 1, NULL, names)));
    return 1;
}

/* core.watchdog(seconds): a per-call time budget for the fuzzer and long tests. Arms a
 * one-shot real-time timer whose SIGALRM interrupts the running computation exactly as
 * Ctrl-C does (the engine's interrupt flag, then a Lua error "watchdog: ..." at the next Lua
 * instruction); watchdog(0) disarms it and clears a pending interrupt. */
static lua_State *volatile watched = NULL;

static void watchdog_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    lua_pushliteral(L, "watchdog: the call exceeded its time budget"); /* no position */
    lua_error(L);
}

static void on_sigalrm(int sig) {
    (void)sig;
    int saved_errno = errno;
    mf_interrupt_set();
    lua_State *L = watched;
    if (L)
        lua_sethook(L, watchdog_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
    errno = saved_errno;
}

static int l_watchdog(lua_State *L) {
    double sec = luaL_checknumber(L, 1);
    struct itimerval it = {{0, 0}, {0, 0}};
    if (sec > 0) {
        static int installed = 0;
        if (!installed) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_sigalrm;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGALRM, &sa, NULL);
            installed = 1;
        }
        watched = L;
        it.it_value.tv_sec = (time_t)sec;
        it.it_value.tv_usec = (suseconds_t)((sec - (double)(time_t)sec) * 1e6);
        if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) it.it_value.tv_usec = 1;
    }
    setitimer(ITIMER_REAL, &it, NULL);
    if (sec <= 0) {
        watched = NULL;
        if (lua_gethook(L) == watchdog_hook) lua_sethook(L, NULL, 0, 0);
        mf_interrupt_clear();
    }
    return 0;
}

static int l_interrupt_clear(lua_State *L) {
    mf_interrupt_clear();
    return 0;
}

/* Whether Ctrl-C was pressed: mf.parallel.map lets an "interrupted!" error through instead of
 * recording it as a failed point. */
static int l_interrupt_pending(lua_State *L) {
    lua_pushboolean(L, mf_interrupt_pending());
    return 1;
}

/* mflab parallelizes over trajectories itself; OpenBLAS's own threads only spin (sched_yield)
 * on the small products of the engine and steal the cores the workers need. One BLAS thread
 * unless MFLAB_BLAS_THREADS says otherwise. */
static void blas_threads(void) {
    const char *e = getenv("MFLAB_BLAS_THREADS");
    int n = e ? atoi(e) : 1;
    openblas_set_num_threads(n > 0 ? n : 1);
}

int luaopen_mflab_core(lua_State *L) {
    blas_threads();
    lua_newtable(L);
    mfl_open_vector(L);
    mfl_open_landscape(L);
    mfl_open_expr(L);
    mfl_open_optim_noise(L);
    mfl_open_run(L);
    mfl_open_manifold(L);
    mfl_open_analysis(L);
    mfl_open_export(L);
    mfl_open_file(L);
    mfl_open_ode(L);
    /* core.methods.<type>: the method tables, so the Lua layer can add methods in Lua */
    static const char *const types[][2] = {{"landscape", MF_LANDSCAPE},
                                           {"result", MF_RESULT},
                                           {"flow", MF_FLOW},
                                           {"vector", MF_VECTOR}};
    lua_newtable(L);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        luaL_getmetatable(L, types[i][1]);
        lua_getfield(L, -1, "methods");
        lua_setfield(L, -3, types[i][0]);
        lua_pop(L, 1);
    }
    lua_setfield(L, -2, "methods");
    lua_pushstring(L, MFLAB_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, mf_isa_name()); /* the kernels' instruction-set path (mflab/isa.h) */
    lua_setfield(L, -2, "isa");
    lua_pushstring(L, mf_isa_cpu());
    lua_setfield(L, -2, "cpu");
    lua_pushcfunction(L, l_isatty);
    lua_setfield(L, -2, "isatty");
    lua_pushcfunction(L, l_watchdog);
    lua_setfield(L, -2, "watchdog");
    lua_pushcfunction(L, l_interrupt_clear);
    lua_setfield(L, -2, "interrupt_clear");
    lua_pushcfunction(L, l_interrupt_pending);
    lua_setfield(L, -2, "interrupt_pending");
    return 1;
}
