"""One line on the NumPy peer: version, the BLAS library actually loaded (Debian's NumPy links
libblas.so.3, which the alternatives system points at OpenBLAS or the reference BLAS) and the
SIMD extensions NumPy's own loops use. Best effort: prints what it can find."""
import ctypes
import os

import numpy as np


def blas():
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                base = os.path.basename(p)
                if base.startswith(("libblas", "libopenblas", "libmkl_rt", "libblis")):
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    try:  # threadpoolctl, when installed, knows the library and its core type
        from threadpoolctl import threadpool_info
        for i in threadpool_info():
            if i.get("user_api") == "blas":
                return "%s %s (%s, core %s, %s threads)" % (
                    i.get("internal_api"), i.get("version"), i.get("filepath"),
                    i.get("architecture"), i.get("num_threads"))
    except Exception:
        pass
    if not libs:
        return "unknown"
    out, seen = [], set()
    # OpenBLAS's own file first, so libblas.so.3 pointing at it does not repeat it
    for p in sorted(libs, key=lambda q: "openblas" not in os.path.basename(q)):
        desc = p
        try:
            lib = ctypes.CDLL(p)
            cfg = lib.openblas_get_config
            cfg.restype = ctypes.c_char_p
            core = lib.openblas_get_corename
            core.restype = ctypes.c_char_p
            nth = lib.openblas_get_num_threads()
            key = cfg().decode().strip()
            desc = "%s (%s; core %s, %d thread%s)" % (
                key, p, core().decode(), nth, "" if nth == 1 else "s")
        except (OSError, AttributeError):
            key = p
        if key not in seen:
            seen.add(key)
            out.append(desc)
    return "; ".join(out)


def simd():
    try:
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
        found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
        return "baseline %s, dispatch up to %s" % (
            ",".join(__cpu_baseline__) or "none", found[-1] if found else "none")
    except Exception:
        return "unknown"


print("numpy %s: BLAS %s; SIMD %s" % (np.__version__, blas(), simd()))
