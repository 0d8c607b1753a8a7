"""The ``systolic`` cost model: NPU operators timed from array geometry, dataflow, SRAM and bandwidth.

Matrix operators (GEMMs, attention matmuls, MoE experts) become GEMMs (``shapes``) whose array cycles
follow the dataflow's fold formula spread over the arrays (``dataflow``); their DRAM traffic follows
the SRAM tiling (``tiling``). Vector operators run on the SIMD units (``vector``). Per operator::

    busy    = max(array cycles / clock, vector cycles / vector clock)
    memory  = traffic / achieved bandwidth
    latency = max(busy, memory) + exposed / bandwidth + overhead   (double-buffered)
    latency = busy + memory + overhead                             (single-buffered)

``exposed`` is the first operand chunk and the last output tile, which no buffering can hide.
When ``memory > busy`` the arrays stall waiting for data; ``OpTiming.bound`` says "memory".
The roofline's compute-efficiency factor is not applied: fill, drain and padding are modelled.
"""

from __future__ import annotations

from typing import Any

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.npu import NpuSpec
from cosim.perf.base import CostModel, OpTiming, register_cost_model
from cosim.perf.collective import network_op_timing
from cosim.perf.npu.dataflow import multi_array_cycles
from cosim.perf.npu.shapes import matrix_work
from cosim.perf.npu.tiling import SramBudget, choose_tiling
from cosim.perf.npu.vector import vector_seconds
from cosim.perf.roofline import classify_bound
from cosim.workload.ops import ComputeUnit, Operator

BITS_PER_BYTE = 8


def sram_budget(spec: NpuSpec) -> SramBudget:
    return SramBudget(
        scratchpad_bytes=spec.sram_capacity,
        accumulator_bytes=spec.accumulator_capacity,
        accumulator_element_bytes=spec.accumulator_bits / BITS_PER_BYTE,
        double_buffered=spec.double_buffered,
    )


def _finish(busy_s: float, memory_s: float, exposed_s: float, overhead_s: float, double_buffered: bool) -> OpTiming:
    overlapped = max(busy_s, memory_s) + exposed_s
    latency = (overlapped if double_buffered else busy_s + memory_s) + overhead_s
    return OpTiming(compute_s=busy_s, memory_s=memory_s, overhead_s=overhead_s, latency_s=latency,
                    bound=classify_bound(busy_s, memory_s, overhead_s))


def matrix_op_timing(op: Operator, caps: DeviceCaps, spec: NpuSpec) -> OpTiming:
    arrays = spec.systolic_arrays
    work = matrix_work(op)
    cycles = 0
    for g in work.gemms:
        cycles += int(multi_array_cycles(arrays.dataflow, g.m, g.n, g.k, arrays.rows, arrays.cols,
                                         arrays.count, g.instances, pipelined_folds=arrays.pipelined_folds))
    busy = max(cycles / arrays.clock, vector_seconds(work.vector_flops, spec.vector_units))
    bw = caps.achieved_bw_bytes_per_s
    budget = sram_budget(spec)
    traffic = exposed = 0.0
    for g in work.gemms:
        t = choose_tiling(g.m, g.n, g.k, a_bytes=g.a_bytes, b_bytes=g.b_bytes, c_bytes=g.c_bytes,
                          instances=g.instances, array_rows=arrays.rows, array_cols=arrays.cols,
                          budget=budget)
        traffic += t.traffic_bytes
        exposed += t.exposed_bytes
    # tensors the GEMM view does not see (a bias, MoE routing ids) are still read once
    traffic = max(traffic, op.bytes)
    return _finish(busy, traffic / bw, exposed / bw, caps.op_overhead_s, budget.double_buffered)


def vector_op_timing(op: Operator, spec: NpuSpec, caps: DeviceCaps) -> OpTiming:
    busy = vector_seconds(op.flops, spec.vector_units)
    return _finish(busy, op.bytes / caps.achieved_bw_bytes_per_s, 0.0, caps.op_overhead_s, spec.double_buffered)


@register_cost_model("systolic")
class SystolicModel(CostModel):
    """NPU cost model (see the module docstring); collectives use the ring model over ``spec``."""

    kinds = frozenset({DeviceKind.NPU})

    def op_timing(self, op: Operator, caps: DeviceCaps, spec: Any = None) -> OpTiming:
        if op.unit is ComputeUnit.NETWORK:
            return network_op_timing(op, caps, spec)
        if not isinstance(spec, NpuSpec):
            raise CosimInputError(
                f"cost model 'systolic' models NPUs; device {caps.name!r} is a {caps.kind.value}",
                field="cost_model", allowed="npu devices (use 'roofline' for the others)",
            )
        caps.peak_flops(op.unit, op.dtype)  # a dtype the device lacks is an error, not a fallback
        if op.unit is ComputeUnit.MATRIX:
            return matrix_op_timing(op, caps, spec)
        return vector_op_timing(op, spec, caps)
