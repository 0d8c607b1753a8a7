"""SRAM tiling of a GEMM: how often each operand crosses the memory bus, and what is never hidden.

The NPU keeps an output tile ``tile_m x tile_n`` in its accumulators and streams the reduction
dimension through its scratchpad in chunks of ``tile_k`` (one array height: the depth of one fold).
One operand chunk is ``tile_m x tile_k`` of A plus ``tile_k x tile_n`` of B. With double buffering
the scratchpad holds two chunks (the next one loads while the arrays consume the current one) and the
accumulators two output tiles (one drains while the next fills), so memory traffic overlaps
compute and only the first chunk's load and the last tile's store are exposed. Without double
buffering nothing overlaps.

Reading every A row once per column tile and every B column once per row tile, the bytes moved are::

    traffic = A * ceil(N / tile_n) + B * ceil(M / tile_m) + C

The tile is the power-of-two tile (clipped to the problem) of least traffic that fits; with no
SRAM size given, every operand is read exactly once (an ideal-reuse bound). The exposed part does
not depend on that choice: the pipeline starts as soon as one array-sized tile (``tile_k x cols``
of B, ``rows x tile_k`` of A) has arrived and ends when the last array-sized output tile is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimInputError

MAX_TILE_EXPONENT = 24  # candidate tiles 1, 2, 4, ... 2**24 rows/columns, clipped to the problem


@dataclass(frozen=True)
class SramBudget:
    """On-chip buffers of one NPU (shared by its arrays)."""

    scratchpad_bytes: float | None  # operand buffer; None: unbounded (every operand read once)
    accumulator_bytes: float | None  # output/partial-sum buffer; None: outputs share the scratchpad
    accumulator_element_bytes: float  # width of one partial sum
    double_buffered: bool

    @property
    def buffers(self) -> int:
        return 2 if self.double_buffered else 1


@dataclass(frozen=True)
class GemmTraffic:
    """DRAM traffic of ``instances`` identical GEMMs under one tiling."""

    tile_m: int
    tile_n: int
    tile_k: int
    a_passes: int  # times A is read
    b_passes: int  # times B is read
    traffic_bytes: float  # all instances
    exposed_bytes: float  # first array-sized chunk load + last array-sized output store


def _candidates(extent: int) -> np.ndarray:
    powers = 2 ** np.arange(MAX_TILE_EXPONENT + 1, dtype=np.int64)
    return np.unique(np.minimum(powers, max(int(extent), 1)))


def choose_tiling(
    m: int,
    n: int,
    k: int,
    *,
    a_bytes: float,
    b_bytes: float,
    c_bytes: float,
    instances: int,
    array_rows: int,
    array_cols: int,
    budget: SramBudget,
) -> GemmTraffic:
    """Tile of least traffic that fits ``budget``; ``a/b/c_bytes`` are per-instance operand sizes.

    ``tile_k`` (the reduction depth of one chunk) is one array height, the depth of one fold.
    """
    tk = max(1, min(int(k), int(array_rows)))
    a_el = a_bytes / max(m * k, 1)
    b_el = b_bytes / max(k * n, 1)
    c_el = c_bytes / max(m * n, 1)
    fm, fn = min(m, array_rows), min(n, array_cols)
    exposed = fm * tk * a_el + tk * fn * b_el + fm * fn * c_el
    if budget.scratchpad_bytes is None:
        return GemmTraffic(m, n, tk, 1, 1, instances * (a_bytes + b_bytes + c_bytes), exposed)

    tm = _candidates(m)[:, None]
    tn = _candidates(n)[None, :]
    chunk = tm * tk * a_el + tk * tn * b_el
    accum = tm * tn * budget.accumulator_element_bytes
    if budget.accumulator_bytes is None:
        fits = budget.buffers * (chunk + accum) <= budget.scratchpad_bytes
    else:
        fits = (budget.buffers * chunk <= budget.scratchpad_bytes) & (
            budget.buffers * accum <= budget.accumulator_bytes
        )
    if not fits.any():
        need = budget.buffers * (tk * (a_el + b_el) + budget.accumulator_element_bytes)
        raise CosimInputError(
            f"SRAM of {budget.scratchpad_bytes:.0f} bytes cannot hold one {tk}-deep tile "
            f"({need:.0f} bytes with {budget.buffers} buffer(s))",
            field="sram_capacity",
            allowed=f">= {need:.0f} bytes",
        )
    a_passes = -(-n // tn)
    b_passes = -(-m // tm)
    traffic = np.where(fits, instances * (a_bytes * a_passes + b_bytes * b_passes + c_bytes), np.inf)
    i, j = np.unravel_index(int(np.argmin(traffic)), traffic.shape)
    return GemmTraffic(
        tile_m=int(tm[i, 0]),
        tile_n=int(tn[0, j]),
        tile_k=tk,
        a_passes=int(a_passes[0, j]),
        b_passes=int(b_passes[i, 0]),
        traffic_bytes=float(traffic[i, j]),
        exposed_bytes=float(exposed),
    )
