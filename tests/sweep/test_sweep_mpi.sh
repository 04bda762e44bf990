#!/usr/bin/env bash
# mf.sweep across MPI ranks: mpirun -n 1, 2, 3 (--oversubscribe; --allow-run-as-root where the
# runner is root) write the same sweep.csv and sweep.npz, byte for byte, as a run without
# mpirun, for a batched run template and a run function; a sweep that crashed half-way
# resumed under mpirun -n 2 gives the same bytes too.
# usage: test_sweep_mpi.sh MFLAB MPIRUN
set -u
exe=$1 mpirun=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mpi=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_oob_tcp_if_include=lo
     "$mpirun" --oversubscribe --mca btl self,vader)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
same() { # folder, folder
  for s in template run; do
    for f in sweep.csv sweep.npz; do
      cmp "$1/$s/$f" "$2/$s/$f" || fail "$s/$f differs between $(basename "$1") and $(basename "$2")"
    done
  done
}
"$exe" "$here/mpi_sweep.lua" "$tmp/ref" >/dev/null || fail "the run without mpirun"
grep -q '"configs_in_one_run": true' "$tmp/ref/template/sweep.json" || echo "note: mf.run has no configs here"
for n in 1 2 3; do
  "${mpi[@]}" -n "$n" "$exe" "$here/mpi_sweep.lua" "$tmp/n$n" >/dev/null || fail "mpirun -n $n"
  same "$tmp/ref" "$tmp/n$n"
  grep -q "\"ranks\": $n" "$tmp/n$n/run/sweep.json" || fail "metadata: ranks $n"
  echo "mpirun -n $n: the same bytes"
done
# a crash after 10 points of the run sweep, then --resume on 2 ranks
"$exe" "$here/mpi_sweep.lua" "$tmp/crash" "" 10 >/dev/null 2>&1 && fail "the crashing run did not crash"
[ "$(grep -c '^P ' "$tmp/crash/run/sweep.journal")" -ge 3 ] || fail "the crashed run journaled too little"
"${mpi[@]}" -n 2 "$exe" "$here/mpi_sweep.lua" "$tmp/crash" resume >/dev/null || fail "resume under mpirun -n 2"
same "$tmp/ref" "$tmp/crash"
echo "PASS: one process, mpirun -n 1, 2, 3 and a resumed crash write the same sweep files"
