/* The mflab REPL: readline (history, completion) on a terminal, plain line reading otherwise;
 * expressions print their values, incomplete input continues on the next line. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"

#define PROMPT          "mf> "
#define PROMPT_MORE     ">> "
#define HISTORY_FILE    ".mflab_history"
#define HISTORY_SIZE    1000
#define CHUNKNAME       "=stdin"
#define INCOMPLETE_MARK "<eof>" /* end of the parser's message for input that is cut short */

/* Text buffer that grows as needed. */
struct text {
    char *s;
    size_t len, cap;
};

static int text_append(struct text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (p == NULL) return 0;
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
    return 1;
}

struct repl {
    lua_State *L;
    int tty;            /* stdin is a terminal: readline, history, prompts */
    char *history_path; /* NULL: no history file */
    char *line;         /* last line read (malloc'd) */
    char *pending;      /* lines of a paste not yet handed out (inside line), or NULL */
    size_t line_cap;    /* for getline */
};

/* ---- Ctrl-C while waiting for input ----------------------------------------------------- */

static volatile sig_atomic_t sigint_at_prompt = 0; /* set by the handler */
static int input_discarded = 0;                    /* the partial input was thrown away by Ctrl-C */

static void on_sigint_idle(int sig) {
    (void)sig;
    sigint_at_prompt = 1;
}

/* readline catches SIGINT itself, cleans up, re-raises it to on_sigint_idle, then calls this
 * hook before reading on: forget the line (and any continuation lines) and prompt afresh. */
static int after_signal_in_readline(void) {
    if (!sigint_at_prompt) return 0;
    sigint_at_prompt = 0;
    input_discarded = 1;
    rl_replace_line("", 1);
    rl_point = rl_end = 0;
    rl_crlf();
    rl_set_prompt(PROMPT);
    rl_on_new_line();
    rl_redisplay();
    return 0;
}

/* ---- completion ----------------------------------------------------------------------- */

static lua_State *completion_state = NULL;
static char **completion_list = NULL; /* NULL-terminated; handed out by completion_next */
static size_t completion_next_index = 0;

static const char *const lua_keywords[] = {
    "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
    "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
    "repeat",   "return", "then", "true", "until",  "while", NULL};

