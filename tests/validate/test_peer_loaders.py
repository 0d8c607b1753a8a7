"""Loaders on the real shared peer data: counts, units and shapes checked against the raw files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from cosim.validate.datasets import DATASETS, Loaded, dataset_names, get_dataset
from cosim.validate.measurement import MEASUREMENT_KINDS

AIC = Path("aiconfigurator/aic-core/src/aiconfigurator_core/systems/data")

REPO_ROOT = Path(__file__).resolve().parents[2]


@cache
def _load(name: str, root: str) -> Loaded:
    return get_dataset(name).load(Path(root))


def load(name: str, peer_root: Path) -> Loaded:
    return _load(name, str(peer_root))


@pytest.mark.parametrize("name", dataset_names())
def test_every_dataset_loads_clean_records(name, peer_root):
    loaded = load(name, peer_root)
    assert loaded.missing is None
    assert len(loaded) > 0
    for m in loaded[:: max(1, len(loaded) // 200)]:
        assert m.dataset == name
        assert m.kind in MEASUREMENT_KINDS
        assert 0 < m.measured_s < 60  # seconds, converted from ms/us/ns (a 32K-token prefill takes ~11 s)
        source = m.source.split(":")[0]  # a peer file, or one cosim ships (its own measurements)
        assert (REPO_ROOT / source if source.startswith("cosim/") else peer_root / source).is_file()


def test_absent_files_give_an_empty_result_with_a_reason(tmp_path):
    for name in dataset_names():
        loaded = DATASETS[name].load(tmp_path)
        if len(loaded) and all(m.source.startswith("cosim/") for m in loaded):
            continue  # cosim's own measurements ship with it: no peer data needed
        assert len(loaded) == 0
        assert loaded.missing and "not found" in loaded.missing


def test_aiconfigurator_h100_gemm_counts_and_units(peer_root):
    raw = pd.read_parquet(peer_root / AIC / "h100_sxm/gemm/vllm/0.24.0/gemm_perf.parquet")
    loaded = load("aiconfigurator-h100-gemm", peer_root)
    modelled = raw["gemm_dtype"].isin(["bfloat16", "fp8"])
    assert len(loaded) == int(modelled.sum())
    assert loaded.n_skipped == int((~modelled).sum())
    assert all("fp8_block" in why for why in loaded.skipped)
    first = raw.iloc[0]
    m = loaded[0]
    assert (m.params["m"], m.params["n"], m.params["k"]) == (first["m"], first["n"], first["k"])
    assert m.measured_s == pytest.approx(first["latency"] / 1000.0)
    assert m.source.endswith(":0")


def test_aiconfigurator_decode_context_counts_the_new_token(peer_root):
    raw = pd.read_parquet(peer_root / AIC / "a100_sxm/attention/vllm/0.14.0/generation_attention_perf.parquet")
    loaded = load("aiconfigurator-a100-attention-decode", peer_root)
    assert len(loaded) == len(raw)  # A100: bf16 KV only, no sliding window
    first, m = raw.iloc[0], loaded[0]
    assert m.params["context"] == first["step"] + 1
    assert m.params["q_len"] == 1
    assert (m.params["heads"], m.params["kv_heads"], m.params["batch"]) == (
        first["num_heads"], first["num_key_value_heads"], first["batch_size"])


def test_h100_attention_skips_fp8_kv_and_sliding_windows(peer_root):
    raw = pd.read_parquet(peer_root / AIC / "h100_sxm/attention/vllm/0.24.0/context_attention_perf.parquet")
    loaded = load("aiconfigurator-h100-attention-prefill", peer_root)
    kept = (raw["kv_cache_dtype"] == "bfloat16") & (raw["window_size"] == 0)
    assert len(loaded) == int(kept.sum())
    assert len(loaded) + loaded.n_skipped == len(raw)


def test_vidur_shapes_are_one_tp_rank(peer_root):
    loaded = load("vidur-h100-llama2-70b-mlp", peer_root)
    raw = pd.read_csv(peer_root / "vidur/data/profiling/compute/h100/meta-llama/Llama-2-70b-hf/mlp.csv")
    row = raw[raw["num_tensor_parallel_workers"] == 8].iloc[0]
    line = int(row.name) + 2
    mine = {m.params["vidur_op"]: m for m in loaded if m.source.endswith(f":{line}")}
    tokens = int(row["num_tokens"])
    # Llama-2-70B: 64 heads, 8 KV heads, head_dim 128, hidden 8192, ffn 28672; tp 8
    qkv = mine["attn_pre_proj"].params
    assert (qkv["m"], qkv["n"], qkv["k"]) == (tokens, (64 + 16) * 128 // 8, 8192)
    assert mine["mlp_up_proj"].params["n"] == 2 * 28672 // 8
    assert mine["mlp_down_proj"].params["k"] == 28672 // 8
    assert mine["attn_rope"].params["hidden"] == (64 + 8) * 128 // 8
    assert mine["mlp_act"].measured_s == pytest.approx(row["time_stats.mlp_act.median"] / 1000.0)


def test_llmservingsim_units_and_artifact_filter(peer_root):
    layers = load("llmservingsim-h100-llama3.1-8b-layers", peer_root)
    raw = pd.read_csv(peer_root / "LLMServingSim/profiler/v0/perf_models/H100/meta-llama/Llama-3.1-8B/tp1/layers.csv")
    first = layers[0]
    assert first.measured_s == pytest.approx(raw["latency(ns)"].iloc[0] * 1e-9)
    assert sum(m.kind == "layer_prefill" for m in layers) == raw["input"].nunique()
    attention = load("llmservingsim-h100-llama3.1-70b-tp4-attention", peer_root)
    assert len(attention) + attention.n_skipped == 21603
    # kv_cache_size is the TOTAL keys of the call, split evenly over the batch: LLMServingSim
    # llm_profile/profiler/attention/attention_profiler.py _build_varlen_qkv allocates K/V with kv_cache_size
    # rows and steps cu_seqlens_k by kv_cache_size // batch_size; rows where that is 0 hold no keys at all
    raw_attn = pd.read_csv(peer_root / "LLMServingSim/profiler/v0/perf_models/H100/meta-llama/Llama-3.1-70B/tp4"
                           / "attention.csv")
    decode_raw = raw_attn[~raw_attn["is_prefill"].astype(bool)]
    empty = int((decode_raw["kv_cache_size"] < decode_raw["batch_size"]).sum())
    assert attention.n_skipped == empty > 0
    decode = [m for m in attention if m.kind == "attention_decode"]
    assert len(decode) == len(decode_raw) - empty
    for m in decode:
        row = raw_attn.iloc[int(m.source.rsplit(":", 1)[1]) - 2]
        assert m.params["context"] == row["kv_cache_size"] // row["batch_size"]
        assert m.measured_s == pytest.approx(row["time_stats.attn_decode.median"] * 1e-3)
    # read this way, every decode row is physically possible: KV bytes / time below the H100's 3.35 TB/s
    # (or within L2); read per request, more than half of them would stream KV at 4-20 TB/s
    for m in decode:
        p = m.params
        kv_bytes = p["batch"] * p["context"] * p["kv_heads"] * p["head_dim"] * 2 * 2
        assert kv_bytes <= 50e6 or kv_bytes / m.measured_s <= 3.35e12


def test_llmcompass_throughput_becomes_time(peer_root):
    ops = load("llmcompass-a100-ops", peer_root)
    by_op = {}
    for m in ops:
        by_op.setdefault(m.params["op"], m)
    assert by_op["matmul"].measured_s == pytest.approx(0.1900e-3)  # "64, 12288, 12288, 0.1900ms"
    assert by_op["gelu"].measured_s == pytest.approx(1024 / 0.021262214336633663e9)
    assert by_op["softmax"].measured_s == pytest.approx(4096 * 32 / 9.99556025250909e9)
    layer = load("llmcompass-a100-gpt3-layer", peer_root)
    assert sum(m.kind.startswith("layer_") for m in layer) == 2
    prefill_total = next(m for m in layer if m.kind == "layer_prefill").measured_s
    parts = [m.measured_s for m in layer if m.params.get("phase") == "prefill" and not m.kind.startswith("layer")]
    assert prefill_total == pytest.approx(sum(parts))


def test_splitwise_medians_and_skips(peer_root):
    loaded = load("splitwise-h100-llama2-70b", peer_root)
    raw = pd.read_csv(peer_root / "splitwise-sim/data/perf_model.csv")
    assert loaded.skipped["h100-80gb-pcap: power-capped H100 not modelled"] == int(
        (raw["hardware"] == "h100-80gb-pcap").sum())
    sel = raw[(raw["hardware"] == "h100-80gb") & (raw["model"] == "llama2-70b") & (raw["tensor_parallel"] == 8)
              & (raw["prompt_size"] == 512) & (raw["batch_size"] == 1)]
    prefill = next(m for m in loaded if m.kind == "step_prefill" and m.params["tp"] == 8
                   and m.params["context"] == 512 and m.params["batch"] == 1)
    assert prefill.measured_s == pytest.approx(sel["prompt_time"].median() / 1000.0)
    decode = next(m for m in loaded if m.kind == "step_decode" and m.params["tp"] == 8 and m.params["prompt"] == 512
                  and m.params["batch"] == 1 and m.params["generated"] == 1024)
    assert decode.params["context"] == 512 + 512


@pytest.mark.parametrize("name", dataset_names())
def test_a_sample_of_every_dataset_predicts(name, peer_root):
    from cosim.validate.predict import predict_with_errors

    loaded = load(name, peer_root)
    kinds: dict[str, list] = {}
    for m in loaded:
        kinds.setdefault(f"{m.kind}/{m.params.get('op', '')}", []).append(m)
    sample = [group[i] for group in kinds.values() for i in (0, len(group) // 2, len(group) - 1)]
    predicted, errors = predict_with_errors(sample)
    assert errors == [None] * len(sample)
    assert (predicted > 0).all()


def test_splitwise_prefills_respect_the_flop_bound(peer_root):
    from cosim.workload import load_model

    params = load_model("llama2-70b").total_parameters()
    peak_fp16 = {"a100-80g": 312e12, "h100-sxm": 989e12}  # dense tensor peaks, datasheets
    for name in ("splitwise-a100-llama2-70b", "splitwise-h100-llama2-70b"):
        loaded = load(name, peer_root)
        assert any("peak-FLOP bound" in why for why in loaded.skipped)
        for m in loaded:
            if m.kind == "step_prefill":
                p = m.params
                bound = 2 * params * p["batch"] * p["context"] / (p["tp"] * peak_fp16[m.device])
                assert m.measured_s >= bound

