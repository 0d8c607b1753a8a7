"""Roofline cost model: an operator takes as long as its slower resource, plus a fixed overhead.

time = max(FLOPs / achieved peak, bytes / achieved bandwidth) + per-op overhead. It ignores caches,
tiling and wave quantization on purpose: it is the bound every detailed model must respect, and it is
cheap enough to evaluate millions of hardware variants (see cosim.engine.vectorized).
"""

from __future__ import annotations

from typing import Any

from cosim.hardware.caps import DeviceCaps
from cosim.perf.base import CostModel, OpTiming, register_cost_model
from cosim.perf.collective import network_op_timing
from cosim.workload.ops import ComputeUnit, Operator


def classify_bound(compute_s: float, memory_s: float, overhead_s: float) -> str:
    """'overhead' when the fixed part exceeds both rooflines, else the larger roofline (ties: compute)."""
    if overhead_s > max(compute_s, memory_s):
        return "overhead"
    return "compute" if compute_s >= memory_s else "memory"


def roofline_timing(
    flops: float, bytes_: float, peak_flops_per_s: float, bw_bytes_per_s: float, overhead_s: float
) -> OpTiming:
    compute_s = flops / peak_flops_per_s if flops > 0 else 0.0
    memory_s = bytes_ / bw_bytes_per_s if bytes_ > 0 else 0.0
    latency_s = max(compute_s, memory_s) + overhead_s
    return OpTiming(
        compute_s=compute_s,
        memory_s=memory_s,
        overhead_s=overhead_s,
        latency_s=latency_s,
        bound=classify_bound(compute_s, memory_s, overhead_s),
    )


@register_cost_model("roofline")
class RooflineModel(CostModel):
    """Per-op roofline on one device; collectives use the ring algorithm over the link in ``spec``."""

    def op_timing(self, op: Operator, caps: DeviceCaps, spec: Any = None) -> OpTiming:
        if op.unit is ComputeUnit.NETWORK:
            return network_op_timing(op, caps, spec)
        peak = caps.achieved_flops(op.unit, op.dtype)
        return roofline_timing(op.flops, op.bytes, peak, caps.achieved_bw_bytes_per_s, caps.op_overhead_s)
