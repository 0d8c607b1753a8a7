"""The vectorized path agrees with the scalar path on random hardware variants."""

from __future__ import annotations

import numpy as np
import pytest
from cosim_fakes import decoder_graph, gpu_pim_system, gpu_system
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.engine.predict import predict_graph
from cosim.engine.vectorized import VectorizedStep
from cosim.errors import CosimInputError
from cosim.hardware.variants import system_with_overrides

scale = st.floats(0.05, 20.0)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    batch=st.integers(1, 256),
    context=st.integers(1, 16384),
    tp=st.sampled_from([1, 2, 8]),
    pim_count=st.sampled_from([1, 8]),
    hbm=st.booleans(),
    attention=st.sampled_from(["flash", "eager"]),
    mapping=st.sampled_from([None, "all-on-gpu", "kv-on-pim-attention-on-gpu"]),
    n=st.integers(1, 6),
)
def test_scalar_and_vectorized_agree(data, batch, context, tp, pim_count, hbm, attention, mapping, n):
    if hbm and mapping == "kv-on-pim-attention-on-gpu":
        mapping = None
    system = gpu_pim_system(gpus=8, pim_count=pim_count, hbm=hbm)
    graph = decoder_graph(batch=batch, context=context, tp=tp, attention=attention)
    step = VectorizedStep.build(graph, system, mapping)

    def arr(lo, hi):
        return np.array(data.draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)))

    variants = {
        "gpu": {
            "mem_bw_bytes_per_s": arr(1e11, 2e13),
            "flops_scale": arr(0.05, 20.0),
            "op_overhead_s": arr(0.0, 2e-5),
            "mem_capacity_bytes": arr(1e9, 2e11),
        },
        "pim": {
            "mem_bw_bytes_per_s": arr(1e11, 1e14),
            "flops_scale": arr(0.05, 20.0),
            "op_overhead_s": arr(0.0, 2e-5),
            "mem_capacity_bytes": arr(1e9, 4e12),
        },
    }
    for link in step.links:
        variants[link] = {"bw_bytes_per_s": arr(1e9, 1e12), "latency_s": arr(0.0, 1e-5)}
    vec = step.evaluate(variants)
    assert len(vec) == n
    for i in range(n):
        point = {name: {k: float(v[i]) for k, v in params.items()} for name, params in variants.items()}
        scalar = predict_graph(graph, system_with_overrides(system, point), mapping=mapping)
        assert vec.latency_s[i] == pytest.approx(scalar.latency_s, rel=1e-9)
        assert bool(vec.fits[i]) == scalar.fits
        by_bound = scalar.breakdown("bound")
        top = sorted(by_bound.values())[-2:]
        if len(top) < 2 or top[-1] > top[0] * (1 + 1e-9):  # skip exact ties
            assert vec.bound[i] == scalar.bound


def test_base_point_equals_predict():
    system = gpu_pim_system(gpus=8)
    graph = decoder_graph(tp=8, batch=32)
    vec = VectorizedStep.build(graph, system).evaluate({})
    scalar = predict_graph(graph, system)
    assert vec.latency_s[0] == pytest.approx(scalar.latency_s, rel=1e-12)
    assert vec.tokens_per_s[0] == pytest.approx(scalar.tokens_per_s, rel=1e-12)


def test_scalars_broadcast_and_latency_monotone_in_bandwidth():
    step = VectorizedStep.build(decoder_graph(batch=4), gpu_system())
    bw = np.linspace(1e12, 8e12, 50)
    res = step.evaluate({"gpu": {"mem_bw_bytes_per_s": bw, "flops_scale": 1.0}})
    assert np.all(np.diff(res.latency_s) <= 0)
    assert set(res.bound) <= {"memory", "compute", "overhead", "network"}


def test_unknown_target_or_parameter_is_an_error():
    step = VectorizedStep.build(decoder_graph(), gpu_system())
    with pytest.raises(CosimInputError, match="tpu"):
        step.evaluate({"tpu": {"mem_bw_bytes_per_s": [1.0]}})
    with pytest.raises(CosimInputError, match="flops_scale"):
        step.evaluate({"gpu": {"peak": [1.0]}})
    with pytest.raises(CosimInputError, match="lengths"):
        step.evaluate({"gpu": {"mem_bw_bytes_per_s": [1e12, 2e12], "flops_scale": [1.0, 2.0, 3.0]}})


def test_large_sweep_is_chunked_consistently():
    step = VectorizedStep.build(decoder_graph(), gpu_pim_system())
    rng = np.random.default_rng(0)
    bw = rng.uniform(1e12, 1e13, 100_000)
    full = step.evaluate({"gpu": {"mem_bw_bytes_per_s": bw}})
    part = step.evaluate({"gpu": {"mem_bw_bytes_per_s": bw[-10:]}})
    np.testing.assert_allclose(full.latency_s[-10:], part.latency_s, rtol=1e-15)
