"""validate_mapping: supported kinds, tp vs device count, per-device capacity with tp sharing."""

from __future__ import annotations

import pytest
from cosim_fakes import decoder_graph, gpu_pim_system, gpu_system
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CapacityError, CosimInputError
from cosim.mapping import default_mapping, load_mapping, mapping_from_dict, validate_mapping
from cosim.mapping.placement import tensor_bytes
from cosim.workload.ops import TensorClass

GIB = 2.0**30


def _footprints(graph):
    out = {TensorClass.WEIGHT: 0.0, TensorClass.KV_CACHE: 0.0}
    for t in graph.graph["tensors"].values():
        out[t.cls] += tensor_bytes(t)
    return out


def test_unsupported_kind_names_operator_kind_device_and_support():
    system = gpu_pim_system()
    mapping = mapping_from_dict(
        {"name": "gemm-on-pim", "ops": [{"match": {"kind": "gemm"}, "device": "pim"}, {"device": "gpu"}]}
    )
    with pytest.raises(CosimInputError) as info:
        validate_mapping(decoder_graph(), system, mapping)
    msg = str(info.value)
    assert (
        "'qkv'" in msg and "gemm" in msg and "'pim'" in msg and "fused_attention" in msg and "\n" not in msg
    )


def test_tp_larger_than_compute_devices_is_one_line_error():
    with pytest.raises(CosimInputError, match="tp=8") as info:
        validate_mapping(decoder_graph(tp=8), gpu_system(gpus=4), default_mapping(gpu_system(gpus=4)))
    assert "\n" not in str(info.value)


def test_capacity_error_names_device_overflow_and_split():
    system = gpu_system(capacity=4e9)
    graph = decoder_graph()
    with pytest.raises(CapacityError) as info:
        validate_mapping(graph, system, default_mapping(system))
    use = validate_mapping(graph, system, default_mapping(system), strict=False)[0]
    msg = str(info.value)
    assert not use.fits
    assert "'gpu'" in msg and f"overflow {use.overflow_bytes / GIB:.2f} GiB" in msg
    assert "weights" in msg and "KV cache" in msg and "activations" in msg and "\n" not in msg
    assert use.overflow_bytes == pytest.approx(use.total_bytes - 4e9)


def test_non_strict_returns_rows_with_fits_false():
    system = gpu_pim_system(capacity=1e9)
    uses = {
        u.device: u for u in validate_mapping(decoder_graph(), system, default_mapping(system), strict=False)
    }
    assert not uses["gpu"].fits and uses["pim"].fits


def test_kv_on_pim_with_tp_charges_every_rank_to_the_single_pool():
    system = gpu_pim_system(gpus=8, pim_count=1)
    graph = decoder_graph(tp=8)
    uses = {u.device: u for u in validate_mapping(graph, system, default_mapping(system))}
    fp = _footprints(graph)
    assert uses["pim"].kv_cache_bytes == pytest.approx(8 * fp[TensorClass.KV_CACHE])
    assert uses["gpu"].weights_bytes == pytest.approx(fp[TensorClass.WEIGHT])
    assert uses["gpu"].kv_cache_bytes == 0.0


def test_pim_in_gpu_memory_is_charged_to_the_gpu():
    system = gpu_pim_system(hbm=True)
    graph = decoder_graph()
    uses = validate_mapping(graph, system, default_mapping(system))
    assert [u.device for u in uses] == ["gpu"]
    fp = _footprints(graph)
    assert uses[0].kv_cache_bytes == pytest.approx(fp[TensorClass.KV_CACHE])
    assert uses[0].weights_bytes == pytest.approx(fp[TensorClass.WEIGHT])


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 64),
    context=st.integers(16, 4096),
    tp=st.sampled_from([1, 2, 4, 8]),
    pim_count=st.sampled_from([1, 2, 8]),
)
def test_memory_rows_account_for_every_persistent_byte(batch, context, tp, pim_count):
    system = gpu_pim_system(gpus=8, pim_count=pim_count)
    graph = decoder_graph(batch=batch, context=context, tp=tp)
    uses = {
        u.device: u for u in validate_mapping(graph, system, load_mapping("attention-on-pim"), strict=False)
    }
    fp = _footprints(graph)
    assert uses["pim"].kv_cache_bytes == pytest.approx(fp[TensorClass.KV_CACHE] * max(1, tp / pim_count))
    assert uses["gpu"].weights_bytes == pytest.approx(fp[TensorClass.WEIGHT])
    assert uses["gpu"].fits == (uses["gpu"].total_bytes <= uses["gpu"].capacity_bytes)
