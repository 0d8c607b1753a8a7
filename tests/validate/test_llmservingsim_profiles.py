"""LLMServingSim RTX profile bundles: records, shapes, skips, harnesses, and the calibration they feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.validate import calibrate_gpu as cal
from cosim.validate.datasets import get_dataset, load_dataset
from cosim.validate.datasets.llmservingsim_profiles import DEVICES, dataset_name
from cosim.validate.measurement import is_holdout

PARTS = ("gemm", "elementwise", "attention")
NAMES = [dataset_name(device, part) for device in DEVICES for part in PARTS]


def test_every_dataset_is_registered_with_a_kernel_duration_harness():
    for name in NAMES:
        harness = get_dataset(name).harness
        assert harness.kernel_durations_only and harness.host_floor_s is None
    attention = get_dataset(dataset_name("rtx4090", "attention")).harness
    assert attention.paged_kv and attention.writes_kv_cache and attention.attention_kernel == "serving"


@pytest.mark.parametrize("name", NAMES)
def test_absent_bundle_loads_nothing_and_says_why(tmp_path: Path, name):
    loaded = get_dataset(name).load(tmp_path)
    assert len(loaded) == 0 and loaded.missing and "not found" in loaded.missing


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_gemm_records_have_llama31_8b_shapes(peer_root, device):
    loaded = load_dataset(dataset_name(device, "gemm"), peer_root)
    assert len(loaded) == 4 * 152 + 40 and dict(loaded.skipped) == {"sampler: no cosim operator": 40}
    shapes = {m.params["op"]: (m.params["n"], m.params["k"]) for m in loaded}
    assert shapes == {"qkv_proj": (6144, 4096), "o_proj": (4096, 4096), "gate_up_proj": (28672, 4096),
                      "down_proj": (4096, 14336), "lm_head": (128256, 4096)}
    first = next(m for m in loaded if m.params["op"] == "lm_head" and m.params["m"] == 1)
    assert first.source.endswith("per_sequence.csv:2") and first.device == device
    assert {is_holdout(m) for m in loaded} == {True, False}


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_elementwise_records_and_the_merged_layernorm_skip(peer_root, device):
    loaded = load_dataset(dataset_name(device, "elementwise"), peer_root)
    assert len(loaded) == 4 * 152
    assert sum(loaded.skipped.values()) == 152 and all("layernorm" in why for why in loaded.skipped)
    rotary = next(m for m in loaded if m.params["op"] == "rotary")
    assert (rotary.params["hidden"], rotary.params["head_dim"]) == ((32 + 8) * 128, 128)
    assert {m.params["op"] for m in loaded} == {"rotary", "silu_mul", "embedding", "fused_add_rmsnorm"}


def test_attention_keeps_pure_prefill_and_decode_rows(peer_root):
    import pandas as pd

    loaded = load_dataset(dataset_name("rtx4090", "attention"), peer_root)
    raw = pd.read_csv(peer_root / "LLMServingSim/profiler/perf/RTX4090/meta-llama/Llama-3.1-8B/bf16/tp1/attention.csv")
    mixed = int(((raw.prefill_chunk > 0) & (raw.n_decode > 0)).sum())
    assert len(loaded) + loaded.n_skipped == len(raw) and loaded.n_skipped == mixed
    decode = next(m for m in loaded if m.kind == "attention_decode")
    row = raw.iloc[int(decode.source.rsplit(":", 1)[1]) - 2]
    assert decode.params["batch"] == row.n_decode and decode.params["context"] == row.kv_decode + 1
    chunk = next(m for m in loaded if m.kind == "attention_prefill" and m.params["context"] > m.params["q_len"])
    assert chunk.params["batch"] == 1 and (chunk.params["heads"], chunk.params["kv_heads"]) == (32, 8)


def test_calibration_fits_gemm_and_attention_and_uses_small_kernels_only_as_probes(peer_root):
    points = cal.training_points("rtx4090", (cal.GEMM_KIND, cal.DECODE_KIND, cal.PREFILL_KIND, cal.STREAM_KIND),
                                 peer_root)
    assert {p.dataset for p in points} == {dataset_name("rtx4090", part) for part in PARTS}
    assert cal.kernel_durations_only([p for p in points if p.kind == cal.GEMM_KIND])
    from cosim.hardware import load_device
    from cosim.perf.gpu.device import gpu_view

    spec = load_device("rtx4090")
    gpu = gpu_view(spec.caps(), spec)
    probes = cal.latency_probes(gpu, points)
    assert probes and all(cal.stream_operator(p).bytes <= 4096 * 128 for p in probes)
    stages = cal.calibrate(gpu, points)
    assert [s.name for s in stages] == ["gemm bf16", "attention"]  # no in-flight stage on L2-resident kernels
    gemm, attention = (s.values for s in stages)
    assert "kernel_gap_s" not in gemm  # a sum of kernel durations carries no launch gap
    # the preset stores these fits (rounded): the calibration is a fixed point of the shipped values
    assert gemm["compute_efficiency"] == pytest.approx(spec.efficiency.compute, rel=0.01)
    assert gemm["dram_latency_s"] == pytest.approx(spec.kernel_model.dram_latency, rel=0.02)
    assert attention["attention_efficiency"] == pytest.approx(spec.kernel_model.attention_efficiency, rel=0.01)
    assert max(s.median_abs_err for s in stages) < 0.1
