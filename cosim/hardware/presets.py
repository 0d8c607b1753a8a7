"""Load device and system files from hw/ (or any path), with ``extends`` and per-slot overrides.

Every failure is a one-line CosimInputError naming the file and the field, so a what-if YAML
written by hand fails with a message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from cosim.config import StrictModel, deep_merge, list_presets, load_with_extends, resolve_preset, validate
from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceKind
from cosim.hardware.common import PositiveInt
from cosim.hardware.link import CollectiveLinkSpec, LinkSpec
from cosim.hardware.system import SPEC_CLASSES, DeviceSlot, System

_WHAT = "hardware"
SYSTEM_KIND = "system"
DEVICE_KINDS = [k.value for k in DeviceKind]


class SlotFile(StrictModel):
    preset: str | None = None
    spec: dict[str, Any] | None = None
    count: PositiveInt = 1
    memory_of: str | None = None
    cost_model: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> SlotFile:
        if (self.preset is None) == (self.spec is None):
            raise ValueError("give exactly one of 'preset' (a device preset name or file) and 'spec' "
                             "(inline)")
        return self


class SystemFile(StrictModel):
    name: str = Field(min_length=1)
    kind: str = SYSTEM_KIND
    description: str = ""
    source: str = ""
    devices: dict[str, SlotFile] = Field(min_length=1)
    links: list[LinkSpec] = Field(default_factory=list)
    collective_links: dict[str, CollectiveLinkSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kind_is_system(self) -> SystemFile:
        if self.kind != SYSTEM_KIND:
            raise ValueError(f"kind of a system file must be {SYSTEM_KIND!r}")
        return self


def _resolve(name_or_path: str | Path) -> Path:
    try:
        return resolve_preset(name_or_path, "hw", what=_WHAT)
    except CosimInputError:
        raise
    except (OSError, ValueError) as exc:  # e.g. a NUL byte in a path
        raise CosimInputError(f"cannot open {str(name_or_path)!r}: {exc}", field=_WHAT) from None


def _load(name_or_path: str | Path) -> tuple[Path, dict[str, Any]]:
    path = _resolve(name_or_path)
    try:
        return path, load_with_extends(path, "hw", what=_WHAT)
    except CosimInputError:
        raise
    except (OSError, ValueError, TypeError, AttributeError) as exc:  # malformed merge inputs
        raise CosimInputError(f"cannot load: {exc}", file=path) from None


def _is_system(data: Mapping[str, Any]) -> bool:
    return "devices" in data or data.get("kind") == SYSTEM_KIND


def parse_device(data: Any, *, file: str | Path | None = None, field_prefix: str | None = None):
    """Validate one device document; ``kind`` picks the schema (unknown kinds list the allowed ones)."""
    def where(name: str) -> str:
        return f"{field_prefix}.{name}" if field_prefix else name

    if not isinstance(data, Mapping):
        raise CosimInputError(f"expected a mapping of fields, got {type(data).__name__}", file=file,
                              field=field_prefix)
    kind = data.get("kind")
    if kind is None:
        raise CosimInputError("required field is missing", file=file, field=where("kind"),
                              allowed=DEVICE_KINDS)
    try:
        device_kind = DeviceKind(kind) if isinstance(kind, str) else None
    except ValueError:
        device_kind = None
    if device_kind is None:
        raise CosimInputError(f"unknown device kind {kind!r}", file=file, field=where("kind"),
                              allowed=DEVICE_KINDS)
    return validate(SPEC_CLASSES[device_kind], data, file=file, field_prefix=field_prefix)


def load_device(name_or_path: str | Path):
    """A device preset name (``list_hardware()``) or a YAML/JSON file -> its spec (GpuSpec, ...)."""
    path, data = _load(name_or_path)
    if _is_system(data):
        raise CosimInputError("this is a system file; use load_system", file=path, field="kind",
                              allowed=DEVICE_KINDS)
    return parse_device(data, file=path)


def _slot(name: str, slot: SlotFile, path: Path) -> DeviceSlot:
    prefix = f"devices.{name}"
    if slot.preset is not None:
        try:
            base_path, data = _load(slot.preset)
        except CosimInputError as exc:
            raise exc.with_context(file=path, field_prefix=f"{prefix}.preset") from None
        if _is_system(data):
            raise CosimInputError(f"{slot.preset!r} is a system preset, not a device", file=path,
                                  field=f"{prefix}.preset")
        file: Path = base_path if not slot.overrides else path
    else:
        data, file = dict(slot.spec or {}), path
    if slot.overrides:
        data = deep_merge(data, slot.overrides)
    spec = parse_device(data, file=file, field_prefix=prefix if file == path else None)
    return DeviceSlot(spec=spec, count=slot.count, memory_of=slot.memory_of, cost_model=slot.cost_model)


def _system_from_device(spec) -> System:
    slot_name = "pim" if spec.kind.is_pim else spec.kind.value
    return System(name=spec.name, description=spec.description, source=spec.source,
                  devices={slot_name: DeviceSlot(spec=spec)})


def load_system(name_or_path: str | Path) -> System:
    """A system (or device) preset name or file -> System. A device becomes a one-device system."""
    path, data = _load(name_or_path)
    if not _is_system(data):
        return _system_from_device(parse_device(data, file=path))
    raw = validate(SystemFile, data, file=path)
    devices = {name: _slot(name, slot, path) for name, slot in raw.devices.items()}
    try:
        return System(name=raw.name, description=raw.description, source=raw.source, devices=devices,
                      links=tuple(raw.links), collective_links=dict(raw.collective_links))
    except CosimInputError as exc:
        raise exc.with_context(file=path) from None


def list_hardware() -> dict[str, str]:
    """Shipped presets in hw/: name -> 'system' or the device kind ('gpu', 'dimm_pim', ...)."""
    out: dict[str, str] = {}
    for name in list_presets("hw"):
        _, data = _load(name)
        out[name] = SYSTEM_KIND if _is_system(data) else str(data.get("kind"))
    return out
