/* The mflab executable: options, the Lua state with the mflab library, scripts, -e code,
 * then the REPL (repl.c). Command-line conventions follow the stand-alone `lua`. */
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lua/mflab_lua.h"
#include "cli.h"
#include "mflab/isa.h"

#ifdef MFLAB_WITH_MPI
#include <dlfcn.h>

#include "mf_mpi.h"
#include "mflab/interrupt.h"
#endif

#ifndef MFLAB_VERSION
#define MFLAB_VERSION "unknown"
#endif

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static void print_options(FILE *out) {
    fputs("usage: mflab [options] [script [args...]]\n"
          "\n"
          "Runs a Lua 5.4 script with the mflab library loaded as the global `mf`\n"
          "(the same table as require \"mflab\"). With no script and no -e, starts the REPL.\n"
          "The script's arguments are in the global `arg` (arg[0] is the script name,\n"
          "arg[1], ... the arguments, negative indices the interpreter and its options)\n"
          "and in the chunk's `...`.\n"
          "\n"
          "Options (handled in order, up to the script name):\n"
          "  -e CODE        run the Lua code CODE (repeatable; also -eCODE)\n"
          "  -l NAME        require module NAME into the global NAME (repeatable);\n"
          "                 -l G=NAME puts it in the global G\n"
          "  -i             enter the REPL after running the script and the -e code\n"
          "  -W             turn Lua warnings on\n"
          "  -v, --version  print the version and exit\n"
          "  -h, --help     print this help and exit\n"
          "  --             stop handling options; the next argument is the script\n"
          "  -              read the script from standard input\n",
          out);
}

static void print_usage(FILE *out) {
    print_options(out);
    fputs(
        "\n"
        "REPL (prompt \"mf> \", continuation \">> \"):\n"
        "  EXPR           evaluates EXPR and prints its values, tab-separated, with mf._repr\n"
        "                 (tostring if mf has no _repr); the first value is kept in `_`\n"
        "  =EXPR          same as EXPR (old Lua habit)\n"
        "  STATEMENT      runs it; an incomplete statement or expression continues on \">> \"\n"
        "  Ctrl-C         stops the running computation with the error \"interrupted!\" and\n"
        "                 returns to the prompt (a second Ctrl-C before it stops kills mflab);\n"
        "                 at the prompt, discards the line being typed\n"
        "  Ctrl-D         at an empty prompt, leaves the REPL (exit status 0)\n"
        "  Up/Down        history, kept in ~/.mflab_history (1000 entries)\n"
        "  Tab            completes global names, table fields and methods (a:m);\n"
        "                 inside a string, file names\n"
        "  help()         lists the modules; help(x) describes a function, method, type or\n"
        "                 module (help(mf.run), help(r), help(\"result:mean\"))\n"
        "  Errors print their message and a stack traceback; the REPL then continues.\n"
        "  A pasted block of several lines runs each line once. Runs longer than a second\n"
        "  show a progress bar on stderr when it is a terminal (quiet = true silences it).\n"
        "  When standard input is not a terminal (a pipe or a file), lines are read without\n"
        "  line editing, history, prompts or banner: stdout gets only the printed values\n"
        "  and what the code prints, stderr only the errors.\n"
        "\n"
        "Environment:\n"
        "  HOME           the history file is $HOME/.mflab_history\n"
        "  MFLAB_HISTORY  history file to use instead; set but empty disables history\n"
        "  LUA_PATH_5_4, LUA_PATH, LUA_CPATH_5_4, LUA_CPATH\n"
        "                 module search paths as in `lua`; the mflab library installed\n"
        "                 beside the executable (<exedir>/../share/mflab/lua) always comes first\n"
        "  MFLAB_PATH     folders (':'-separated) where require finds experiments and\n"
        "                 modules; searched after the script's own folder, before LUA_PATH\n"
        "  INPUTRC        readline key bindings (application name \"mflab\")\n"
        "  DISPLAY        with a display, p:show() opens a gnuplot window (qt, x11 or wxt)\n"
        "  MFLAB_MPI      1: initialize MPI without a launcher (a singleton); under mpirun or\n"
        "                 srun MPI starts by itself (README: Across machines (MPI))\n"
        "  MFLAB_ISA      avx512, avx2 or baseline: run the kernels on that instruction set\n"
        "                 instead of the best one the CPU has (the same bits on every path;\n"
        "                 `mflab --version` prints the path in use)\n"
        "\n"
        "Exit status: 0 success; 1 a Lua error (in the script, -e code, -l module or the\n"
        "mflab library); 2 a usage error or an unreadable script; 130 a script stopped\n"
        "by Ctrl-C.\n"
        "Under MPI, an error on one rank aborts every rank of the job (MPI_Abort).\n"
        "\n"
        "More: man mflab; the formulas in share/doc/mflab/math.md (doc/math.md in the sources).\n",
        out);
}

