"""YAML schema of a mapping file (mappings/*.yaml): ordered op rules and tensor rules.

Rules are matched in order and the first match wins, so a file reads top-down like a routing table:
specific exceptions first, a catch-all rule (no ``match``) last.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from cosim.config import StrictModel
from cosim.workload.ops import OpKind, Phase, TensorClass


def _as_list(value: Any) -> Any:
    """Let YAML say ``kind: gemm`` as well as ``kind: [gemm, lm_head]``."""
    if value is None or isinstance(value, list | tuple):
        return value
    return [value]


class OpMatch(StrictModel):
    """Which operators a rule applies to; every given field must match (omitted fields match anything)."""

    name: list[str] | None = None  # fnmatch globs on the operator name
    kind: list[OpKind] | None = None
    phase: list[Phase] | None = None
    block: list[str] | None = None  # fnmatch globs on the operator's block ("decoder", ...)

    _lists = field_validator("name", "kind", "phase", "block", mode="before")(_as_list)


class OpRule(StrictModel):
    match: OpMatch = Field(default_factory=OpMatch)
    device: str


class TensorMatch(StrictModel):
    """Which persistent tensors (weights, KV cache) a rule places."""

    name: list[str] | None = None  # fnmatch globs on the tensor name
    cls: list[TensorClass] | None = None

    _lists = field_validator("name", "cls", mode="before")(_as_list)


class TensorRule(StrictModel):
    match: TensorMatch = Field(default_factory=TensorMatch)
    device: str
    # Recorded for the detailed PIM/DRAM models (e.g. {across: [channel, rank], by: head} or
    # "tensor_parallel"); the roofline stage only needs the home device.
    partition: dict[str, Any] | str | None = None


class MappingSpec(StrictModel):
    name: str
    description: str = ""
    ops: list[OpRule] = Field(min_length=1)
    tensors: list[TensorRule] = Field(default_factory=list)
