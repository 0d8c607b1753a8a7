"""The ``systolic`` cost model: memory stalls, vector units, attention, invariants, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.hardware import load_device
from cosim.hardware.npu import Dataflow
from cosim.perf.base import DEFAULT_BY_KIND, get_cost_model
from cosim.perf.roofline import roofline_timing
from cosim.perf.single_op import attention_operator, gemm_operator
from cosim.workload.dtypes import DType
from cosim.workload.ops import Operator, OpKind, TensorAccess, TensorClass

MODEL = get_cost_model("systolic")
TB = 1e12


def timing(op, spec):
    return MODEL.op_timing(op, spec.caps(), spec)


def test_systolic_is_the_npu_default():
    assert DEFAULT_BY_KIND[load_device("neupims-npu").kind] == "systolic"


def test_halving_bandwidth_doubles_a_memory_bound_gemm(neupims_npu, npu_variant):
    op = gemm_operator(4096, 4096, 4096, "fp16")
    full = timing(op, neupims_npu)
    half = timing(op, npu_variant(bandwidth=neupims_npu.memory.bandwidth / 2))
    assert full.bound == "memory" and neupims_npu.op_overhead == 0
    assert half.latency_s == pytest.approx(2 * full.latency_s, rel=1e-12)
    assert half.compute_s == full.compute_s


def test_halving_bandwidth_leaves_a_compute_bound_gemm_alone(npu_variant):
    fast = npu_variant(bandwidth=40 * TB)
    op = gemm_operator(4096, 4096, 4096, "fp16")
    full, half = timing(op, fast), timing(op, npu_variant(bandwidth=20 * TB))
    assert full.bound == half.bound == "compute"
    assert half.compute_s == full.compute_s
    # only the first tile's load and last tile's store (never hidden) take longer
    exposed = 3 * 128 * 128 * 2 / (20 * TB * fast.efficiency.memory)
    assert half.latency_s - full.latency_s == pytest.approx(exposed / 2, rel=1e-6)


def test_single_buffering_serializes_memory_and_compute(neupims_npu, npu_variant):
    op = gemm_operator(64, 4096, 4096, "fp16")
    single = timing(op, npu_variant(double_buffered=False))
    assert single.latency_s == pytest.approx(single.compute_s + single.memory_s)
    assert single.latency_s > timing(op, neupims_npu).latency_s


@pytest.mark.parametrize(("pipelined", "cycles"), [
    # ws, 128x128 arrays, M = 16: 4096/128 * 4096/128 = 1024 folds, 128 per array (8 arrays);
    # unpipelined: each fold 128 (weight load) + 254 (skew) + 16; pipelined: 128 + 16, skew once
    (False, 128 * (128 + 254 + 16)),
    (True, 128 * (128 + 16) + 254),
])
def test_compute_time_is_the_fold_formula_over_eight_arrays(npu_variant, pipelined, cycles):
    spec = npu_variant(arrays={"pipelined_folds": pipelined})
    assert timing(gemm_operator(16, 4096, 4096, "fp16"), spec).compute_s == pytest.approx(cycles / 1e9)


def test_the_neupims_preset_pipelines_its_folds(neupims_npu):
    assert neupims_npu.systolic_arrays.pipelined_folds  # as NeuPIMs' own simulator issues them


@pytest.mark.parametrize(("pipelined", "cycles"), [(False, 2 * 2 * (10 + 2)), (True, 2 * (2 * (4 + 2) + 6))])
def test_decode_attention_as_two_gemms_per_kv_head(npu_variant, pipelined, cycles):
    # one 4x4 ws array; 2 query heads share 1 KV head (rows = 2), 8 keys, head_dim 4:
    # scores 2x8x4 and context 2x4x8 -> 2 folds each, streaming 2 rows (load 4, skew 6)
    arrays = {"count": 1, "rows": 4, "cols": 4, "dataflow": Dataflow.WEIGHT_STATIONARY, "pipelined_folds": pipelined}
    spec = npu_variant(arrays=arrays)
    op = attention_operator("decode", batch=1, heads=2, kv_heads=1, head_dim=4, context=8, dtype="fp16")
    assert timing(op, spec).compute_s == pytest.approx(cycles / spec.systolic_arrays.clock)


def test_vector_ops_run_on_the_simd_lanes(neupims_npu, npu_variant):
    lanes = 8 * 128  # 8 vector units x 128 lanes, one op per lane per cycle
    flops = 10 * lanes + 1
    x = TensorAccess("x", TensorClass.ACTIVATION, DType.FP16, (4,), 8.0)
    op = Operator("softmax", OpKind.SOFTMAX, DType.FP16, flops, reads=(x,), writes=(x,))
    t = timing(op, neupims_npu)
    assert t.compute_s == pytest.approx(11 / 1e9)
    assert t.bound == "compute"
    assert t.latency_s == pytest.approx(max(t.compute_s, t.memory_s))


def test_missing_dtype_and_non_npu_devices_are_errors(neupims_npu):
    with pytest.raises(CosimInputError, match="fp8"):
        timing(gemm_operator(16, 128, 128, "fp8"), neupims_npu)
    gpu = load_device("h100-sxm")
    with pytest.raises(CosimInputError, match="cost_model"):
        MODEL.op_timing(gemm_operator(16, 128, 128), gpu.caps(), gpu)


dims = st.integers(1, 3000)
dataflows = st.sampled_from(list(Dataflow))
relaxed = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(dataflows, dims, dims, dims, st.sampled_from(["m", "n", "k"]), st.integers(1, 500), st.booleans())
def test_a_larger_gemm_never_takes_less_time(npu_variant, dataflow, m, n, k, grow, extra, pipelined):
    spec = npu_variant(arrays={"dataflow": dataflow, "pipelined_folds": pipelined})
    shape = {"m": m, "n": n, "k": k}
    bigger = dict(shape, **{grow: shape[grow] + extra})
    assert timing(gemm_operator(**bigger, dtype="fp16"), spec).latency_s >= timing(
        gemm_operator(**shape, dtype="fp16"), spec).latency_s


@relaxed
@given(dataflows, dims, dims, dims, st.integers(1, 16), st.floats(0.1, 8.0))
def test_more_arrays_or_bandwidth_never_slower(npu_variant, dataflow, m, n, k, count, bw_tb):
    op = gemm_operator(m, n, k, "fp16")
    base = timing(op, npu_variant(arrays={"dataflow": dataflow, "count": count}, bandwidth=bw_tb * TB))
    more_arrays = timing(op, npu_variant(arrays={"dataflow": dataflow, "count": count + 1}, bandwidth=bw_tb * TB))
    more_bw = timing(op, npu_variant(arrays={"dataflow": dataflow, "count": count}, bandwidth=1.5 * bw_tb * TB))
    assert more_arrays.latency_s <= base.latency_s
    assert more_bw.latency_s <= base.latency_s


@relaxed
@given(dataflows, dims, dims, dims, st.sampled_from([None, 64 * 1024, 1024 * 1024]))
def test_ideal_roofline_is_a_lower_bound(npu_variant, dataflow, m, n, k, sram):
    spec = npu_variant(arrays={"dataflow": dataflow}, sram_capacity=sram)
    caps = spec.caps()
    op = gemm_operator(m, n, k, "fp16")
    ideal = roofline_timing(op.flops, op.bytes, caps.peak_flops(op.unit, op.dtype),
                            caps.achieved_bw_bytes_per_s, caps.op_overhead_s)
    ours = timing(op, spec)
    assert ours.latency_s >= ideal.latency_s * (1 - 1e-12)
    assert ours.compute_s * caps.peak_flops(op.unit, op.dtype) >= op.flops * (1 - 1e-12)
    assert math.isfinite(ours.latency_s)
