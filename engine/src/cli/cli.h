/* Private interface between the pieces of the mflab executable (engine/src/cli). */
#ifndef MFLAB_CLI_H
#define MFLAB_CLI_H

#include <lua.h>

#define CLI_PROGNAME "mflab"

/* Exit statuses of the executable. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_LUA = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_INTERRUPTED = 130 };

/* Calls the function below its narg arguments on the stack in protected mode, with a message
 * handler that appends a traceback, and with Ctrl-C turned into the Lua error "interrupted!"
 * (and into mf_interrupt_set() for the engine). Like lua_pcall otherwise. */
int cli_docall(lua_State *L, int narg, int nres);

/* Whether a Ctrl-C (SIGINT) arrived during the last cli_docall. */
int cli_interrupted(void);

/* If status is not LUA_OK, prints the error message on top of the stack on stderr, prefixed by
 * "prefix: " when prefix is not NULL, and pops it. Flushes stdout first. Returns status. */
int cli_report(lua_State *L, int status, const char *prefix);

/* Prints a message line on stderr ("mflab: ..."), flushing stdout first. */
void cli_message(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* lua_CFunction: the REPL's Tab completions of a name path ("mf.opt.", "r:me"), as a table
 * of whole candidates. The executable installs it as mf._complete. */
int cli_complete(lua_State *L);

/* The REPL: reads from stdin until end of input; returns the exit status (always CLI_EXIT_OK). */
int cli_repl(lua_State *L);

#endif
