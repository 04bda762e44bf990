#!/usr/bin/env bash
# Fault paths of mf.plot's p:save (issue 15): a gnuplot that exits 0 without writing, writes
# garbage, writes a truncated file, hangs; a full disk (a 200 KiB tmpfs in a user+mount
# namespace); SIGTERM and SIGINT during a save, to mflab alone and to its process group.
# Each case checks: the error message, that a good PNG already at the target is unchanged, and
# that no temporary folder, no partial file and no gnuplot process is left.
# Usage: test_faults.sh MFLAB_EXE. Exits 77 (skipped) without gnuplot.
set -u
MFLAB=$1
here=$(cd "$(dirname "$0")" && pwd)
JOB=$here/save_job.lua
command -v gnuplot >/dev/null || { echo "gnuplot not installed: skipped"; exit 77; }
REALGP=$(command -v gnuplot)

T=$(mktemp -d "${TMPDIR:-/tmp}/mflab-faults.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/tmp" "$T/out"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok     $1"; }
bad() { fail=$((fail + 1)); echo "FAILED $1"; shift; for l in "$@"; do echo "  $l"; done; }

# fake gnuplots: the version probe (-e ...) goes to the real one
fake() { # name, body (receives the script path as $1)
  { echo '#!/bin/sh'; echo "[ \"\$1\" = -e ] && exec '$REALGP' \"\$@\""
    echo 'out=$(sed -n "s/^set output '"'"'\(.*\)'"'"'\$/\1/p" "$1" | head -n 1)'
    echo "$2"; } > "$T/bin/$1"
  chmod +x "$T/bin/$1"
}
fake gp-empty 'exit 0'
fake gp-garbage 'printf "this is not a picture\n" > "$out"; exit 0'
fake gp-truncated "'$REALGP' \"\$1\" || exit; head -c 3000 \"\$out\" > \"\$out.x\" && mv \"\$out.x\" \"\$out\"; exit 0"
fake gp-hang 'trap "" TERM; echo started > "$FAKE_MARK"; while :; do sleep 1; done'
fake gp-slow "echo started > \"\$FAKE_MARK\"; sleep \${FAKE_SLEEP:-2}; exec '$REALGP' \"\$1\""

# a good PNG to protect
env GP=gnuplot TMPD="$T/tmp" TARGET="$T/good.png" N=50 "$MFLAB" "$JOB" >/dev/null 2>&1
[ -s "$T/good.png" ] || { echo "cannot make the reference PNG"; exit 1; }

is_png() { # whole PNG: signature and IEND at the end
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$(tail -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ]
}
procs_of() { # pids whose command line mentions $1 (no procps needed)
  local f a
  for f in /proc/[0-9]*/cmdline; do
    { mapfile -d '' a < "$f"; } 2>/dev/null || continue
    case " ${a[*]} " in *"$1"*) f=${f#/proc/}; printf '%s ' "${f%/cmdline}" ;; esac
  done
}
leftovers() { # temp folders, partial files, fake gnuplot processes
  local l
  l=$(ls -A "$T/tmp" 2>/dev/null; ls -A "$T/out" | grep '\.part-')
  l="$l$(procs_of "$T/bin/")"
  echo "$l"
}
settle() { # waits up to 3 s for the job to clean up after mflab died
  local i
  for i in $(seq 30); do [ -z "$(leftovers)" ] && return; sleep 0.1; done
}
run_case() { # name, fake, expected message, [env...]
  local name=$1 gp=$2 want=$3; shift 3
  cp "$T/good.png" "$T/out/fig.png"
  local msg rc
  msg=$(env "$@" GP="$T/bin/$gp" TMPD="$T/tmp" TARGET="$T/out/fig.png" FAKE_MARK="$T/mark" \
    "$MFLAB" "$JOB" 2>&1); rc=$?
  local l; l=$(leftovers)
  if [ $rc -eq 0 ] || ! grep -qF -- "$want" <<<"$msg"; then
    bad "$name" "exit $rc, message: $msg" "expected: $want"
  elif grep -q '^saved' <<<"$msg"; then
    bad "$name" "reported saved: $msg"
  elif ! cmp -s "$T/good.png" "$T/out/fig.png"; then
    bad "$name" "the good PNG was changed"
  elif [ -n "$l" ]; then
    bad "$name" "left behind: $l"
  else
    ok "$name"
  fi
}

run_case "gnuplot exits 0 without writing" gp-empty "gnuplot exited without writing the file"
run_case "gnuplot writes garbage" gp-garbage "not a PNG file"
run_case "gnuplot writes a truncated PNG" gp-truncated "the PNG file is truncated"
t0=$(date +%s.%N)
run_case "hung gnuplot times out" gp-hang "gnuplot did not finish within 1 s" TIMEOUT=1
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 8) }' && ok "the timeout (1 s, KILL after 2 s more) bounds the save: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" ||
  bad "timeout bound" "took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"

