#!/usr/bin/env bash
# A sweep killed with SIGKILL at random moments (fixed random seed), resumed each time, ends
# with result files byte-identical to an uninterrupted sweep's; the files are whole after every
# kill (absent or complete), the journal never holds a point twice, and the CSV and NPZ are
# read back by Python (csv, zipfile; numpy.genfromtxt/numpy.load when numpy is installed).
# Usage: test_resume_kill.sh path/to/mflab
set -u
mflab=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

t0=$(date +%s.%N)
"$mflab" "$here/kill_sweep.lua" "$work/ref" >/dev/null || fail "uninterrupted sweep"
t1=$(date +%s.%N)
full_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
echo "uninterrupted sweep: ${full_ms} ms"

RANDOM=20261203 # fixed: the same kill moments on every run of the test
landed=0 mid=0
for round in 1 2 3 4 5; do
  d="$work/k$round"
  for attempt in $(seq 1 12); do
    "$mflab" "$here/kill_sweep.lua" "$d" resume >"$work/stdout" 2>&1 &
    pid=$!
    if [ $((attempt % 3)) -eq 1 ]; then # a random moment early in the run
      ms=$(( 10 + RANDOM % (full_ms > 100 ? full_ms / 3 : 30) ))
      sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    else # once a random number of further points is journaled: between or inside points
      # (grep -c prints 0 and fails on no match: "|| true", not "|| echo 0", or it reads "0 0")
      have=$( [ -f "$d/sweep.journal" ] && grep -c '^P ' "$d/sweep.journal" || true); have=${have:-0}
      want=$(( have + 1 + RANDOM % 6 ))
      while kill -0 "$pid" 2>/dev/null; do
        now=$( [ -f "$d/sweep.journal" ] && grep -c '^P ' "$d/sweep.journal" || true); now=${now:-0}
        [ "$now" -ge "$want" ] && break
        sleep 0.005
      done
    fi
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -q '^done' "$work/stdout" && break # finished before the kill
    landed=$((landed + 1))
    if [ -f "$d/sweep.journal" ]; then
      n=$(grep -c '^P ' "$d/sweep.journal")
      [ "$n" -gt 0 ] && [ "$n" -lt 30 ] && mid=$((mid + 1))
      u=$(grep '^P ' "$d/sweep.journal" | awk '{print $2}' | sort | uniq -d | wc -l)
      [ "$u" -eq 0 ] || fail "journal holds a point twice after a kill (round $round)"
    fi
    for f in sweep.csv sweep.npz; do # whole or absent
      if [ -f "$d/$f" ] && ! cmp -s "$d/$f" "$work/ref/$f"; then
        fail "$f after a kill differs from the uninterrupted sweep's (half-written?)"
      fi
    done
  done
  "$mflab" "$here/kill_sweep.lua" "$d" resume >/dev/null || fail "final resume (round $round)"
  for f in sweep.csv sweep.npz; do
    cmp "$d/$f" "$work/ref/$f" || fail "$f of the killed and resumed sweep differs (round $round)"
  done
  [ "$(grep -c '^P ' "$d/sweep.journal")" -eq 30 ] || fail "journal: not 30 points (round $round)"
  ls -A "$d" | grep -q 'new\|tmp' && fail "temporary files left: $(ls -A "$d")"
done
echo "kills that landed inside a sweep: $landed, of which with some points journaled: $mid"
[ $landed -ge 6 ] || fail "too few kills landed inside a sweep ($landed)"
[ $mid -ge 4 ] || fail "too few kills landed between journaled points ($mid)"

py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" - "$work/ref" <<'PY' || fail "Python could not read the files back"
import csv, json, struct, sys, zipfile
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/sweep.csv")))
assert len(rows) == 30, len(rows)
meta = json.load(open(d + "/sweep.json"))
assert meta["columns"] == list(rows[0].keys()), "JSON columns = CSV header"
assert 30 in [f["point"] for f in meta["failures"]], meta["failures"]
z = zipfile.ZipFile(d + "/sweep.npz")
assert sorted(n[:-4] for n in z.namelist()) == sorted(meta["columns"])
def column(name):
    b = z.read(name + ".npy")
    hl = struct.unpack("<H", b[8:10])[0]
    head = b[10:10 + hl].decode()
    code = "<d" if "'<f8'" in head else "<q"
    return [struct.unpack(code, b[10 + hl + 8 * i:18 + hl + 8 * i])[0] for i in range(30)]
lm = column("loss_mean")
for i, r in enumerate(rows):
    v = float(r["loss_mean"])
    assert (v == lm[i]) or (v != v and lm[i] != lm[i]), (i, v, lm[i])
assert column("point") == list(range(1, 31))
try:
    import numpy as np
except ImportError:
    print("numpy not installed: checked with csv/zipfile only")
    sys.exit(0)
a = np.genfromtxt(d + "/sweep.csv", delimiter=",", names=True)
n = np.load(d + "/sweep.npz")
assert np.array_equal(a["loss_mean"], n["loss_mean"], equal_nan=True)
print("numpy reads the CSV and NPZ alike")
PY
echo "PASS: killed $landed times in 5 rounds, resumed: byte-identical"
