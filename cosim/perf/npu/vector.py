"""Vector-unit time: softmax, norms, rotary, elementwise ops, and vector work inside matrix ops.

The NPU's SIMD units process ``count * width`` lanes per cycle, each doing
``flops_per_lane_per_cycle`` operations; work is issued in whole cycles. Operands stream from
memory through the double-buffered scratchpad, so a vector operator takes
``max(cycles / clock, bytes / bandwidth)`` (the bandwidth term is charged by the caller).
"""

from __future__ import annotations

import math

from cosim.hardware.npu import VectorUnits


def vector_cycles(flops: float, units: VectorUnits) -> int:
    """Whole cycles the vector units need for ``flops`` operations."""
    if flops <= 0:
        return 0
    per_cycle = units.count * units.width * units.flops_per_lane_per_cycle
    return math.ceil(flops / per_cycle)


def vector_seconds(flops: float, units: VectorUnits) -> float:
    return vector_cycles(flops, units) / units.clock
