"""SplitwiseSim's measured end-to-end times (``data/perf_model.csv``, ms) on DGX-A100 and DGX-H100.

Columns: model, hardware, prompt_size, batch_size, token_size, ..., prompt_time, token_time, e2e_time,
tensor_parallel. The Splitwise paper (Patel et al., ISCA'24) measured them with vLLM serving Llama-2-70B
(fp16) and BLOOM-176B, so they include what a serving engine adds to the kernels: scheduling and batching
in Python, sampling, detokenization, and (vLLM of 2023) no CUDA graphs in prefill. A pure kernel model
therefore under-predicts them; the bias column shows by how much.

* ``prompt_time`` (time to the first token): a prefill step of ``batch_size`` prompts of ``prompt_size``
  tokens -> ``step_prefill``. It does not depend on ``token_size``; the median over all repeats is used.
* ``token_time`` (mean time per generated token): decode steps of ``batch_size`` requests whose context
  grows from prompt_size to prompt_size + token_size -> ``step_decode`` at the mean context,
  prompt_size + token_size / 2; the median over repeats is used.
* BLOOM-176B has no cosim preset and ``h100-80gb-pcap`` is a power-capped H100 cosim does not model;
  those rows are skipped and counted.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from cosim.serving.defaults import SPLITWISE_VLLM_OVERHEADS
from cosim.serving.engine_overhead import EngineOverhead
from cosim.validate.datasets.common import MS, relative
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

PATH = Path("splitwise-sim/data/perf_model.csv")
HARDWARE = {"a100": ("a100-80gb", "a100-80g"), "h100": ("h100-80gb", "h100-sxm")}
MODELS = {"llama2-70b": "llama2-70b"}  # splitwise name -> cosim preset
DTYPE = "fp16"
FUSION = "fused"  # vLLM: fused add+RMSNorm, fused rotary, fused SiLU*mul, flash/paged attention


def _min_prefill_s(model: str, device: str, tp: int, tokens: int) -> float:
    """Lower bound of a prefill: 2 FLOP per parameter per token at the tp GPUs' dense fp16 tensor peak.

    Batch 64 x 512 at tp 2 is listed at 0.36 s on H100 although 4.5 PFLOP need >= 2.3 s: the engine
    evidently did not prefill that whole batch in the timed iteration, so such rows are skipped.
    """
    from cosim.hardware import load_device
    from cosim.workload import load_model
    from cosim.workload.dtypes import DType

    peak = load_device(device).caps().matrix_flops_per_s[DType.FP16]
    return 2.0 * load_model(model).total_parameters() * tokens / (tp * peak)


def _source(src: str, group) -> str:
    lines = group["line"].tolist()
    return f"{src}:{lines[0]}" + (f" (median of {len(lines)} rows)" if len(lines) > 1 else "")


def load(peer_root: Path, gpu: str) -> Loaded:
    import pandas as pd

    path = peer_root / PATH
    if not path.is_file():
        return Loaded.absent(path)
    df = pd.read_csv(path)
    df["line"] = df.index + 2
    src = relative(path, peer_root)
    hw_name, device = HARDWARE[gpu]
    dataset = f"splitwise-{gpu}-llama2-70b"
    skipped: Counter[str] = Counter()
    ours = df[df["hardware"] == hw_name]
    if gpu == "h100":
        skipped["h100-80gb-pcap: power-capped H100 not modelled"] = int((df["hardware"] == "h100-80gb-pcap").sum())
    unknown = ~ours["model"].isin(list(MODELS))
    for model in sorted(set(ours.loc[unknown, "model"])):
        skipped[f"model {model} has no cosim preset"] = int((ours["model"] == model).sum())
    ours = ours[~unknown]
    out: list[Measurement] = []
    keys = ["model", "tensor_parallel", "prompt_size", "batch_size"]
    for (model, tp, prompt, batch), group in ours.groupby(keys, sort=True):
        value = float(group["prompt_time"].median())
        if not (math.isfinite(value) and value > 0):
            skipped["non-positive prompt_time"] += len(group)
            continue
        if value * MS < _min_prefill_s(MODELS[model], device, int(tp), int(batch) * int(prompt)):
            skipped["prompt_time below the GPUs' peak-FLOP bound (not the whole batch prefilled at once)"] += len(group)
            continue
        out.append(Measurement(
            dataset=dataset, device=device, kind="step_prefill",
            params={"model": MODELS[model], "batch": int(batch), "context": int(prompt), "tp": int(tp),
                    "fusion": FUSION, "dtype": DTYPE},
            measured_s=value * MS, source=_source(src, group)))
    for (model, tp, prompt, batch, tokens), group in ours.groupby([*keys, "token_size"], sort=True):
        value = float(group["token_time"].median())
        if not (math.isfinite(value) and value > 0):
            skipped["non-positive token_time"] += len(group)
            continue
        out.append(Measurement(
            dataset=dataset, device=device, kind="step_decode",
            params={"model": MODELS[model], "batch": int(batch), "context": int(prompt) + int(tokens) // 2,
                    "prompt": int(prompt), "generated": int(tokens), "tp": int(tp), "fusion": FUSION,
                    "dtype": DTYPE},
            measured_s=value * MS, source=_source(src, group)))
    return Loaded(out, skipped=skipped)


# The vLLM engine around the kernels (see the module docstring) is a serving-engine overhead, not a kernel
# harness: each dataset declares splitwise-sim's vLLM fit for its GPU (cosim.serving.defaults, where the
# values and the command that fits them on the 70 % train split live); cosim.validate.predict adds it to the
# dataset's steps, and ``cosim serve`` uses the same fit on A100 and H100 systems.
ENGINE_OVERHEADS: dict[str, EngineOverhead] = {
    f"splitwise-{gpu}-llama2-70b": SPLITWISE_VLLM_OVERHEADS[gpu] for gpu in HARDWARE}

for _gpu, (_hw, _device) in HARDWARE.items():
    register_dataset(f"splitwise-{_gpu}-llama2-70b",
                     f"{_device} x tp (DGX): llama2-70b vLLM prefill (TTFT) and per-token decode times (SplitwiseSim)",
                     lambda root, g=_gpu: load(root, g))
