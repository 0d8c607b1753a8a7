"""Host-side time of one serving-engine iteration, during which the device waits.

A vLLM step is not only the forward pass: the scheduler runs, inputs are prepared and copied, logits are
sampled and detokenized. Those costs scale with the iteration (a constant), with the number of scheduled
sequences (per-request bookkeeping, sampling) and with the number of scheduled tokens (input preparation,
position/slot-mapping tensors). An engine that launches kernels eagerly and synchronises the tensor-parallel
ranks also pays a host-side launch and collective latency per decoder layer that grows with log2(tp): that
term needs the deployment, and ``for_deployment(layers, tp)`` folds it into the per-iteration constant, so
the simulator only ever evaluates ``iteration_s(num_seqs, num_tokens)``: one expression, the same value for
a decode step taken alone and for each step of a skip-ahead block.

Prefill tokens and decode sequences are not told apart: a decode sequence is one sequence and one token, a
prefill of q tokens one sequence and q tokens, and the splitwise-sim vLLM fits (``cosim.validate.
serving_fit``) came out as good with (per sequence, per token) as with (per decode request, per prompt
token): the holdout errors agree within 0.1 percentage point. All coefficients are non-negative and 0.0
by default; the device time comes from the IterationTimer and the two add up.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cosim.errors import CosimInputError
from cosim.serving.options import config_from_dict, require


@dataclass(frozen=True)
class EngineOverhead:
    """``per_iteration_s + per_sequence_s * num_seqs + per_token_s * num_tokens`` seconds per iteration,
    plus ``per_layer_s * layers * log2(tp)`` once the deployment is known (``for_deployment``)."""

    per_iteration_s: float = 0.0
    per_sequence_s: float = 0.0
    per_token_s: float = 0.0
    per_layer_s: float = 0.0  # eager launch + collective latency per decoder layer and log2(tp)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            require(getattr(self, f.name) >= 0.0, "engine overhead", f.name, "must be >= 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, file: str | None = None) -> EngineOverhead:
        return config_from_dict(cls, data, kind="engine overhead", file=file)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    def for_deployment(self, layers: int, tp: int) -> EngineOverhead:
        """This overhead for a model of ``layers`` decoder layers on ``tp`` ranks: the per-layer term folded
        into ``per_iteration_s`` (``per_layer_s`` becomes 0.0; a tp of 1 has no collective and adds nothing)."""
        if layers < 0 or tp < 1:
            raise CosimInputError(f"engine overhead: a deployment needs layers >= 0 and tp >= 1, got layers={layers}, "
                                  f"tp={tp}", field="tp" if tp < 1 else "layers")
        per_iteration = self.per_iteration_s + self.per_layer_s * layers * math.log2(tp)
        return dataclasses.replace(self, per_iteration_s=per_iteration, per_layer_s=0.0)

    def iteration_s(self, num_seqs: int, num_tokens: int) -> float:
        """Overhead of one iteration; the same expression for single steps and skip-ahead blocks (exactness)."""
        if self.per_layer_s:
            raise CosimInputError("engine overhead: per_layer_s needs the deployment; use "
                                  "for_deployment(layers, tp) before timing iterations", field="per_layer_s")
        return self.per_iteration_s + self.per_sequence_s * num_seqs + self.per_token_s * num_tokens
