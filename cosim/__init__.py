"""cosim: hardware/software co-design of LLM inference (see README.md)."""

from cosim.numba_target import avoid_avx512_codegen

avoid_avx512_codegen()  # before any cosim module imports numba
