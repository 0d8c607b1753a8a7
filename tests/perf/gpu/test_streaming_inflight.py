"""Memory-bound kernels limited by bytes in flight per SM (Little's law), and the fit that recovers them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from gpu_toys import make_view
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cosim.hardware.gpu_kernel import KernelModelSpec
from cosim.perf.gpu.memory_bound import streaming_time
from cosim.perf.gpu.model import stream_class
from cosim.validate import calibrate_gpu as cal
from cosim.validate.kernels import kernel_operator
from cosim.workload.ops import Operator, OpKind

VECTOR_PEAK = 1e14


def _time(view, nbytes: float, kind: str | None) -> float:
    return float(streaming_time(view, nbytes, 0.0, VECTOR_PEAK, kind).latency_s)


def test_a_large_kernel_streams_at_sms_times_inflight_over_latency():
    view = make_view(sms=100, bw=4e12, latency=2e-6, stream_inflight=(("norm", 8192.0),))
    nbytes = 1e9
    expected_bw = 100 * 8192.0 / 2e-6  # 0.41 TB/s, well below 0.9 x 4 TB/s
    body = _time(view, nbytes, "norm") - view.kernel_gap_s - view.dram_latency_s
    assert body == pytest.approx(nbytes / expected_bw, rel=1e-6)


def test_a_kind_without_a_fitted_inflight_keeps_the_generic_per_sm_bandwidth():
    view = make_view(sms=100, stream_inflight=(("norm", 8192.0),))
    assert _time(view, 1e8, "rotary") == _time(view, 1e8, None) < _time(view, 1e8, "norm")


@settings(max_examples=40, deadline=None)
@given(nbytes=st.floats(1e3, 1e10), low=st.floats(256.0, 1e5), factor=st.floats(1.0, 100.0))
def test_more_bytes_in_flight_is_never_slower(nbytes, low, factor):
    base = make_view(sms=132, bw=3e12, latency=2e-6)
    slow = replace(base, stream_inflight=(("embedding", low),))
    fast = replace(base, stream_inflight=(("embedding", low * factor),))
    assert _time(fast, nbytes, "embedding") <= _time(slow, nbytes, "embedding") * (1 + 1e-12)


def test_steps_of_a_plain_pytorch_chain_do_not_use_the_fused_kernels_inflight():
    fused = kernel_operator("rmsnorm", 64, 4096)
    step = Operator(name="norm.pow", kind=OpKind.NORM, dtype=fused.dtype, flops=0.0, reads=fused.reads,
                    writes=fused.writes, shape=fused.shape, attrs={"norm_step": "pow"})
    assert stream_class(fused) == "norm"
    assert stream_class(step) is None


def test_unknown_stream_kind_is_rejected_by_the_preset_schema():
    assert KernelModelSpec(stream_inflight={"norm": "16 KiB"}).stream_inflight["norm"] == 16 * 1024
    with pytest.raises(ValidationError, match="allowed"):
        KernelModelSpec(stream_inflight={"gemm": 1024})


def test_calibration_recovers_the_inflight_bytes_that_generated_the_data():
    view = make_view(sms=108, bw=2e12, latency=1.5e-6)
    truth = {cal.INFLIGHT_PREFIX + "norm": 10_000.0}
    rng = np.random.default_rng(11)
    probe = [cal.Point("synthetic", cal.STREAM_KIND, {"op": "rmsnorm", "tokens": int(t), "hidden": 4096,
                                                      "dtype": "bf16"}, 1.0)
             for t in rng.choice([1, 16, 64, 256, 1024, 2048, 4096, 8192], 80)]
    times = cal.predict_points(view, probe, truth) * np.exp(rng.normal(0.0, 0.01, len(probe)))
    points = [replace(p, measured_s=float(t)) for p, t in zip(probe, times, strict=True)]
    stages = cal.calibrate(view, points)
    (stage,) = [s for s in stages if s.name == "streaming norm"]
    assert stage.values[cal.INFLIGHT_PREFIX + "norm"] == pytest.approx(10_000.0, rel=0.05)
    assert stage.median_abs_err < 0.02