static int is_identifier(const char *s, size_t n) {
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

/* Replaces the value on top by the table its fields are looked up in after the table itself:
 * the __index table of its metatable. Pushes nothing and returns 0 when there is none. */
static int next_lookup_table(lua_State *L) {
    if (!lua_getmetatable(L, -1)) return 0;
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
    if (!lua_istable(L, -1)) { /* an __index function: the type's method table (mfl_newtype) */
        lua_pop(L, 1);
        lua_pushliteral(L, "methods");
        lua_rawget(L, -2);
    }
    lua_remove(L, -2);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_replace(L, -2);
    return 1;
}

/* Raw lookup of field name in the value on top and its __index tables (no metamethod calls,
 * so completion has no side effects); replaces the value by the field, nil if absent. */
static void lookup_field(lua_State *L, const char *name, size_t n) {
    for (int depth = 0; depth < 16; depth++) {
        if (lua_istable(L, -1)) {
            lua_pushlstring(L, name, n);
            lua_rawget(L, -2);
            if (!lua_isnil(L, -1)) {
                lua_replace(L, -2);
                return;
            }
            lua_pop(L, 1);
        }
        if (!next_lookup_table(L)) break;
    }
    lua_pop(L, 1);
    lua_pushnil(L);
}

/* lua_CFunction: completes its argument, a name path like "mf.opt.s" or "r:me". Returns a
 * table of completions and the type name of the single completion, if there is exactly one. */
static int collect_completions(lua_State *L) {
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    const int results = 2, where = 3, seen = 4;
    lua_newtable(L); /* results */
    int nresults = 0;
    const char *single_type = NULL;

    /* split text into the path "a.b" (or "a.b:") and the partial last name */
    const char *last_sep = NULL;
    for (const char *p = text; *p; p++)
        if (*p == '.' || *p == ':') last_sep = p;
    const char *partial = last_sep ? last_sep + 1 : text;
    size_t partial_len = len - (size_t)(partial - text);

    lua_pushglobaltable(L); /* where: the value whose fields complete the partial name */
    if (last_sep != NULL) {
        const char *p = text;
        while (p < last_sep) {
            const char *q = p;
            while (q < last_sep && *q != '.' && *q != ':')
                q++;
            if (!is_identifier(p, (size_t)(q - p)) || (*q == ':' && q != last_sep)) {
                lua_pushnil(L);
                return 2; /* not a plain name path: no completions */
            }
            lookup_field(L, p, (size_t)(q - p));
            p = q + 1;
        }
    } else {
        for (int k = 0; lua_keywords[k] != NULL; k++) {
            if (strncmp(lua_keywords[k], partial, partial_len) == 0) {
                lua_pushstring(L, lua_keywords[k]);
                lua_rawseti(L, results, ++nresults);
                single_type = "keyword";
            }
        }
    }

    lua_newtable(L); /* seen: names listed already, so shadowed fields are listed once */
    lua_pushvalue(L, where);
    for (int depth = 0; depth < 16; depth++) {
        if (lua_istable(L, -1)) {
            lua_pushnil(L);
            while (lua_next(L, -2)) { /* key at -2, value at -1 */
                size_t klen;
                if (lua_type(L, -2) == LUA_TSTRING) {
                    const char *key = lua_tolstring(L, -2, &klen);
                    if (klen >= partial_len && strncmp(key, partial, partial_len) == 0 &&
                        is_identifier(key, klen)) {
                        lua_pushvalue(L, -2);
                        int already = lua_rawget(L, seen) != LUA_TNIL;
                        lua_pop(L, 1);
                        if (!already) {
                            single_type = luaL_typename(L, -1);
                            lua_pushvalue(L, -2);
                            lua_pushboolean(L, 1);
                            lua_rawset(L, seen);
                            lua_pushlstring(L, text, (size_t)(partial - text));
                            lua_pushvalue(L, -3);
                            lua_concat(L, 2);
                            lua_rawseti(L, results, ++nresults);
                        }
                    }
                }
                lua_pop(L, 1);
            }
        }
        if (!next_lookup_table(L)) break;
    }
    lua_settop(L, results);
    if (nresults == 1 && single_type != NULL)
        lua_pushstring(L, single_type);
    else
        lua_pushnil(L);
    return 2;
}

int cli_complete(lua_State *L) {
    lua_settop(L, 1);
    lua_pushcfunction(L, collect_completions);
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/* Completions, one malloc'd string per call (readline frees them), NULL at the end. */
static char *completion_next(const char *text, int state) {
    (void)text;
    if (state == 0) completion_next_index = 0;
    if (completion_list == NULL || completion_list[completion_next_index] == NULL) return NULL;
    return completion_list[completion_next_index++];
}

static void free_completion_list(void) {
    if (completion_list == NULL) return;
    for (size_t i = completion_next_index; completion_list[i] != NULL; i++)
        free(completion_list[i]); /* the ones not handed to readline */
    free(completion_list);
    completion_list = NULL;
    completion_next_index = 0;
}

/* Characters that end the word being completed. Inside a string literal only the quote does,
 * so that a whole file name is completed. */
static char lua_word_breaks[] = " \t\n`@$><=;|&{}()[],+-*/%^~#\"'";
static char string_word_breaks[] = "\"'";

static int point_is_in_string(void) {
    char quote = 0;
    for (int i = 0; i < rl_point && rl_line_buffer[i] != '\0'; i++) {
        char c = rl_line_buffer[i];
        if (quote != 0 && c == '\\' && i + 1 < rl_point)
            i++;
        else if (quote != 0 && c == quote)
            quote = 0;
        else if (quote == 0 && (c == '"' || c == '\''))
            quote = c;
    }
    return quote != 0;
}

static char *word_breaks(void) {
    return point_is_in_string() ? string_word_breaks : lua_word_breaks;
}

/* Whether the single completion names a constructor that takes one options table
 * (help.takes_table), so that Tab gives "valley{" as the README's examples write it. */
static int takes_table(lua_State *L, char **list) {
    if (list == NULL || list[0] == NULL || !lua_checkstack(L, 4)) return 0;
    int top = lua_gettop(L), yes = 0;
    if (lua_getglobal(L, "require") == LUA_TFUNCTION) {
        lua_pushstring(L, "mflab.help");
        if (lua_pcall(L, 1, 1, 0) == LUA_OK &&
            lua_getfield(L, -1, "takes_table") == LUA_TFUNCTION) {
            lua_pushstring(L, list[0]);
            if (lua_pcall(L, 1, 1, 0) == LUA_OK) yes = lua_toboolean(L, -1);
        }
    }
    lua_settop(L, top);
    return yes;
}

static char **complete(const char *text, int start, int end) {
    (void)start;
    (void)end;
    if (point_is_in_string()) { /* file names */
        rl_attempted_completion_over = 0;
        return NULL;
    }
    rl_attempted_completion_over = 1; /* never file names outside strings */
    free_completion_list();
    lua_State *L = completion_state;
    if (L == NULL || !lua_checkstack(L, 8)) return NULL;
    int top = lua_gettop(L);
    lua_pushcfunction(L, collect_completions);
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 2, 0) == LUA_OK && lua_istable(L, -2)) {
        size_t n = (size_t)lua_rawlen(L, -2);
        completion_list = calloc(n + 1, sizeof *completion_list);
        for (size_t i = 0; completion_list != NULL && i < n; i++) {
            lua_rawgeti(L, -2, (lua_Integer)i + 1);
            const char *s = lua_tostring(L, -1);
            completion_list[i] = strdup(s ? s : "");
            lua_pop(L, 1);
            if (completion_list[i] == NULL) { /* out of memory: offer what we have */
                break;
            }
        }
        const char *type = lua_tostring(L, -1);
        if (type == NULL)
            rl_completion_append_character = '\0';
        else if (strcmp(type, "table") == 0)
            rl_completion_append_character = '.';
        else if (strcmp(type, "function") == 0)
            rl_completion_append_character = takes_table(L, completion_list) ? '{' : '(';
        else if (strcmp(type, "keyword") == 0)
            rl_completion_append_character = ' ';
        else
            rl_completion_append_character = '\0';
    }
    lua_settop(L, top);
    if (completion_list == NULL) return NULL;
    return rl_completion_matches(text, completion_next);
}

