"""Disaggregated Roofline Model (CHIME §III): throughput vs batch for FC, attention and KV capacity.

Three lines bound decode throughput when attention runs on a memory device (PIM) and the FC layers
on the GPU:
* Line-FC: batch / time of everything but attention on the compute device; rises with batch while
  the weights dominate the bytes, then saturates when the GEMMs become compute-bound.
* Line-ATTN: batch / time of decode attention on its device, plus the link transfers of q/k/v and
  outputs when that device is not the compute device (the "downward shift"); nearly flat in batch.
* Line-Cap: the largest batch whose KV cache at ``context`` fits in the KV device's memory after
  everything else homed there; it moves left as the context grows.
System throughput is min(FC, ATTN) when the two run on different devices (they pipeline across
sub-batches) and batch / (t_FC + t_ATTN) when they share one device; nan beyond Line-Cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from cosim.engine.predict import place_and_validate, resolve_mapping, resolve_model, resolve_system
from cosim.errors import CosimInputError
from cosim.hardware.system import SystemView
from cosim.mapping.mapping import Mapping
from cosim.mapping.placement import memory_owner
from cosim.schedule.plan import RowKind, plan_step
from cosim.schedule.sequential import TimedRow, time_rows
from cosim.workload import build_graph
from cosim.workload.meta import graph_meta
from cosim.workload.ops import ATTENTION_KINDS, OpKind, Phase, TensorClass

ATTENTION_SIDE = frozenset(ATTENTION_KINDS | {OpKind.KV_CACHE_WRITE})
"""Operators on the attention side of the disaggregation: attention and the KV-cache write."""


@dataclass
class DRMCurves:
    model: str
    system: str
    context: int
    tp: int
    batch: np.ndarray
    fc_tokens_per_s: np.ndarray
    attn_tokens_per_s: np.ndarray
    attn_transfer_s: np.ndarray  # link time inside the attention line (the downward shift)
    capacity_batch: int
    system_tokens_per_s: np.ndarray
    fc_device: str
    attn_device: str
    kv_device: str
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Label for plots: the system."""
        return self.system

    @property
    def device(self) -> str:
        """Label for plots: where attention runs."""
        return self.attn_device

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "system": self.system,
            "context": self.context,
            "tp": self.tp,
            "batch": self.batch.tolist(),
            "fc_tokens_per_s": self.fc_tokens_per_s.tolist(),
            "attn_tokens_per_s": self.attn_tokens_per_s.tolist(),
            "attn_transfer_s": self.attn_transfer_s.tolist(),
            "capacity_batch": self.capacity_batch,
            "system_tokens_per_s": [None if math.isnan(x) else x for x in self.system_tokens_per_s],
            "fc_device": self.fc_device,
            "attn_device": self.attn_device,
            "kv_device": self.kv_device,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Split:
    fc_s: float
    attn_s: float
    attn_transfer_s: float
    fc_device: str
    attn_device: str


def _split_step(timed: list[TimedRow]) -> _Split:
    attn_ops = {t.plan.name for t in timed if t.plan.op is not None and t.plan.op.kind in ATTENTION_SIDE}
    fc_s = attn_s = xfer_s = 0.0
    fc_devices: dict[str, float] = {}
    attn_device = ""
    for t in timed:
        total = t.result.total_s
        if t.plan.kind is RowKind.TRANSFER:
            if t.plan.src in attn_ops or t.plan.dst in attn_ops:
                attn_s += total
                xfer_s += total
            else:
                fc_s += total
        elif t.plan.name in attn_ops:
            attn_s += total
            if t.plan.op.kind in ATTENTION_KINDS:
                attn_device = t.plan.device
        else:
            fc_s += total
            fc_devices[t.plan.device] = fc_devices.get(t.plan.device, 0.0) + total
    fc_device = max(fc_devices, key=fc_devices.__getitem__) if fc_devices else ""
    return _Split(fc_s, attn_s, xfer_s, fc_device, attn_device or fc_device)


def _kv_owner_use(graph: nx.DiGraph, system: SystemView, mapping: Mapping | str | None) -> tuple[str, float, float]:
    """(KV home device, bytes held there, its capacity) for one graph."""
    placement, memory = place_and_validate(graph, system, mapping, strict=False)
    tensors = graph_meta(graph).tensors
    kv_homes = [
        placement.tensor_home[n]
        for n, t in tensors.items()
        if getattr(t, "cls", None) is TensorClass.KV_CACHE
    ]
    if not kv_homes:
        raise CosimInputError("the graph has no KV-cache tensor to size Line-Cap", field="model")
    owner = memory_owner(system, kv_homes[0])
    use = next(m for m in memory if m.device == owner)
    return owner, use.total_bytes, use.capacity_bytes


