"""Fold and cycle formulas of ws / is / os systolic arrays on hand-computable GEMMs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.hardware.npu import Dataflow
from cosim.perf.npu.dataflow import fold_geometry, multi_array_cycles, single_array_cycles

WS, IS, OS = Dataflow.WEIGHT_STATIONARY, Dataflow.INPUT_STATIONARY, Dataflow.OUTPUT_STATIONARY
R = C = 4  # a 4x4 array: WS/IS fold = 2*4 + 4 - 2 + T = 10 + T cycles, OS fold = 4 + 4 - 2 + T = 6 + T


@pytest.mark.parametrize(
    ("dataflow", "m", "n", "k", "cycles"),
    [
        # exactly the array size: one fold each
        (WS, 4, 4, 4, 10 + 4),
        (IS, 4, 4, 4, 10 + 4),
        (OS, 4, 4, 4, 6 + 4),
        # one more row of A (M = 5): streamed longer under ws, one extra fold under is/os
        (WS, 5, 4, 4, 10 + 5),
        (IS, 5, 4, 4, 2 * (10 + 4)),
        (OS, 5, 4, 4, 2 * (6 + 4)),
        # one more output column (N = 5): an extra fold under ws/os, streamed longer under is
        (WS, 4, 5, 4, 2 * (10 + 4)),
        (IS, 4, 5, 4, 10 + 5),
        (OS, 4, 5, 4, 2 * (6 + 4)),
        # K folding: K = 9 needs three row folds under ws/is, three more streamed MACs under os
        (WS, 4, 4, 9, 3 * (10 + 4)),
        (IS, 4, 4, 9, 3 * (10 + 4)),
        (OS, 4, 4, 9, 6 + 9),
        # a GEMV (M = 1): ws still pays the weight load of every fold
        (WS, 1, 8, 8, 4 * (10 + 1)),
    ],
)
def test_single_array_hand_cases(dataflow, m, n, k, cycles):
    assert single_array_cycles(dataflow, m, n, k, R, C) == cycles


def test_fold_geometry_of_a_rectangular_array():
    # 8 rows x 2 cols, ws: K along rows (ceil(20/8) = 3), N along columns (ceil(5/2) = 3), M streamed
    folds, streamed = fold_geometry(WS, 7, 5, 20, 8, 2)
    assert (folds, streamed) == (9, 7)
    assert single_array_cycles(WS, 7, 5, 20, 8, 2) == 9 * (2 * 8 + 2 - 2 + 7)


def test_folds_are_dealt_out_to_arrays():
    # ws 8x8 GEMM on 4x4 arrays: 4 folds of 14 cycles; 4 arrays take one each, 3 arrays need 2 rounds
    assert multi_array_cycles(WS, 4, 8, 8, R, C, arrays=4) == 14
    assert multi_array_cycles(WS, 4, 8, 8, R, C, arrays=3) == 2 * 14
    assert multi_array_cycles(WS, 4, 8, 8, R, C, arrays=1) == single_array_cycles(WS, 4, 8, 8, R, C)


def test_pipelined_folds_pay_the_skew_once():
    # ws 4x8x8 on one 4x4 array: 4 folds of 4 (weight load) + 4 (rows streamed), then 6 cycles of skew
    assert multi_array_cycles(WS, 4, 8, 8, R, C, arrays=1, pipelined_folds=True) == 4 * (4 + 4) + 6
    # os loads nothing: 4 folds of 8 streamed MACs, then the skew
    assert multi_array_cycles(OS, 8, 8, 8, R, C, arrays=1, pipelined_folds=True) == 4 * 8 + 6


def test_a_long_stream_is_split_over_idle_arrays():
    # one ws fold streaming 400 rows: 4 arrays each take 100 rows and pay their own fill (10 cycles)
    assert multi_array_cycles(WS, 400, 4, 4, R, C, arrays=4) == 10 + 100
    # batched instances fill the arrays first: 8 instances on 4 arrays = 2 rounds, no split needed
    assert multi_array_cycles(WS, 4, 4, 4, R, C, arrays=4, instances=8) == 2 * 14


def test_numpy_broadcast_matches_scalar_calls():
    m = np.array([1, 5, 64, 300])
    for dataflow in Dataflow:
        vec = multi_array_cycles(dataflow, m, 100, 70, 16, 8, arrays=3)
        assert list(vec) == [int(multi_array_cycles(dataflow, int(x), 100, 70, 16, 8, arrays=3)) for x in m]


dims = st.integers(1, 600)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(list(Dataflow)), dims, dims, dims, st.integers(1, 64), st.integers(1, 64),
       st.integers(1, 12), st.sampled_from(["m", "n", "k"]), st.integers(1, 200), st.booleans())
def test_cycles_monotone_and_above_the_mac_bound(dataflow, m, n, k, rows, cols, arrays, grow, extra, piped):
    shape = {"m": m, "n": n, "k": k}
    base = int(multi_array_cycles(dataflow, m, n, k, rows, cols, arrays, pipelined_folds=piped))
    bigger = dict(shape, **{grow: shape[grow] + extra})
    assert int(multi_array_cycles(dataflow, **bigger, rows=rows, cols=cols, arrays=arrays,
                                  pipelined_folds=piped)) >= base
    assert int(multi_array_cycles(dataflow, m, n, k, rows, cols, arrays + 1, pipelined_folds=piped)) <= base
    if piped:  # overlapping the skew of consecutive folds never costs cycles
        assert base <= int(multi_array_cycles(dataflow, m, n, k, rows, cols, arrays))
    assert base * arrays * rows * cols >= m * n * k  # no PE does more than one MAC per cycle
