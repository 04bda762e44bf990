#!/usr/bin/env bash
# LuaJIT FFI (lua/mflab/ffi.lua) from an install in a fresh prefix: the declarations are what
# scripts/ffi/gen_cdef.py makes from the installed headers (no drift) and ffi.cdef takes them;
# LuaJIT's struct sizes and enumerator values equal the C compiler's and every declared function
# resolves; a valley ensemble through the FFI equals the mflab executable's bit for bit (SGD
# with Hessian noise, heavy ball with isotropic noise, Adam); unknown options are errors; a run
# stops on its own cancel flag; without libmflab.so the error names the file and the variable.
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

# --- the ABI as LuaJIT sees it equals the C compiler's ------------------------------------------
# (equal text is not enough: LuaJIT lays structs out and sizes enums itself) every struct's size
# and every enumerator's value, from a C program over the installed <mflab.h> and from LuaJIT
# over the declarations; every declared function resolves in libmflab.so
decl="$lua/mflab/mflab_ffi.h"
structs=$(grep -oE '(^|[^a-z_])struct [a-z_0-9]+ *\{' "$decl" | sed -E 's/.*struct ([a-z_0-9]+) *\{/\1/' | sort -u)
enums=$(grep -oE '(^|[ {,])MF_[A-Z_0-9]+ *(=[^,}]*)?[,}]' "$decl" | grep -oE 'MF_[A-Z_0-9]+' | sort -u)
funcs=$(grep -oE '\bmf_[a-z_0-9]+ *\(' "$decl" | tr -d ' (' | sort -u)
check "the declarations hold structs, enumerators and functions ($(echo $structs | wc -w), $(echo $enums | wc -w), $(echo $funcs | wc -w))" \
  '[ "$(echo $structs | wc -w)" -ge 10 ] && [ "$(echo $enums | wc -w)" -ge 20 ] && [ "$(echo $funcs | wc -w)" -ge 50 ]'
{
  echo '#include <mflab.h>'; echo '#include <stdio.h>'; echo 'int main(void) {'
  for t in $structs; do echo "printf(\"struct $t %zu\\n\", sizeof(struct $t));"; done
  for e in $enums; do echo "printf(\"$e %lld\\n\", (long long)$e);"; done
  echo 'return 0; }'
} > "$work/abi.c"
"${CC:-cc}" -I"$prefix/include" "$work/abi.c" -o "$work/abi" 2>"$work/err" && "$work/abi" > "$work/abi_c.txt"
(cd "$work" && ABI_C="$work/abi_c.txt" luajit -e '
  local mf = require "mflab.ffi"; local ffi = require "ffi"
  for line in io.lines(os.getenv "ABI_C") do
    local t = line:match("^struct (%S+)")
    if t then print("struct " .. t .. " " .. ffi.sizeof("struct " .. t))
    else local e = line:match("^(%S+)"); print(e .. " " .. tostring(tonumber(ffi.new("int", ffi.C[e] or 0)))) end
  end' > "$work/abi_ffi.txt" 2>&1)
check "struct sizes and enumerator values agree between cc and LuaJIT ($(head -c 300 "$work/err"; diff "$work/abi_c.txt" "$work/abi_ffi.txt" | head -n 4 | tr '\n' ' '))" \
  '[ -s "$work/abi_c.txt" ] && cmp -s "$work/abi_c.txt" "$work/abi_ffi.txt"'
missing=$(cd "$work" && FUNCS="$funcs" luajit -e 'local mf = require "mflab.ffi"; local lib = mf.C or require("ffi").C
  for name in os.getenv("FUNCS"):gmatch("%S+") do
    if not pcall(function() return lib[name] end) then io.write(name, " ") end
  end' 2>&1)
check "every declared function resolves in libmflab.so (missing: $missing)" '[ -z "$missing" ]'

# --- options are checked; a run stops on its own cancel flag -------------------------------------
out=$(cd "$work" && luajit -e "local mf = require 'mflab.ffi'; local ok, e = pcall(mf.opt.sgd, {lr = 0.01, mu = 0.9}); io.write(tostring(e))" 2>&1)
check "an unknown option is an error naming the function and the option ($out)" '[[ $out == *"mf.opt.sgd: unknown option '"'"'mu'"'"'"* ]]'
out=$(cd "$work" && luajit -e "local mf = require 'mflab.ffi'; local ok, e = pcall(mf.run, {landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 0.01}, steps = 10, record = {'x1'}}); io.write(tostring(e))" 2>&1)
check "mf.run names an option it does not read ($out)" '[[ $out == *"mf.run: unknown option '"'"'record'"'"'"* ]]'
out=$(cd "$work" && luajit -e "local mf = require 'mflab.ffi'; local ffi = require 'ffi'
  local ok, e = pcall(mf.run, {landscape = mf.landscape.valley{}, optimizer = mf.opt.sgd{lr = 0.01}, steps = 1e7, seeds = 1000, cancel = ffi.new('int[1]', 1)})
  io.write(tostring(e))" 2>&1)
check "a run whose cancel flag is set stops at once with the engine's message ($out)" '[[ $out == *"mf.run: interrupted"* ]]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
