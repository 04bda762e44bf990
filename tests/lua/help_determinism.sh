#!/usr/bin/env bash
# help over the whole API (tests/lua/help_dump.lua) in 20 fresh mflab processes gives the same
# output, and none of it is "no help" or empty.
set -u
exe=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 1 20); do
  "$exe" "$here/help_dump.lua" >"$dir/$i.txt" 2>&1 || { echo "FAIL: run $i failed:"; cat "$dir/$i.txt"; exit 1; }
done
sums=$(md5sum "$dir"/*.txt | cut -d' ' -f1 | sort -u | wc -l)
if [ "$sums" -ne 1 ]; then
  echo "FAIL: help differs between processes ($sums different outputs); first difference:"
  for i in $(seq 2 20); do
    if ! cmp -s "$dir/1.txt" "$dir/$i.txt"; then diff "$dir/1.txt" "$dir/$i.txt" | head -20; break; fi
  done
  exit 1
fi
lines=$(wc -l <"$dir/1.txt")
nohelp=$(grep -c "NONE:" "$dir/1.txt")
echo "help over the whole API: $lines lines, identical in 20 processes; $nohelp without help"
if [ "$nohelp" -ne 0 ]; then grep -B1 "NONE:" "$dir/1.txt" | head -20; exit 1; fi