/* ---- history -------------------------------------------------------------------------- */

static char *history_file_path(void) {
    const char *env = getenv("MFLAB_HISTORY");
    if (env != NULL) return *env ? strdup(env) : NULL;
    const char *home = getenv("HOME");
    if (home == NULL || *home == '\0') return NULL;
    size_t n = strlen(home) + 1 + strlen(HISTORY_FILE) + 1;
    char *path = malloc(n);
    if (path != NULL) snprintf(path, n, "%s/%s", home, HISTORY_FILE);
    return path;
}

/* Adds a complete input to the history and appends it to the history file at once, so that
 * nothing is lost when the session ends with os.exit() or a crash. Multi-line input becomes one
 * entry joined by spaces when that is safe (no comment, long bracket or escaped newline that
 * the join would change), else one entry per line. Failures to write are silent. */
static void remember(struct repl *r, const char *input) {
    if (!r->tty || input[0] == '\0') return;
    int joinable = strstr(input, "--") == NULL && strstr(input, "[[") == NULL &&
                   strstr(input, "[=") == NULL && strstr(input, "\\\n") == NULL;
    char *copy = strdup(input);
    if (copy == NULL) return;
    int added = 0;
    char *line = copy;
    for (;;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL && joinable) {
            *nl = ' ';
            continue;
        }
        if (nl != NULL) *nl = '\0';
        HIST_ENTRY *prev =
            history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
        if (line[0] != '\0' && (prev == NULL || strcmp(prev->line, line) != 0)) {
            add_history(line);
            added++;
        }
        if (nl == NULL) break;
        line = nl + 1;
    }
    free(copy);
    if (added > 0 && r->history_path != NULL && append_history(added, r->history_path) != 0) {
        int fd = open(r->history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            close(fd);
            append_history(added, r->history_path);
        }
    }
}

/* ---- reading and compiling input ------------------------------------------------------ */

/* Reads a line without its newline; NULL at end of input. */
static const char *read_line(struct repl *r, const char *prompt) {
    if (r->tty) {
        /* A paste of several lines (bracketed paste) arrives as one line with newlines in it:
         * hand it out a line at a time, so each runs once, as if typed. */
        if (r->pending == NULL) {
            free(r->line);
            r->line = readline(prompt);
            r->pending = r->line;
        }
        char *line = r->pending;
        if (line == NULL) return NULL;
        char *nl = strchr(line, '\n');
        if (nl != NULL) *nl = '\0';
        r->pending = nl != NULL && nl[1] != '\0' ? nl + 1 : NULL;
        return line;
    }
    fflush(stdout);
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->line_cap, stdin);
        if (n >= 0) {
            if (n > 0 && r->line[n - 1] == '\n') r->line[n - 1] = '\0';
            return r->line;
        }
        if (errno == EINTR && sigint_at_prompt) { /* Ctrl-C while waiting: drop the input */
            sigint_at_prompt = 0;
            input_discarded = 1;
            clearerr(stdin);
            continue;
        }
        return NULL;
    }
}

