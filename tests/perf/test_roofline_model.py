"""Roofline cost model and ring collectives: bounds, monotonicity, formulas."""

from __future__ import annotations

import dataclasses

import pytest
from cosim_fakes import NVLINK, gpu_caps
from hypothesis import given, settings
from hypothesis import strategies as st

import cosim.perf  # noqa: F401  (registers the roofline model)
from cosim.errors import CosimInputError
from cosim.hardware.caps import LinkCaps
from cosim.perf.base import available_cost_models, get_cost_model
from cosim.perf.collective import collective_timing
from cosim.perf.roofline import classify_bound
from cosim.workload.dtypes import DType
from cosim.workload.ops import Operator, OpKind, TensorAccess, TensorClass

MODEL = get_cost_model("roofline")


def make_op(kind=OpKind.GEMM, flops=1e9, nbytes=1e6, dtype=DType.BF16, instances=1):
    t = TensorAccess("x", TensorClass.ACTIVATION, dtype, (1,), nbytes / 2)
    return Operator("op", kind, dtype, flops, reads=(t,), writes=(t,), instances=instances)


positive = st.floats(1e3, 1e15, allow_nan=False, allow_infinity=False)
kinds = st.sampled_from(
    [OpKind.GEMM, OpKind.FUSED_ATTENTION, OpKind.NORM, OpKind.SOFTMAX, OpKind.ELEMENTWISE]
)


def test_registered():
    assert "roofline" in available_cost_models()


@settings(max_examples=200, deadline=None)
@given(
    kind=kinds,
    flops=positive,
    nbytes=positive,
    bw=st.floats(1e9, 1e14),
    peak=st.floats(1e11, 1e16),
    overhead=st.floats(0, 1e-4),
)
def test_time_is_roofline_plus_overhead(kind, flops, nbytes, bw, peak, overhead):
    caps = gpu_caps(bw=bw, matrix=peak, vector=peak / 8, overhead=overhead)
    op = make_op(kind, flops, nbytes)
    t = MODEL.op_timing(op, caps)
    floor = max(flops / caps.achieved_flops(op.unit, op.dtype), nbytes / caps.achieved_bw_bytes_per_s)
    assert t.latency_s >= floor
    assert t.latency_s == pytest.approx(floor + overhead, rel=1e-12)
    assert t.bound == classify_bound(t.compute_s, t.memory_s, t.overhead_s)


@settings(max_examples=200, deadline=None)
@given(
    kind=kinds,
    flops=positive,
    nbytes=positive,
    bw=st.floats(1e9, 1e14),
    peak=st.floats(1e11, 1e16),
    more_bw=st.floats(1.0, 100.0),
    more_flops=st.floats(1.0, 100.0),
)
def test_more_bandwidth_or_compute_is_never_slower(kind, flops, nbytes, bw, peak, more_bw, more_flops):
    op = make_op(kind, flops, nbytes)
    base = MODEL.op_timing(op, gpu_caps(bw=bw, matrix=peak, vector=peak / 8)).latency_s
    faster_bw = MODEL.op_timing(op, gpu_caps(bw=bw * more_bw, matrix=peak, vector=peak / 8)).latency_s
    faster_c = MODEL.op_timing(
        op, gpu_caps(bw=bw, matrix=peak * more_flops, vector=peak * more_flops / 8)
    ).latency_s
    assert faster_bw <= base and faster_c <= base


def test_bounds():
    caps = gpu_caps(bw=1e12, matrix=1e15, vector=1e13, overhead=1e-6, eff_c=1.0, eff_m=1.0)
    assert MODEL.op_timing(make_op(flops=1e13, nbytes=1e3), caps).bound == "compute"
    assert MODEL.op_timing(make_op(flops=1e3, nbytes=1e10), caps).bound == "memory"
    assert MODEL.op_timing(make_op(flops=1e3, nbytes=1e3), caps).bound == "overhead"


def test_dtype_without_support_is_an_error():
    with pytest.raises(CosimInputError, match="fp64"):
        MODEL.op_timing(make_op(dtype=DType.FP64), gpu_caps())


@pytest.mark.parametrize("n", [2, 4, 8])
def test_all_reduce_ring_formula(n):
    op = make_op(OpKind.ALL_REDUCE, flops=0.0, nbytes=2 * 8e6, instances=n)  # 8 MB buffer read and written
    link = LinkCaps("nv", "nvlink", 400e9, 5e-6)
    t = collective_timing(op, link)
    assert t.latency_s == pytest.approx(2 * (n - 1) / n * 8e6 / 400e9 + 2 * (n - 1) * 5e-6, rel=1e-12)
    assert t.bound == "network"
    assert MODEL.op_timing(op, gpu_caps(), link) == t


@pytest.mark.parametrize("n", [2, 8])
def test_all_gather_ring_formula(n):
    out = TensorAccess("y", TensorClass.ACTIVATION, DType.BF16, (1,), 8e6)
    inp = dataclasses.replace(out, bytes=8e6 / n)
    op = Operator("ag", OpKind.ALL_GATHER, DType.BF16, 0.0, reads=(inp,), writes=(out,), instances=n)
    t = collective_timing(op, NVLINK)
    assert t.latency_s == pytest.approx(
        (n - 1) / n * 8e6 / NVLINK.bw_bytes_per_s + (n - 1) * NVLINK.latency_s
    )


def test_single_rank_collective_is_free():
    assert collective_timing(make_op(OpKind.ALL_REDUCE, instances=1), NVLINK).latency_s == 0.0


def test_collective_without_link_is_one_line_error():
    with pytest.raises(CosimInputError, match="collective link"):
        MODEL.op_timing(make_op(OpKind.ALL_REDUCE, instances=2), gpu_caps())
