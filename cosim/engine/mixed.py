"""``predict_iteration``: one serving iteration of request slices, end to end (the full path, not the cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cosim.engine.predict import predict_graph, resolve_system
from cosim.mapping.mapping import Mapping
from cosim.perf.result import StepResult
from cosim.workload.graph import build_iteration_graph


def predict_iteration(model: Any, hw: Any, q_lens: np.ndarray | list[int], kv_lens: np.ndarray | list[int], *,
                      dtype: str = "bf16", weight_dtype: str | None = None, kv_dtype: str | None = None,
                      fusion: str = "fused", attention: str = "flash", tp: int = 1,
                      mapping: Mapping | str | Path | None = None, cost_model: str | None = None,
                      strict: bool = False, logits: str = "last") -> StepResult:
    """Latency of one iteration in which request ``i`` adds ``q_lens[i]`` tokens and sees ``kv_lens[i]`` keys
    (decodes and prefill chunks mixed, as vLLM and Sarathi-Serve batch them; see ``cosim.workload.mix``).
    Logits: one row per request (each prefill's last token and every decode), as serving engines compute them."""
    system = resolve_system(hw)
    graph = build_iteration_graph(model, q_lens, kv_lens, dtype=dtype, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                                  fusion=fusion, attention=attention, tp=tp, logits=logits)
    return predict_graph(graph, system, mapping=mapping, cost_model=cost_model, strict=strict)
