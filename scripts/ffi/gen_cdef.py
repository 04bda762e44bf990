#!/usr/bin/env python3
"""Generates the LuaJIT FFI declarations of mflab's public C API from its headers.

usage: gen_cdef.py CC OUT.h INCLUDE_DIR... (the first include dir holds mflab.h)

The umbrella header is run through the C preprocessor (so macros and #if are resolved exactly
as a C compiler sees them); the declarations that come from mflab's own headers are kept and
the system ones dropped (LuaJIT knows size_t, uint64_t, ...); static inline function bodies
become plain declarations' absence (the FFI cannot call them; lua/mflab/ffi.lua reimplements
the one it needs). The result is accepted verbatim by ffi.cdef, and tests/ffi checks that it is
what this script makes from the installed headers, so the two cannot drift."""
import os
import re
import subprocess
import sys


def main():
    cc, out, incs = sys.argv[1], sys.argv[2], sys.argv[3:]
    cmd = [cc, "-E", "-std=c11", "-DMF_PRINTF_LIKE(f,a)="] + ["-I" + i for i in incs]
    cmd += [os.path.join(incs[0], "mflab.h")]
    pre = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    keep, ours = [], False
    for line in pre.splitlines():
        m = re.match(r'# \d+ "([^"]+)"', line)
        if m:
            f = m.group(1)
            ours = "/mflab/" in f.replace(os.sep, "/") and f.endswith(".h")
            continue
        if ours and line.strip():
            keep.append(line)
    text = "\n".join(keep) + "\n"
    # drop static inline functions (a header-only helper has a body the FFI cannot take)
    out_parts, i = [], 0
    for m in re.finditer(r"static\s+inline[^;{]*\{", text):
        if m.start() < i:
            continue
        out_parts.append(text[i:m.start()])
        depth, j = 0, m.end() - 1
        while True:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1
    out_parts.append(text[i:])
    text = "".join(out_parts)
    text = re.sub(r"\n\s*\n+", "\n", text)
    header = ("/* mflab's C API for LuaJIT's ffi.cdef, generated from the headers by "
              "scripts/ffi/gen_cdef.py: do not edit. */\n")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(header + text)
    os.replace(tmp, out)


main()
