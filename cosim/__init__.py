"""cosim: hardware/software co-design of LLM inference (see README.md)."""

from cosim.numba_target import prefer_avx2_codegen

prefer_avx2_codegen()  # before any cosim module imports numba