def capacity_batch_from(
    build: Callable[[int], nx.DiGraph], system: SystemView, mapping: Mapping | str | None
) -> tuple[str, int]:
    """Largest batch that fits on the KV device; memory is affine in batch, so two graphs pin it down."""
    owner, one, capacity = _kv_owner_use(build(1), system, mapping)
    _, two, _ = _kv_owner_use(build(2), system, mapping)
    per_request = two - one
    fixed = one - per_request
    if per_request <= 0:
        return owner, 0 if fixed > capacity else np.iinfo(np.int64).max
    return owner, max(0, math.floor((capacity - fixed) / per_request))


def curves_from_builder(
    build: Callable[[int], nx.DiGraph],
    system: SystemView | str,
    batch_sizes: Sequence[int],
    *,
    mapping: Mapping | str | None = None,
) -> DRMCurves:
    """DRM lines from a ``batch -> decode graph`` builder (the model-free core of the DRM)."""
    system = resolve_system(system)
    batches = np.array(sorted({int(b) for b in batch_sizes}), dtype=np.int64)
    if len(batches) == 0 or batches[0] < 1:
        raise CosimInputError("batch sizes must be positive integers", field="batch_sizes")
    fc, attn, xfer, system_tps = [], [], [], []
    split = None
    first = build(int(batches[0]))
    meta = graph_meta(first)
    if meta.phase is not Phase.DECODE:
        raise CosimInputError(
            "the disaggregated roofline models decode steps", field="phase", allowed=["decode"]
        )
    rules = resolve_mapping(mapping, system, Phase.DECODE)
    kv_device, cap_batch = capacity_batch_from(build, system, rules)
    for i, b in enumerate(batches):
        graph = first if i == 0 else build(int(b))
        placement, _ = place_and_validate(graph, system, rules, strict=False)
        split = _split_step(time_rows(plan_step(graph, system, placement), system))
        fc_tps = b / split.fc_s if split.fc_s > 0 else math.inf
        attn_tps = b / split.attn_s if split.attn_s > 0 else math.inf
        fc.append(fc_tps)
        attn.append(attn_tps)
        xfer.append(split.attn_transfer_s)
        if b > cap_batch:
            system_tps.append(math.nan)
        elif split.attn_device == split.fc_device:
            system_tps.append(b / (split.fc_s + split.attn_s))
        else:
            system_tps.append(min(fc_tps, attn_tps))
    notes = []
    if split is not None and split.attn_device == split.fc_device:
        notes.append(
            f"attention and FC share device {split.fc_device!r}: system throughput is serial, "
            "batch / (t_FC + t_ATTN), not min(FC, ATTN)"
        )
    return DRMCurves(
        model=meta.model,
        system=str(system.name),
        context=int(meta.context) if np.ndim(meta.context) == 0 else -1,
        tp=meta.tp,
        batch=batches,
        fc_tokens_per_s=np.array(fc),
        attn_tokens_per_s=np.array(attn),
        attn_transfer_s=np.array(xfer),
        capacity_batch=cap_batch,
        system_tokens_per_s=np.array(system_tps),
        fc_device=split.fc_device if split else "",
        attn_device=split.attn_device if split else "",
        kv_device=kv_device,
        notes=notes,
    )


def disaggregated_roofline(
    model: Any,
    system: SystemView | str,
    context: int,
    batch_sizes: Sequence[int],
    *,
    tp: int = 1,
    dtype: str = "bf16",
    weight_dtype: str | None = None,
    kv_dtype: str | tuple[str, str] | None = None,
    fusion: str = "fused",
    attention: str = "flash",
    mapping: Mapping | str | None = None,
) -> DRMCurves:
    """DRM lines of ``model`` decoding at ``context`` on ``system`` for each batch in ``batch_sizes``."""
    config = resolve_model(model)

    def build(batch: int) -> nx.DiGraph:
        return build_graph(
            config,
            Phase.DECODE,
            batch,
            context,
            dtype=dtype,
            weight_dtype=weight_dtype,
            kv_dtype=kv_dtype,
            fusion=fusion,
            attention=attention,
            tp=tp,
        )

    return curves_from_builder(build, system, batch_sizes, mapping=mapping)
