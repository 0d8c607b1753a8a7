"""What one device must hold under a placement (weights, KV cache, activations) against its capacity.

Computed by the mapping stage (``cosim.mapping.validate.memory_use``) and carried on every
``StepResult`` (``cosim.perf.result`` re-exports it), so it lives here, below the cost models.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemoryUse:
    """Bytes one device of a kind must hold, by class, against its capacity."""

    device: str
    weights_bytes: float
    kv_cache_bytes: float
    activation_bytes: float
    capacity_bytes: float

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.kv_cache_bytes + self.activation_bytes

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.capacity_bytes

    @property
    def overflow_bytes(self) -> float:
        return max(0.0, self.total_bytes - self.capacity_bytes)
