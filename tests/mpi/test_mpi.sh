#!/usr/bin/env bash
# MPI tests of mf.parallel.map (registered in tests/mpi/tests.cmake).
# usage: test_mpi.sh MODE MFLAB NOMPI_MFLAB MPIRUN [N]
#   layout N  mpirun -n N gives the same result file, byte for byte, as a run without mpirun,
#             and with N >= 2 every rank computed points (dynamic load balancing)
#   local     the MPI build without mpirun, its singleton start (MFLAB_MPI=1) and a build
#             without MPI write the same file
#   abort     an error on one rank ends the whole job with the message, without a hang
#   notbuilt  a build without MPI refuses mpirun / MFLAB_MPI=1 / require_mpi, naming the
#             Debian packages and the CMake option
#   sbatch    scripts/slurm/sweep.sbatch run by bash outside Slurm (its mpirun line, on the
#             local slots) writes the same file as a one-process run, and adds --resume
#   skip      MPI is not built: say so and exit 77 (ctest reports the test as skipped)
set -u
mode=$1 exe=$2 nompi=$3 mpirun=$4 n=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
points=$here/points.lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The runner may be root (CI containers); the machine may have no network but loopback:
# shared memory between ranks on one host (vader), loopback for the launcher's own traffic.
mpi=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_oob_tcp_if_include=lo
     "$mpirun" --oversubscribe --mca btl self,vader)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

case $mode in
skip)
  echo "SKIPPED: mflab is built without MPI (MFLAB_WITH_MPI=OFF); scripts/setup installs OpenMPI"
  exit 77 ;;
layout)
  "$exe" "$points" "$tmp/ref.txt" || fail "the run without mpirun failed"
  start=$(date +%s%N)
  "${mpi[@]}" -n "$n" "$exe" "$points" "$tmp/out.txt" || fail "mpirun -n $n failed"
  echo "mpirun -n $n: $((($(date +%s%N) - start) / 1000000)) ms"
  cmp "$tmp/ref.txt" "$tmp/out.txt" || fail "mpirun -n $n wrote a different result file"
  total=0
  for ((r = 0; r < n; r++)); do
    [ -f "$tmp/out.txt.rank$r" ] || fail "rank $r did not finish"
    c=$(cat "$tmp/out.txt.rank$r")
    echo "rank $r computed $c points"
    [ "$n" -ge 2 ] && [ "$c" -lt 1 ] && fail "rank $r computed no point"
    total=$((total + c))
  done
  [ "$total" -eq 39 ] || fail "the ranks computed $total points, expected 39 (40 minus 1 skipped)"
  grep -q '^17 {error=.*point 17 fails on purpose}$' "$tmp/out.txt" ||
    fail "point 17's value is not its error"
  grep -q '^5 nil$' "$tmp/out.txt" || fail "the skipped point 5 has a value" ;;
local)
  "$exe" "$points" "$tmp/ref.txt" || fail "the run failed"
  if [ "$nompi" != "$exe" ]; then # built with MPI
    MFLAB_MPI=1 "$exe" "$points" "$tmp/single.txt" || fail "the singleton MPI start failed"
    cmp "$tmp/ref.txt" "$tmp/single.txt" || fail "the singleton start wrote a different file"
    "$nompi" "$points" "$tmp/nompi.txt" || fail "the build without MPI failed"
    cmp "$tmp/ref.txt" "$tmp/nompi.txt" || fail "the build without MPI wrote a different file"
  fi ;;
abort)
  # rank 1 fails before the map while rank 0 waits for its requests: MPI_Abort must end it
  cat >"$tmp/fails.lua" <<'LUA'
if mf.parallel.rank() == 1 then error("rank one fails on purpose") end
mf.parallel.map{ n = 4, run = function(i) return i end }
LUA
  start=$(date +%s)
  timeout 60 "${mpi[@]}" -n 3 "$exe" "$tmp/fails.lua" >"$tmp/log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  cat "$tmp/log"
  [ $rc -ne 124 ] || fail "the job hung after the error on rank 1"
  [ $rc -ne 0 ] || fail "the job reported success"
  grep -q 'rank one fails on purpose' "$tmp/log" || fail "the error message is missing"
  grep -q 'rank 1 of 3 stopped with exit status 1; aborting the MPI job' "$tmp/log" ||
    fail "the abort is not reported"
  [ $took -lt 20 ] || fail "the abort took $took s" ;;
