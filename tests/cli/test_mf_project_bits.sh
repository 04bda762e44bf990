#!/bin/bash
# The matrix-factorization projection's bits (mf_project_bits.lua): every instruction-set path
# this CPU can run prints exactly the committed mf_project_bits.expected (%.17g of projections
# of fixed points of several sizes and of a short run with Hessian noise). The file depends on
# libm's exp and pow (the tail's coefficients and DP45's step factor) as well: a machine whose
# glibc rounds one of them differently fails here on every path alike.
MFLAB=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
v=$("$MFLAB" --version)
paths=$(sed -n 's/^kernels: [a-z0-9]* (this CPU and build: \(.*\)); cpu: .*/\1/p' <<<"$v")
[ -n "$paths" ] || paths=native
for p in $paths; do
  if [ "$p" = native ]; then
    "$MFLAB" "$here/mf_project_bits.lua" >"$tmp/$p.txt" 2>"$tmp/$p.err"
  else
    MFLAB_ISA=$p "$MFLAB" "$here/mf_project_bits.lua" >"$tmp/$p.txt" 2>"$tmp/$p.err"
  fi
  if [ $? -ne 0 ]; then
    echo "FAIL: mf_project_bits.lua on $p:"; cat "$tmp/$p.err"; fail=1
  elif cmp -s "$tmp/$p.txt" "$here/mf_project_bits.expected"; then
    echo "ok: $p gives the committed bits ($(wc -l <"$tmp/$p.txt") lines)"
  else
    echo "FAIL: $p differs from mf_project_bits.expected:"
    diff "$here/mf_project_bits.expected" "$tmp/$p.txt" | cut -c1-200 | head -20
    fail=1
  fi
done
exit $fail
