"""The typed contract of a workload graph's metadata (``graph.graph``), read by every later stage.

``build_graph`` writes the full set; graphs made around one operator (``cosim.perf.single_op``) or by hand
in tests carry only what they need, so the readers' defaults live here, once, instead of a ``.get(key,
default)`` at every call site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from cosim.workload.ops import PersistentTensor, Phase


@dataclass(frozen=True)
class GraphMeta:
    """What a placed-and-timed graph says about its step (see docs/design.md for the full list)."""

    model: str = ""
    phase: Phase = Phase.DECODE
    batch: int = 0
    tokens: int = 0
    tp: int = 1
    fusion: str = "fused"
    context: int | list[int] = 0
    kv_lens: np.ndarray | None = None
    num_layers: int | None = None
    model_config: Any = None  # a cosim.workload.model.ModelConfig when built from a model
    tensors: Mapping[str, PersistentTensor] = field(default_factory=dict)
    activation_peak_bytes: float | None = None

    @property
    def max_context(self) -> int:
        """The context of the step's longest request (a list of per-request contexts -> its maximum)."""
        if isinstance(self.context, int | float | np.integer):
            return int(self.context)
        return int(max(self.context)) if len(self.context) else 0


def graph_meta(graph: nx.DiGraph) -> GraphMeta:
    g = graph.graph
    phase = g.get("phase", Phase.DECODE)
    fusion = g.get("fusion", "fused")
    return GraphMeta(
        model=str(g.get("model", "")),
        phase=Phase.parse(phase),
        batch=int(g.get("batch", 0)),
        tokens=int(g.get("tokens", 0)),
        tp=int(g.get("tp", 1)),
        fusion=str(getattr(fusion, "value", fusion)),
        context=g.get("context", 0),
        kv_lens=g.get("kv_lens"),
        num_layers=g.get("num_layers"),
        model_config=g.get("model_config"),
        tensors=g.get("tensors") or {},
        activation_peak_bytes=g.get("activation_peak_bytes"),
    )