/* What the command line asks for; argv indices refer to main's argv. */
struct cli_args {
    int argc;
    char **argv;
    int script;      /* index of the script name in argv, or 0 when there is none */
    int interactive; /* -i */
    int has_code;    /* at least one -e */
    int warnings;    /* -W */
    int status;      /* result of the protected main */
};

enum { PARSE_RUN, PARSE_HELP, PARSE_VERSION, PARSE_ERROR };

/* The second line of --version: the kernels' instruction-set path and the CPU, so that every
 * timing can be quoted with both. */
static void print_kernels(void) {
    printf("kernels: %s (this CPU and build: %s); cpu: %s\n", mf_isa_name(), mf_isa_available(),
           mf_isa_cpu());
    if (*mf_isa_note()) printf("note: %s\n", mf_isa_note());
}

/* Takes an option's argument, attached (-eCODE) or the next word (-e CODE). */
static const char *option_argument(char **argv, int *i) {
    if (argv[*i][2] != '\0') return argv[*i] + 2;
    if (argv[*i + 1] == NULL) return NULL;
    return argv[++*i];
}

static int parse_args(struct cli_args *a) {
    char **argv = a->argv;
    a->script = 0;
    for (int i = 1; i < a->argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == '\0') { /* a script name, or "-" for stdin */
            a->script = i;
            return PARSE_RUN;
        }
        if (strcmp(s, "--") == 0) {
            if (i + 1 < a->argc) a->script = i + 1;
            return PARSE_RUN;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) return PARSE_HELP;
        if (strcmp(s, "--version") == 0 || strcmp(s, "-v") == 0) return PARSE_VERSION;
        if (strcmp(s, "-i") == 0) {
            a->interactive = 1;
        } else if (strcmp(s, "-W") == 0) {
            a->warnings = 1;
        } else if (s[1] == 'e' || s[1] == 'l') {
            if (option_argument(argv, &i) == NULL) {
                cli_message("option '-%c' needs an argument", s[1]);
                return PARSE_ERROR;
            }
            if (s[1] == 'e') a->has_code = 1;
        } else {
            cli_message("unrecognized option '%s'", s);
            return PARSE_ERROR;
        }
    }
    return PARSE_RUN;
}

/* The global `arg`, as the stand-alone lua builds it: the script at index 0, its arguments
 * at 1, 2, ..., the interpreter and its options at negative indices. Without a script,
 * argv[0] is at index 0 and the options follow. */
static void create_arg_table(lua_State *L, const struct cli_args *a) {
    int zero = a->script; /* argv index that becomes arg[0] */
    lua_createtable(L, a->argc - zero - 1 > 0 ? a->argc - zero - 1 : 0, zero + 1);
    for (int i = 0; i < a->argc; i++) {
        lua_pushstring(L, a->argv[i]);
        lua_rawseti(L, -2, (lua_Integer)i - zero);
    }
    lua_setglobal(L, "arg");
}

