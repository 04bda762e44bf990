#!/usr/bin/env bash
# Tests of the mflab executable: options, scripts, errors, the REPL through a pipe and on a
# terminal (pty_drive.py), Ctrl-C, and that the library is found beside the executable.
# usage: test_cli.sh /path/to/mflab      Prints one line per check and "N passed, N failed".
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 /path/to/mflab" >&2
  exit 2
fi
EXE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mflab-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# A clean, private environment: no history in the real home, no module path surprises.
export HOME="$TMP/home"
mkdir -p "$HOME"
unset MFLAB_HISTORY LUA_PATH LUA_PATH_5_4 LUA_CPATH LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
export TERM=xterm

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  for detail in "$@"; do printf '%s\n' "$detail" | sed 's/^/       | /'; done
}

# run [CMD...]: runs CMD with stdin from $TMP/in (empty unless written), sets rc, out, err.
: >"$TMP/in"
run() {
  "$@" <"$TMP/in" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/err")
}
input() { printf "$@" >"$TMP/in"; }
details() { echo "exit status: $rc" "--- stdout:" "$out" "--- stderr:" "$err"; }

# check NAME RC OUT ERR: exact exit status, stdout and stderr (ERR "*" means anything).
check() {
  if [ "$rc" = "$2" ] && [ "$out" = "$3" ] && { [ "$4" = "*" ] || [ "$err" = "$4" ]; }; then
    pass "$1"
  else
    local IFS=$'\n'
    fail "$1" "expected exit $2, stdout:" "$3" "stderr:" "$4" "got:" $(details)
  fi
}
# has TEXT: stderr contains TEXT
has_err() { case $err in *"$1"*) return 0 ;; esac; return 1; }

# ---- options ----------------------------------------------------------------------------
run "$EXE" --version
first=${out%%$'\n'*} second=${out#*$'\n'}
if [ $rc -eq 0 ] && [ -z "$err" ] && [[ $first =~ ^mflab\ [0-9A-Za-z.+~-]+\ \(Lua\ 5\.4\.[0-9]+\)$ ]] &&
   [[ $second =~ ^kernels:\ (avx512|avx2|baseline|native)\ \(this\ CPU\ and\ build:\ [a-z0-9\ ]+\)\;\ cpu:\ .+$ ]]; then
  pass "--version prints 'mflab <version> (Lua 5.4.x)' and the kernels' path with the CPU"
else fail "--version" "$(details)"; fi

run "$EXE" --help
if [ $rc -eq 0 ] && [ -z "$err" ]; then
  missing=
  for word in "usage: mflab" "-e CODE" "-i " "-l NAME" "--version" " - " "Ctrl-C" "Ctrl-D" \
    "mf> " ">> " "_repr" "HOME" "MFLAB_HISTORY" "LUA_PATH" "not a terminal" "help(x)" "progress bar" \
    "quiet = true" "DISPLAY" "man mflab" "pasted"; do
    case $out in *"$word"*) ;; *) missing="$missing [$word]" ;; esac
  done
  if [ -z "$missing" ]; then pass "--help lists options, REPL keys and environment"
  else fail "--help is missing:$missing"; fi
else fail "--help" "$(details)"; fi

run "$EXE" -x
if [ $rc -eq 2 ] && [ -z "$out" ] && has_err "mflab: unrecognized option '-x'" && has_err "usage: mflab"; then
  pass "unknown option: message and usage on stderr, exit 2"
else fail "unknown option" "$(details)"; fi

run "$EXE" -e
if [ $rc -eq 2 ] && has_err "'-e' needs an argument"; then pass "-e without code: exit 2"
else fail "-e without code" "$(details)"; fi

run "$EXE" -e 'print(1+1)'
check "-e 'print(1+1)' prints 2" 0 "2" ""

run "$EXE" -e 'x = 20' -e 'print(x + 1)' -e'print(x * 2)'
check "-e is repeatable and runs in order" 0 $'21\n40' ""

run "$EXE" -e 'print(type(mf), mf == require "mflab", package.loaded["mflab.core"] ~= nil or package.preload["mflab.core"] ~= nil)'
check "global mf is require 'mflab'; mflab.core is preloaded" 0 $'table\ttrue\ttrue' ""