/* The parser stopped at the end of the input: more lines may complete it. */
static int is_incomplete(lua_State *L, int status) {
    if (status != LUA_ERRSYNTAX) return 0;
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    size_t mark = sizeof INCOMPLETE_MARK - 1;
    return msg != NULL && len >= mark && strcmp(msg + len - mark, INCOMPLETE_MARK) == 0;
}

/* Compiles "return <code>", leaving the function or an error message on the stack. A valid
 * expression is compiled as "return select(1, <code>\n)" instead: the same values, but the
 * outermost call is not a tail call, so errors raised for the caller (error(msg, 2), as every
 * mflab function does) point at "stdin:1:" rather than at nothing. */
static int load_expression(lua_State *L, const struct text *code) {
    lua_pushliteral(L, "return ");
    lua_pushlstring(L, code->s, code->len);
    lua_concat(L, 2);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    int status = luaL_loadbuffer(L, s, len, CHUNKNAME);
    lua_remove(L, -2);
    if (status != LUA_OK) return status;
    lua_pushliteral(L, "return select(1, ");
    lua_pushlstring(L, code->s, code->len);
    lua_pushliteral(L, "\n)");
    lua_concat(L, 3);
    s = lua_tolstring(L, -1, &len);
    if (luaL_loadbuffer(L, s, len, CHUNKNAME) == LUA_OK) {
        lua_remove(L, -2); /* the source */
        lua_remove(L, -2); /* the first compilation */
    } else {
        lua_pop(L, 2);
    }
    return LUA_OK;
}

static int load_statement(lua_State *L, const struct text *code) {
    return luaL_loadbuffer(L, code->s, code->len, CHUNKNAME);
}

enum { INPUT_END = -1 };

/* Reads one complete input (one line, or more while the parser asks for more) and compiles it:
 * first as an expression, then as a statement. Leaves the function (LUA_OK) or a syntax error
 * message on the stack and returns the status, or returns INPUT_END at end of input. */
static int read_input(struct repl *r) {
    lua_State *L = r->L;
    struct text code = {0}, typed = {0};
    int expression_only = 0; /* continued because only the expression form was incomplete */
    int status = INPUT_END;
    sigint_at_prompt = 0;
    input_discarded = 0;
    for (;;) {
        const char *line = read_line(r, code.len == 0 && typed.len == 0 ? PROMPT : PROMPT_MORE);
        if (input_discarded) { /* Ctrl-C: start over with this line */
            input_discarded = 0;
            code.len = typed.len = 0;
            expression_only = 0;
        }
        if (line == NULL) {
            if (typed.len > 0) { /* end of input inside an incomplete chunk: report it */
                status = expression_only ? load_expression(L, &code) : load_statement(L, &code);
                remember(r, typed.s);
            }
            break;
        }
        int first = typed.len == 0;
        int ok = 1;
        if (!first) ok = text_append(&code, "\n", 1) && text_append(&typed, "\n", 1);
        ok = ok && text_append(&typed, line, strlen(line));
        if (first && line[0] == '=')
            ok = ok && text_append(&code, "return ", 7) &&
                 text_append(&code, line + 1, strlen(line + 1));
        else
            ok = ok && text_append(&code, line, strlen(line));
        if (!ok) {
            lua_pushliteral(L, "input too long: not enough memory");
            status = LUA_ERRMEM;
            break;
        }

        status = load_expression(L, &code);
        if (status == LUA_OK) {
            remember(r, typed.s);
            break;
        }
        int expression_incomplete = is_incomplete(L, status);
        int expression_status = status;
        status = load_statement(L, &code);
        if (status == LUA_OK) {
            lua_remove(L, -2);
            remember(r, typed.s);
            break;
        }
        int statement_incomplete = is_incomplete(L, status);
        if (statement_incomplete || expression_incomplete) {
            expression_only = !statement_incomplete;
            lua_pop(L, 2);
            continue;
        }
        if (expression_only) { /* report what the parser said about the expression */
            lua_pop(L, 1);
            status = expression_status;
        } else {
            lua_remove(L, -2);
        }
        remember(r, typed.s);
        break;
    }
    free(code.s);
    free(typed.s);
    return status;
}

/* ---- running and printing ------------------------------------------------------------- */

/* lua_CFunction: prints its arguments tab-separated on one line, each through mf._repr when
 * the global mf has such a function, else through tostring (luaL_tolstring). Nothing is
 * printed if a conversion fails. */