/* Directory of the running executable, without a trailing slash; 0 on failure. */
static int find_exe_dir(char *dir, size_t size, const char *argv0) {
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n > 0 && (size_t)n < size - 1) {
        dir[n] = '\0';
    } else {
        char resolved[PATH_MAX];
        if (argv0 == NULL || strchr(argv0, '/') == NULL || realpath(argv0, resolved) == NULL ||
            strlen(resolved) >= size)
            return 0;
        strcpy(dir, resolved);
    }
    char *slash = strrchr(dir, '/');
    if (slash == NULL) return 0;
    *slash = '\0';
    return 1;
}

/* package.path = "<exedir>/../share/mflab/lua/?.lua;<exedir>/../share/mflab/lua/?/init.lua;"
 * .. package.path, so the library beside the executable wins over anything in the current
 * directory or on LUA_PATH. Pushes the prepended part, or nil when the executable's
 * directory is unknown. */
static void prepend_library_path(lua_State *L, const char *argv0) {
    char dir[PATH_MAX];
    if (!find_exe_dir(dir, sizeof dir, argv0)) {
        cli_message("warning: cannot find the executable's directory; "
                    "the mflab library is looked up on package.path");
        lua_pushnil(L);
        return;
    }
    lua_pushfstring(L, "%s/../share/mflab/lua/?.lua;%s/../share/mflab/lua/?/init.lua", dir, dir);
    lua_getglobal(L, "package");
    lua_pushvalue(L, -2);
    lua_pushliteral(L, ";");
    lua_getfield(L, -3, "path");
    if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushliteral(L, "");
    }
    lua_concat(L, 3);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

/* package.path = "<script dir>/?.lua;<script dir>/?/init.lua;<each MFLAB_PATH folder, the
 * same>;" .. package.path: a script requires the experiments and modules beside it and those
 * of the user's own library folders (MFLAB_PATH, ':'-separated, empty entries skipped).
 * Called before prepend_library_path, so the mflab library still comes first. */
