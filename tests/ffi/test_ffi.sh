#!/usr/bin/env bash
# LuaJIT FFI (lua/mflab/ffi.lua) from an install in a fresh prefix: the declarations are what
# scripts/ffi/gen_cdef.py makes from the installed headers (no drift) and ffi.cdef takes them;
# a valley ensemble through the FFI equals the mflab executable's bit for bit (SGD with Hessian
# noise, heavy ball with isotropic noise, Adam); without libmflab.so the error names the file
# and the variable to set.
set -u
build=$1 src=$2
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1" >&2; fi; }
command -v luajit >/dev/null || { echo "FAIL luajit is not installed (scripts/setup installs it)" >&2; exit 1; }
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
lua="$prefix/share/mflab/lua"
python3 "$src/scripts/ffi/gen_cdef.py" "${CC:-cc}" "$work/regen.h" "$prefix/include" 2>"$work/err"
check "the installed declarations are those generated from the installed headers" 'cmp -s "$work/regen.h" "$lua/mflab/mflab_ffi.h"'
out=$(luajit -e "local ffi = require 'ffi'; local f = io.open('$lua/mflab/mflab_ffi.h'); ffi.cdef(f:read('*a')); io.write('ok')" 2>&1)
check "ffi.cdef accepts the declarations verbatim ($out)" '[ "$out" = ok ]'
export LUA_PATH="$lua/?.lua;;"
for case in 'mf.opt.sgd{lr = 0.01}|mf.noise.hessian{sigma = 1}' \
            'mf.opt.heavy_ball{lr = 0.01, beta = 0.9}|mf.noise.isotropic{sigma = 0.5}' \
            'mf.opt.adam{lr = 0.01}|mf.noise.hessian{sigma = 0.3}'; do
  o=${case%|*} n=${case#*|}
  body="local r = mf.run{landscape = mf.landscape.valley{}, optimizer = $o, noise = $n, steps = 400, every = 50, seeds = 40, seed = 5, x0 = {2, 0.1}}
local s = {} for _, name in ipairs{'x1', 'x2', 'loss'} do for _, v in ipairs{r:mean(name), r:std(name), r:column(name, 13)} do for j = 1, #v do s[#s + 1] = string.format('%a', v[j]) end end end
io.write(#s, ' ', table.concat(s, ','))"
  want=$("$prefix/bin/mflab" -e "$body" 2>&1)
  got=$(cd "$work" && luajit -e "local mf = require 'mflab.ffi'; $body" 2>&1)
  check "FFI ensemble $o, $n: bit-identical to mflab (${got:0:60})" '[ -n "$want" ] && [ "${want%% *}" = 81 ] && [ "$got" = "$want" ]'
done
out=$(cd "$work" && luajit -e "local mf = require 'mflab.ffi'; local ok, e = pcall(mf.opt.momentum, {lr = 0.1, mu = 1.5}); io.write(tostring(e))" 2>&1)
check "a bad parameter is the engine's error, naming the function ($out)" '[[ $out == *"mf.opt.momentum"*"mu"* ]]'
# no library: the copy of the Lua files alone, no install layout around it
mkdir -p "$work/alone/mflab" && cp "$lua/mflab/ffi.lua" "$lua/mflab/mflab_ffi.h" "$work/alone/mflab/"
out=$(cd "$work" && LD_LIBRARY_PATH= MFLAB_LIBRARY="$work/none/libmflab.so" LUA_PATH="$work/alone/?.lua" luajit -e "require 'mflab.ffi'" 2>&1)
check "without libmflab.so: an error naming the file and MFLAB_LIBRARY (${out:0:200})" '[[ $out == *"libmflab.so"* && $out == *"MFLAB_LIBRARY"* && $out == *"LD_LIBRARY_PATH"* ]]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
