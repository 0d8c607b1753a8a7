"""Host-side time of one serving-engine iteration, during which the device waits.

A vLLM step is not only the forward pass: the scheduler runs, inputs are prepared and copied, logits are
sampled and detokenized. Those costs scale with the iteration (a constant), with the number of scheduled
sequences (per-request bookkeeping, sampling) and with the number of scheduled tokens (input preparation,
position/slot-mapping tensors). Three non-negative coefficients, all 0.0 by default, fitted later on
measured vLLM runs; the device time comes from the IterationTimer and the two add up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cosim.serving.options import config_from_dict, require


@dataclass(frozen=True)
class EngineOverhead:
    """``per_iteration_s + per_sequence_s * num_seqs + per_token_s * num_tokens`` seconds per iteration."""

    per_iteration_s: float = 0.0
    per_sequence_s: float = 0.0
    per_token_s: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            require(getattr(self, f.name) >= 0.0, "engine overhead", f.name, "must be >= 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, file: str | None = None) -> EngineOverhead:
        return config_from_dict(cls, data, kind="engine overhead", file=file)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    def iteration_s(self, num_seqs: int, num_tokens: int) -> float:
        """Overhead of one iteration; the same expression for single steps and skip-ahead blocks (exactness)."""
        return self.per_iteration_s + self.per_sequence_s * num_seqs + self.per_token_s * num_tokens
