"""LLMServingSim v0 H100 profiles: per-layer-operator times (``layers.csv``, ns) and attention (``attention.csv``, ms).

``layers.csv`` (Llama-3.1-8B tp1, Llama-3.1-70B tp4; cosim presets llama3-8b / llama3-70b, same shapes):
one prefill of ``input`` tokens (batch 1, empty KV cache) through Hugging Face-style modules in bf16,
each module timed on its own. The norms and rotary take 17-27 us even for one token, i.e. several
eager kernels each, so they are predicted from cosim's ``unfused`` graph (fp32 RMSNorm chain,
chunk/cat rotary) by summing the matching operators of ONE layer:

| layer_name | cosim record |
|---|---|
| q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj | gemm on one rank's shard, m = input |
| lm_head | gemm m = input (logits for every token), n = vocab / tp |
| attn | attention_prefill, batch 1, q_len = context = input |
| input_layernorm, post_layernorm, final_layernorm, rope, act_fn, embedding | elementwise, from the unfused graph |
| (sum of the decoder-layer modules) | layer_prefill over the same unfused-graph operators |

The per-layer total leaves out what the profile does not time (residual adds, the SiLU*up multiply,
KV-cache writes), on both sides.

``attention.csv`` (Vidur's column names, Llama-3.1-70B tp4: 16 query and 2 KV heads per rank, head_dim 128,
one ``flash_attn_varlen_func`` call on contiguous fp16 Q/K/V): ``kv_cache_size`` is the TOTAL number of keys
in the call, shared evenly by the ``batch_size`` requests. Prefill rows (batch 1) run a chunk of
``prefill_chunk_size`` queries over ``kv_cache_size`` keys (causal, bottom-right aligned: the chunk plus its
cached prefix); decode rows run ``batch_size`` requests of one query over ``kv_cache_size // batch_size``
keys each.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from pathlib import Path

from cosim.perf.gpu.harness import Harness
from cosim.validate.datasets.common import MS, NS, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

BASE = Path("LLMServingSim/profiler/v0/perf_models/H100/meta-llama")
DEVICE = "h100-sxm"
DTYPE = "bf16"
PROFILES = {  # dataset -> (folder, cosim model, tp)
    "llmservingsim-h100-llama3.1-8b-layers": ("Llama-3.1-8B/tp1", "llama3-8b", 1),
    "llmservingsim-h100-llama3.1-70b-tp4-layers": ("Llama-3.1-70B/tp4", "llama3-70b", 4),
}
ATTENTION = ("llmservingsim-h100-llama3.1-70b-tp4-attention", "Llama-3.1-70B/tp4", "llama3-70b", 4)
# attention.csv comes from LLMServingSim's own profiler (casys-kaist/LLMServingSim llm_profile/profiler/attention/,
# "Modified from https://github.com/microsoft/vidur"), not Vidur's: no block_size column, max_model_len is the
# model's max_position_embeddings (131072) and attention_backend a constant "FLASH_ATTENTION", as
# attention_profiler.py writes them. _build_varlen_qkv there allocates Q with prefill_chunk_size rows
# (prefill) or batch_size rows (decode), and K and V with kv_cache_size rows in total, then cuts them into
# batch_size equal sequences (cu_seqlens_k steps of kv_cache_size // batch_size), and times
# flash_attn.flash_attn_varlen_func(Q, K, V, ..., causal=True): FlashAttention-2, contiguous K/V (no block
# table), fp16, GPU kernel durations summed by the record_function tracer (10 warm-up + 30 timed calls on the
# same tensors). The decode rows show the kernel's grid, not a split-KV decode: at a fixed kv_cache_size the
# time falls as 1/batch up to batch 8 and jumps at batch 9, 17, 25 and 34, i.e. when batch x 16 query heads
# passes 1, 2, 3 and 4 x 132 SMs (one CTA per request and query head, no GQA packing, no KV split), and a
# batch-1 decode runs at ~27 ns per key (one SM's worth of FlashAttention-2 on a padded 128-row block).
# layers.csv times Hugging Face Llama modules one by one in eager mode; its "attn" module (the sdpa attention
# interface) expands the GQA K/V heads to every query head (repeat_kv: two copy kernels) before torch SDPA.
# The profiler (llm_profile/profiler/layers/main.py, utils/record_function_tracer.py) runs 10 warm-up passes,
# then sums the GPU durations of the kernels launched inside each record_function range (median of the
# repeats); prefill passes no attention mask and an empty DynamicCache, so SDPA gets is_causal and its flash
# backend: the attn times dip at every multiple of 128 tokens (FlashAttention-2's even-tile path, 128-row
# blocks) and step every 64 keys. Its batch-1 grids leave the grid-order tail cosim.perf.gpu.attention models.
LAYERS_HARNESS = Harness(repeats_kv_heads=True, attention_kernel="sdpa")
ATTENTION_HARNESS = Harness(kernel_durations_only=True, attention_kernel="sdpa", decode_on_forward_kernel=True)

# layer_name -> which GEMM (n, k in terms of hidden h, q width q, kv width kv, ffn f, vocab v; per rank)
GEMMS = {
    "q_proj": lambda h, q, kv, f, v: (q, h),
    "k_proj": lambda h, q, kv, f, v: (kv, h),
    "v_proj": lambda h, q, kv, f, v: (kv, h),
    "o_proj": lambda h, q, kv, f, v: (h, q),
    "gate_proj": lambda h, q, kv, f, v: (f, h),
    "up_proj": lambda h, q, kv, f, v: (f, h),
    "down_proj": lambda h, q, kv, f, v: (h, f),
    "lm_head": lambda h, q, kv, f, v: (v, h),
}
# layer_name -> operator-name globs in cosim's unfused graph
GRAPH_OPS = {
    "input_layernorm": "decoder.attn_norm,decoder.attn_norm.*",
    "post_layernorm": "decoder.mlp_norm,decoder.mlp_norm.*",
    "final_layernorm": "final_norm,final_norm.*",
    "rope": "decoder.rope_*",
    "act_fn": "decoder.act",
    "embedding": "embed",
}
LAYER_MODULES = ("input_layernorm", "q_proj", "k_proj", "v_proj", "rope", "attn", "o_proj", "post_layernorm",
                 "gate_proj", "up_proj", "act_fn", "down_proj")
LAYER_OPS = ("decoder.attn_norm*,decoder.qkv_proj,decoder.rope_*,decoder.attention,decoder.o_proj,"
             "decoder.mlp_norm*,decoder.gate_up_proj,decoder.act,decoder.down_proj")


KV_TENSORS = 2  # K and V
ATTENTION_DTYPE = "fp16"  # attention_profiler.py: model_config.dtype = torch.float16, _build_varlen_qkv's default
ATTENTION_DTYPE_BYTES = 2


@cache
def _hbm_limits() -> tuple[float, float]:
    """(peak HBM bytes/s, L2 bytes) of the device, from its spec-sheet preset."""
    from cosim.hardware import load_device

    spec = load_device(DEVICE)
    return spec.memory.bandwidth, spec.l2_capacity or 0.0


def _faster_than_hbm(kv_bytes: float, seconds: float) -> bool:
    """A decode that streamed more KV than fits in L2 faster than HBM's peak cannot have read it all.

    A sanity check on the reading of ``kv_cache_size``: taken per request (batch x kv_cache_size keys),
    12,365 of the decode rows would imply 4-20 TB/s on a 3.35 TB/s H100; taken as the total (the
    profiler's code), none does.
    """
    peak, l2 = _hbm_limits()
    return kv_bytes > l2 and kv_bytes / seconds > peak


def _model(name: str):
    from cosim.workload import load_model

    return load_model(name)


def load_layers(peer_root: Path, dataset: str) -> Loaded:
    import pandas as pd

    folder, model_name, tp = PROFILES[dataset]
    path = peer_root / BASE / folder / "layers.csv"
    if not path.is_file():
        return Loaded.absent(path)
    df = pd.read_csv(path)
    src = relative(path, peer_root)
    cfg = _model(model_name)
    hd = cfg.hidden_size // cfg.num_heads
    h, q, kv = cfg.hidden_size, cfg.num_heads * hd // tp, cfg.num_kv_heads * hd // tp
    f, v = cfg.intermediate_size // tp, cfg.vocab_size // tp
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    layer_sum: dict[int, float] = {}
    layer_parts: dict[int, set[str]] = {}
    graph_common = {"model": model_name, "phase": "prefill", "batch": 1, "tp": tp, "fusion": "unfused",
                    "dtype": DTYPE}
    for index, (name, tokens, kv_cache, tp_size, latency) in enumerate(
            df[["layer_name", "input", "kv_cache", "tp_size", "latency(ns)"]].itertuples(index=False)):
        line = index + 2
        tokens = int(tokens)
        if int(kv_cache) != 0 or int(tp_size) != tp:
            skipped["kv_cache > 0 or tp different from the folder"] += 1
            continue
        if not (math.isfinite(latency) and latency > 0):
            skipped["non-positive latency"] += 1
            continue
        seconds = float(latency) * NS
        if name in GEMMS:
            n, k = GEMMS[name](h, q, kv, f, v)
            kind, params = "gemm", {"op": name, "m": tokens, "n": n, "k": k, "dtype": DTYPE, "tp": tp}
        elif name == "attn":
            kind = "attention_prefill"
            params = {"op": "attention", "batch": 1, "q_len": tokens, "context": tokens, "heads": q // hd,
                      "kv_heads": kv // hd, "head_dim": hd, "dtype": DTYPE, "causal": True, "tp": tp}
        elif name in GRAPH_OPS:
            kind = "elementwise"
            params = {"op": name, **graph_common, "context": tokens, "ops": GRAPH_OPS[name]}
        else:
            skipped[f"layer_name {name} has no cosim counterpart"] += 1
            continue
        out.append(Measurement(dataset=dataset, device=DEVICE, kind=kind, params=params, measured_s=seconds,
                               source=f"{src}:{line}"))
        if name in LAYER_MODULES:
            layer_sum[tokens] = layer_sum.get(tokens, 0.0) + seconds
            layer_parts.setdefault(tokens, set()).add(name)
    for tokens, total in layer_sum.items():
        if layer_parts[tokens] != set(LAYER_MODULES):
            skipped["layer total: some modules missing"] += 1
            continue
        out.append(Measurement(dataset=dataset, device=DEVICE, kind="layer_prefill",
                               params={"op": "layer (sum of modules)", **graph_common, "context": tokens,
                                       "ops": LAYER_OPS},
                               measured_s=total, source=f"{src}:input={tokens}"))
    return Loaded(out, skipped=skipped)


def load_attention(peer_root: Path) -> Loaded:
    import pandas as pd

    dataset, folder, model_name, _ = ATTENTION
    path = peer_root / BASE / folder / "attention.csv"
    if not path.is_file():
        return Loaded.absent(path)
    df = pd.read_csv(path)
    src = relative(path, peer_root)
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for index, r in enumerate(df.to_dict("records")):
        line = index + 2
        tp_row = int(r["num_tensor_parallel_workers"])
        heads, kv_heads = int(r["n_q_head"]) // tp_row, int(r["n_kv_head"]) // tp_row
        hd = int(r["n_embd"]) // int(r["n_q_head"])
        batch, kv_total = int(r["batch_size"]), int(r["kv_cache_size"])
        prefill = bool(r["is_prefill"])
        value = float(r["time_stats.attn_prefill.median" if prefill else "time_stats.attn_decode.median"])
        if not (math.isfinite(value) and value > 0):
            skipped["no or non-positive time"] += 1
            continue
        if not prefill and kv_total < batch:  # cu_seqlens_k steps of kv_cache_size // batch_size: empty sequences
            skipped["decode with fewer keys than requests (zero keys per request)"] += 1
            continue
        if not prefill and _faster_than_hbm(kv_total * kv_heads * hd * KV_TENSORS * ATTENTION_DTYPE_BYTES, value * MS):
            skipped["decode faster than HBM peak could stream a KV cache larger than L2 (profiling artifact)"] += 1
            continue
        common = {"op": "attention", "batch": batch, "heads": heads, "kv_heads": kv_heads, "head_dim": hd,
                  "dtype": ATTENTION_DTYPE, "causal": True, "tp": tp_row}
        if prefill:
            chunk = int(r["prefill_chunk_size"])
            params = {**common, "q_len": chunk, "context": kv_total}
            if kv_total > chunk:  # a chunk on a cached prefix: from the chunked-prefill graph
                params |= {"model": model_name, "phase": "chunked_prefill", "chunk": chunk,
                           "prefix": kv_total - chunk, "fusion": "fused", "ops": "decoder.attention"}
            kind = "attention_prefill"
        else:
            params = {**common, "q_len": 1, "context": kv_total // batch, "kv_cache_size": kv_total}
            kind = "attention_decode"
        out.append(Measurement(dataset=dataset, device=DEVICE, kind=kind, params=params, measured_s=value * MS,
                               source=f"{src}:{line}"))
    return Loaded(out, skipped=skipped)


for _name, (_folder, _model_name, _tp) in PROFILES.items():
    register_dataset(_name, f"{DEVICE}: {_model_name} tp{_tp} prefill, per-module times (LLMServingSim layers.csv)",
                     lambda root, n=_name: load_layers(root, n), LAYERS_HARNESS)
register_dataset(ATTENTION[0], f"{DEVICE}: llama3-70b tp4 flash-attention prefill chunks and decode "
                 "(LLMServingSim attention.csv)", load_attention, ATTENTION_HARNESS)
