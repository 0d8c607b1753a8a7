"""Choose numba's code-generation target before numba is imported: the host CPU, without AVX-512.

cosim's compiled kernels (the DRAM trace controller, the trace reader) are branchy integer code. On an AMD EPYC
(Zen 4) host, LLVM's AVX-512 code for them ran 10-17 % slower than the same host's code without AVX-512: kernel
time, best of 30 runs, three interleaved rounds, e.g. 8.07 vs 7.26 ms on DRAMsim3's DDR3 .ini with a saturated
random trace and 5.77 vs 4.94 ms on HBM2 (`benchmarks/bench_dram.py` has the end-to-end numbers). Nothing
in cosim benefits from 512-bit vectors, so importing `cosim.dram` (where all of cosim's numba code lives) asks
numba for the host CPU with every `avx512*` feature off (NUMBA_CPU_FEATURES; numba reads it once, at import).
Nothing else in cosim imports numba or pays for this check.

numba's settings are process-wide, so this steps aside whenever the choice is not ours to make: when
NUMBA_CPU_NAME or NUMBA_CPU_FEATURES is set, when numba was imported before cosim.dram, when
COSIM_NUMBA_AVX512=1, on non-x86 machines and on CPUs without AVX-512.
"""

from __future__ import annotations

import os
import platform
import sys

OPT_OUT = "COSIM_NUMBA_AVX512"


def without_avx512(features: dict[str, bool]) -> str:
    """LLVM feature string (`+avx2,-avx512f,...`) of `features` with every AVX-512 extension turned off."""
    return ",".join(("+" if on and not name.startswith("avx512") else "-") + name
                    for name, on in sorted(features.items()))


def avoid_avx512_codegen(environ: dict[str, str] | None = None) -> bool:
    """Set NUMBA_CPU_FEATURES to the host's features without AVX-512; True if it did (see the module doc)."""
    env = os.environ if environ is None else environ
    if "numba" in sys.modules or env.get(OPT_OUT) == "1":
        return False
    if env.get("NUMBA_CPU_NAME") or env.get("NUMBA_CPU_FEATURES"):
        return False
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        import llvmlite.binding as llvm

        features = dict(llvm.get_host_cpu_features())
    except Exception:  # no host feature query on this platform: leave numba's default
        return False
    if not features.get("avx512f"):
        return False
    env["NUMBA_CPU_FEATURES"] = without_avx512(features)
    return True


HIDDEN_WHILE_LOADING = ("scipy.linalg", "scipy.linalg.cython_blas")


def load_array_math_without_scipy() -> bool:
    """Import numba's array-math registry with SciPy's BLAS hidden, so that it does not import scipy.linalg.

    numba's first compile or cache load imports `numba.np.arraymath`, whose import-time BLAS probe imports
    scipy.linalg (and numpy.f2py with it): about 0.18 s of CPU in every fresh `cosim dram simulate` process, for
    nothing - cosim's kernels call no BLAS. The probe's only effect is `np.correlate`/`np.convolve` picking a plain
    loop; `np.dot` and `np.linalg` still import SciPy when something compiles them. The modules are hidden for
    this one import and then unhidden. Does nothing (False) when numba's array math or scipy.linalg is already
    imported.
    """
    if "numba.np.arraymath" in sys.modules or any(m in sys.modules for m in HIDDEN_WHILE_LOADING):
        return False
    for name in HIDDEN_WHILE_LOADING:
        sys.modules[name] = None  # type: ignore[assignment]  # import of a None entry raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        for name in HIDDEN_WHILE_LOADING:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return True
