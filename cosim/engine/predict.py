"""predict(): one inference step of a model on a system, end to end (graph -> mapping -> cost -> schedule).

This is the step-predictor layer: it sits above the workload, hardware, mapping, cost-model (perf) and
schedule stages and is the only place that strings them together, so none of those stages imports
another one above it. Model, hardware and mapping may be objects or preset names / file paths, so the
CLI, notebooks, studies and sweeps all go through the same path; names and paths are loaded once per
process (``cosim.engine.cache``: reloaded when a file changes, systems and mappings handed out as copies).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from cosim.engine.cache import PresetCache
from cosim.errors import CosimInputError
from cosim.hardware import load_system
from cosim.hardware.system import SystemView
from cosim.mapping.default import default_mapping
from cosim.mapping.mapping import Mapping, load_mapping
from cosim.mapping.memory import MemoryUse
from cosim.mapping.placement import Placement, place
from cosim.mapping.validate import GIB, validate_placement
from cosim.perf.result import StepResult
from cosim.schedule.sequential import run_sequential
from cosim.workload import build_graph, load_model
from cosim.workload.meta import graph_meta
from cosim.workload.model import ModelConfig
from cosim.workload.ops import Phase

SYSTEMS: PresetCache[SystemView] = PresetCache(load_system, "hw", "hardware", copy_out=True)
MODELS: PresetCache[ModelConfig] = PresetCache(load_model, "workloads", "model", copy_out=False)
MAPPINGS: PresetCache[Mapping] = PresetCache(load_mapping, "mappings", "mapping", copy_out=True)


def clear_caches() -> None:
    """Forget every loaded preset (the caches also reload by themselves when a file changes)."""
    for cache in (SYSTEMS, MODELS, MAPPINGS):
        cache.clear()


def resolve_system(hw: SystemView | str | Path) -> SystemView:
    """A system object (anything that implements ``SystemView``), or a system/device preset name or file
    (loaded once; each call gets its own copy)."""
    if isinstance(hw, SystemView):
        return hw
    return SYSTEMS.get(hw)


def resolve_model(model: ModelConfig | str | Path) -> ModelConfig:
    """A ModelConfig, or a model preset name / YAML / HF config.json (loaded once; ModelConfig is immutable)."""
    if isinstance(model, ModelConfig):
        return model
    return MODELS.get(model)


def resolve_mapping(mapping: Mapping | str | Path | None, system: SystemView, phase: Phase | str) -> Mapping:
    if mapping is None:
        return default_mapping(system, phase)
    if isinstance(mapping, Mapping):
        return mapping
    return MAPPINGS.get(mapping)


def place_and_validate(
    graph: nx.DiGraph, system: SystemView, mapping: Mapping | str | Path | None, *, strict: bool = False
) -> tuple[Placement, list[MemoryUse]]:
    phase = graph_meta(graph).phase
    placement = place(graph, system, resolve_mapping(mapping, system, phase))
    return placement, validate_placement(graph, system, placement, strict=strict)


def memory_notes(memory: list[MemoryUse]) -> list[str]:
    return [
        f"does not fit: device {m.device!r} overflows by {m.overflow_bytes / GIB:.2f} GiB "
        f"(weights {m.weights_bytes / GIB:.2f}, KV cache {m.kv_cache_bytes / GIB:.2f}, "
        f"activations {m.activation_bytes / GIB:.2f} GiB)"
        for m in memory
        if not m.fits
    ]


def context_notes(graph: nx.DiGraph) -> list[str]:
    """Flag steps that attend beyond the context the model was trained for (still predicted: a what-if)."""
    meta = graph_meta(graph)
    config, kv_lens = meta.model_config, meta.kv_lens
    limit = getattr(config, "max_position_embeddings", None)
    if limit is None or kv_lens is None or len(kv_lens) == 0 or int(max(kv_lens)) <= limit:
        return []
    return [f"context {int(max(kv_lens))} exceeds {getattr(config, 'name', 'the model')}'s "
            f"max_position_embeddings {limit}; predicted as a what-if"]


def predict_graph(
    graph: nx.DiGraph,
    system: SystemView | str | Path,
    *,
    mapping: Mapping | str | Path | None = None,
    cost_model: str | None = None,
    strict: bool = False,
) -> StepResult:
    """Evaluate an already built graph (from ``cosim.workload.build_graph``) on a system."""
    system = resolve_system(system)
    placement, memory = place_and_validate(graph, system, mapping, strict=strict)
    notes = memory_notes(memory) + context_notes(graph)
    return run_sequential(graph, system, placement, memory, cost_model=cost_model, notes=notes)


def predict(
    model: ModelConfig | str | Path,
    hw: SystemView | str | Path,
    phase: Phase | str,
    batch: int,
    context: int | list[int],
    *,
    chunk: int | None = None,
    dtype: str = "bf16",
    weight_dtype: str | None = None,
    kv_dtype: str | tuple[str, str] | None = None,
    fusion: str = "fused",
    attention: str = "flash",
    tp: int = 1,
    mapping: Mapping | str | Path | None = None,
    cost_model: str | None = None,
    strict: bool = False,
) -> StepResult:
    """Latency, FLOPs, bytes and memory of one step (sequential schedule; no overlap between devices)."""
    system = resolve_system(hw)
    try:
        config: ModelConfig | str | Path = resolve_model(model)
    except CosimInputError:
        config = model  # build_graph checks the step first, then reports the model, as it always has
    graph = build_graph(
        config,
        phase,
        batch,
        context,
        chunk=chunk,
        dtype=dtype,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        fusion=fusion,
        attention=attention,
        tp=tp,
    )
    return predict_graph(graph, system, mapping=mapping, cost_model=cost_model, strict=strict)
