"""SRAM tiling: operand re-reads when tiles must be small, double buffering, too-small SRAM."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.perf.npu.tiling import SramBudget, choose_tiling

FP16, FP32 = 2.0, 4.0
ARRAY = 128


def budget(scratchpad: float | None, accumulator: float | None = None, double: bool = True) -> SramBudget:
    return SramBudget(scratchpad, accumulator, FP32, double)


def tile(m: int, n: int, k: int, b: SramBudget, instances: int = 1):
    return choose_tiling(m, n, k, a_bytes=m * k * FP16, b_bytes=k * n * FP16, c_bytes=m * n * FP16,
                         instances=instances, array_rows=ARRAY, array_cols=ARRAY, budget=b)


def test_no_sram_size_means_every_operand_is_read_once():
    t = tile(256, 256, 256, budget(None), instances=3)
    assert (t.a_passes, t.b_passes) == (1, 1)
    assert t.traffic_bytes == 3 * 3 * 256 * 256 * FP16


def test_small_double_buffered_scratchpad_forces_rereads():
    # chunks are 128 deep: (tile_m + tile_n) * 128 * 2 B each, two of them must fit in 128 KiB,
    # so tile_m + tile_n <= 256 -> best power-of-two tile 128 x 128: A and B are each read twice.
    scratchpad = 2 * (128 + 128) * ARRAY * FP16
    t = tile(256, 256, 256, budget(scratchpad, accumulator=2**30))
    operand = 256 * 256 * FP16
    assert (t.tile_m, t.tile_n) == (128, 128)
    assert (t.a_passes, t.b_passes) == (2, 2)
    assert t.traffic_bytes == 2 * operand + 2 * operand + operand


def test_single_buffering_fits_twice_the_tile_but_hides_nothing():
    scratchpad = 2 * (128 + 128) * ARRAY * FP16
    t = tile(256, 256, 256, budget(scratchpad, accumulator=2**30, double=False))
    assert (t.tile_m, t.tile_n) == (256, 256)
    assert t.traffic_bytes == 3 * 256 * 256 * FP16


def test_accumulator_capacity_limits_the_output_tile():
    # 2 x tile_m x tile_n x 4 B of partial sums must fit in 128 KiB -> tile_m * tile_n <= 16384
    t = tile(1024, 1024, 128, budget(2**30, accumulator=2 * 16384 * FP32))
    assert t.tile_m * t.tile_n <= 16384
    assert t.traffic_bytes > 3 * 1024 * 128 * FP16  # some operand is read more than once


def test_outputs_share_the_scratchpad_without_an_accumulator():
    shared = tile(512, 512, 512, budget(256 * 1024, accumulator=None))
    separate = tile(512, 512, 512, budget(256 * 1024, accumulator=2**30))
    assert shared.traffic_bytes >= separate.traffic_bytes


def test_exposed_bytes_are_one_array_tile_in_and_out():
    t = tile(1000, 1000, 1000, budget(2**20, 2**20))
    assert t.exposed_bytes == (ARRAY * ARRAY + ARRAY * ARRAY + ARRAY * ARRAY) * FP16


def test_sram_that_cannot_hold_one_tile_is_an_input_error():
    with pytest.raises(CosimInputError, match="sram_capacity"):
        tile(64, 64, 256, budget(1000.0, accumulator=2**20))  # the smallest tile needs 2 x 512 B


sizes = st.integers(1, 3000)


@settings(max_examples=120, deadline=None)
@given(sizes, sizes, sizes, st.integers(16, 4096), st.integers(1, 4), st.booleans())
def test_less_sram_never_means_less_traffic(m, n, k, kib, shrink, double):
    big = tile(m, n, k, budget(kib * 1024.0 * shrink, accumulator=None, double=double))
    try:
        small = tile(m, n, k, budget(kib * 1024.0, accumulator=None, double=double))
    except CosimInputError:
        return
    operands = (m * k + k * n + m * n) * FP16
    assert operands <= big.traffic_bytes <= small.traffic_bytes