static void prepend_user_paths(lua_State *L, const struct cli_args *a) {
    luaL_Buffer b;
    lua_getglobal(L, "package");
    luaL_buffinit(L, &b);
    if (a->script > 0 && strcmp(a->argv[a->script], "-") != 0) {
        const char *name = a->argv[a->script];
        const char *slash = strrchr(name, '/');
        size_t n = slash == NULL ? 1 : (slash == name ? 1 : (size_t)(slash - name));
        const char *dir = slash == NULL ? "." : name;
        for (int k = 0; k < 2; k++) {
            luaL_addlstring(&b, dir, n);
            luaL_addstring(&b, k == 0 ? "/?.lua;" : "/?/init.lua;");
        }
    }
    const char *env = getenv("MFLAB_PATH");
    while (env != NULL && *env != '\0') {
        const char *end = strchr(env, ':');
        size_t n = end == NULL ? strlen(env) : (size_t)(end - env);
        while (n > 1 && env[n - 1] == '/') /* "lib/" and "lib" alike */
            n--;
        if (n > 0) {
            for (int k = 0; k < 2; k++) {
                luaL_addlstring(&b, env, n);
                luaL_addstring(&b, k == 0 ? "/?.lua;" : "/?/init.lua;");
            }
        }
        env = end == NULL ? NULL : end + 1;
    }
    lua_getfield(L, -2, "path");
    if (lua_type(L, -1) == LUA_TSTRING)
        luaL_addvalue(&b);
    else
        lua_pop(L, 1);
    luaL_pushresult(&b);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

/* require(module) into the global `global`; reports errors. */
static int require_global(lua_State *L, const char *global, const char *module) {
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    int status = cli_docall(L, 1, 1);
    if (status != LUA_OK) return cli_report(L, status, CLI_PROGNAME);
    lua_setglobal(L, global);
    return LUA_OK;
}

/* mf = require "mflab", making sure that the library comes from beside the executable (the
 * path on top of the stack, popped) and never from somewhere else on package.path. */
static int load_library(lua_State *L) {
    if (lua_isstring(L, -1)) {
        lua_getglobal(L, "package");
        lua_getfield(L, -1, "searchpath");
        lua_pushliteral(L, "mflab");
        lua_pushvalue(L, -4);
        lua_call(L, 2, 2);
        if (lua_isnil(L, -2)) {
            cli_message("cannot find the mflab library beside the executable:\n\t%s",
                        lua_tostring(L, -1));
            lua_pop(L, 4);
            return LUA_ERRFILE;
        }
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    int status = require_global(L, "mf", "mflab");
    if (status == LUA_OK) { /* help(x) at the prompt, as in the docs */
        lua_getglobal(L, "mf");
        if (lua_getfield(L, -1, "help") == LUA_TFUNCTION)
            lua_setglobal(L, "help");
        else
            lua_pop(L, 1);
        lua_pushcfunction(L, cli_complete); /* what Tab offers, for scripts and tests */
        lua_setfield(L, -2, "_complete");
        lua_pop(L, 1);
    }
    return status;
}

static int run_library_option(lua_State *L, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (eq == NULL) return require_global(L, spec, spec);
    lua_pushlstring(L, spec, (size_t)(eq - spec));
    int status = require_global(L, lua_tostring(L, -1), eq + 1);
    lua_pop(L, 1);
    return status;
}

static int run_code(lua_State *L, const char *code) {
    int status = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
    if (status == LUA_OK) status = cli_docall(L, 0, 0);
    return cli_report(L, status, CLI_PROGNAME);
}

/* -e and -l options, in command-line order. */
static int run_options(lua_State *L, const struct cli_args *a) {
    int last = a->script > 0 ? a->script : a->argc;
    for (int i = 1; i < last; i++) {
        const char *s = a->argv[i];
        if (strcmp(s, "--") == 0) break;
        if (s[1] != 'e' && s[1] != 'l') continue;
        const char *value = option_argument(a->argv, &i);
        int status = s[1] == 'e' ? run_code(L, value) : run_library_option(L, value);
        if (status != LUA_OK) return status;
    }
    return LUA_OK;
}

/* Runs the script with arg[1..#arg] as its varargs. Returns an exit status. */
static int run_script(lua_State *L, const struct cli_args *a) {
    const char *name = a->argv[a->script];
    int from_stdin = strcmp(name, "-") == 0 && strcmp(a->argv[a->script - 1], "--") != 0;
    if (!from_stdin) {
        FILE *f = fopen(name, "r");
        if (f == NULL) {
            cli_message("cannot open script '%s': %s", name, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        struct stat st;
        int is_dir = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
        fclose(f);
        if (is_dir) {
            cli_message("cannot open script '%s': %s", name, strerror(EISDIR));
            return CLI_EXIT_USAGE;
        }
    }
    int status = luaL_loadfile(L, from_stdin ? NULL : name);
    if (status == LUA_ERRFILE) {
        cli_report(L, status, CLI_PROGNAME);
        return CLI_EXIT_USAGE;
    }
    if (status != LUA_OK) {
        cli_report(L, status, CLI_PROGNAME);
        return CLI_EXIT_LUA;
    }
    lua_getglobal(L, "arg");
    int n = lua_istable(L, -1) ? (int)luaL_len(L, -1) : 0;
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++)
        lua_geti(L, -i, i);
    lua_remove(L, -n - 1); /* the arg table */
    status = cli_docall(L, n, 0);
    if (cli_report(L, status, CLI_PROGNAME) == LUA_OK) return CLI_EXIT_OK;
    return cli_interrupted() ? CLI_EXIT_INTERRUPTED : CLI_EXIT_LUA;
}

/* MPI, at the edge of the executable. MPI is initialized only when a launcher started the
 * process (or MFLAB_MPI=1 asks for a singleton start): a singleton MPI_Init costs most of a
 * second with OpenMPI 4.1, which every ordinary run would pay; and only then is the MPI
 * module (with libmpi) loaded, which costs every start several milliseconds. Every exit path ends
 * MPI: a normal end finalizes it; an error on one rank of several aborts the whole job (the other
 * ranks may be waiting for this one's results and would otherwise hang); os.exit goes
 * through the same choice in an exit handler. */
static int launcher_env(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != '\0') return 1;
    }
    return 0;
}

static int mpi_forced(void) {
    const char *force = getenv("MFLAB_MPI");
    return force != NULL && strcmp(force, "1") == 0;
}

#ifdef MFLAB_WITH_MPI
/* The MPI module (engine/src/mpi, a shared module loaded only when MPI is started), or NULL. */
static const mf_mpi_module *mpi_mod;

static void mpi_end(int status) {
    if (mpi_mod == NULL || !mpi_mod->initialized()) return;
    if (status != 0 && mpi_mod->size() > 1) {
        cli_message("rank %d of %d stopped with exit status %d; aborting the MPI job",
                    mpi_mod->rank(), mpi_mod->size(), status);
        mpi_mod->abort(status);
    }
    mpi_mod->finalize();
}

/* "mflab.mpi" when MPI is not started: this process is rank 0 of 1, and mf.parallel.map runs
 * its local loop (mf.parallel.available() is true: the build has MPI). */
static int idle_rank(lua_State *L) {
    lua_pushinteger(L, 0);
    return 1;
}
static int idle_size(lua_State *L) {
    lua_pushinteger(L, 1);
    return 1;
}
static int idle_initialized(lua_State *L) {
    lua_pushboolean(L, 0);
    return 1;
}
static int luaopen_mpi_idle(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"rank", idle_rank}, {"size", idle_size}, {"initialized", idle_initialized}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}

