"""LLMCompass A100 measurements (ISCA'24 artifact, ``ae/figure5/*/real_hardware``), fp16, PyTorch 2.0.

* ``llmcompass-a100-ops``: single-GPU kernels. ``matmul_A100.csv`` (no header: M, N, K, "x.xxxxms",
  "xTflops"); ``softmax_A100.csv`` and ``layernorm_A100.csv`` (M, N, throughput in G elements/s, time =
  M N / throughput); ``gelu_A100.csv`` (M, throughput in G elements/s over M elements).
* ``llmcompass-a100-gpt3-layer``: one GPT-3 175B layer on 4 A100s with tensor parallelism 4
  (``transformer_A100.csv`` prefill, batch 8 x 2048 tokens; ``transformerAR_A100.csv`` decode of the
  1024th output token after a 2048-token input, batch 8, so 3072 KV entries). One value a line, seconds, in
  the order of ``LAYER_OPS``. Predicted from cosim's gpt3-175b graph with eager attention (separate
  score, softmax and context kernels, as the measured breakdown has them); each value is compared with
  its operator, and their sum with the sum of the same operators ("layer").
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from cosim.validate.datasets.common import MS, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

BASE = Path("LLMCompass/ae/figure5")
DEVICE = "a100-80g"
DTYPE = "fp16"
GIGA = 1e9

GPT3 = {"model": "gpt3-175b", "tp": 4, "batch": 8, "fusion": "unfused", "attention": "eager", "dtype": DTYPE}
GPT3_PHASES = {  # file -> (phase, KV entries)
    "transformer_A100.csv": ("prefill", 2048),
    "transformerAR_A100.csv": ("decode", 2048 + 1024),
}
# measured line order -> (label, record kind, cosim operator glob)
LAYER_OPS = (
    ("Q_K_V", "gemm", "decoder.qkv_proj"),
    ("Q_mul_K", "gemm", "decoder.attention_score"),
    ("A_mul_V", "gemm", "decoder.attention_context"),
    ("Wo_proj", "gemm", "decoder.o_proj"),
    ("W1_proj", "gemm", "decoder.up_proj"),
    ("W2_proj", "gemm", "decoder.down_proj"),
    ("Softmax", "elementwise", "decoder.softmax"),
    ("LayerNorm_MHA", "elementwise", "decoder.attn_norm"),
    ("LayerNorm_FFN", "elementwise", "decoder.mlp_norm"),
    ("GeLU", "elementwise", "decoder.act"),
    ("AllReduce_MHA", "allreduce", "decoder.attn_all_reduce"),
    ("AllReduce_FFN", "allreduce", "decoder.mlp_all_reduce"),
)


def _numbers(line: str) -> list[str]:
    return [c.strip() for c in line.split(",") if c.strip()]


def _ms(text: str) -> float:
    return float(text.removesuffix("ms")) * MS


def load_ops(peer_root: Path) -> Loaded:
    dataset = "llmcompass-a100-ops"
    files = {
        "matmul": BASE / "ab/real_hardware/matmul_A100.csv",
        "softmax": BASE / "cf/real_hardware/softmax_A100.csv",
        "layernorm": BASE / "de/real_hardware/layernorm_A100.csv",
        "gelu": BASE / "g/real_hardware/gelu_A100.csv",
    }
    if not (peer_root / files["matmul"]).is_file():
        return Loaded.absent(peer_root / files["matmul"])
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for what, rel in files.items():
        path = peer_root / rel
        if not path.is_file():
            skipped[f"{rel} missing"] += 1
            continue
        src = relative(path, peer_root)
        for line_no, line in enumerate(path.read_text().splitlines(), start=1):
            cells = _numbers(line)
            if not cells:
                continue
            try:
                if what == "matmul":
                    m, n, k = (int(c) for c in cells[:3])
                    seconds, kind = _ms(cells[3]), "gemm"
                    params = {"op": "matmul", "m": m, "n": n, "k": k, "dtype": DTYPE}
                elif what == "gelu":
                    elements, throughput = int(cells[0]), float(cells[1])
                    seconds, kind = elements / (throughput * GIGA), "elementwise"
                    params = {"op": "gelu", "tokens": elements, "hidden": 1, "dtype": DTYPE}
                else:
                    rows, cols, throughput = int(cells[0]), int(cells[1]), float(cells[2])
                    seconds, kind = rows * cols / (throughput * GIGA), "elementwise"
                    params = {"op": what, "tokens": rows, "hidden": cols, "dtype": DTYPE}
            except (ValueError, IndexError):
                skipped[f"{what}: unparsable line"] += 1
                continue
            if not (math.isfinite(seconds) and seconds > 0):
                skipped[f"{what}: non-positive time"] += 1
                continue
            out.append(Measurement(dataset=dataset, device=DEVICE, kind=kind, params=params, measured_s=seconds,
                                   source=f"{src}:{line_no}"))
    return Loaded(out, skipped=skipped)


def load_gpt3_layer(peer_root: Path) -> Loaded:
    dataset = "llmcompass-a100-gpt3-layer"
    first = peer_root / BASE / "ijkl/real_hardware" / next(iter(GPT3_PHASES))
    if not first.is_file():
        return Loaded.absent(first)
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for name, (phase, context) in GPT3_PHASES.items():
        path = peer_root / BASE / "ijkl/real_hardware" / name
        if not path.is_file():
            skipped[f"{name} missing"] += 1
            continue
        src = relative(path, peer_root)
        values = [float(v) for v in path.read_text().split()]
        if len(values) != len(LAYER_OPS):
            skipped[f"{name}: {len(values)} values, expected {len(LAYER_OPS)}"] += len(values)
            continue
        common = {**GPT3, "phase": phase, "context": context}
        for line_no, ((label, kind, glob), seconds) in enumerate(zip(LAYER_OPS, values, strict=True), start=1):
            if seconds <= 0:
                skipped[f"{label}: non-positive time"] += 1
                continue
            out.append(Measurement(dataset=dataset, device=DEVICE, kind=kind,
                                   params={"op": label, **common, "ops": glob},
                                   measured_s=seconds, source=f"{src}:{line_no}"))
        out.append(Measurement(dataset=dataset, device=DEVICE, kind=f"layer_{phase}",
                               params={"op": "layer (sum of the 12)", **common,
                                       "ops": ",".join(g for _, _, g in LAYER_OPS)},
                               measured_s=sum(values), source=f"{src}:1-{len(values)}"))
    return Loaded(out, skipped=skipped)


register_dataset("llmcompass-a100-ops", f"{DEVICE}: matmul, softmax, layernorm, GELU kernels (LLMCompass, fp16)",
                 load_ops)
register_dataset("llmcompass-a100-gpt3-layer", f"4x {DEVICE}: GPT-3 175B layer breakdown, tp4, prefill b8 s2048 "
                 "and decode (LLMCompass)", load_gpt3_layer)
