#!/usr/bin/env bash
# mf.experiment through the mflab executable: key=value overrides (Lua numbers, 1e6 counts,
# lists, ranges), --help, --quick, --out created before computing, --replot without
# recomputing (a run counter), refusal of a folder of other parameters and --force, --resume,
# the errors, a sweep over listed values, require from the script's folder and MFLAB_PATH,
# and Ctrl-C (exit 130, metadata state "interrupted").
# usage: test_experiment.sh /path/to/mflab      Prints one line per check and a summary.
set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 /path/to/mflab" >&2
  exit 2
fi
EXE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
EXAMPLES=$(cd "$(dirname "$0")/../../examples" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mflab-exp.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
unset MFLAB_PATH LUA_PATH LUA_PATH_5_4 LUA_INIT LUA_INIT_5_4

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  for d in "$@"; do printf '%s\n' "$d" | sed 's/^/       | /'; done
}
run() {
  "$@" </dev/null >"$TMP/out" 2>"$TMP/err"
  rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/err")
}
details() { echo "exit status: $rc" "--- stdout:" "$out" "--- stderr:" "$err"; }
# json FILE EXPR: prints EXPR evaluated with v = the decoded JSON file (%.17g for numbers)
json() {
  "$EXE" -e "local v = require('mflab.json').decode(io.open('$1'):read('a'))
             local x = $2
             print(math.type(x) == 'float' and ('%.17g'):format(x) or tostring(x))" 2>&1
}
count() { [ -f "$TMP/count" ] && wc -l <"$TMP/count" | tr -d ' ' || echo 0; }

# The experiment: counts its runs in $TMP/count, fails on fail=true, loops on spin=true
# (for Ctrl-C), and checks that its output folder exists before it computes.
mkdir -p "$TMP/lib" "$TMP/work"
cat >"$TMP/lib/demo.lua" <<LUA
local function run(p, ctx)
  local f = assert(io.open("$TMP/count", "a")); f:write("run\n"); f:close()
  if ctx.out then
    local probe = io.open(ctx.out .. "/probe", "w")
    if not probe then error("the output folder does not exist yet") end
    probe:close(); os.remove(ctx.out .. "/probe")
  end
  if p.fail then error("demo: asked to fail") end
  if p.spin then print("spinning"); io.stdout:flush(); while true do end end
  return { x = p.lr * p.steps, steps = p.steps, mus = p.mus, third = 1 / 3, v = mf.vec { 1, 2 } }
end
local function plot(r, p, ctx)
  local f = assert(io.open(ctx:path("plot.txt"), "w")); f:write(("%.17g\n"):format(r.x)); f:close()
end
local function report(r) print(("demo: x = %.17g"):format(r.x)) end
return mf.experiment {
  name = "demo", doc = "a demonstration\nwith a second line of doc",
  params = {
    { name = "lr", default = 1e-3, kind = "number", doc = "learning rate" },
    { name = "steps", default = 100, kind = "integer", doc = "number of steps" },
    { name = "mus", default = { 0, 0.5 }, kind = "numbers", doc = "momenta" },
    { name = "mode", default = "a", kind = "string", doc = "a mode", one_of = { "a", "b" } },
    { name = "fail", default = false, kind = "boolean", doc = "raise an error in run" },
    { name = "spin", default = false, kind = "boolean", doc = "loop until interrupted" },
  },
  quick = { steps = 10 },
  run = run, plot = plot, report = report,
}:main(...)
LUA
cd "$TMP/work"
D="$TMP/lib/demo.lua"

# ---- --help -------------------------------------------------------------------------------
run "$EXE" "$D" --help
if [ $rc -eq 0 ] && [[ $out == "demo: a demonstration"* ]] && [[ $out == *"usage: mflab $D [name=value ...] [--quick]"* ]] &&
  [[ $out =~ lr\ +number\ +0\.001\ +learning\ rate ]] && [[ $out =~ steps\ +integer\ +100\ +number\ of\ steps ]] &&
  [[ $out =~ mus\ +numbers\ +0,0\.5\ +momenta ]] && [[ $out == *"--quick sets: steps=10"* ]] &&
  [[ $out == *"log:FROM:TO:N"* ]] && [ "$(count)" = 0 ] && [ ! -e demo ]; then
  pass "--help: name, doc, every parameter with kind, default and doc, the quick set; nothing run or created"
