#!/usr/bin/env bash
# examples/sweeps/lr_momentum.lua --quick: 36 points in sweep.csv (numbers for the stable
# points, nan for none of the parameters), the heat map, --replot from the saved files, a
# second run with --resume that computes nothing and writes the same bytes, and a run with
# another grid refused in the same folder, naming the parameter.
# usage: test_example.sh MFLAB
set -u
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
ex=$root/examples/sweeps/lr_momentum.lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$exe" "$ex" --quick --out "$tmp/o" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "the quick run"; }
grep -q '^lr_momentum: 36 points, ' "$tmp/log" || fail "no summary line: $(cat "$tmp/log")"
[ "$(wc -l <"$tmp/o/sweep.csv")" -eq 37 ] || fail "sweep.csv: not 36 rows"
head -1 "$tmp/o/sweep.csv" | grep -q '^point,lr,mu,failed,loss_mean,loss_std,loss_stderr,loss_n,loss_nonfinite$' ||
  fail "header: $(head -1 "$tmp/o/sweep.csv")"
awk -F, 'NR > 1 && ($2 == "nan" || $3 == "nan") { exit 1 }' "$tmp/o/sweep.csv" || fail "a parameter is nan"
awk -F, 'NR > 1 && $9 > 0 { d++ } NR > 1 && $9 == 0 { s++ } END { exit !(d > 0 && s > 0) }' "$tmp/o/sweep.csv" ||
  fail "expected both stable and diverging points"
[ -s "$tmp/o/lr_momentum.png" ] || fail "no heat map"
cp "$tmp/o/sweep.csv" "$tmp/csv" && cp "$tmp/o/sweep.npz" "$tmp/npz"
rm "$tmp/o/lr_momentum.png"
"$exe" "$ex" --quick --out "$tmp/o" --replot >/dev/null 2>&1 || fail "--replot"
[ -s "$tmp/o/lr_momentum.png" ] || fail "--replot drew no heat map"
"$exe" "$ex" --quick --out "$tmp/o" --resume >"$tmp/log2" 2>&1 || { cat "$tmp/log2"; fail "--resume"; }
cmp "$tmp/csv" "$tmp/o/sweep.csv" && cmp "$tmp/npz" "$tmp/o/sweep.npz" || fail "--resume changed the files"
"$exe" "$ex" --quick --out "$tmp/o" mu=0,0.5 >"$tmp/log3" 2>&1 && fail "another grid in the same folder was accepted"
grep -q "mu" "$tmp/log3" || fail "the refusal does not name mu: $(cat "$tmp/log3")"
echo "PASS: lr_momentum --quick, --replot, --resume, refusal"