# ---- scripts and arguments --------------------------------------------------------------
cat >"$TMP/args.lua" <<'EOF'
print(arg[0], #arg, arg[1], arg[2], arg[-1] == EXPECT_EXE)
print(select("#", ...), ...)
EOF
run "$EXE" -e "EXPECT_EXE = '$EXE'" "$TMP/args.lua" a "b c"
check "script arguments in arg (arg[0], #arg, arg[1..], arg[-1]) and in ..." 0 \
  "$TMP/args.lua"$'\t2\ta\tb c\tfalse\n2\ta\tb c' ""
# with -e before the script, arg[-1] is the -e code and arg[-3] the executable
printf 'print(arg[-1], arg[-2], arg[-3] == "%s", arg[-4])\n' "$EXE" >"$TMP/neg.lua"
run "$EXE" -W "$TMP/neg.lua"
check "interpreter and options at negative indices of arg" 0 $'-W\t'"$EXE"$'\tfalse\tnil' ""
run "$EXE" "$TMP/neg.lua" x
check "arg[-1] is the executable when there are no options" 0 "$EXE"$'\tnil\tfalse\tnil' ""

input 'print("from stdin", ...)\n'
run "$EXE" - q r
check "'-' runs the script read from stdin, with its arguments" 0 $'from stdin\tq\tr' ""
input ''

printf 'print("first")\nlocal function inner() error("kaboom") end\ninner()\n' >"$TMP/err.lua"
run "$EXE" "$TMP/err.lua"
if [ $rc -eq 1 ] && [ "$out" = "first" ] && [[ $err == "mflab: $TMP/err.lua:2: kaboom"* ]] &&
  has_err "stack traceback:" && has_err "in local 'inner'"; then
  pass "script error: 'mflab: <message>' and a traceback on stderr, exit 1"
else fail "script error" "$(details)"; fi

run "$EXE" -e 'error(setmetatable({}, {__tostring = function() return "custom error object" end}))'
if [ $rc -eq 1 ] && [[ $err == "mflab: custom error object"* ]] && has_err "stack traceback:"; then
  pass "error object with __tostring is printed through it"
else fail "error object with __tostring" "$(details)"; fi

(cd "$TMP" && "$EXE" nope.lua >"$TMP/out" 2>"$TMP/err")
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
check "missing script: one line on stderr, exit 2" 2 "" \
  "mflab: cannot open script 'nope.lua': No such file or directory"

printf 'x = = 1\n' >"$TMP/syntax.lua"
run "$EXE" "$TMP/syntax.lua"
check "syntax error: the message, exit 1" 1 "" "mflab: $TMP/syntax.lua:1: unexpected symbol near '='"

printf 'os.exit(7)\n' >"$TMP/exit.lua"
run "$EXE" "$TMP/exit.lua"
check "os.exit(n) sets the exit status" 7 "" ""

# ---- the REPL through a pipe ------------------------------------------------------------
input '1+2\nx = 5\nx*2\nfunction f(a)\n return a+1\nend\nf(41)\n_\nerror("boom")\n3\n'
run "$EXE"
if [ $rc -eq 0 ] && [ "$out" = $'3\n10\n42\n42\n3' ] && [[ $err == "stdin:1: boom"* ]] &&
  has_err "stack traceback:"; then
  pass "REPL: expressions, statements, continuation, _, error and continue, EOF exits 0"
else fail "REPL through a pipe" "$(details)"; fi

input '=1, 2, "s"\nt = {1,\n2}\n#t\nx = = 1\n"after"\nprint("p")\nnil\n'
run "$EXE"
check "REPL: =, several values, multi-line expression, syntax error then continue" 0 \
  $'1\t2\ts\n2\nafter\np\nnil' "stdin:1: unexpected symbol near '='"

input 'function g()\n'
run "$EXE"
check "REPL: end of input inside a statement reports it and exits 0" 0 "" \
  "stdin:1: 'end' expected near <eof>"

input 'p = mf.plot{}\np:line({1, 2}, {1})\nmf.opt.sgd{lr = -1}\n1, 2, nil\n(select("#", 1, nil, nil))\n'
run "$EXE"
if [ $rc -eq 0 ] && [ "$out" = $'1\t2\tnil\n3' ] &&
  [[ $err == "stdin:1: mf.plot:line: arguments 'x' and 'y' have different lengths (2 and 1)"* ]] &&
  has_err $'\nstdin:1: mf.opt.sgd: option \'lr\' must be'; then
  pass "REPL: errors of library calls in expressions point at the input line; values kept"
else fail "REPL: error positions of expressions" "$(details)"; fi

input '1+1\n"s"\n'
run "$EXE" -e 'mf._repr = function(v) return "<" .. type(v) .. " " .. tostring(v) .. ">" end' -i
check "REPL prints values with mf._repr" 0 $'<number 2>\n<string s>' ""

input '{}\n'
run "$EXE" -e 'mf._repr = function(v) error("bad repr") end' -i
if [ $rc -eq 0 ] && [ -z "$out" ] && has_err "bad repr"; then pass "REPL: an error in mf._repr is reported"
else fail "REPL: error in mf._repr" "$(details)"; fi

printf 'y = 7\nprint("script ran")\n' >"$TMP/i.lua"
input 'y*6\n'
run "$EXE" -i "$TMP/i.lua"
check "-i runs the script, then the REPL" 0 $'script ran\n42' ""

input 'print("not run")\n'
run "$EXE" -e 'print("e only")'
check "-e without -i does not start the REPL" 0 "e only" ""

# ---- completion candidates (what Tab offers), readable values ------------------------------
RSMALL='r = mf.run{landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 0.01}, noise = mf.noise.hessian{sigma = 1}, x0 = {5, 0}, steps = 1000, every = 100, seeds = 8, seed = 3}'
run "$EXE" -e "$RSMALL" -e 'L = mf.landscape.valley{}' -e 'for _, p in ipairs{"mf.opt.sg", "mf.landscape.val", "r:me", "r:s", "L:hes", "mf.plot.av", "hel", "mf.expe", "string.up", "x.y.", "nope."} do
  local c = mf._complete(p); table.sort(c); print(p .. " -> " .. table.concat(c, " ")) end'
check "completion candidates for prefixes (modules, fields, methods of userdata and tables)" 0 \
"mf.opt.sg -> mf.opt.sgd
mf.landscape.val -> mf.landscape.valley
r:me -> r:mean
r:s -> r:save r:std
L:hes -> L:hess
mf.plot.av -> mf.plot.available
hel -> help
mf.expe -> mf.experiment
string.up -> string.upper
x.y. -> 
nope. -> " ""

input '%s\nr\nL = mf.landscape.valley{}\nL:hess{2, 0}\n' "$RSMALL"
run "$EXE"
if [ $rc -eq 0 ] && [ -z "$err" ] && [[ $out == *"mf result: 8 seeds x 11 records (t = 0..1000), 1000 steps done"* ]] &&
  [[ $out == *"  optimizer  sgd{lr = 0.01"* ]] && [[ $out == *"  noise      hessian{sigma = 1.0}"* ]] &&
  [[ $out == *"  landscape  valley: "* ]] && [[ $out == *"  steps      1000, recorded every 100, from x0 = {5, 0}"* ]] &&
  [[ $out == *"  seeds      8, seed = 3"* ]] && [[ $out == *"  recorded   x1, x2, loss"* ]] && [[ $out == *"at t=1000  x1 = "* ]] &&
  [[ $out == *$'{{0.0,  0.0},\n {0.0, 10.0}}'* ]]; then
  pass "REPL: a run result prints a one-screen summary; a matrix prints as aligned rows"
else fail "REPL: result summary and matrix" "$(details)"; fi

run "$EXE" -e "$RSMALL" -e 'print(r)'
if [ $rc -eq 0 ] && [[ $out == "mf result: 8 seeds x 11 records (t = 0..1000); recorded x1, x2, loss"$'\n'"  mflab "*"seeds=8 seed=3 x0={5, 0}" ]]; then
  pass "tostring(result): the shape and, on a second line, what ran"
else fail "tostring(result)" "$(details)"; fi

# ---- the library is found beside the executable, never through the current directory --------
mkdir -p "$TMP/shadow/mflab"
echo 'error("shadowing mflab.lua from the current directory was loaded")' >"$TMP/shadow/mflab.lua"
echo 'error("shadowing mflab/init.lua from the current directory was loaded")' >"$TMP/shadow/mflab/init.lua"
(cd "$TMP/shadow" && "$EXE" -e 'print(type(mf))' >"$TMP/out" 2>"$TMP/err")
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
check "./mflab.lua and ./mflab/init.lua in the cwd do not shadow the library" 0 "table" ""

# a copy of the executable with no library beside it fails to start, even with one in the cwd
mkdir -p "$TMP/bare/bin"
cp "$EXE" "$TMP/bare/bin/mflab"
(cd "$TMP/shadow" && "$TMP/bare/bin/mflab" -e 'print(type(mf))' >"$TMP/out" 2>"$TMP/err")
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
if [ $rc -eq 1 ] && [ -z "$out" ] && has_err "mflab: cannot find the mflab library" &&
  has_err "$TMP/bare/bin/../share/mflab/lua/mflab/init.lua" && ! has_err shadowing; then
  pass "the library is looked up only at <exedir>/../share/mflab/lua; failure exits 1"
else fail "library lookup relative to the executable" "$(details)"; fi
# ... and a symbolic link to the executable finds the library of the real file
ln -s "$EXE" "$TMP/bare/mflab-link"
run "$TMP/bare/mflab-link" -e 'print(type(mf))'
check "a symlink to the executable finds the library beside the real file" 0 "table" ""

# ---- Ctrl-C (SIGINT) --------------------------------------------------------------------
# wait_for FILE TEXT: until FILE contains TEXT (10 s at most)
wait_for() {
  local i
  for i in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_exit PID: its exit status, killing it after 10 s (status 124 then)
wait_exit() {
  local i
  for i in $(seq 100); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null
  wait "$1"
  return 124
}

LOOP='print("ready") io.stdout:flush() while true do end'
"$EXE" -e "$LOOP" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
if wait_for "$TMP/out" ready; then kill -INT $pid; fi
wait_exit $pid
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
if [ $rc -eq 130 ] && [[ $err == "mflab: interrupted!"* ]]; then
  pass "Ctrl-C stops -e code: 'interrupted!', exit 130"
else fail "Ctrl-C stops -e code" "$(details)"; fi
# a script file stopped by Ctrl-C in an engine run: exit 130, the message says where the partial
# result is, and a script error is still 1
printf '%s\n' 'print("ready") io.stdout:flush()' \
  'mf.run{landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 1e-3}, steps = 1e9, seeds = 64, quiet = true}' >"$TMP/long.lua"
"$EXE" "$TMP/long.lua" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
if wait_for "$TMP/out" ready; then sleep 0.3; kill -INT $pid; fi
wait_exit $pid
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
if [ $rc -eq 130 ] && [[ $err == *"records kept (the partial result is mf.last)"* ]]; then
  pass "Ctrl-C stops a script's run: exit 130, the partial result named"
else fail "Ctrl-C stops a script's run" "$(details)"; fi

rm -f "$TMP/fifo"
mkfifo "$TMP/fifo"
"$EXE" <"$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
printf '%s\n' "$LOOP" >&3
if wait_for "$TMP/out" ready; then kill -INT $pid; fi
printf 'print("after")\n6*7\n' >&3
exec 3>&-
wait_exit $pid
rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
if [ $rc -eq 0 ] && [ "$out" = $'ready\nafter\n42' ] && [[ $err == "interrupted!"* ]]; then
  pass "Ctrl-C in the REPL (pipe) stops the computation; the next lines run"
else fail "Ctrl-C in the REPL (pipe)" "$(details)"; fi

# ---- the REPL on a terminal -------------------------------------------------------------
if [ -x "$PYTHON" ] && "$PYTHON" -c 'import pty' 2>/dev/null; then
  # pty NAME STEP...: drives the REPL on a pseudo-terminal (see pty_drive.py)
  pty() {
    local name=$1
    shift
    if "$PYTHON" "$HERE/pty_drive.py" "$@" 2>"$TMP/pty.err"; then pass "$name"
    else fail "$name" "$(cat "$TMP/pty.err")"; fi
  }
  P='expect:mf> '
  pty "terminal: prompt, values, continuation prompt, Ctrl-D exits 0" \
    "$P" 'send:1+2\r' 'expect:[\r\n]3\r\n' "$P" 'send:function f(a)\r' 'expect:>> ' \
    'send:return a * 2\r' 'expect:>> ' 'send:end\r' "$P" 'send:f(21)\r' 'expect:[\r\n]42\r\n' \
    "$P" 'send:\x04' 'exit:0' -- "$EXE"
  pty "terminal: Ctrl-C interrupts a computation and returns to the prompt" \
    "$P" "send:$LOOP\\r" 'expect:ready' 'sleep:0.2' 'send:\x03' 'expect:interrupted!' \
    'expect:stack traceback' "$P" 'send:print("alive")\r' 'expect:[\r\n]alive\r\n' \
    "$P" 'send:\x04' 'exit:0' -- "$EXE"
  pty "terminal: after Ctrl-C in a run, the partial result is mf.last, and the message says so" \
    "$P" 'send:mf.run{landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 1e-3}, steps = 1e8, every = 1e4, seeds = 64, quiet = true}\r' \
    'sleep:0.8' 'send:\x03' 'expect:records kept \(the partial result is mf\.last\)' "$P" \
    'send:#mf.last > 1, mf.last.seeds\r' 'expect:[\r\n]true\t64\r\n' "$P" 'send:\x04' 'exit:0' -- "$EXE"
  pty "terminal: Ctrl-C at the prompt discards the line (and continuation lines)" \
    "$P" 'send:error("typed")' 'sleep:0.2' 'send:\x03' "$P" 'send:function h()\r' 'expect:>> ' \
    'send:\x03' "$P" 'send:"clean"\r' 'expect:[\r\n]clean\r\n' "$P" 'absent:stdin:1: typed' \
    'send:\x04' 'exit:0' -- "$EXE"
  pty "terminal: Tab completes globals, fields and methods" \
    "$P" 'send:somevariable = "abc"\r' "$P" 'send:somevar\t' 'expect:somevariable' \
    'send::up\t' 'expect:upper\(' 'send:)\r' 'expect:[\r\n]ABC\r\n' "$P" 'send:\x04' 'exit:0' -- "$EXE"

  # the progress bar: on a terminal's stderr (delay 0 so that a short run shows it), erased at
  # the end; not with quiet = true; never when stderr is not a terminal
  # (records every 10^4 steps above: more than one before the Ctrl-C even in the sanitizer
  # build; that build's quick form, MFLAB_TEST_QUICK, runs a fifth of the steps here)
  STEPS=1500000
  [ -n "${MFLAB_TEST_QUICK:-}" ] && STEPS=300000
  RUN="mf.run{landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 1e-3}, noise = mf.noise.hessian{sigma = 2}, x0 = {5, 0}, steps = $STEPS, seeds = 256"
  pty "terminal: a long run shows a progress bar on stderr, erased at the end" \
    "expect:mf\\.run \\[#*\\.*\\] +[0-9]+%  [0-9]+/$STEPS steps"'  [0-9.]+ [kMG]? ?traj-steps/s  [0-9:]+ left' \
    'expect:\r\x1b\[Kdone' 'exit:0' -- "$EXE" -e "require('mflab.progress').delay = 0; $RUN}; print('done')"
  pty "terminal: quiet = true shows no progress bar" \
    'expect:done' 'absent:mf\.run \[' 'exit:0' -- "$EXE" -e "require('mflab.progress').delay = 0; $RUN, quiet = true}; print('done')"
  run "$EXE" -e "require('mflab.progress').delay = 0; $RUN}; print('done')"
  check "no progress bar when stderr is not a terminal" 0 "done" ""

  pty "terminal: Tab completes a result's methods (r:me -> r:mean(), a constructor to valley{" \
    "$P" "send:$RSMALL\\r" "$P" 'send:r:me\t' 'expect:r:mean\(' 'send:"x1")[#r] > 0\r' 'expect:[\r\n]true\r\n' \
    "$P" 'send:mf.landscape.val\t' 'expect:mf.landscape.valley\{' 'send:}\r' 'expect:valley' \
    "$P" 'send:mf.analysis.to\t' 'expect:mf.analysis.top\(' 'send:)\r' "expect:argument 'L' must be a landscape" \
    "$P" 'send:\x04' 'exit:0' -- "$EXE"
  pty "terminal: a pasted block of several lines runs each line once" \
    "$P" 'send:\x1b[200~n = 0\rn = n + 1\rn * 10\rprint("count", n)\r\x1b[201~' 'sleep:0.2' 'send:\r' \
    'expect:[\r\n]10\r\n' 'expect:count\t1\r\n' "$P" 'send:n\r' 'expect:[\r\n]1\r\n' "$P" 'absent:syntax error' \
    'send:\x04' 'exit:0' -- "$EXE"

  rm -f "$HOME/.mflab_history"
  pty "terminal: history is saved to ~/.mflab_history" \
    "$P" 'send:1000+1\r' 'expect:1001' "$P" 'send:\x04' 'exit:0' -- "$EXE"
  if grep -qx '1000+1' "$HOME/.mflab_history" 2>/dev/null; then pass "history file holds the line"
  else fail "history file holds the line" "$(cat "$HOME/.mflab_history" 2>&1)"; fi
  pty "terminal: history is loaded (Up recalls the last session's line)" \
    "$P" 'send:\x1b[A' 'expect:1000\+1' 'send:\r' 'expect:[\r\n]1001\r\n' "$P" 'send:\x04' 'exit:0' -- "$EXE"
  HOME="$TMP/no/such/home" pty "terminal: an unwritable history file is silently ignored" \
    "$P" 'send:2+2\r' 'expect:[\r\n]4\r\n' "$P" 'send:\x04' 'exit:0' -- "$EXE"
  if [ ! -e "$TMP/no" ]; then pass "no history directory is created"
  else fail "no history directory is created"; fi
else
  echo "skip terminal tests: $PYTHON with the pty module is not available"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