else fail "--help" "$(details)"; fi

# ---- overrides --------------------------------------------------------------------------
run "$EXE" "$D" lr=0x10 steps=1e6 mus=log:1e-3:1e-1:3 mode=b
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 16000000" ] && [ -d demo ] &&
  [ "$(json demo/demo.results.json 'v.steps')" = 1000000 ] && [ "$(json demo/demo.meta.json 'math.type(v.params.steps)')" = integer ] &&
  [ "$(json demo/demo.meta.json 'v.params.lr')" = 16 ] && [ "$(json demo/demo.meta.json 'v.params.mode')" = b ] &&
  [ "$(json demo/demo.meta.json 'v.params.mus[1] == 1e-3 and v.params.mus[3] == 1e-1 and #v.params.mus')" = 3 ] &&
  [ "$(json demo/demo.meta.json 'v.params.mus[2] == 1e-2')" = true ] &&
  [ "$(json demo/demo.results.json 'v.third == 1/3')" = true ] && [ "$(json demo/demo.results.json 'v.v[2]')" = 2 ]; then
  pass "overrides: 0x10, steps=1e6 (an integer), a log range for a list parameter; results JSON exact (1/3)"
else fail "overrides" "$(details)" "$(cat demo/demo.results.json demo/demo.meta.json 2>&1)"; fi
m=demo/demo.meta.json
if [ "$(json $m 'v.state')" = ok ] && [ "$(json $m 'v.experiment')" = demo ] && [ "$(json $m 'v.mflab_version')" != nil ] &&
  [ "$(json $m 'type(v.host)')" = string ] && [ "$(json $m 'v.wall_seconds >= 0')" = true ] &&
  [[ $(json $m 'v.start_time') =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z$ ]] && [ "$(json $m 'v.end_time >= v.start_time')" = true ] &&
  [ "$(json $m 'v.files[1]')" = plot.txt ] && [ "$(json $m 'v.results')" = demo.results.json ] &&
  [ "$(cat demo/plot.txt)" = 16000000 ]; then
  pass "metadata: state ok, version, host, start/end time, wall time, files; the plot written"
else fail "metadata" "$(cat $m)"; fi

# ---- refusal, --force, --resume ---------------------------------------------------------
n0=$(count)
run "$EXE" "$D" lr=2
if [ $rc -eq 2 ] && [ "$err" = "mflab: demo: the folder 'demo' holds results of other parameters: lr = 16 there, 2 here; mode = b there, a here; mus = 0.001,0.01,0.1 there, 0,0.5 here; steps = 1000000 there, 100 here (--force replaces them; --out DIR chooses another folder)" ] &&
  [ "$(count)" = "$n0" ] && [ "$(json demo/demo.meta.json 'v.params.lr')" = 16 ]; then
  pass "a folder of other parameters is refused (one line, exit 2), naming each difference; nothing computed or changed"
else fail "refusal" "$(details)"; fi
run "$EXE" "$D" lr=2 --force
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 200" ] && [ "$(json demo/demo.meta.json 'v.params.lr')" = 2 ]; then
  pass "--force replaces them"
else fail "--force" "$(details)"; fi
n0=$(count)
run "$EXE" "$D" lr=2 --resume
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 200" ] && [ "$(count)" = "$n0" ] && [[ $err == *"nothing to compute"* ]]; then
  pass "--resume with finished results of the same parameters reuses them (run count unchanged)"
else fail "--resume" "$(details)"; fi

# ---- --replot -----------------------------------------------------------------------------
n0=$(count)
rm demo/plot.txt
run "$EXE" "$D" --replot
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 200" ] && [ "$(count)" = "$n0" ] && [ "$(cat demo/plot.txt)" = 200 ]; then
  pass "--replot redraws and reprints from the saved results without running (run count unchanged)"
else fail "--replot" "$(details)"; fi
run "$EXE" "$D" --replot lr=3
if [ $rc -eq 2 ] && [[ $err == *"--replot draws the saved results, whose parameters differ: lr = 2 there, 3 here"* ]] && [ "$(count)" = "$n0" ]; then
  pass "--replot with other parameters is refused"