notbuilt)
  want='libopenmpi-dev and openmpi-bin and rebuild with cmake -DMFLAB_WITH_MPI=ON'
  MFLAB_MPI=1 "$nompi" -e 'print("ran")' >"$tmp/o1" 2>&1 && fail "MFLAB_MPI=1 was accepted"
  grep -q "$want" "$tmp/o1" || { cat "$tmp/o1"; fail "MFLAB_MPI=1: no install hint"; }
  grep -q ran "$tmp/o1" && fail "the script ran"
  # what mpirun sets in each rank's environment
  OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 "$nompi" -e 'print("ran")' >"$tmp/o2" 2>&1 &&
    fail "a launch by mpirun was accepted"
  grep -q "started by an MPI launcher" "$tmp/o2" && grep -q "$want" "$tmp/o2" ||
    { cat "$tmp/o2"; fail "mpirun: no install hint"; }
  # the other ranks exit quietly: one message per job, not one per rank
  OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$nompi" -e 'print("ran")' >"$tmp/o3" 2>&1 &&
    fail "rank 1 was accepted"
  [ -s "$tmp/o3" ] && { cat "$tmp/o3"; fail "rank 1 printed the message too"; }
  "$nompi" -e 'mf.parallel.require_mpi()' >"$tmp/o4" 2>&1 && fail "require_mpi passed"
  grep -q "mf.parallel.require_mpi: this mflab was built without MPI" "$tmp/o4" &&
    grep -q "$want" "$tmp/o4" || { cat "$tmp/o4"; fail "require_mpi: no install hint"; }
  "$nompi" -e 'assert(not mf.parallel.available() and mf.parallel.size() == 1 and mf.parallel.is_root())' ||
    fail "available/size/is_root without MPI"
  if [ "$nompi" != "$exe" ]; then
    "$exe" -e 'assert(mf.parallel.available() and mf.parallel.size() == 1 and mf.parallel.require_mpi())' ||
      fail "available/require_mpi with MPI"
  fi ;;
sbatch)
  # a sweep script with the command line the sbatch file passes: --out DIR [--resume]
  cat >"$tmp/sweep.lua" <<LUA
local out, resume = nil, false
local a = { ... }
for k = 1, #a do
  if a[k] == "--out" then out = a[k + 1] elseif a[k] == "--resume" then resume = true end
end
assert(out, "--out missing")
if os.getenv("MFLAB_TEST_UNDER_MPIRUN") then
  assert(os.getenv("OMPI_COMM_WORLD_SIZE") == tostring(mf.parallel.size()), "not started by mpirun")
end
arg = { [0] = "$points", out .. "/result.txt" }
dofile("$points")
if mf.parallel.is_root() then
  local f = assert(io.open(out .. "/sweep.journal", "a"))
  f:write(resume and "resumed\n" or "fresh\n")
  f:close()
end
LUA
  mkdir -p "$tmp/ref" "$tmp/out"
  "$exe" "$tmp/sweep.lua" --out "$tmp/ref" || fail "the run without mpirun failed"
  for pass in fresh resumed; do
    # what OpenMPI needs here (root, loopback only) goes through the environment, as
    # mpirun reads its options there too; outside Slurm mpirun uses the local cores
    env MFLAB="$exe" MFLAB_TEST_UNDER_MPIRUN=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_rmaps_base_oversubscribe=1 \
      bash "$here/../../scripts/slurm/sweep.sbatch" "$tmp/sweep.lua" "$tmp/out" || fail "sweep.sbatch failed"
    cmp "$tmp/ref/result.txt" "$tmp/out/result.txt" || fail "sweep.sbatch wrote a different file"
    ranks=$(ls "$tmp/out" | grep -c '^result.txt.rank')
    echo "sweep.sbatch ($pass): $ranks ranks on $(nproc) cores"
    [ "$ranks" -ge 1 ] || fail "no rank finished"
    rm -f "$tmp/out"/result.txt.rank*
  done
  [ "$(cat "$tmp/out/sweep.journal")" = "$(printf 'fresh\nresumed')" ] ||
    fail "the second submission did not pass --resume" ;;
*) fail "unknown mode $mode" ;;
esac
echo "ok: $mode $n"
