"""A mapping: which device runs each operator and which device's memory holds each persistent tensor.

Rule device names are the system's device names. So that one preset works on many systems, a rule may
also name a role instead: ``compute`` (the first GPU/NPU), ``gpu``/``npu`` (the first device of that
kind), ``pim`` (the first PIM device) or ``dimm_pim``/``hbm_pim``. :meth:`Mapping.bind` resolves roles
against a system and checks every device exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from cosim.config import load_with_extends, resolve_preset, validate
from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceKind
from cosim.mapping.schema import MappingSpec, OpMatch, OpRule, TensorMatch, TensorRule
from cosim.workload.ops import Operator, Phase, TensorClass

ROLE_NAMES = ("compute", "gpu", "npu", "pim", "dimm_pim", "hbm_pim")


def _glob_any(value: str, patterns: list[str] | None) -> bool:
    return patterns is None or any(fnmatchcase(value, p) for p in patterns)


def op_phase(op: Operator, phase: Phase) -> Phase:
    """The phase an operator serves: its own (one part of a mixed iteration) or the step's."""
    own = op.attrs.get("phase")
    return phase if own is None else Phase.parse(own)


def op_matches(match: OpMatch, op: Operator, phase: Phase) -> bool:
    phase = op_phase(op, phase)
    return (
        _glob_any(op.name, match.name)
        and (match.kind is None or op.kind in match.kind)
        and (match.phase is None or phase in match.phase)
        and _glob_any(op.block, match.block)
    )


def tensor_matches(match: TensorMatch, name: str, cls: TensorClass | None) -> bool:
    return _glob_any(name, match.name) and (match.cls is None or (cls is not None and cls in match.cls))


def tensor_class_of(tensor: Any) -> TensorClass | None:
    """Class of a persistent tensor (or TensorAccess); tolerant of how the workload stage spells it."""
    if tensor is None:
        return None
    if isinstance(tensor, TensorClass):
        return tensor
    for attr in ("cls", "tensor_class", "kind"):
        value = getattr(tensor, attr, None)
        if value is not None:
            try:
                return TensorClass(value)
            except ValueError:
                continue
    return None


@dataclass(frozen=True)
class Mapping:
    """Ordered op rules and tensor rules; the first matching rule wins."""

    name: str
    op_rules: tuple[OpRule, ...]
    tensor_rules: tuple[TensorRule, ...] = ()
    description: str = ""
    source: str | None = None  # file the mapping came from (for error messages)

    def device_of(self, op: Operator, phase: Phase | str) -> str:
        phase = Phase.parse(phase)
        for rule in self.op_rules:
            if op_matches(rule.match, op, phase):
                return rule.device
        raise CosimInputError(
            f"no rule maps operator {op.name!r} (kind {op.kind.value}, phase {phase.value}); "
            "add a catch-all rule without 'match'",
            file=self.source,
            field="ops",
        )

    def fallback_device(self) -> str | None:
        """Device of the catch-all op rule (where unmatched tensors live), if there is one."""
        for rule in self.op_rules:
            if rule.match == OpMatch():
                return rule.device
        return None

    def tensor_rule_of(self, tensor_name: str, tensor: Any = None) -> TensorRule | None:
        cls = tensor_class_of(tensor)
        for rule in self.tensor_rules:
            if tensor_matches(rule.match, tensor_name, cls):
                return rule
        return None

    def home_of(self, tensor_name: str, tensor: Any = None) -> str:
        """Device whose memory holds a persistent tensor (``tensor``: PersistentTensor, access or class)."""
        rule = self.tensor_rule_of(tensor_name, tensor)
        if rule is not None:
            return rule.device
        fallback = self.fallback_device()
        if fallback is None:
            raise CosimInputError(
                f"no rule places tensor {tensor_name!r} and no catch-all op rule gives a default device",
                file=self.source,
                field="tensors",
            )
        return fallback

    def bind(self, system: Any) -> Mapping:
        """Resolve role names against ``system``; unknown devices raise a one-line error."""
        ops = tuple(
            r.model_copy(
                update={
                    "device": resolve_device(system, r.device, file=self.source, field=f"ops[{i}].device")
                }
            )
            for i, r in enumerate(self.op_rules)
        )
        tensors = tuple(
            r.model_copy(
                update={
                    "device": resolve_device(system, r.device, file=self.source, field=f"tensors[{i}].device")
                }
            )
            for i, r in enumerate(self.tensor_rules)
        )
        return replace(self, op_rules=ops, tensor_rules=tensors)


def _kind_of(system: Any, name: str) -> DeviceKind:
    return DeviceKind(system.caps(name).kind)


def resolve_device(system: Any, device: str, *, file: str | None = None, field: str | None = None) -> str:
    if device in system.devices:
        return device
    names = list(system.devices)
    candidates: list[str] = []
    role = device.strip().lower()
    if role == "compute":
        candidates = list(system.compute_devices())
    elif role in ("gpu", "npu"):
        candidates = [n for n in system.compute_devices() if _kind_of(system, n).value == role]
    elif role == "pim":
        candidates = list(system.pim_devices())
    elif role in ("dimm_pim", "hbm_pim"):
        candidates = [n for n in system.pim_devices() if _kind_of(system, n).value == role]
    if candidates:
        return candidates[0]
    raise CosimInputError(
        f"device {device!r} is not in system {getattr(system, 'name', '?')!r}",
        file=file,
        field=field,
        allowed=[*names, *(f"role {r}" for r in ROLE_NAMES)],
    )


def mapping_from_dict(data: dict[str, Any], *, source: str | Path | None = None) -> Mapping:
    spec = validate(MappingSpec, data, file=source)
    return Mapping(
        name=spec.name,
        description=spec.description,
        op_rules=tuple(spec.ops),
        tensor_rules=tuple(spec.tensors),
        source=str(source) if source is not None else None,
    )


def load_mapping(name_or_path: str | Path | Mapping) -> Mapping:
    """Load a mapping preset (mappings/<name>.yaml) or file; ``extends:`` is honoured."""
    if isinstance(name_or_path, Mapping):
        return name_or_path
    path = resolve_preset(name_or_path, "mappings", what="mapping")
    data = load_with_extends(path, "mappings", what="mapping")
    return mapping_from_dict(data, source=path)
