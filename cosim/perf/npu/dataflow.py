"""Cycle counts of GEMMs on systolic arrays, per dataflow, with folding and several arrays.

A GEMM ``C[M, N] = A[M, K] @ B[K, N]`` is mapped onto an ``R x C`` array by choosing which operand
dimension is laid along the array rows (``S_r``), which along the columns (``S_c``) and which is
streamed through in time (``T``):

==========  =====  =====  =====  ==========  ======================================
dataflow    S_r    S_c    T      load        what stays in the processing elements
==========  =====  =====  =====  ==========  ======================================
ws          K      N      M      R           a K x N weight tile
is          K      M      N      R           a K x M input tile
os          M      N      K      0           an M x N output tile (accumulators)
==========  =====  =====  =====  ==========  ======================================

A problem larger than the array is cut into ``ceil(S_r / R) * ceil(S_c / C)`` folds, and each fold
takes ``load + skew + T`` cycles, ``skew = R + C - 2`` (fill plus drain of the systolic wavefront):

* ws / is: ``R`` cycles shift the stationary tile in row by row; the ``T`` streamed vectors then enter
  skewed by one cycle per row, so the last one leaves the array ``T + (R - 1) + (C - 1)`` cycles
  later: ``R + T + R + C - 2 = 2R + C + T - 2`` cycles per fold.
* os: both operands enter skewed, PE ``(i, j)`` does its ``T`` MACs between cycles ``i + j`` and
  ``i + j + T - 1`` and hands its result out as the wavefront passes, so the last PE finishes at
  ``T + R + C - 2``.

A partial fold (an edge of the problem) takes as long as a full one: the skew is set by the array,
not by how many of its PEs hold data. These are SCALE-Sim v3's per-fold counts (its
``systolic_compute_{ws,is,os}`` demand matrices); ``benchmarks/bench_scalesim.py`` checks them.

Pipelined folds (``pipelined_folds``; NeuPIMs' simulator issues the next fold's operands right
behind the previous one's): the wavefront skew is paid once per operator instead of once per fold,
so a fold costs ``load + T`` and the operator ``+ skew``. SCALE-Sim does not pipeline folds.

Several arrays: the folds (times any batched instances) are dealt out to the arrays; when there are
fewer folds than arrays the streamed dimension ``T`` is also cut into ``s`` pieces, each array then
paying its own fill for ``ceil(T / s)`` streamed vectors. The model takes the best ``s`` in
``1..arrays``: ``cycles = min_s ceil(folds * instances * s / arrays) * (per-fold cycles for ceil(T / s))``
(plus one ``skew`` when folds are pipelined).

Every function broadcasts over numpy arrays so that sweeps evaluate many shapes at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cosim.hardware.npu import Dataflow

IntLike = int | npt.NDArray[np.int64]


@dataclass(frozen=True)
class DataflowMapping:
    """Which GEMM dimension goes where, and the array-dependent fill+drain of one fold."""

    spatial_rows: str  # GEMM dimension laid along the array rows
    spatial_cols: str  # ... along the array columns
    temporal: str  # ... streamed through the array, one vector per cycle
    loads_stationary_tile: bool  # R cycles per fold to shift the stationary operand in


DATAFLOWS: dict[Dataflow, DataflowMapping] = {
    Dataflow.WEIGHT_STATIONARY: DataflowMapping("k", "n", "m", True),
    Dataflow.INPUT_STATIONARY: DataflowMapping("k", "m", "n", True),
    Dataflow.OUTPUT_STATIONARY: DataflowMapping("m", "n", "k", False),
}


def _ceil_div(a: IntLike, b: IntLike) -> IntLike:
    return -(-np.asarray(a, dtype=np.int64) // np.asarray(b, dtype=np.int64))


def load_cycles(dataflow: Dataflow, rows: IntLike) -> IntLike:
    """Cycles to shift one stationary tile into the array (one row per cycle; none for os)."""
    return np.asarray(rows, dtype=np.int64) * int(DATAFLOWS[dataflow].loads_stationary_tile)


def skew_cycles(rows: IntLike, cols: IntLike) -> IntLike:
    """Fill plus drain of the systolic wavefront: ``R + C - 2``."""
    return np.asarray(rows, dtype=np.int64) + np.asarray(cols, dtype=np.int64) - 2


def fill_drain_cycles(dataflow: Dataflow, rows: IntLike, cols: IntLike) -> IntLike:
    """Cycles of one unpipelined fold not spent streaming: ``load + skew``."""
    return load_cycles(dataflow, rows) + skew_cycles(rows, cols)


def fold_geometry(
    dataflow: Dataflow, m: IntLike, n: IntLike, k: IntLike, rows: IntLike, cols: IntLike
) -> tuple[IntLike, IntLike]:
    """(number of folds, streamed length T) of one GEMM on one ``rows x cols`` array."""
    dims = {"m": m, "n": n, "k": k}
    mapping = DATAFLOWS[dataflow]
    folds = _ceil_div(dims[mapping.spatial_rows], rows) * _ceil_div(dims[mapping.spatial_cols], cols)
    return folds, np.asarray(dims[mapping.temporal], dtype=np.int64)


def single_array_cycles(
    dataflow: Dataflow, m: IntLike, n: IntLike, k: IntLike, rows: IntLike, cols: IntLike
) -> IntLike:
    """Compute cycles of one GEMM on ONE array: ``folds * (fill + T)`` (SCALE-Sim's count)."""
    folds, temporal = fold_geometry(dataflow, m, n, k, rows, cols)
    return folds * (fill_drain_cycles(dataflow, rows, cols) + temporal)


def multi_array_cycles(
    dataflow: Dataflow,
    m: IntLike,
    n: IntLike,
    k: IntLike,
    rows: int,
    cols: int,
    arrays: int,
    instances: IntLike = 1,
    *,
    pipelined_folds: bool = False,
) -> IntLike:
    """Compute cycles of ``instances`` identical GEMMs spread over ``arrays`` identical arrays.

    ``arrays`` is a scalar (it sets the size of the split search); the shapes broadcast.
    """
    folds, temporal = fold_geometry(dataflow, m, n, k, rows, cols)
    once = skew_cycles(rows, cols) if pipelined_folds else 0
    fill = load_cycles(dataflow, rows) if pipelined_folds else fill_drain_cycles(dataflow, rows, cols)
    work = np.asarray(folds * np.asarray(instances, dtype=np.int64))[..., None]
    splits = np.arange(1, arrays + 1, dtype=np.int64)  # pieces the streamed dimension is cut into
    splits = np.minimum(splits, np.maximum(np.asarray(temporal)[..., None], 1))
    rounds = _ceil_div(work * splits, arrays)
    cycles = rounds * (fill + _ceil_div(np.asarray(temporal)[..., None], splits))
    return cycles.min(axis=-1) + once
