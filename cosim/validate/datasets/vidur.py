"""Vidur per-operator GPU times (``mlp.csv``, ms) for Llama-2 7B/70B on A100 80GB and H100.

Vidur profiles one decoder layer's non-attention kernels through sarathi-serve (vLLM kernels, fp16)
for ``num_tokens`` tokens on one tensor-parallel rank of ``num_tensor_parallel_workers``. Each row
becomes one record per kernel, with the shapes of ONE rank (the ``time_stats.<op>.median`` column):

| Vidur op | cosim record |
|---|---|
| attn_pre_proj | gemm m=tokens, n=(heads + 2 kv_heads) head_dim / tp, k=hidden (fused QKV) |
| attn_post_proj | gemm m=tokens, n=hidden, k=heads head_dim / tp |
| mlp_up_proj | gemm m=tokens, n=2 ffn / tp, k=hidden (gate and up in one GEMM) |
| mlp_down_proj | gemm m=tokens, n=hidden, k=ffn / tp |
| input_layernorm, post_attention_layernorm | elementwise rmsnorm over tokens x hidden |
| attn_rope | elementwise rotary over tokens x (heads + kv_heads) head_dim / tp |
| mlp_act | elementwise silu_mul over tokens x ffn / tp |
| add | elementwise add over tokens x hidden |
| emb | elementwise embedding over tokens x hidden |
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from cosim.perf.gpu.harness import Harness
from cosim.validate.datasets.common import MS, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

BASE = Path("vidur/data/profiling/compute")
# microsoft/vidur vidur/profiling/mlp/main.py defaults to --profile_method record_function: each op's time is the
# sum of its kernels' device durations from the torch profiler (vidur/profiling/common/cuda_timer.py), so no
# launch gap between kernels is in the record.
HARNESS = Harness(kernel_durations_only=True)
DEVICES = {"a100": "a100-80g", "h100": "h100-sxm"}
MODELS = {"llama2-7b": "meta-llama/Llama-2-7b-hf", "llama2-70b": "meta-llama/Llama-2-70b-hf"}
DTYPE = "fp16"  # sarathi-serve / vLLM run Llama-2 in its config dtype, float16
STAT = "median"

Shape = dict[str, int]
# vidur op -> (record kind, cosim op/label, params from (tokens, hidden, heads, kv_heads, head_dim, ffn, tp))
OPS: dict[str, tuple[str, str, Callable[..., Shape]]] = {
    "attn_pre_proj": ("gemm", "qkv_proj",
                      lambda t, e, h, kv, d, f, tp: {"m": t, "n": (h + 2 * kv) * d // tp, "k": e}),
    "attn_post_proj": ("gemm", "o_proj", lambda t, e, h, kv, d, f, tp: {"m": t, "n": e, "k": h * d // tp}),
    "mlp_up_proj": ("gemm", "gate_up_proj", lambda t, e, h, kv, d, f, tp: {"m": t, "n": 2 * f // tp, "k": e}),
    "mlp_down_proj": ("gemm", "down_proj", lambda t, e, h, kv, d, f, tp: {"m": t, "n": e, "k": f // tp}),
    "input_layernorm": ("elementwise", "rmsnorm", lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": e}),
    "post_attention_layernorm": ("elementwise", "rmsnorm",
                                 lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": e}),
    "attn_rope": ("elementwise", "rotary",
                  lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": (h + kv) * d // tp, "head_dim": d}),
    "mlp_act": ("elementwise", "silu_mul", lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": f // tp}),
    "add": ("elementwise", "add", lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": e}),
    "emb": ("elementwise", "embedding", lambda t, e, h, kv, d, f, tp: {"tokens": t, "hidden": e}),
}


def load(peer_root: Path, gpu: str, model: str) -> Loaded:
    import pandas as pd

    path = peer_root / BASE / gpu / MODELS[model] / "mlp.csv"
    if not path.is_file():
        return Loaded.absent(path)
    df = pd.read_csv(path)
    src = relative(path, peer_root)
    dataset = f"vidur-{gpu}-{model}-mlp"
    device = DEVICES[gpu]
    skipped: Counter[str] = Counter()
    out: list[Measurement] = []
    for index, r in enumerate(df.to_dict("records")):
        t, e, tp = int(r["num_tokens"]), int(r["n_embd"]), int(r["num_tensor_parallel_workers"])
        h, kv, f = int(r["n_head"]), int(r["n_kv_head"]), int(r["n_expanded_embd"])
        d = e // h
        line = index + 2  # header is line 1
        for vop, (kind, label, shape) in OPS.items():
            value = float(r.get(f"time_stats.{vop}.{STAT}", math.nan))
            if not math.isfinite(value):
                skipped[f"{vop}: no time recorded"] += 1
                continue
            if value <= 0:
                skipped[f"{vop}: non-positive time"] += 1
                continue
            params = {"op": label, **shape(t, e, h, kv, d, f, tp), "dtype": DTYPE, "tp": tp, "vidur_op": vop}
            out.append(Measurement(dataset=dataset, device=device, kind=kind, params=params,
                                   measured_s=value * MS, source=f"{src}:{line}"))
    return Loaded(out, skipped=skipped)


for _gpu, _device in DEVICES.items():
    for _model in MODELS:
        register_dataset(
            f"vidur-{_gpu}-{_model}-mlp",
            f"{_device}: {_model} per-rank GEMMs, norms, rotary, SiLU*mul, add, embedding "
            "(Vidur mlp.csv, fp16, tp 1-8)",
            lambda root, g=_gpu, m=_model: load(root, g, m),
            HARNESS,
        )
