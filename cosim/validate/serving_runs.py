"""Serving runs against measured vLLM runs: the shared vLLM 0.19 benchmarks of LLMServingSim.

Each run (Llama-3.1-8B on one GPU, 300 ShareGPT requests at 10 req/s) records per request when the engine
queued it and when its first and last tokens came out. TTFT is measured from ``queued_ts`` (the engine's
clock; ``arrival_time`` is the client's, before tokenization and the HTTP hop), so the replayed trace arrives
at the queued times. The engine settings (``max_num_seqs``, ``max_num_batched_tokens``, block size,
``gpu_memory_utilization``) come from each run's ``meta.json``; the KV capacity is cosim's own (the measured
block count is reported beside it, not used).

The engine overhead per iteration is fitted on the training run only (:data:`TRAIN_RUNS`) and the held-out
run is scored with it: which figures the fit saw is part of every row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from cosim.engine.iteration import IterationModel
from cosim.errors import CosimInputError
from cosim.serving.engine_overhead import EngineOverhead
from cosim.serving.request import Trace
from cosim.serving.simulator import simulate

RUNS = {  # run name -> (folder under peer_data, cosim model preset, cosim hardware preset)
    "vllm-rtx4090-llama3.1-8b": ("LLMServingSim/bench/examples/RTX4090/Llama-3.1-8B", "llama3.1-8b", "rtx4090"),
    "vllm-rtxpro6000-llama3.1-8b": ("LLMServingSim/bench/examples/RTXPRO6000/Llama-3.1-8B", "llama3.1-8b",
                                    "rtx-pro-6000"),
}
TRAIN_RUNS = ("vllm-rtx4090-llama3.1-8b",)  # the overhead fit sees this run only
FIT_METRIC = "tpot_median_s"  # what the per-iteration overhead is fitted to (TTFT under overload is queueing)
METRICS = ("ttft_mean_s", "ttft_p90_s", "tpot_mean_s", "tpot_median_s", "e2e_mean_s")


@dataclass(frozen=True)
class ServingRun:
    name: str
    folder: Path
    model: str
    hw: str
    trace: Trace
    measured: dict[str, float]
    engine: dict[str, Any]

    @property
    def split(self) -> str:
        return "train" if self.name in TRAIN_RUNS else "holdout"


def _metrics(ttft: np.ndarray, tpot: np.ndarray, e2e: np.ndarray) -> dict[str, float]:
    tpot = tpot[np.isfinite(tpot)]
    return {"ttft_mean_s": float(ttft.mean()), "ttft_p90_s": float(np.percentile(ttft, 90)),
            "tpot_mean_s": float(tpot.mean()), "tpot_median_s": float(np.median(tpot)),
            "e2e_mean_s": float(e2e.mean())}


def load_run(name: str, peer_root: Path) -> ServingRun:
    folder_name, model, hw = RUNS[name]
    folder = peer_root / folder_name
    requests = folder / "vllm" / "requests.jsonl"
    meta_file = folder / "vllm" / "meta.json"
    if not requests.is_file() or not meta_file.is_file():
        raise CosimInputError("measured vLLM run not found", file=folder,
                              allowed="bench/examples/<gpu>/Llama-3.1-8B/vllm/{requests.jsonl,meta.json}")
    rows = [json.loads(line) for line in requests.read_text().splitlines() if line.strip()]
    queued = np.array([r["queued_ts"] for r in rows], dtype=float)
    first = np.array([r["first_token_ts"] for r in rows], dtype=float)
    last = np.array([r["last_token_ts"] for r in rows], dtype=float)
    out = np.array([r["output_toks"] for r in rows], dtype=np.int64)
    prompt = np.array([r["input_toks"] for r in rows], dtype=np.int64)
    tpot = np.where(out > 1, (last - first) / np.maximum(out - 1, 1), np.nan)
    measured = _metrics(first - queued, tpot, last - queued)
    meta = json.loads(meta_file.read_text())
    kv = meta.get("kv_cache") or {}
    engine = {"max_num_seqs": int(meta["engine_kwargs"]["max_num_seqs"]),
              "max_num_batched_tokens": int(meta["engine_kwargs"]["max_num_batched_tokens"]),
              "block_size": int(kv.get("block_size", 16)),
              "gpu_memory_utilization": float(kv.get("gpu_memory_utilization", 0.9)),
              "measured_kv_tokens": kv.get("num_kv_tokens")}
    trace = Trace.from_arrays(name, queued - queued.min(), prompt, out)
    return ServingRun(name, folder, model, hw, trace, measured, engine)


def available_runs(peer_root: Path) -> list[ServingRun]:
    return [load_run(name, peer_root) for name in RUNS if (peer_root / RUNS[name][0] / "vllm").is_dir()]


def timer_for(run: ServingRun) -> IterationModel:
    return IterationModel(run.model, run.hw, gpu_memory_utilization=run.engine["gpu_memory_utilization"],
                          max_batched_tokens=run.engine["max_num_batched_tokens"],
                          max_num_seqs=run.engine["max_num_seqs"])


def simulate_run(run: ServingRun, overhead: EngineOverhead, timer: IterationModel | None = None) -> dict[str, float]:
    timer = timer or timer_for(run)
    result = simulate(run.trace, timer, policy="vllm", block_size=run.engine["block_size"], overhead=overhead,
                      policy_options={"max_num_seqs": run.engine["max_num_seqs"],
                                      "max_num_batched_tokens": run.engine["max_num_batched_tokens"]})
    df = result.requests_df()
    done = df[df["status"] == "finished"]
    tpot = done["tpot_s"].to_numpy(dtype=float)
    return _metrics(done["ttft_s"].to_numpy(dtype=float), tpot, done["e2e_s"].to_numpy(dtype=float))


def fit_overhead(runs: list[ServingRun]) -> EngineOverhead:
    """The per-iteration overhead that makes the training runs' median TPOT match (root of the mean error)."""
    train = [r for r in runs if r.split == "train"]
    if not train:
        return EngineOverhead()
    timers = {r.name: timer_for(r) for r in train}

    def error(per_iteration_s: float) -> float:
        o = EngineOverhead(per_iteration_s=per_iteration_s)
        return float(np.mean([simulate_run(r, o, timers[r.name])[FIT_METRIC] / r.measured[FIT_METRIC] - 1
                              for r in train]))

    low, high = 0.0, 0.05
    if error(low) >= 0:
        return EngineOverhead()  # the device time alone is already as slow as measured: no overhead to add
    if error(high) <= 0:
        return EngineOverhead(per_iteration_s=high)
    return EngineOverhead(per_iteration_s=float(brentq(error, low, high, xtol=1e-6)))


@dataclass(frozen=True)
class ServingErrorRow:
    run: str
    split: str
    metric: str
    measured: float
    predicted: float

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.predicted / self.measured - 1.0) if self.measured else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run, "split": self.split, "metric": self.metric, "measured": self.measured,
                "predicted": self.predicted, "error_pct": self.error_pct}


def serving_errors(peer_root: Path, *, overhead: EngineOverhead | None = None,
                   progress: Callable[[str], None] | None = None) -> tuple[EngineOverhead, list[ServingErrorRow]]:
    """Fit the overhead on the training runs (unless given), then score every run with it."""
    runs = available_runs(peer_root)
    overhead = overhead if overhead is not None else fit_overhead(runs)
    rows: list[ServingErrorRow] = []
    for run in runs:
        if progress is not None:
            progress(run.name)
        predicted = simulate_run(run, overhead)
        rows += [ServingErrorRow(run.name, run.split, m, run.measured[m], predicted[m]) for m in METRICS]
    return overhead, rows
