/* Running Lua code for the mflab executable: protected calls with a traceback, error
 * reports, and Ctrl-C (SIGINT) turned into a Lua error and an engine interrupt. */
#include "cli.h"

#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mflab/interrupt.h"

/* The state whose running code a SIGINT must stop. Only the signal handler reads it. */
static lua_State *volatile running_state = NULL;

/* Set by a SIGINT during the last cli_docall: the exit status of a stopped script is then 130
 * (128 + SIGINT, as shells report a process killed by Ctrl-C), whatever error it became. */
static volatile sig_atomic_t was_interrupted = 0;

int cli_interrupted(void) {
    return was_interrupted;
}

/* Hook installed by the signal handler: runs at the next Lua instruction, call or return. */
static void interrupted_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    /* an engine loop that saw the interrupt reported it in its own error, with its partial
     * result (the binding's registry note "mflab.interrupt_reported"): let that error through */
    int reported = lua_getfield(L, LUA_REGISTRYINDEX, "mflab.interrupt_reported") == LUA_TBOOLEAN;
    lua_pop(L, 1);
    if (reported) return;
    /* no position: luaL_error's would depend on where the signal landed (inside a C function
     * called from a chunk it gains "(command line):1: ", in the chunk's own code it does not) */
    lua_pushliteral(L, "interrupted!");
    lua_error(L);
}

/* SIGINT while Lua code runs. Installed with SA_RESETHAND, so a second Ctrl-C before the
 * code notices the first one terminates the process (the escape hatch when stuck in C). */
static void on_sigint_running(int sig) {
    (void)sig;
    int saved_errno = errno; /* the interrupted code may be between a call and its errno test */
    was_interrupted = 1;
    mf_interrupt_set(); /* engine loops poll this between blocks of work */
    lua_State *L = running_state;
    int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    if (L != NULL) lua_sethook(L, interrupted_hook, mask, 1);
    errno = saved_errno;
}

/* Message handler: turns the error object into a string and appends a traceback. */
static int message_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Removes the hook of a pending interrupt, leaving any hook the user set (debug.sethook). */
static void clear_interrupt_hook(lua_State *L) {
    if (lua_gethook(L) == interrupted_hook) lua_sethook(L, NULL, 0, 0);
}

int cli_docall(lua_State *L, int narg, int nres) {
    int base = lua_gettop(L) - narg; /* index of the function */
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);

    struct sigaction on, saved;
    memset(&on, 0, sizeof on);
    on.sa_handler = on_sigint_running;
    on.sa_flags = SA_RESETHAND;
    sigemptyset(&on.sa_mask);

    mf_interrupt_clear();
    clear_interrupt_hook(L);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "mflab.interrupt_reported");
    was_interrupted = 0;
    running_state = L;
    sigaction(SIGINT, &on, &saved);
    int status = lua_pcall(L, narg, nres, base);
    sigaction(SIGINT, &saved, NULL);
    running_state = NULL;
    clear_interrupt_hook(L); /* set by a signal that came too late to stop anything */

    lua_remove(L, base);
    return status;
}

void cli_message(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", CLI_PROGNAME);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

int cli_report(lua_State *L, int status, const char *prefix) {
    if (status == LUA_OK) return status;
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    fflush(stdout);
    if (prefix != NULL) fprintf(stderr, "%s: ", prefix);
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    lua_pop(L, 1);
    return status;
}
