"""vLLM 0.19 KV-cache sizing (cosim.engine.kv_sizing) and IterationModel.kv_capacity_tokens on top of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cosim.engine.iteration import IterationModel
from cosim.engine.kv_sizing import (
    dummy_request_count,
    kv_tokens,
    sampler_bytes_per_entry,
    sampler_peak_bytes,
    triton_buffer_rows,
    vllm_kv_budget,
)
from cosim.workload.presets import load_model

SHARED_META = (Path(__file__).resolve().parents[3] / "shared" / "peer_data" / "LLMServingSim" / "bench" / "examples"
               / "RTX4090" / "Llama-3.1-8B" / "vllm" / "meta.json")

GIB = 2**30


def budget(**overrides):
    kwargs = dict(total_bytes=24 * GIB, gpu_memory_utilization=0.9, weights_bytes=15 * GIB,
                  forward_peak_bytes=0.2 * GIB, max_num_seqs=256, max_num_batched_tokens=2048, vocab_size=128256,
                  hidden_size=4096, sm_count=128)
    kwargs.update(overrides)
    return vllm_kv_budget(**kwargs)


def test_sampler_term_is_the_documented_formula():
    reqs, vocab, sms = 256, 128256, 128
    # Triton path (>= 8 rows): bf16 logits + fp32 copy + fp32 probs + fp32 noise = 14 B per entry,
    # plus the kernel's fp32 buffer of min(next_pow2(min(SMs, rows)), SMs) rows
    assert sampler_bytes_per_entry(reqs, 2.0) == 2 + 4 + 4 + 4
    assert triton_buffer_rows(reqs, sms) == 128
    assert triton_buffer_rows(100, sms) == 128  # 100 programs -> next power of two 128, capped at 128 SMs
    assert triton_buffer_rows(20, sms) == 32
    assert triton_buffer_rows(200, 170) == 170  # cap at the SM count
    assert sampler_peak_bytes(reqs, vocab, sm_count=sms) == reqs * vocab * 14 + 128 * vocab * 4
    # PyTorch sort path (< 8 rows): bf16 + fp32 logits + fp32 sorted + int64 idx + bool + fp32 probs + bool = 24 B
    assert sampler_bytes_per_entry(4, 2.0) == 2 + 4 + 4 + 8 + 1 + 4 + 1
    assert triton_buffer_rows(4, sms) == 0
    assert sampler_peak_bytes(4, vocab, sm_count=sms) == 4 * vocab * 24
    # the sampler phase: dummy-run hidden states still held, plus the sampler
    b = budget()
    held = (2048 + 2 * 256) * 4096 * 2
    assert b.sampler_phase_bytes == held + sampler_peak_bytes(256, 128256, sm_count=128)
    assert b.torch_peak_increase_bytes == max(b.forward_peak_bytes, b.sampler_phase_bytes)
    assert b.kv_cache_bytes == pytest.approx(0.9 * 24 * GIB - 15 * GIB - b.torch_peak_increase_bytes)


def test_dummy_batch_requests():
    assert dummy_request_count(256, 2048) == 256
    assert dummy_request_count(256, 100) == 100  # _dummy_run: min(num_tokens, max_num_seqs)


def test_more_utilization_more_kv():
    assert budget(gpu_memory_utilization=0.95).kv_cache_bytes > budget(gpu_memory_utilization=0.9).kv_cache_bytes


def test_more_seqs_or_tokens_or_vocab_less_kv():
    base = budget().kv_cache_bytes
    assert budget(max_num_seqs=512, max_num_batched_tokens=4096).kv_cache_bytes < base
    assert budget(max_num_batched_tokens=8192, max_num_seqs=256).kv_cache_bytes < base
    assert budget(vocab_size=256000).kv_cache_bytes < base


def test_kv_tokens_whole_blocks():
    assert kv_tokens(100 * 131072 + 5, 131072) == 100
    assert kv_tokens(100 * 131072 + 5, 131072, block_size=16) == 96
    assert kv_tokens(-1.0, 131072) == 0


def _capacity(**kwargs) -> int:
    return IterationModel("llama3.1-8b", "rtx4090", **kwargs).kv_capacity_tokens()


def test_iteration_model_capacity_follows_vllm():
    base = _capacity(gpu_memory_utilization=0.9, max_batched_tokens=2048, max_num_seqs=256)
    assert _capacity(gpu_memory_utilization=0.95, max_batched_tokens=2048, max_num_seqs=256) > base
    assert _capacity(gpu_memory_utilization=0.9, max_batched_tokens=2048, max_num_seqs=1024) < base
    assert _capacity(gpu_memory_utilization=0.9, max_batched_tokens=8192, max_num_seqs=256) < base
    big_vocab = load_model("llama3.1-8b").model_copy(update={"vocab_size": 256000})
    assert IterationModel(big_vocab, "rtx4090", gpu_memory_utilization=0.9, max_batched_tokens=2048,
                          max_num_seqs=256).kv_capacity_tokens() < base


@pytest.mark.skipif(not SHARED_META.exists(), reason="shared LLMServingSim run data absent")
def test_rtx4090_prediction_vs_measured():
    """Information check, not a fit: the measured run's block count against the prediction."""
    meta = json.loads(SHARED_META.read_text())
    engine, cache = meta["engine_kwargs"], meta["kv_cache"]
    measured = int(cache["num_kv_tokens"])
    timer = IterationModel("llama3.1-8b", "rtx4090", gpu_memory_utilization=cache["gpu_memory_utilization"],
                           max_batched_tokens=engine["max_num_batched_tokens"], max_num_seqs=engine["max_num_seqs"])
    assert timer.system.devices["gpu"].spec.memory.visible_bytes == meta["hardware"]["device_total_memory_bytes"]
    predicted = timer.kv_capacity_tokens()
    print(f"RTX 4090 Llama-3.1-8B KV tokens: predicted {predicted}, measured {measured} "
          f"({100 * (predicted / measured - 1):+.1f} %)")
    assert predicted == pytest.approx(measured, rel=0.15)
