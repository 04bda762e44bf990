#!/usr/bin/env bash
# After `cmake --install` into a fresh prefix, the installed mflab finds its library beside
# itself (bin/ -> share/mflab/lua), from any directory, and runs a real computation.
set -u
build=$1
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $1" >&2; fi; }
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
check "installed executable" '[ -x "$prefix/bin/mflab" ]'
check "installed library" '[ -f "$prefix/share/mflab/lua/mflab/init.lua" ] && [ -f "$prefix/share/mflab/lua/mflab/plot.lua" ]'
check "installed headers" '[ -f "$prefix/include/mflab/run.h" ]'
check "installed man page" '[ -f "$prefix/share/man/man1/mflab.1" ]'
check "installed doc/math.md" 'grep -q "F(171) as printed lacks the factor (1 + β)" "$prefix/share/doc/mflab/math.md"'
if command -v groff >/dev/null 2>&1; then
  msg=$(groff -man -ww -z "$prefix/share/man/man1/mflab.1" 2>&1)
  check "the man page formats without warnings ($msg)" '[ -z "$msg" ]'
  page=$(groff -man -Tascii "$prefix/share/man/man1/mflab.1" 2>/dev/null | col -b 2>/dev/null || true)
  for word in SYNOPSIS OPTIONS "THE REPL" ENVIRONMENT "EXIT STATUS" "help(x)" "mf.run" MFLAB_HISTORY; do
    check "the man page mentions $word" 'case $page in *"$word"*) true ;; *) false ;; esac'
  done
else
  echo "skip: groff is not installed; the man page is not formatted"
fi
check "installed libmflab" 'ls "$prefix"/lib*/libmflab.a "$prefix"/lib*/libmflab.so >/dev/null 2>&1'
if ls "$build"/lib*/mflab/mflab_mpi.so >/dev/null 2>&1; then # built with MFLAB_WITH_MPI
  check "installed MPI module" 'ls "$prefix"/lib*/mflab/mflab_mpi.so >/dev/null 2>&1'
  out=$(cd "$work" && MFLAB_MPI=1 "$prefix/bin/mflab" -e 'io.write(tostring(mf.parallel.available()), " ", mf.parallel.size())' 2>&1)
  check "the installed mflab loads its MPI module (singleton start; got: $out)" '[ "$out" = "true 1" ]'
fi
cd "$work"
out=$("$prefix/bin/mflab" -e 'assert(mf == require "mflab"); local L = mf.landscape.valley{}; io.write(tostring(L:value{2, 3}))' 2>&1)
check "installed mflab runs from another directory (got: $out)" '[ "$out" = "45.0" ]'
# a copy of the library in the current directory must not shadow the installed one
mkdir -p mflab && echo 'error("shadowed")' > mflab/init.lua && echo 'error("shadowed")' > mflab.lua
out=$("$prefix/bin/mflab" -e 'io.write(type(mf.run))' 2>&1)
check "cwd does not shadow the installed library (got: $out)" '[ "$out" = "function" ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