else fail "--replot with other parameters" "$(details)"; fi
run "$EXE" "$D" --replot --out nowhere
if [ $rc -eq 2 ] && [[ $err == *"--replot: no saved results in 'nowhere'"* ]]; then
  pass "--replot without saved results: a clear error"
else fail "--replot without results" "$(details)"; fi

# ---- --quick and --out ------------------------------------------------------------------
run "$EXE" "$D" --quick
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 0.01" ] && [ "$(json demo_quick/demo.meta.json 'v.params.steps')" = 10 ] &&
  [ "$(json demo_quick/demo.meta.json 'v.quick')" = true ]; then
  pass "--quick: the declared quick set, in ./demo_quick by default"
else fail "--quick" "$(details)"; fi
run "$EXE" "$D" --quick steps=20 --out "$TMP/deep/er/out"
if [ $rc -eq 0 ] && [ "$out" = "demo: x = 0.02" ] && [ -f "$TMP/deep/er/out/demo.results.json" ]; then
  pass "key=value overrides the quick set; --out creates the folder and its parents"
else fail "--out" "$(details)"; fi
run "$EXE" "$D" fail=true --out failed
if [ $rc -eq 1 ] && [[ $err == *"demo: asked to fail"* ]] && [ "$(json failed/demo.meta.json 'v.state')" = error ] &&
  [[ $(json failed/demo.meta.json 'v.error') == *"asked to fail"* ]] && [ ! -e failed/demo.results.json ]; then
  pass "an error in run: exit 1, the folder existed before computing (checked by run), metadata state 'error'"
else fail "error state" "$(details)"; fi
run "$EXE" "$D" --out failed lr=5
if [ $rc -eq 0 ]; then pass "a folder whose run failed is not protected"; else fail "after a failed run" "$(details)"; fi

# ---- errors: one line on stderr, exit 2, nothing run ------------------------------------
n0=$(count)
run "$EXE" "$D" lrr=1
if [ $rc -eq 2 ] && [ "$err" = "mflab: demo: unknown parameter 'lrr' (parameters: lr, steps, mus, mode, fail, spin)" ] && [ "$(count)" = "$n0" ]; then
  pass "unknown parameter: named, with the declared ones; one line, exit 2, nothing run"
else fail "unknown parameter" "$(details)"; fi
run "$EXE" "$D" lr=abc
if [ $rc -eq 2 ] && [ "$err" = "mflab: demo: parameter 'lr' must be a finite number, got 'abc'" ]; then
  pass "lr=abc: a clear error"
else fail "lr=abc" "$(details)"; fi
run "$EXE" "$D" steps=1.5
if [ $rc -eq 2 ] && [ "$err" = "mflab: demo: parameter 'steps' must be an integer (1e6 counts), got '1.5'" ]; then
  pass "steps=1.5: not an integer"
else fail "steps=1.5" "$(details)"; fi
run "$EXE" "$D" mode=c
if [ $rc -eq 2 ] && [[ $err == *"parameter 'mode' must be one of \"a\", \"b\", got \"c\""* ]]; then
  pass "a value outside one_of"
else fail "one_of" "$(details)"; fi
run "$EXE" "$D" fail=maybe
if [ $rc -eq 2 ] && [[ $err == *"parameter 'fail' must be true or false, got 'maybe'"* ]]; then
  pass "a bad boolean"
else fail "bad boolean" "$(details)"; fi
run "$EXE" "$D" --seeds 3
if [ $rc -eq 2 ] && [[ $err == *"unknown argument '--seeds'"* ]]; then
  pass "an unknown option"
else fail "unknown option" "$(details)"; fi
run "$EXE" "$D" steps=lin:1:2:3
if [ $rc -eq 2 ] && [[ $err == *"parameter 'steps' takes integers; the range 'lin:1:2:3' gives 1.5"* ]]; then
  pass "a range of non-integers for an integer parameter"
else fail "integer range" "$(details)"; fi

