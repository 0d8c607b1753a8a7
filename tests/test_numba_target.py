"""cosim's numba target choice: host features without AVX-512, and only when the choice is cosim's to make."""

import os
import subprocess
import sys

from cosim import numba_target


def test_without_avx512_turns_off_every_avx512_extension_and_keeps_the_rest():
    got = numba_target.without_avx512({"avx2": True, "avx512f": True, "avx512vl": True, "sse4a": False})
    assert got == "+avx2,-avx512f,-avx512vl,-sse4a"


def test_steps_aside_when_numba_is_already_imported_or_the_user_chose():
    import numba  # noqa: F401 (the test suite has numba imported already; make sure)

    env: dict[str, str] = {}
    assert numba_target.avoid_avx512_codegen(env) is False
    assert env == {}


def test_respects_user_settings_in_a_fresh_interpreter():
    code = ("import os, cosim.dram, numba; print(os.environ.get('NUMBA_CPU_FEATURES', '')); "
            "print(numba.config.CPU_FEATURES or '')")
    for extra in ({"NUMBA_CPU_FEATURES": "+avx2"}, {"COSIM_NUMBA_AVX512": "1"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CPU", "COSIM_NUMBA"))} | extra
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        lines = out.stdout.splitlines()
        if "NUMBA_CPU_FEATURES" in extra:
            assert lines == ["+avx2", "+avx2"]
        else:
            assert "-avx512f" not in lines[0]


def test_fresh_interpreter_gets_no_avx512_features_on_an_avx512_host():
    import llvmlite.binding as llvm

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CPU", "COSIM_NUMBA"))}
    code = "import cosim.dram, numba; print(numba.config.CPU_FEATURES or '')"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    features = out.stdout.strip()
    if dict(llvm.get_host_cpu_features()).get("avx512f"):
        assert "-avx512f" in features.split(",") and "+avx512" not in features
    else:
        assert features == ""  # nothing to turn off: numba's own default (the host) stays