# --- full disk: a 200 KiB tmpfs holding the good PNG and a filler, with a few KiB free -----
if unshare -rm true 2>/dev/null; then
  msg=$(unshare -rm env T="$T" MFLAB="$MFLAB" JOB="$JOB" sh -c '
    d=$T/disk; mkdir -p "$d" && mount -t tmpfs -o size=200k tmpfs "$d" || exit 3
    cp "$T/good.png" "$d/fig.png" || exit 3
    head -c $((200 * 1024 - $(stat -c %s "$d/fig.png") - 12 * 1024)) /dev/zero > "$d/filler" 2>/dev/null
    GP=gnuplot TMPD="$T/tmp" TARGET="$d/fig.png" N=3000 "$MFLAB" "$JOB" 2>&1; echo "rc=$?"
    cmp -s "$T/good.png" "$d/fig.png" && echo same || echo changed
    ls -A "$d" | grep part- && echo partial-left
    df -k "$d" | tail -n 1' 2>&1)
  if grep -q "rc=0" <<<"$msg" || grep -q "^saved" <<<"$msg" || ! grep -q "^same" <<<"$msg" ||
     grep -q partial-left <<<"$msg" || ! grep -q "truncated\|cannot write\|without writing" <<<"$msg"; then
    bad "full disk" "$msg"
  elif [ -n "$(leftovers)" ]; then
    bad "full disk" "left behind: $(leftovers)"
  else
    ok "full disk: error '$(grep -m1 'mf.plot' <<<"$msg" | sed 's/.*mf.plot:save: //' | cut -c1-80)', good PNG kept"
  fi
else
  echo "skip   full disk (no user+mount namespaces here: unshare -rm fails)"
fi

# --- signals --------------------------------------------------------------------------------
wait_mark() { local i; for i in $(seq 100); do [ -e "$T/mark" ] && return 0; sleep 0.05; done; return 1; }
signal_case() { # name, signal, to (pid|group), expect (kept|written)
  local name=$1 sig=$2 to=$3 expect=$4
  cp "$T/good.png" "$T/out/fig.png"; rm -f "$T/mark"
  setsid env GP="$T/bin/gp-slow" FAKE_SLEEP=1 TMPD="$T/tmp" TARGET="$T/out/fig.png" \
    FAKE_MARK="$T/mark" "$MFLAB" "$JOB" >"$T/log" 2>&1 &
  local pid=$!
  if ! wait_mark; then bad "$name" "gnuplot never started"; kill -KILL "$pid"; return; fi
  if [ "$to" = group ]; then kill -"$sig" -- -"$pid"; else kill -"$sig" "$pid"; fi
  wait "$pid" 2>/dev/null; local rc=$?
  settle
  local msg; msg=$(cat "$T/log")
  local l; l=$(leftovers)
  if [ -n "$l" ]; then bad "$name" "left behind: $l" "$msg"; return; fi
  if [ "$expect" = kept ]; then
    cmp -s "$T/good.png" "$T/out/fig.png" || { bad "$name" "the good PNG was changed"; return; }
    grep -q "^saved" <<<"$msg" && { bad "$name" "reported saved: $msg"; return; }
  else
    is_png "$T/out/fig.png" && ! cmp -s "$T/good.png" "$T/out/fig.png" ||
      { bad "$name" "the new PNG is not in place"; return; }
    grep -qF "had written '$T/out/fig.png' completely" <<<"$msg" ||
      { bad "$name" "the completed save is not reported: $msg"; return; }
  fi
  ok "$name (exit $rc${msg:+: $(head -n 1 <<<"$msg" | cut -c1-90)})"
}
signal_case "SIGTERM to mflab alone during a save" TERM pid kept
signal_case "SIGTERM to the process group during a save" TERM group kept
signal_case "SIGINT (Ctrl-C) to the process group during a save" INT group kept
signal_case "SIGINT to mflab alone: the save completes and is reported" INT pid written
signal_case "SIGKILL to mflab alone during a save" KILL pid kept

# SIGTERM at spread-out moments of a run of real saves: whatever the moment, the target is
# absent or a whole PNG, "saved" is printed only for a whole file, and nothing is left behind.
for k in $(seq 0 11); do
  rm -f "$T/out/fig.png"
  setsid env GP=gnuplot TMPD="$T/tmp" TARGET="$T/out/fig.png" REPEAT=50 N=400 \
    "$MFLAB" "$JOB" >"$T/log" 2>&1 &
  pid=$!
  sleep "$(awk -v k="$k" 'BEGIN { printf "%.3f", 0.05 + 0.037 * k }')"
  if [ $((k % 2)) = 0 ]; then kill -TERM "$pid"; else kill -TERM -- -"$pid"; fi
  wait "$pid"
  settle
  l=$(leftovers)
  if [ -n "$l" ]; then bad "SIGTERM sweep $k" "left behind: $l"; continue; fi
  if [ -e "$T/out/fig.png" ] && ! is_png "$T/out/fig.png"; then bad "SIGTERM sweep $k" "half-written PNG"; continue; fi
  if grep -q "^saved" "$T/log" && ! is_png "$T/out/fig.png"; then bad "SIGTERM sweep $k" "saved reported, no PNG"; continue; fi
  sweep_ok=$(( ${sweep_ok:-0} + 1 ))
done
[ "${sweep_ok:-0}" = 12 ] && ok "SIGTERM at 12 moments of 50 saves in a row: no leftovers, no half-written file"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
