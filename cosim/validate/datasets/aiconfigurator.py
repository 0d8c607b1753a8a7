"""NVIDIA aiconfigurator kernel tables (parquet, latency in ms) for A100-SXM (vLLM 0.14.0) and H100-SXM (vLLM 0.24.0).

* ``gemm_perf``: ``gemm_dtype, m, n, k, latency``. bf16 (torch linear) and per-tensor fp8 (CUTLASS scaled
  MM) map to a cosim GEMM; block-scaled fp8 (``fp8_block``: DeepGEMM/CUTLASS/FlashInfer with per-block
  scales) is a quantization scheme cosim does not model, so those rows are skipped and counted.
  The collector times vLLM linear layers, six copies in one CUDA graph on the same input, divided by six
  (so launch gaps are hidden and the activation is L2-warm). An ``fp8`` row is vLLM's Fp8 linear with a
  static activation scale: a quantize kernel (m x k bf16 -> fp8) and then the scaled GEMM with bf16
  output; the record still describes the GEMM alone, so that prologue shows up as error.
* ``context_attention_perf``: vLLM flash-attention prefill, ``batch_size`` requests of ``isl`` tokens each,
  causal, no cached prefix (``step`` = 0): cosim ``attention_prefill`` with q_len = context = isl.
* ``generation_attention_perf``: decode, one query token per request. The legacy tables store
  ``step`` = 2^i - 1 for sequence lengths 2^i, i.e. ``step`` tokens already cached; the new token's K/V is
  written first and attended too, so the kernel reads ``step + 1`` entries: cosim context = step + 1.
* Both attention tables time vLLM's attention ``forward``, which also writes the new tokens' K/V into the
  paged cache (a second kernel) before attending; the record is the attention kernel's shape.
* Rows with an fp8 KV cache (bf16 compute) or a sliding window (``window_size`` > 0) are skipped and
  counted: cosim's single-kernel attention has one dtype and full attention.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from cosim.perf.gpu.harness import Harness
from cosim.validate.datasets.common import MS, device_matrix_dtypes, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement
from cosim.workload.dtypes import DType

ROOT = Path("aiconfigurator/aic-core/src/aiconfigurator_core/systems/data")
# aiconfigurator system dir -> (cosim preset, framework folder, short name)
SYSTEMS = {
    "a100": ("a100_sxm", "a100-80g", "vllm/0.14.0"),
    "h100": ("h100_sxm", "h100-sxm", "vllm/0.24.0"),
}
# gemm_dtype -> cosim dtype; anything else is a quantization mode cosim does not model
GEMM_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "fp8": "fp8"}
ATTN_DTYPES = {"bfloat16": "bf16", "float16": "fp16"}


# How each table was timed (ai-dynamo/aiconfigurator collector/vllm/collect_gemm.py and collect_attn.py):
# GEMMs: 6 RowParallelLinear copies on one input, replayed in a CUDA graph, no L2 flush, latency / 6; "fp8" is
# Fp8Config(activation_scheme="static"): a bf16 -> fp8 quantize kernel, then the scaled GEMM. Attention: vLLM's
# attention forward (paged KV, reshape-and-cache in prefill) called eagerly on the same cache, no flush.
# Host floors: fitted on each dataset's 70 % train split by `cosim calibrate gpu` (printed as "host floor").
HARNESSES: dict[str, Harness] = {
    "aiconfigurator-h100-gemm": Harness(warm_inputs=True, weight_copies=6, vllm_fp8_linear=True),
    "aiconfigurator-a100-gemm": Harness(weight_copies=6),  # fits show no warm-input speed-up on this table
    "aiconfigurator-h100-attention-decode": Harness(warm_inputs=True, host_floor_s=6.31e-6, paged_kv=True,
                                                    attention_kernel="serving"),
    "aiconfigurator-a100-attention-decode": Harness(warm_inputs=True, host_floor_s=5.87e-6, paged_kv=True,
                                                    attention_kernel="serving"),
    "aiconfigurator-h100-attention-prefill": Harness(warm_inputs=True, host_floor_s=6.13e-6, paged_kv=True,
                                                     writes_kv_cache=True, attention_kernel="serving"),
    "aiconfigurator-a100-attention-prefill": Harness(warm_inputs=True, host_floor_s=4.12e-6, paged_kv=True,
                                                     writes_kv_cache=True, attention_kernel="serving"),
}


def _read(path: Path):
    import pandas as pd

    return pd.read_parquet(path)


def load_gemm(peer_root: Path, short: str) -> Loaded:
    sysdir, device, framework = SYSTEMS[short]
    path = peer_root / ROOT / sysdir / "gemm" / framework / "gemm_perf.parquet"
    if not path.is_file():
        return Loaded.absent(path)
    df = _read(path)
    src = relative(path, peer_root)
    dataset = f"aiconfigurator-{short}-gemm"
    supported = device_matrix_dtypes(device)
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    cols = [df[c].to_numpy() for c in ("gemm_dtype", "m", "n", "k", "latency", "kernel_source")]
    for row, (gdt, m, n, k, lat, kernel) in enumerate(zip(*cols, strict=True)):
        dtype = GEMM_DTYPES.get(str(gdt))
        if dtype is None:
            skipped[f"gemm_dtype {gdt} (block-scaled quantization not modelled)"] += 1
            continue
        if DType(dtype) not in supported:
            skipped[f"dtype {dtype} not supported by {device}"] += 1
            continue
        if not lat > 0:
            skipped["non-positive latency"] += 1
            continue
        out.append(Measurement(
            dataset=dataset, device=device, kind="gemm",
            params={"m": int(m), "n": int(n), "k": int(k), "dtype": dtype, "kernel": str(kernel)},
            measured_s=float(lat) * MS, source=f"{src}:{row}",
        ))
    return Loaded(out, skipped=skipped)


def load_attention(peer_root: Path, short: str, phase: str) -> Loaded:
    sysdir, device, framework = SYSTEMS[short]
    table = "context" if phase == "prefill" else "generation"
    path = peer_root / ROOT / sysdir / "attention" / framework / f"{table}_attention_perf.parquet"
    if not path.is_file():
        return Loaded.absent(path)
    df = _read(path)
    src = relative(path, peer_root)
    dataset = f"aiconfigurator-{short}-attention-{phase}"
    n = len(df)
    window = df["window_size"].to_numpy() if "window_size" in df else np.zeros(n, dtype=int)
    cols = [df[c].to_numpy() for c in ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim",
                                       "attn_dtype", "kv_cache_dtype", "step", "latency", "kernel_source")]
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for row, (b, isl, h, kvh, hd, adt, kvdt, step, lat, kernel) in enumerate(zip(*cols, strict=True)):
        dtype = ATTN_DTYPES.get(str(adt))
        if dtype is None:
            skipped[f"attn_dtype {adt} not modelled"] += 1
            continue
        if str(kvdt) != str(adt):
            skipped[f"kv_cache_dtype {kvdt} with {adt} compute (single-kernel attention has one dtype)"] += 1
            continue
        if window[row]:
            skipped["sliding-window attention (window_size > 0) not modelled"] += 1
            continue
        if kvh <= 0 or h % kvh:
            skipped["num_heads not a multiple of num_key_value_heads"] += 1
            continue
        if not lat > 0:
            skipped["non-positive latency"] += 1
            continue
        if phase == "prefill":
            q_len, context = int(isl), int(isl) + int(step)
        else:
            q_len, context = 1, int(step) + 1
        out.append(Measurement(
            dataset=dataset, device=device, kind=f"attention_{phase}",
            params={"batch": int(b), "q_len": q_len, "context": context, "heads": int(h), "kv_heads": int(kvh),
                    "head_dim": int(hd), "dtype": dtype, "causal": True, "kernel": str(kernel)},
            measured_s=float(lat) * MS, source=f"{src}:{row}",
        ))
    return Loaded(out, skipped=skipped)


def _register() -> None:
    for short, (_, device, framework) in SYSTEMS.items():
        register_dataset(
            f"aiconfigurator-{short}-gemm",
            f"{device}: single GEMMs (bf16; per-tensor fp8 where measured), {framework}, "
            "aiconfigurator gemm_perf.parquet",
            lambda root, s=short: load_gemm(root, s),
            HARNESSES[f"aiconfigurator-{short}-gemm"],
        )
        for phase, what in (("prefill", "context"), ("decode", "generation")):
            register_dataset(
                f"aiconfigurator-{short}-attention-{phase}",
                f"{device}: flash-attention {phase} kernels, {framework}, aiconfigurator {what}_attention_perf",
                lambda root, s=short, p=phase: load_attention(root, s, p),
                HARNESSES[f"aiconfigurator-{short}-attention-{phase}"],
            )


_register()