/* Loads <exedir>/MFLAB_MPI_MODULE (or that path when absolute). */
static const mf_mpi_module *mpi_load(const char *argv0, char *msg, size_t msglen) {
    char path[PATH_MAX + 256];
    const char *rel = MFLAB_MPI_MODULE;
    if (rel[0] == '/') {
        snprintf(path, sizeof path, "%s", rel);
    } else {
        char dir[PATH_MAX];
        if (!find_exe_dir(dir, sizeof dir, argv0)) {
            snprintf(msg, msglen,
                     "cannot find the executable's directory, where the MPI module "
                     "is looked up (%s)",
                     rel);
            return NULL;
        }
        snprintf(path, sizeof path, "%s/%s", dir, rel);
    }
    /* RTLD_GLOBAL: OpenMPI's own components, which libmpi loads, need its symbols */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (h == NULL) {
        snprintf(msg, msglen, "cannot load the MPI module: %s", dlerror());
        return NULL;
    }
    const mf_mpi_module *m = dlsym(h, "mf_mpi_module_entry");
    if (m == NULL || m->abi != MF_MPI_MODULE_ABI) {
        snprintf(msg, msglen, "the MPI module %s is not from this build of mflab", path);
        return NULL;
    }
    return m;
}

static void mpi_on_exit(int status, void *arg) {
    (void)arg;
    fflush(stdout);
    mpi_end(status);
}

static int mpi_start(int *argc, char ***argv) {
    if (!mpi_forced() && !launcher_env()) return CLI_EXIT_OK;
    char msg[PATH_MAX + 512];
    const mf_mpi_module *m = mpi_load((*argv)[0], msg, sizeof msg);
    if (m == NULL) {
        cli_message("%s", msg);
        return CLI_EXIT_LUA;
    }
    if (m->init(argc, argv, mf_interrupt_pending, msg, sizeof msg) != 0) {
        cli_message("%s", msg);
        return CLI_EXIT_LUA;
    }
    mpi_mod = m;
    on_exit(mpi_on_exit, NULL);
    return CLI_EXIT_OK;
}
#else
/* Without MPI, a launcher would start N copies that each run the whole script alone and
 * write the same files: refuse, saying what to install (once, from the first rank). */
