"""Apply a mapping to a graph: the device of every operator and the home of every persistent tensor.

Shared by validation, the sequential schedule and the vectorized sweep so they cannot disagree on
where anything runs or lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from cosim.errors import CosimInputError
from cosim.hardware.system import SystemView
from cosim.mapping.mapping import Mapping
from cosim.workload.meta import graph_meta
from cosim.workload.ops import Operator, Phase, TensorAccess, TensorClass

PERSISTENT_CLASSES = (TensorClass.WEIGHT, TensorClass.KV_CACHE)


def tensor_bytes(tensor: Any) -> float:
    """Footprint of a PersistentTensor for one tp rank over all layers (tolerant of the field name)."""
    for attr in ("bytes", "footprint_bytes", "size_bytes", "nbytes"):
        value = getattr(tensor, attr, None)
        if value is not None and not callable(value):
            return float(value)
    raise TypeError(f"persistent tensor {tensor!r} has no byte footprint")


def graph_operators(graph: nx.DiGraph) -> list[Operator]:
    """Operators in topological order (stable: ties broken by insertion order)."""
    order = {n: i for i, n in enumerate(graph.nodes)}
    return [graph.nodes[n]["op"] for n in nx.lexicographical_topological_sort(graph, key=order.__getitem__)]


def slot_count(system: SystemView, device: str) -> int:
    return max(1, int(system.devices[device].count))


def memory_owner(system: SystemView, device: str) -> str:
    """Device whose memory a device computes in (HBM-PIM inside the GPU's HBM) or the device itself."""
    return system.devices[device].memory_of or device


def share_factor(instances: int, count: int) -> float:
    """How many tp ranks' copies one device of a slot must run (or hold): >= 1."""
    return max(1.0, instances / max(1, count))


@dataclass(frozen=True)
class Placement:
    """Where every operator runs and every persistent tensor lives, for one graph on one system."""

    mapping: Mapping  # bound to the system (role names resolved)
    phase: Phase
    op_device: dict[str, str]
    tensor_home: dict[str, str]

    def home_of_access(self, access: TensorAccess) -> str | None:
        """Home of a persistent tensor an operator touches (None for activations)."""
        if access.cls not in PERSISTENT_CLASSES:
            return None
        if access.name in self.tensor_home:
            return self.tensor_home[access.name]
        return self.mapping.home_of(access.name, access.cls)


def place(graph: nx.DiGraph, system: SystemView, mapping: Mapping) -> Placement:
    meta = graph_meta(graph)
    phase = meta.phase
    bound = mapping.bind(system)
    op_device = {op.name: bound.device_of(op, phase) for op in graph_operators(graph)}
    tensors = meta.tensors
    tensor_home = {name: bound.home_of(name, t) for name, t in tensors.items()}
    return Placement(mapping=bound, phase=phase, op_device=op_device, tensor_home=tensor_home)


def check_support(graph: nx.DiGraph, system: SystemView, placement: Placement) -> None:
    """Every operator's device supports its kind; one-line error otherwise."""
    for op in graph_operators(graph):
        device = placement.op_device[op.name]
        caps = system.caps(device)
        if not caps.supports(op.kind):
            supported = sorted(k.value for k in caps.supported_kinds)
            raise CosimInputError(
                f"operator {op.name!r} of kind {op.kind.value} is mapped to device {device!r}, which does "
                "not support it",
                file=placement.mapping.source,
                field="ops",
                allowed=supported,
            )


def check_tp(graph: nx.DiGraph, system: SystemView, placement: Placement) -> None:
    tp = graph_meta(graph).tp
    compute = set(system.compute_devices())
    for device in sorted(set(placement.op_device.values()) & compute):
        count = slot_count(system, device)
        if tp > count:
            raise CosimInputError(
                f"tp={tp} exceeds the {count} device(s) of compute device {device!r}",
                field="tp",
                allowed=f"1..{count}",
            )


def devices_used(placement: Placement) -> Iterable[str]:
    seen: dict[str, None] = {}
    for d in (*placement.op_device.values(), *placement.tensor_home.values()):
        seen.setdefault(d, None)
    return list(seen)