# ---- a sweep over listed values -----------------------------------------------------------
n0=$(count)
run "$EXE" "$D" lr=1,2 steps=lin:10:30:3 --out sw
if [ $rc -eq 0 ] && [ "$(count)" = $((n0 + 6)) ] && [ "$(json 'sw/lr=2,steps=30/demo.results.json' 'v.x')" = 60 ] &&
  [ "$(json 'sw/lr=1,steps=10/demo.meta.json' 'v.params.steps')" = 10 ] &&
  [ "$(sed -n '1,3p;7p' sw/demo.points.csv)" = $'lr,steps,third,x\n1,10,0.33333333333333331,10\n1,20,0.33333333333333331,20\n2,30,0.33333333333333331,60' ]; then
  pass "lists and ranges of one-value parameters: every combination in its own subfolder, a table of the points"
else fail "sweep" "$(details)" "$(ls sw 2>&1)"; fi

if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  got=$(/usr/bin/python3 -c 'import numpy; a = numpy.genfromtxt("sw/demo.points.csv", delimiter=",", names=True); print(a.dtype.names, a["x"][-1], len(a))' 2>&1)
  if [ "$got" = "('lr', 'steps', 'third', 'x') 60.0 6" ]; then pass "numpy.genfromtxt(names=True) reads the points table as it is"
  else fail "points table in numpy" "$got"; fi
fi

# ---- require from the script's folder and from MFLAB_PATH -------------------------------
cat >"$TMP/lib/use.lua" <<'LUA'
local E = require "demo"
local r = E:run { lr = 2, steps = 1e3 }
print(E.name, r.x, math.type(r.steps), #E.params, E:defaults().lr)
LUA
cp "$TMP/lib/use.lua" "$TMP/work/use.lua"
run "$EXE" "$TMP/lib/use.lua"
if [ $rc -eq 0 ] && [ "$out" = $'demo\t2000.0\tinteger\t6\t0.001' ]; then
  pass "require of an experiment from the script's folder; E:run(p) returns its results"
else fail "require from the script's folder" "$(details)"; fi
run "$EXE" use.lua
if [ $rc -ne 0 ] && [[ $err == *"module 'demo' not found"* ]]; then
  pass "not found elsewhere without MFLAB_PATH"
else fail "require without MFLAB_PATH" "$(details)"; fi
MFLAB_PATH="$TMP/nothing::$TMP/lib/" run "$EXE" use.lua
if [ $rc -eq 0 ] && [ "$out" = $'demo\t2000.0\tinteger\t6\t0.001' ]; then
  pass "require from an MFLAB_PATH folder"
else fail "require from MFLAB_PATH" "$(details)"; fi
run "$EXE" -e 'local E = dofile("'"$TMP"'/lib/demo.lua"); E:run{ lr = "x" }'
if [ $rc -eq 1 ] && [[ $err == *"demo: parameter 'lr' must be a finite number, got \"x\""* ]]; then
  pass "E:run checks its parameters as the command line does"
else fail "E:run checks" "$(details)"; fi

# ---- Ctrl-C -------------------------------------------------------------------------------
"$EXE" "$D" spin=true --out spin </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
for i in $(seq 100); do grep -q spinning "$TMP/out" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid
rc=$?
out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
if [ $rc -eq 130 ] && [[ $err == "mflab: "*"interrupted!"* ]] && [ "$(json spin/demo.meta.json 'v.state')" = interrupted ]; then
  pass "Ctrl-C: exit 130, metadata state 'interrupted'"
else fail "Ctrl-C" "$(details)" "$(cat spin/demo.meta.json 2>&1)"; fi

# ---- every example is an experiment: --help answers without computing --------------------
bad=""
for f in "$EXAMPLES"/*/*.lua; do
  run "$EXE" "$f" --help
  if [ $rc -ne 0 ] || [[ $out != *"usage: mflab $f [name=value ...]"* ]] || [[ $out != *"--quick sets: "* ]] ||
    [[ $out != *"  name "*"kind"* ]] || [ -n "$err" ]; then bad="$bad $f"; fi
done
if [ -z "$bad" ]; then
  pass "every example answers --help (parameters, the quick set)"
else fail "--help of the examples" "$bad" "$(details)"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
