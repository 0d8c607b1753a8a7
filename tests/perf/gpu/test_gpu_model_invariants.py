"""Properties every GPU kernel timing must have, checked with hypothesis on the shipped presets."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gpu_toys import make_view
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.hardware import load_device
from cosim.hardware.caps import DeviceKind
from cosim.perf.base import DEFAULT_BY_KIND, get_cost_model
from cosim.perf.gpu.attention import decode_attention_time
from cosim.perf.gpu.gemm import gemm_time
from cosim.perf.single_op import attention_operator, gemm_operator
from cosim.workload.dtypes import DType
from cosim.workload.ops import Operator, OpKind, TensorAccess, TensorClass

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
dims = st.integers(min_value=1, max_value=20000)
PRESETS = ["h100-sxm", "h200", "a100-80g"]


def gemm_s(view, m, n, k, **kw) -> float:
    peak = view.caps.matrix_flops_per_s[DType.BF16] * kw.pop("peak_scale", 1.0)
    return float(gemm_time(view, m, n, k, elem_bytes=2, peak_flops=peak, **kw).latency_s)


def test_gpu_kernel_is_the_default_for_gpus():
    assert DEFAULT_BY_KIND[DeviceKind.GPU] == "gpu-kernel"


@pytest.mark.parametrize("device", PRESETS)
@SETTINGS
@given(m=dims, n=dims, k=dims, grow=st.sampled_from(["m", "n", "k"]), by=st.integers(1, 5000))
def test_a_larger_gemm_never_takes_less_time(device, m, n, k, grow, by):
    spec = load_device(device)
    model, caps = get_cost_model("gpu-kernel"), spec.caps()
    bigger = {"m": m, "n": n, "k": k}
    bigger[grow] += by
    small = model.op_timing(gemm_operator(m, n, k), caps, spec).latency_s
    large = model.op_timing(gemm_operator(**bigger), caps, spec).latency_s
    assert large >= small * (1 - 1e-9)


@SETTINGS
@given(m=dims, n=dims, k=dims, sms=st.integers(1, 160), more=st.integers(1, 64),
       bw=st.floats(1e11, 5e12), faster=st.floats(1.0, 4.0))
def test_more_sms_or_more_bandwidth_is_never_slower(m, n, k, sms, more, bw, faster):
    base = make_view(sms=sms, bw=bw)
    more_sms = make_view(sms=sms + more, bw=bw)  # same SMs, more of them: peak grows with the count
    more_bw = replace(base, hbm_bw=bw * faster)
    t0 = gemm_s(base, m, n, k)
    assert gemm_s(more_sms, m, n, k) <= t0 * (1 + 1e-9)
    assert gemm_s(more_bw, m, n, k) <= t0 * (1 + 1e-9)


def _streaming_op(kind: OpKind, nbytes: int) -> Operator:
    t = TensorAccess("x", TensorClass.ACTIVATION, DType.BF16, (nbytes // 2,), float(nbytes))
    return Operator(name="ew", kind=kind, dtype=DType.BF16, flops=nbytes / 2, reads=(t,), writes=(t,),
                    shape={"tokens": 1, "hidden": nbytes // 2})


ops = st.one_of(
    st.builds(gemm_operator, dims, dims, dims),
    st.builds(lambda b, h, g, c: attention_operator("decode", b, h * g, h, 128, c),
              st.integers(1, 256), st.integers(1, 16), st.sampled_from([1, 2, 4, 8]), st.integers(1, 65536)),
    st.builds(lambda b, h, c: attention_operator("prefill", b, h, h, 128, c),
              st.integers(1, 8), st.integers(1, 32), st.integers(1, 8192)),
    st.builds(_streaming_op, st.sampled_from([OpKind.NORM, OpKind.ELEMENTWISE, OpKind.ROTARY, OpKind.EMBEDDING]),
              st.integers(2, 1 << 30).map(lambda x: x * 2)),
)


@pytest.mark.parametrize("device", PRESETS)
@SETTINGS
@given(op=ops)
def test_the_roofline_is_never_slower_than_the_kernel_model(device, op):
    spec = load_device(device)
    caps = spec.caps()
    roof = get_cost_model("roofline").op_timing(op, caps, spec)
    detailed = get_cost_model("gpu-kernel").op_timing(op, caps, spec)
    assert roof.latency_s <= detailed.latency_s * (1 + 1e-9)
    assert detailed.compute_s >= roof.compute_s * (1 - 1e-9)
    assert detailed.memory_s >= roof.memory_s * (1 - 1e-9)


@SETTINGS
@given(b=st.integers(1, 256), kvh=st.sampled_from([1, 8, 32]), c=st.integers(256, 65536), more=st.integers(1, 4096))
def test_decode_attention_grows_with_context(b, kvh, c, more):
    view = make_view(sms=132, bw=3e12)
    peak = view.caps.matrix_flops_per_s[DType.BF16]
    kw = dict(batch=b, heads=32, kv_heads=kvh, head_dim=128, elem_bytes=2, kv_bytes=2, peak_flops=peak)
    assert float(decode_attention_time(view, kv_len=c + more, **kw).latency_s) >= float(
        decode_attention_time(view, kv_len=c, **kw).latency_s) * (1 - 1e-9)


def test_decode_splits_the_keys_only_when_the_sms_are_not_full():
    view = make_view(sms=132, tflops_per_sm=10.0, bw=3e12, latency=0.0, gap=0.0)  # memory-bound decode
    peak = view.caps.matrix_flops_per_s[DType.BF16]
    kw = dict(heads=8, kv_heads=8, head_dim=128, kv_len=32768, elem_bytes=2, kv_bytes=2, peak_flops=peak)
    one = float(decode_attention_time(view, batch=1, **kw).latency_s)  # 8 CTAs: split to fill 132 SMs
    full = float(decode_attention_time(view, batch=132, **kw).latency_s)  # 1056 CTAs: no split
    # a split single request streams its keys on (almost) every SM: far less than 1/8 of the full batch's time
    assert one < full / 8 / 4
    assert full == pytest.approx(132 * 8 * 32768 * 128 * 4 / view.achieved_bw, rel=0.25)


def test_fp8_on_a100_is_an_error_not_a_fallback():
    spec = load_device("a100-80g")
    with pytest.raises(CosimInputError, match="fp8"):
        get_cost_model("gpu-kernel").op_timing(gemm_operator(16, 4096, 4096, "fp8"), spec.caps(), spec)


@pytest.mark.parametrize("dtype", ["bf16", "fp16", "fp8", "int8"])
def test_h100_times_every_tensor_dtype_and_narrow_types_are_not_slower(dtype):
    spec = load_device("h100-sxm")
    model = get_cost_model("gpu-kernel")
    t = model.op_timing(gemm_operator(4096, 4096, 4096, dtype), spec.caps(), spec).latency_s
    bf16 = model.op_timing(gemm_operator(4096, 4096, 4096, "bf16"), spec.caps(), spec).latency_s
    assert 0 < t <= bf16 * (1 + 1e-9)
