"""SCALE-Sim v3 (PyPI ``scalesim``) compute cycles of one GEMM, for cross-checking the systolic model.

SCALE-Sim is driven through its own classes with its own config and topology files (written to a
temporary directory): ``scale_config`` reads the array size and dataflow, ``topologies`` reads an
``M, N, K`` GEMM row, ``operand_matrix`` builds the operand address matrices and
``systolic_compute_{ws,is,os}`` builds the per-cycle demand matrices. The number of demand rows is
SCALE-Sim's stall-free compute cycle count: its memory simulator services one demand row per cycle
and only adds stall cycles on top. That memory simulator is not run here: it models SRAM-to-DRAM
buffering that the comparison is not about, it is slow (a Python loop per cycle), and with
numpy >= 2 it fails in ``double_buffered_scratchpad.service_memory_requests`` (``int()`` of a
one-element array).

Large GEMMs would need gigabytes for the demand matrices, so they can be simulated on a slice: the
spatial dimensions are cut to at most one fold (keeping the partial edge fold when there is one) and
the result is multiplied by the number of folds. SCALE-Sim builds its demand matrices by
concatenating one block per fold whose length depends only on the array and the streamed length, so
the scaling is exact for its compute cycles.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cosim.hardware.npu import Dataflow
from cosim.perf.npu.dataflow import DATAFLOWS

BYTES_PER_DEMAND_ENTRY = 8  # SCALE-Sim's demand matrices are float64
DEMAND_MATRICES = 3  # ifmap, filter, ofmap
DEFAULT_MEMORY_BUDGET_BYTES = 256 * 2**20

_CONFIG = """[general]
run_name = cosim_crosscheck

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 1024
FilterSramSzkB: 1024
OfmapSramSzkB: 1024
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {dataflow}
Bandwidth: 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def scalesim_available() -> bool:
    return importlib.util.find_spec("scalesim") is not None


@dataclass(frozen=True)
class ScaleSimResult:
    cycles: int
    simulated: tuple[int, int, int]  # (m, n, k) actually given to SCALE-Sim
    scale: int  # cycles = scale x cycles of the simulated GEMM


def _demand_rows(m: int, n: int, k: int, dataflow: Dataflow, rows: int, cols: int) -> int:
    from scalesim.compute.operand_matrix import operand_matrix
    from scalesim.compute.systolic_compute_is import systolic_compute_is
    from scalesim.compute.systolic_compute_os import systolic_compute_os
    from scalesim.compute.systolic_compute_ws import systolic_compute_ws
    from scalesim.layout_utils import layouts
    from scalesim.scale_config import scale_config
    from scalesim.topology_utils import topologies

    compute_classes = {
        Dataflow.WEIGHT_STATIONARY: systolic_compute_ws,
        Dataflow.INPUT_STATIONARY: systolic_compute_is,
        Dataflow.OUTPUT_STATIONARY: systolic_compute_os,
    }
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        d = Path(tmp)
        (d / "array.cfg").write_text(_CONFIG.format(rows=rows, cols=cols, dataflow=dataflow.value))
        (d / "gemm.csv").write_text(f"Layer, M, N, K,\ngemm, {m}, {n}, {k},\n")
        (d / "layout.csv").write_text("Layer,\n")
        config = scale_config()
        config.read_conf_file(str(d / "array.cfg"))
        topo = topologies()
        topo.load_arrays(topofile=str(d / "gemm.csv"), mnk_inputs=True)
        layout = layouts()
        layout.load_arrays(layoutfile=str(d / "layout.csv"), mnk_inputs=True)
        operands = operand_matrix()
        operands.set_params(config_obj=config, topoutil_obj=topo, layoututil_obj=layout, layer_id=0)
        _, ifmap = operands.get_ifmap_matrix()
        _, filt = operands.get_filter_matrix()
        _, ofmap = operands.get_ofmap_matrix()
        compute = compute_classes[dataflow]()
        compute.set_params(config_obj=config, ifmap_op_mat=ifmap, filter_op_mat=filt, ofmap_op_mat=ofmap)
        _, _, ofmap_demand = compute.get_demand_matrices()
        return int(ofmap_demand.shape[0])


def _estimated_bytes(m: int, n: int, k: int, dataflow: Dataflow, rows: int, cols: int) -> float:
    """Rough peak memory of SCALE-Sim's operand and demand matrices for one run."""
    dims = {"m": m, "n": n, "k": k}
    mapping = DATAFLOWS[dataflow]
    folds = math.ceil(dims[mapping.spatial_rows] / rows) * math.ceil(dims[mapping.spatial_cols] / cols)
    demand_rows = folds * (2 * rows + cols + dims[mapping.temporal])
    operands = m * k + k * n + m * n
    return BYTES_PER_DEMAND_ENTRY * (DEMAND_MATRICES * demand_rows * max(rows, cols) + operands)


def _one_fold(extent: int, size: int) -> tuple[int, int]:
    """(sliced extent, folds it stands for): the partial edge fold when there is one, else one full fold."""
    folds = math.ceil(extent / size)
    edge = extent - (folds - 1) * size
    return edge, folds


def scalesim_compute_cycles(
    m: int, n: int, k: int, dataflow: Dataflow | str, rows: int, cols: int,
    *, memory_budget_bytes: float = DEFAULT_MEMORY_BUDGET_BYTES,
) -> ScaleSimResult:
    """SCALE-Sim's stall-free compute cycles of ``C[m,n] = A[m,k] @ B[k,n]`` on one array."""
    dataflow = Dataflow(dataflow)
    if _estimated_bytes(m, n, k, dataflow, rows, cols) <= memory_budget_bytes:
        return ScaleSimResult(_demand_rows(m, n, k, dataflow, rows, cols), (m, n, k), 1)
    dims = {"m": m, "n": n, "k": k}
    mapping = DATAFLOWS[dataflow]
    dims[mapping.spatial_rows], row_folds = _one_fold(dims[mapping.spatial_rows], rows)
    dims[mapping.spatial_cols], col_folds = _one_fold(dims[mapping.spatial_cols], cols)
    sliced = (dims["m"], dims["n"], dims["k"])
    scale = row_folds * col_folds
    return ScaleSimResult(scale * _demand_rows(*sliced, dataflow, rows, cols), sliced, scale)
