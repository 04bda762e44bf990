#!/usr/bin/env bash
# The engine as a library, from an install in a fresh prefix: the C example built with
# pkg-config (shared, and static with libmflab.a) and with CMake's find_package, and run; a C++
# translation unit including <mflab.h> compiles and links; stock lua5.4 loads the mflab module
# and computes the same bits as the mflab executable; a build of the engine alone (no Lua, no
# readline) configures and links.
set -u
build=$1 src=$2
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1" >&2; fi; }
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib* | head -1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
check "mflab.pc installed, version $(pkg-config --modversion mflab 2>&1)" 'pkg-config --exists mflab'
check "headers: mflab.h, mflab/version.h" '[ -f "$prefix/include/mflab.h" ] && [ -f "$prefix/include/mflab/version.h" ]'

# shared, with pkg-config
cc -O2 -Wall -Werror "$src/examples/c/ensemble.c" $(pkg-config --cflags --libs mflab) -lm -o "$work/e_shared" 2>"$work/err"
check "C example builds with pkg-config (shared): $(head -3 "$work/err")" '[ -x "$work/e_shared" ]'
out=$(LD_LIBRARY_PATH="$libdir" "$work/e_shared" 2>&1); rc=$?
check "C example runs against libmflab.so, ensemble and flow agree (got: $out)" '[ $rc -eq 0 ] && [[ $out == *"flow x = "* ]]'
# static: libmflab.a and its private dependencies from pkg-config --static
flags=$(pkg-config --static --cflags --libs mflab | sed 's/-lmflab\b/-l:libmflab.a/')
cc -O2 "$src/examples/c/ensemble.c" $flags -o "$work/e_static" 2>"$work/err"
check "C example builds with pkg-config --static: $(head -3 "$work/err")" '[ -x "$work/e_static" ]'
check "the static build does not need libmflab.so" '! ldd "$work/e_static" | grep -q libmflab'
out2=$("$work/e_static" 2>&1); rc=$?
check "static example prints the same as the shared one (got: $out2)" '[ $rc -eq 0 ] && [ "$out2" = "$out" ]'
# CMake package
cmake -S "$src/examples/c" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmlog" 2>&1 &&
  cmake --build "$work/cm" >>"$work/cmlog" 2>&1
check "C example builds with find_package(mflab): $(grep -m3 "rror:" "$work/cmlog")" '[ -x "$work/cm/ensemble" ]'
out3=$("$work/cm/ensemble" 2>&1); rc=$?
check "find_package build runs (got: $out3)" '[ $rc -eq 0 ] && [ "$out3" = "$out" ]'
# C++
cat >"$work/t.cpp" <<'CPP'
#include <mflab.h>
#include <cstdio>
int main() {
    mf_err err{};
    mf_landscape *L = nullptr;
    const double h[] = {1.0, 0.0, 1.0};
    if (mf_landscape_valley(&L, h, 3, &err) != MF_OK) return 1;
    std::printf("%s %d\n", mf_version(), MFLAB_VERSION_NUMBER);
    mf_landscape_free(L);
    return 0;
}
CPP
g++ -std=c++17 -Wall -Werror "$work/t.cpp" $(pkg-config --cflags --libs mflab) -o "$work/tcpp" 2>"$work/err"
check "a C++ program including <mflab.h> compiles and links: $(head -3 "$work/err")" '[ -x "$work/tcpp" ]'
check "the C++ program runs" '[ "$(LD_LIBRARY_PATH="$libdir" "$work/tcpp")" = "$(pkg-config --modversion mflab) $(pkg-config --modversion mflab | awk -F. "{print \$1*10000+\$2*100+\$3}")" ]'

# stock Lua 5.4: the module and the Lua library on the documented paths, same bits as mflab
export LUA_PATH="$prefix/share/mflab/lua/?.lua;$prefix/share/mflab/lua/?/init.lua;;"
export LUA_CPATH="$libdir/lua/5.4/?.so;;"
prog='local mf = require "mflab"
local r = mf.run{landscape = mf.landscape.valley{}, optimizer = mf.opt.heavy_ball{lr = 0.01, beta = 0.9},
  noise = mf.noise.hessian{sigma = 1}, steps = 500, every = 100, seeds = 64, seed = 7, x0 = {2, 0.1}}
io.write(r:mean("x1"):format("%a"), " ", r:column("x2", 17):format("%a"))'
want=$("$prefix/bin/mflab" -e "$prog" 2>&1)
got=$(cd "$work" && lua5.4 -e "$prog" 2>&1)
check "lua5.4 -e 'require \"mflab\"' runs an ensemble bit-identical to mflab's (got: ${got:0:80})" '[ -n "$want" ] && [ "$got" = "$want" ]'
unset LUA_CPATH
got=$(cd "$work" && LUA_CPATH="$work/none/?.so" lua5.4 -e 'require "mflab"' 2>&1)
check "lua5.4 without the module on LUA_CPATH says which module is missing" '[[ $got == *"mflab.core"* ]]'

# the engine alone: no Lua, no readline, no executable
if [ "${MFLAB_SKIP_ENGINE_ONLY:-}" = "" ]; then
  cmake -S "$src" -B "$work/eng" -DMFLAB_WITH_LUA=OFF -DMFLAB_WITH_CLI=OFF -DMFLAB_WITH_MPI=OFF >"$work/englog" 2>&1 &&
    cmake --build "$work/eng" -j2 --target mflab mflab_static >>"$work/englog" 2>&1
  check "the engine builds alone (MFLAB_WITH_LUA=OFF, MFLAB_WITH_CLI=OFF): $(grep -m3 "error:" "$work/englog")" \
    '[ -f "$work/eng/libmflab.a" ] && ! grep -qi "lua\|readline" <(nm -u "$work/eng/libmflab.a" 2>/dev/null)'
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
