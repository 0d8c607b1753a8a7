"""NPU systolic-array cost model (registered as ``"systolic"``, the default for NPU devices).

``dataflow``: fold and cycle formulas of ws / is / os arrays, several arrays; ``tiling``: SRAM tiles,
double buffering and DRAM traffic; ``shapes``: operators as GEMMs; ``vector``: SIMD units;
``model``: the cost model; ``scalesim_bridge``: SCALE-Sim's compute cycles for cross-checks.
"""

from cosim.perf.npu.dataflow import multi_array_cycles, single_array_cycles
from cosim.perf.npu.model import SystolicModel

__all__ = ["SystolicModel", "multi_array_cycles", "single_array_cycles"]
