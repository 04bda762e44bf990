#!/bin/bash
# Runtime instruction-set dispatch (mflab/isa.h): every path this CPU can run gives the same
# bits (isa_bits.lua through each kernel family), MFLAB_ISA forces a path and --version names
# it, and a wrong MFLAB_ISA is reported, not fatal.
MFLAB=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition
  if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}

v=$("$MFLAB" --version)
echo "$v"
paths=$(sed -n 's/^kernels: [a-z0-9]* (this CPU and build: \(.*\)); cpu: .*/\1/p' <<<"$v")
check "--version names the path, the paths and the CPU" '[ -n "$paths" ]'
best=${paths%% *}
check "the default path is the best one ($best)" \
  '[ "$(sed -n "s/^kernels: \([a-z0-9]*\) .*/\1/p" <<<"$v")" = "$best" ]'

if [ "$paths" = native ]; then
  echo "one path (MFLAB_NATIVE build): nothing to compare"
  exit $fail
fi
check "baseline is always available" '[[ " $paths " == *" baseline "* ]]'

for p in $paths; do
  check "MFLAB_ISA=$p is the path in use" \
    'MFLAB_ISA=$p "$MFLAB" -v | grep -q "^kernels: $p "'
  check "mf.isa is $p under MFLAB_ISA=$p" '[ "$(MFLAB_ISA=$p "$MFLAB" -e "print(mf.isa)")" = "$p" ]'
  MFLAB_ISA=$p "$MFLAB" "$here/isa_bits.lua" >"$tmp/$p.txt" 2>"$tmp/$p.err"
  check "isa_bits.lua runs on $p" '[ $? -eq 0 ] && [ "$(wc -l <"$tmp/$p.txt")" -eq 164 ]'
done
for p in $paths; do
  [ "$p" = baseline ] && continue
  check "$p gives the same bits as baseline (164 runs)" 'cmp -s "$tmp/$p.txt" "$tmp/baseline.txt"'
done

out=$(MFLAB_ISA=sse9 "$MFLAB" -v)
check "an unknown MFLAB_ISA is named in a note and the best path is kept" \
  'grep -q "^note: MFLAB_ISA=sse9 ignored: not one of avx512, avx2, baseline" <<<"$out" &&
   grep -q "^kernels: $best " <<<"$out"'
if [[ " $paths " != *" avx512 "* ]]; then
  out=$(MFLAB_ISA=avx512 "$MFLAB" -v)
  check "a path the CPU lacks is refused with a note" \
    'grep -q "^note: MFLAB_ISA=avx512 ignored: this CPU cannot run it" <<<"$out"'
fi
exit $fail