static int mpi_start(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    int forced = mpi_forced();
    if (!forced && !launcher_env()) return CLI_EXIT_OK;
    const char *r = getenv("OMPI_COMM_WORLD_RANK");
    if (r == NULL) r = getenv("PMIX_RANK");
    if (r == NULL || strcmp(r, "0") == 0)
        cli_message("%s, but this mflab was built without MPI. Install the Debian packages "
                    "libopenmpi-dev and openmpi-bin and rebuild with cmake "
                    "-DMFLAB_WITH_MPI=ON (scripts/setup installs them; the option is on when "
                    "OpenMPI is found)",
                    forced ? "MFLAB_MPI=1 asks for MPI"
                           : "started by an MPI launcher (mpirun, srun)");
    return CLI_EXIT_LUA;
}
#endif

/* Everything that touches Lua, run in protected mode so that even setup errors are reported. */
static int protected_main(lua_State *L) {
    struct cli_args *a = lua_touserdata(L, 1);
    a->status = CLI_EXIT_LUA;
    luaL_checkversion(L);
    luaL_openlibs(L);
    prepend_user_paths(L, a);
    prepend_library_path(L, a->argv[0]); /* leaves the library's own path on the stack */

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_mflab_core);
    lua_setfield(L, -2, "mflab.core");
#ifdef MFLAB_WITH_MPI
    /* what mf.parallel distributes work with */
    lua_pushcfunction(L, mpi_mod != NULL ? mpi_mod->luaopen : luaopen_mpi_idle);
    lua_setfield(L, -2, "mflab.mpi");
#endif
    lua_pop(L, 1);

    create_arg_table(L, a);
    if (a->warnings) lua_warning(L, "@on", 0);
    if (load_library(L) != LUA_OK) return 0;
    if (run_options(L, a) != LUA_OK) {
        if (cli_interrupted()) a->status = CLI_EXIT_INTERRUPTED;
        return 0;
    }
    if (a->script > 0) {
        a->status = run_script(L, a);
        if (a->status != CLI_EXIT_OK) return 0;
    }
    a->status = CLI_EXIT_OK;
    if (a->interactive || (a->script == 0 && !a->has_code)) a->status = cli_repl(L);
    return 0;
}

int main(int argc, char **argv) {
    struct cli_args a = {.argc = argc, .argv = argv};
    static char *no_args[] = {CLI_PROGNAME, NULL};
    if (argc < 1 || argv[0] == NULL) {
        a.argc = 1;
        a.argv = no_args;
    }
    switch (parse_args(&a)) {
    case PARSE_HELP:
        print_usage(stdout);
        return CLI_EXIT_OK;
    case PARSE_VERSION:
        printf("%s %s (%s)\n", CLI_PROGNAME, MFLAB_VERSION, LUA_RELEASE);
        print_kernels();
        return CLI_EXIT_OK;
    case PARSE_ERROR:
        print_options(stderr);
        fputs("Run 'mflab --help' for the REPL keys and the environment variables.\n", stderr);
        return CLI_EXIT_USAGE;
    default:
        break;
    }
    int mpi_status = mpi_start(&a.argc, &a.argv);
    if (mpi_status != CLI_EXIT_OK) return mpi_status;

    lua_State *L = luaL_newstate();
    if (L == NULL) {
        cli_message("cannot create the Lua state: not enough memory");
#ifdef MFLAB_WITH_MPI
        mpi_end(CLI_EXIT_LUA);
#endif
        return CLI_EXIT_LUA;
    }
    lua_pushcfunction(L, protected_main);
    lua_pushlightuserdata(L, &a);
    int status = lua_pcall(L, 1, 0, 0);
    if (status != LUA_OK) {
        cli_report(L, status, CLI_PROGNAME);
        a.status = CLI_EXIT_LUA;
    }
    lua_close(L);
    fflush(stdout);
#ifdef MFLAB_WITH_MPI
    mpi_end(a.status);
#endif
    return a.status;
}
