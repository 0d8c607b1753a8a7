"""Check a mapping against a graph and a system: devices exist, kinds are supported, bytes fit.

Memory is counted per ONE device of a slot. A persistent tensor's footprint is per tp rank, so a
slot with ``count`` devices holding ``tp`` ranks needs ``footprint * max(1, tp / count)`` on each
(eight ranks' KV cache all in one DIMM-PIM pool costs eight footprints there). Devices that compute
inside another device's memory (HBM-PIM in the GPU's HBM) are charged to that owner's capacity.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from cosim.errors import CapacityError
from cosim.hardware.system import SystemView
from cosim.mapping.mapping import Mapping, tensor_class_of
from cosim.mapping.memory import MemoryUse
from cosim.mapping.placement import (
    Placement,
    check_support,
    check_tp,
    graph_operators,
    memory_owner,
    place,
    share_factor,
    slot_count,
    tensor_bytes,
)
from cosim.workload.meta import graph_meta
from cosim.workload.ops import TensorClass

GIB = 2.0**30


def memory_use(graph: nx.DiGraph, system: SystemView, placement: Placement) -> list[MemoryUse]:
    """Bytes each memory-owning device must hold (weights, KV cache, activations) against its capacity."""
    meta = graph_meta(graph)
    tp = meta.tp
    weights: dict[str, float] = {}
    kv: dict[str, float] = {}
    acts: dict[str, float] = {}
    order: list[str] = []

    def owner(device: str) -> str:
        o = memory_owner(system, device)
        if o not in order:
            order.append(o)
        return o

    tensors = meta.tensors
    for name, tensor in tensors.items():
        home = placement.tensor_home[name]
        per_device = tensor_bytes(tensor) * share_factor(tp, slot_count(system, home))
        table = kv if _is_kv(tensor) else weights
        o = owner(home)
        table[o] = table.get(o, 0.0) + per_device

    compute = set(system.compute_devices())
    peak = meta.activation_peak_bytes
    per_op_act: dict[str, float] = {}
    for op in graph_operators(graph):
        device = placement.op_device[op.name]
        share = share_factor(op.instances, slot_count(system, device))
        touched = (op.bytes_read(TensorClass.ACTIVATION) + op.bytes_written(TensorClass.ACTIVATION)) * share
        per_op_act[device] = max(per_op_act.get(device, 0.0), touched)
    for device, largest in per_op_act.items():
        if device in compute and peak is not None:
            need = float(peak) * share_factor(tp, slot_count(system, device))
        else:
            need = largest
        o = owner(device)
        acts[o] = acts.get(o, 0.0) + need

    return [
        MemoryUse(
            device=o,
            weights_bytes=weights.get(o, 0.0),
            kv_cache_bytes=kv.get(o, 0.0),
            activation_bytes=acts.get(o, 0.0),
            capacity_bytes=float(system.caps(o).mem_capacity_bytes),
        )
        for o in order
    ]


def _is_kv(tensor: Any) -> bool:
    return tensor_class_of(tensor) is TensorClass.KV_CACHE


def capacity_error(use: MemoryUse, *, source: str | None = None) -> CapacityError:
    return CapacityError(
        f"device {use.device!r} needs {use.total_bytes / GIB:.2f} GiB but holds "
        f"{use.capacity_bytes / GIB:.2f} GiB: "
        f"overflow {use.overflow_bytes / GIB:.2f} GiB (weights {use.weights_bytes / GIB:.2f} GiB, "
        f"KV cache {use.kv_cache_bytes / GIB:.2f} GiB, activations {use.activation_bytes / GIB:.2f} GiB)",
        file=source,
        field="capacity",
    )


def validate_placement(
    graph: nx.DiGraph, system: SystemView, placement: Placement, *, strict: bool = True
) -> list[MemoryUse]:
    check_support(graph, system, placement)
    check_tp(graph, system, placement)
    uses = memory_use(graph, system, placement)
    if strict:
        for use in uses:
            if not use.fits:
                raise capacity_error(use, source=placement.mapping.source)
    return uses


def validate_mapping(
    graph: nx.DiGraph, system: SystemView, mapping: Mapping, *, strict: bool = True
) -> list[MemoryUse]:
    """Raise on unknown devices, unsupported kinds, tp > devices and (strict) capacity overflow."""
    return validate_placement(graph, system, place(graph, system, mapping), strict=strict)
