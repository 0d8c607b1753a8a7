"""Results of evaluating a placed workload graph: per-operator rows and per-step totals.

These plain dataclasses are the contract between cost models, schedulers, the CLI (``--json``)
and the HTML report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cosim.mapping.memory import MemoryUse

__all__ = ["BOUNDS", "MEMORY_BYTES_SCOPE", "TRANSFER_KIND", "MemoryUse", "OpResult", "StepResult"]

BOUNDS = ("compute", "memory", "overhead", "network")
TRANSFER_KIND = "transfer"
"""``OpResult.kind`` of a cross-device transfer row (the other rows carry an ``OpKind`` value)."""
MEMORY_BYTES_SCOPE = ("per device slot as the mapping accounts it: the sum over memory[] of what one device of "
                      "each memory-owning kind holds (one GPU of a tensor-parallel group, a pooled device such "
                      "as a DIMM-PIM pool whole), not the system's total")
"""What ``memory_bytes`` counts, written next to it in ``to_dict`` so a JSON reader cannot take it as a total."""


@dataclass(frozen=True)
class OpResult:
    """One operator (or one cross-device transfer) placed on a device and scored.

    Times are for ONE copy; ``total_s = latency_s * repeat``. ``instances`` copies run at once on
    the devices of a tensor-parallel group (already reflected in ``latency_s`` when they share one
    device).
    """

    name: str
    kind: str
    device: str
    repeat: int
    flops: float
    bytes: float
    compute_s: float
    memory_s: float
    overhead_s: float
    latency_s: float
    bound: str
    block: str = ""
    instances: int = 1
    share: float = 1.0  # copies one device runs back to back (tp ranks sharing one device, e.g. a PIM pool)

    @property
    def total_s(self) -> float:
        return self.latency_s * self.repeat

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.bytes if self.bytes > 0 else float("inf")

    @property
    def achieved_flops_per_s(self) -> float:
        """FLOP/s the device sustains while running this row (all the copies it runs back to back)."""
        return self.flops * self.share / self.latency_s if self.latency_s > 0 else 0.0


@dataclass
class StepResult:
    """One inference step (prefill, decode or a prefill chunk) on one system."""

    model: str
    system: str
    phase: str
    batch: int
    context: int
    tokens: int
    cost_model: str
    ops: list[OpResult]
    memory: list[MemoryUse]
    latency_s: float
    flops: float
    bytes: float
    tp: int = 1
    fusion: str = "fused"
    mapping: str = "default"
    notes: list[str] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second for decode; processed prompt tokens per second otherwise."""
        return self.tokens / self.latency_s if self.latency_s > 0 else 0.0

    @property
    def memory_bytes(self) -> float:
        """Sum over ``memory`` of what ONE device of each memory-owning kind holds (see MEMORY_BYTES_SCOPE)."""
        return sum(m.total_bytes for m in self.memory)

    @property
    def fits(self) -> bool:
        return all(m.fits for m in self.memory)

    def breakdown(self, by: str = "kind") -> dict[str, float]:
        """Seconds spent per operator kind (or per ``device``/``bound``/``name``)."""
        out: dict[str, float] = {}
        for op in self.ops:
            key = getattr(op, by)
            out[key] = out.get(key, 0.0) + op.total_s
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def bound(self) -> str:
        """The resource that accounts for most of the step's time."""
        by_bound = self.breakdown("bound")
        return max(by_bound, key=by_bound.__getitem__) if by_bound else "compute"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "system": self.system,
            "phase": self.phase,
            "batch": self.batch,
            "context": self.context,
            "tp": self.tp,
            "fusion": self.fusion,
            "mapping": self.mapping,
            "cost_model": self.cost_model,
            "latency_s": self.latency_s,
            "tokens_per_s": self.tokens_per_s,
            "flops": self.flops,
            "bytes": self.bytes,
            "memory_bytes": self.memory_bytes,
            "memory_bytes_scope": MEMORY_BYTES_SCOPE,
            "fits": self.fits,
            "bound": self.bound,
            "breakdown": self.breakdown("kind"),
            "breakdown_by_device": self.breakdown("device"),
            "memory": [asdict(m) | {"total_bytes": m.total_bytes, "fits": m.fits} for m in self.memory],
            "ops": [asdict(o) | {"total_s": o.total_s} for o in self.ops],
            "notes": list(self.notes),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)
