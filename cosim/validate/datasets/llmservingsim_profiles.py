"""LLMServingSim profile bundles (``profiler/perf/<GPU>/meta-llama/Llama-3.1-8B/bf16/tp1``): RTX 4090, RTX PRO 6000.

LLMServingSim's v1 profiler (casys-kaist/LLMServingSim ``profiler/``) runs vLLM 0.19 eagerly (``meta.yaml``
``enforce_eager: true``) on a one-layer copy of the model (``hf_overrides.num_hidden_layers: 1``; the tp1
folder keeps the full Llama-3.1-8B widths, as its GEMM and lm_head times confirm) and reads vLLM's
``layerwise_profile`` tree: each row is the CUDA time of one vLLM module's kernels divided by its calls
(``profiler/core/hooks/timings.py``), averaged over 3 timed forwards. Kernel durations only: no launch gap
between kernels, no host time (harness ``kernel_durations_only``). Times are in microseconds.

| profile row | cosim record (Llama-3.1-8B, tp 1, bf16) |
|---|---|
| dense ``qkv_proj``, ``o_proj``, ``gate_up_proj``, ``down_proj`` | gemm m = tokens (cuBLAS via vLLM linear layers) |
| per_sequence ``lm_head`` (LogitsProcessor) | gemm m = sequences, n = vocab |
| dense ``rotary_emb`` | elementwise rotary over tokens x (heads + kv_heads) head_dim (vLLM rotary_embedding) |
| dense ``act_fn`` | elementwise silu_mul over tokens x ffn (vLLM silu_and_mul) |
| dense ``embedding`` | elementwise embedding over tokens x hidden |
| dense ``final_layernorm`` | elementwise fused_add_rmsnorm (the final norm adds the last residual) |
| attention, ``prefill_chunk`` = 0 | attention_decode: ``n_decode`` requests, context ``kv_decode`` + 1 |
| attention, ``n_decode`` = 0 | attention_prefill: one chunk of ``prefill_chunk`` on ``kv_prefill`` cached keys |

The attention rows time vLLM's ``Attention`` module: the new K/V written into the paged cache
(``reshape_and_cache_flash``), then one FlashAttention-2 varlen call on the paged cache (vLLM's FA2 on sm_89 and
sm_120). Each decode request brings one new token on ``kv_decode`` cached ones, so it attends ``kv_decode + 1``
keys (``profiler/core/hooks/batch.py``: ``num_computed_tokens = history``).

Three datasets per GPU: ``-gemm``, ``-elementwise`` and ``-attention``. The memory-bound kernels ran inside an
eager forward, each reading what the kernel before it had just written, so beyond a few hundred KB their tensors
were L2-resident (e.g. RTX 4090 ``final_layernorm`` at 2048 tokens moves 67 MB in 27 us, 2.5 TB/s against
1 TB/s of GDDR6X; the ``embedding`` rows gather one row, the profiler's prompts being token 1 repeated): cosim's
cold-cache streaming model over-predicts them, so calibration uses only the ones too small to stream (as latency
probes, ``cosim.validate.calibrate_gpu``) and validation reports the rest as they are.

Skipped, by reason: the decoder-layer ``layernorm`` row (vLLM merges the layer's two RMSNorm calls, a plain
``rms_norm`` and a ``fused_add_rms_norm``, into one mean: no single kernel), ``sampler`` (no cosim operator), and
mixed attention rows (a prefill chunk and decodes in one varlen call: no single-kernel record kind).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

from cosim.perf.gpu.harness import Harness
from cosim.validate.datasets.common import US, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

BASE = Path("LLMServingSim/profiler/perf")
BUNDLE = Path("meta-llama/Llama-3.1-8B/bf16/tp1")
MODEL = "llama3.1-8b"  # cosim preset with the shapes of meta-llama/Llama-3.1-8B
DTYPE = "bf16"  # meta.yaml variant bf16 (vLLM dtype bfloat16)
DEVICES = {"rtx4090": "RTX4090", "rtx-pro-6000": "RTXPRO6000"}  # cosim preset -> LLMServingSim hardware folder

DENSE_HARNESS = Harness(kernel_durations_only=True)
ATTENTION_HARNESS = Harness(kernel_durations_only=True, paged_kv=True, writes_kv_cache=True,
                            attention_kernel="serving")

Dims = tuple[int, int, int, int, int, int, int]  # hidden, heads, kv_heads, head_dim, ffn, vocab, q width
# dense / per_sequence layer -> (record kind, cosim op, params from the model's dims and the row's count)
ROWS: dict[str, tuple[str, str, Callable[[Dims, int], dict[str, int]]]] = {
    "qkv_proj": ("gemm", "qkv_proj", lambda d, t: {"m": t, "n": (d[1] + 2 * d[2]) * d[3], "k": d[0]}),
    "o_proj": ("gemm", "o_proj", lambda d, t: {"m": t, "n": d[0], "k": d[6]}),
    "gate_up_proj": ("gemm", "gate_up_proj", lambda d, t: {"m": t, "n": 2 * d[4], "k": d[0]}),
    "down_proj": ("gemm", "down_proj", lambda d, t: {"m": t, "n": d[0], "k": d[4]}),
    "lm_head": ("gemm", "lm_head", lambda d, t: {"m": t, "n": d[5], "k": d[0]}),
    "rotary_emb": ("elementwise", "rotary", lambda d, t: {"tokens": t, "hidden": (d[1] + d[2]) * d[3],
                                                          "head_dim": d[3]}),
    "act_fn": ("elementwise", "silu_mul", lambda d, t: {"tokens": t, "hidden": d[4]}),
    "embedding": ("elementwise", "embedding", lambda d, t: {"tokens": t, "hidden": d[0]}),
    "final_layernorm": ("elementwise", "fused_add_rmsnorm", lambda d, t: {"tokens": t, "hidden": d[0]}),
}
UNMATCHED = {  # layer -> (the dataset that counts it as skipped, reason)
    "layernorm": ("elementwise", "layernorm: mean of the layer's rms_norm and fused_add_rms_norm calls "
                  "(no single kernel)"),
    "sampler": ("gemm", "sampler: no cosim operator"),
}


def dataset_name(device: str, part: str) -> str:
    """``llmservingsim-<device>-llama3.1-8b-<part>``, part one of gemm, elementwise, attention."""
    return f"llmservingsim-{device}-llama3.1-8b-{part}"


@cache
def _dims() -> Dims:
    from cosim.workload import load_model

    m = load_model(MODEL)
    return m.hidden_size, m.num_heads, m.kv_heads, m.head_size, m.intermediate_size, m.vocab_size, m.q_size


def _folder(peer_root: Path, device: str) -> Path:
    return peer_root / BASE / DEVICES[device] / BUNDLE


def _time(value: object) -> float | None:
    """Seconds from a ``time_us`` cell, None when it is not a positive finite number."""
    try:
        us = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return us * US if math.isfinite(us) and us > 0 else None


def load_dense(peer_root: Path, device: str, kind: str) -> Loaded:
    """``kind`` rows (gemm or elementwise) of ``dense.csv`` and ``per_sequence.csv`` (lm_head is a gemm)."""
    import pandas as pd

    folder = _folder(peer_root, device)
    files = [(folder / "dense.csv", "tokens"), (folder / "per_sequence.csv", "sequences")]
    if not files[0][0].is_file():
        return Loaded.absent(files[0][0])
    dataset, dims = dataset_name(device, kind), _dims()
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for path, count_column in files:
        if not path.is_file():
            skipped[f"{path.name} absent"] += 1
            continue
        src = relative(path, peer_root)
        for index, (layer, count, value) in enumerate(
                pd.read_csv(path)[["layer", count_column, "time_us"]].itertuples(index=False)):
            seconds = _time(value)
            if layer not in ROWS:
                owner, reason = UNMATCHED.get(str(layer), (kind, f"{layer}: no cosim counterpart"))
                if owner == kind:
                    skipped[reason] += 1
                continue
            if seconds is None:
                skipped["non-positive or missing time"] += 1
                continue
            row_kind, op, shape = ROWS[layer]
            if row_kind != kind:
                continue
            params = {"op": op, **shape(dims, int(count)), "dtype": DTYPE, "tp": 1}
            out.append(Measurement(dataset=dataset, device=device, kind=kind, params=params, measured_s=seconds,
                                   source=f"{src}:{index + 2}"))
    return Loaded(out, skipped=skipped)


def load_attention(peer_root: Path, device: str) -> Loaded:
    """Pure-prefill and pure-decode rows of ``attention.csv`` (one varlen FlashAttention-2 call each)."""
    import pandas as pd

    path = _folder(peer_root, device) / "attention.csv"
    if not path.is_file():
        return Loaded.absent(path)
    src = relative(path, peer_root)
    dataset = dataset_name(device, "attention")
    _, heads, kv_heads, head_dim, *_ = _dims()
    common = {"op": "attention", "heads": heads, "kv_heads": kv_heads, "head_dim": head_dim, "dtype": DTYPE,
              "causal": True, "tp": 1}
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    columns = ["prefill_chunk", "kv_prefill", "n_decode", "kv_decode", "time_us"]
    for index, (chunk, prefix, n_decode, kv_decode, value) in enumerate(
            pd.read_csv(path)[columns].itertuples(index=False)):
        seconds = _time(value)
        chunk, prefix, n_decode, kv_decode = int(chunk), int(prefix), int(n_decode), int(kv_decode)
        if seconds is None:
            skipped["non-positive or missing time"] += 1
            continue
        if chunk > 0 and n_decode > 0:
            skipped["mixed prefill chunk + decodes in one varlen call (no single-kernel record)"] += 1
            continue
        if chunk > 0:
            kind = "attention_prefill"
            params = {**common, "batch": 1, "q_len": chunk, "context": chunk + prefix}
        else:
            kind = "attention_decode"
            params = {**common, "batch": n_decode, "q_len": 1, "context": kv_decode + 1}
        out.append(Measurement(dataset=dataset, device=device, kind=kind, params=params, measured_s=seconds,
                               source=f"{src}:{index + 2}"))
    return Loaded(out, skipped=skipped)


for _device in DEVICES:
    register_dataset(dataset_name(_device, "gemm"), f"{_device}: Llama-3.1-8B tp1 qkv/o/gate_up/down GEMMs and lm_head "
                     "(LLMServingSim vLLM 0.19 profile, bf16, kernel durations)",
                     lambda root, d=_device: load_dense(root, d, "gemm"), DENSE_HARNESS)
    register_dataset(dataset_name(_device, "elementwise"), f"{_device}: Llama-3.1-8B tp1 rotary, SiLU*mul, embedding, "
                     "final norm (LLMServingSim vLLM 0.19 profile; larger ones L2-resident)",
                     lambda root, d=_device: load_dense(root, d, "elementwise"), DENSE_HARNESS)
    register_dataset(dataset_name(_device, "attention"), f"{_device}: Llama-3.1-8B tp1 vLLM FlashAttention-2 prefill "
                     "chunks and decode on the paged KV cache (LLMServingSim vLLM 0.19 profile, bf16)",
                     lambda root, d=_device: load_attention(root, d), ATTENTION_HARNESS)