static int print_values(lua_State *L) {
    int n = lua_gettop(L);
    int repr = 0;
    if (lua_getglobal(L, "mf") == LUA_TTABLE && lua_getfield(L, -1, "_repr") == LUA_TFUNCTION)
        repr = lua_gettop(L);
    luaL_checkstack(L, 2 * n + 1, "too many values to print");
    int first_piece = lua_gettop(L) + 1;
    for (int i = 1; i <= n; i++) {
        if (i > 1) lua_pushliteral(L, "\t");
        if (repr) {
            lua_pushvalue(L, repr);
            lua_pushvalue(L, i);
            lua_call(L, 1, 1);
            if (lua_isstring(L, -1)) {
                lua_tostring(L, -1);
                continue;
            }
            lua_pop(L, 1);
        }
        luaL_tolstring(L, i, NULL);
    }
    lua_pushliteral(L, "\n");
    lua_concat(L, lua_gettop(L) - first_piece + 1);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    fwrite(s, 1, len, stdout);
    fflush(stdout);
    return 0;
}

/* Runs the compiled input on top of the stack; prints its values and keeps the first in `_`. */
static void run_input(lua_State *L) {
    int base = lua_gettop(L) - 1;
    int status = cli_docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) {
        int n = lua_gettop(L) - base;
        if (n > 0) {
            lua_pushvalue(L, base + 1);
            lua_setglobal(L, "_");
            luaL_checkstack(L, 1, "too many results to print");
            lua_pushcfunction(L, print_values);
            lua_insert(L, base + 1);
            status = cli_docall(L, n, 0);
        }
    }
    cli_report(L, status, NULL);
    fflush(stdout);
    lua_settop(L, base);
}

/* ---- the loop ------------------------------------------------------------------------- */

#ifndef MFLAB_VERSION
#define MFLAB_VERSION "unknown"
#endif

static void start_line_editing(struct repl *r) {
    rl_readline_name = "mflab";
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = lua_word_breaks;
    rl_completion_word_break_hook = word_breaks;
    rl_signal_event_hook = after_signal_in_readline;
    /* A Ctrl-C that readline takes outside its blocking read (while it redraws the prompt)
     * reaches the handler without interrupting a read, so the hook above is not called: the
     * idle hook (called about ten times a second while readline waits) catches it. */
    rl_event_hook = after_signal_in_readline;
    completion_state = r->L;
    using_history();
    stifle_history(HISTORY_SIZE);
    r->history_path = history_file_path();
    if (r->history_path != NULL) read_history(r->history_path);
}

static void stop_line_editing(struct repl *r) {
    if (r->history_path != NULL) history_truncate_file(r->history_path, HISTORY_SIZE);
    free_completion_list();
    completion_state = NULL;
    rl_signal_event_hook = NULL;
    rl_event_hook = NULL;
    free(r->history_path);
    r->history_path = NULL;
}

/* Since 8.1, readline itself ends the line at end of input when bracketed paste is on. */
static int readline_ends_line_at_eof(void) {
#if defined(RL_READLINE_VERSION) && RL_READLINE_VERSION >= 0x0801
    const char *paste = rl_variable_value("enable-bracketed-paste");
    const char *term = getenv("TERM");
    return paste != NULL && strcmp(paste, "on") == 0 && term != NULL && strcmp(term, "dumb") != 0;
#else
    return 0;
#endif
}

int cli_repl(lua_State *L) {
    struct repl r = {.L = L, .tty = isatty(STDIN_FILENO)};
    struct sigaction idle, saved;
    memset(&idle, 0, sizeof idle);
    idle.sa_handler = on_sigint_idle; /* no SA_RESTART: a blocked read returns EINTR */
    sigemptyset(&idle.sa_mask);
    sigaction(SIGINT, &idle, &saved);

    if (r.tty) {
        start_line_editing(&r);
        printf("%s %s (%s). Ctrl-D exits, Ctrl-C interrupts; mflab --help lists the keys.\n",
               CLI_PROGNAME, MFLAB_VERSION, LUA_RELEASE);
        fflush(stdout);
    }
    int status;
    while ((status = read_input(&r)) != INPUT_END) {
        if (status == LUA_OK)
            run_input(L);
        else
            cli_report(L, status, NULL);
    }
    if (r.tty) {
        if (!readline_ends_line_at_eof())
            fputc('\n', stdout); /* leave the shell prompt on a line of its own */
        stop_line_editing(&r);
    }
    fflush(stdout);
    free(r.line);
    sigaction(SIGINT, &saved, NULL);
    return CLI_EXIT_OK;
}
