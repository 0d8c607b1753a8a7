"""A system: named device slots (each ``count`` identical devices) and the links between them.

The system answers the questions mappings and schedulers ask: what each device can do (``caps``),
how bytes move between two devices (``link_between``: None when they share memory, as HBM-PIM inside
a GPU's HBM does), and how the devices of one slot talk to each other (``collective_link``: NVLink).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, runtime_checkable

from pydantic import Field

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, DeviceKind, LinkCaps
from cosim.hardware.dimm_pim import DimmPimSpec
from cosim.hardware.gpu import GpuSpec
from cosim.hardware.hbm_pim import HbmPimSpec
from cosim.hardware.link import CollectiveLinkSpec, LinkSpec
from cosim.hardware.npu import NpuSpec

DeviceSpec = Annotated[GpuSpec | NpuSpec | DimmPimSpec | HbmPimSpec, Field(discriminator="kind")]
"""Any device schema; pydantic picks the class from ``kind``."""

SPEC_CLASSES: dict[DeviceKind, type[GpuSpec | NpuSpec | DimmPimSpec | HbmPimSpec]] = {
    DeviceKind.GPU: GpuSpec,
    DeviceKind.NPU: NpuSpec,
    DeviceKind.DIMM_PIM: DimmPimSpec,
    DeviceKind.HBM_PIM: HbmPimSpec,
}


@runtime_checkable
class SlotView(Protocol):
    """What the pipeline reads of one device slot (``DeviceSlot``, or a test's hand-built slot)."""

    @property
    def spec(self) -> Any:
        """The device schema (GpuSpec, ...); cost models that need more than the caps read it."""

    @property
    def count(self) -> int:
        """Identical devices in the slot."""

    @property
    def memory_of(self) -> str | None:
        """The slot whose memory this device computes in (HBM-PIM inside the GPU's HBM), or None."""

    @property
    def cost_model(self) -> str | None:
        """A cost-model override for the slot, or None for the default of its kind."""


@runtime_checkable
class SystemView(Protocol):
    """The system contract of the mapping, cost-model, schedule and engine stages.

    ``System`` implements it; so do ``cosim.hardware.variants.SystemVariant`` (a system seen through
    parameter overrides) and the hand-built systems of the unit tests. Everything downstream of
    ``load_system`` asks only these questions, so anything that answers them can be predicted on.
    """

    @property
    def name(self) -> str: ...

    @property
    def devices(self) -> Mapping[str, SlotView]:
        """Slots by device name, in the system's order."""

    def caps(self, name: str) -> DeviceCaps:
        """Caps of ONE device of slot ``name``."""

    def link_between(self, a: str, b: str) -> LinkCaps | None:
        """The link carrying bytes from ``a`` to ``b``; None when the two share memory."""

    def collective_link(self, name: str) -> LinkCaps | None:
        """The fabric among the devices of slot ``name``; None for a single device."""

    def compute_devices(self) -> list[str]:
        """GPU/NPU slot names, in order."""

    def pim_devices(self) -> list[str]:
        """PIM slot names, in order."""


@dataclass(frozen=True)
class DeviceSlot:
    """``count`` identical devices of one spec (8 GPUs of a DGX, one DIMM-PIM pool...)."""

    spec: GpuSpec | NpuSpec | DimmPimSpec | HbmPimSpec
    count: int = 1
    memory_of: str | None = None  # the slot whose memory this device computes in
    cost_model: str | None = None

    @property
    def kind(self) -> DeviceKind:
        return self.spec.kind


@dataclass(frozen=True)
class System:
    name: str
    devices: dict[str, DeviceSlot]
    description: str = ""
    links: tuple[LinkSpec, ...] = ()
    collective_links: Mapping[str, CollectiveLinkSpec] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        names = list(self.devices)
        if not names:
            raise CosimInputError("a system needs at least one device", field="devices")
        for slot_name, slot in self.devices.items():
            if slot.count < 1:
                raise CosimInputError(f"count must be >= 1, got {slot.count}",
                                      field=f"devices.{slot_name}.count")
            if slot.memory_of is not None:
                if slot.memory_of not in self.devices or slot.memory_of == slot_name:
                    others = [n for n in names if n != slot_name]
                    raise CosimInputError(f"unknown device {slot.memory_of!r}",
                                          field=f"devices.{slot_name}.memory_of", allowed=others or "(none)")
                if self.devices[slot.memory_of].memory_of is not None:
                    raise CosimInputError(
                        f"{slot.memory_of!r} itself computes in another device's memory; "
                        "name the memory owner",
                        field=f"devices.{slot_name}.memory_of")
        for i, link in enumerate(self.links):
            for end in link.between:
                if end not in self.devices:
                    raise CosimInputError(f"unknown device {end!r}", field=f"links[{i}].between",
                                          allowed=names)
        for slot_name in self.collective_links:
            if slot_name not in self.devices:
                raise CosimInputError(f"unknown device {slot_name!r}", field="collective_links",
                                      allowed=names)

    # ---- queries ---------------------------------------------------------------------------------
    def slot(self, name: str) -> DeviceSlot:
        try:
            return self.devices[name]
        except KeyError:
            raise CosimInputError(f"system {self.name!r} has no device {name!r}", field="device",
                                  allowed=list(self.devices)) from None

    def caps(self, name: str) -> DeviceCaps:
        """Caps of ONE device of slot ``name``; a PIM inside another device's memory reports that capacity."""
        slot = self.slot(name)
        caps = slot.spec.caps()
        if slot.memory_of is not None:
            host = self.devices[slot.memory_of].spec.caps()
            caps = dataclasses.replace(caps, mem_capacity_bytes=host.mem_capacity_bytes)
        return caps

    def shares_memory(self, a: str, b: str) -> bool:
        sa, sb = self.slot(a), self.slot(b)
        return a == b or sa.memory_of == b or sb.memory_of == a or (
            sa.memory_of is not None and sa.memory_of == sb.memory_of)

    def link_between(self, a: str, b: str) -> LinkCaps | None:
        """Link carrying bytes from ``a`` to ``b``; None when the two share memory (no transfer)."""
        if self.shares_memory(a, b):
            return None
        for link in self.links:
            if set(link.between) == {a, b}:
                return link.caps()
        raise CosimInputError(f"system {self.name!r} has no link between {a!r} and {b!r}", field="links",
                              allowed=[" <-> ".join(link.between) for link in self.links] or "(no links)")

    def collective_link(self, name: str) -> LinkCaps | None:
        """The fabric among the ``count`` devices of slot ``name`` (per device); None for a single device."""
        slot = self.slot(name)
        if name in self.collective_links:
            return self.collective_links[name].caps(f"{name} collective")
        if slot.count > 1 and isinstance(slot.spec, GpuSpec) and slot.spec.nvlink is not None:
            nv = slot.spec.nvlink
            return LinkCaps(name=f"{name} nvlink", kind="nvlink", bw_bytes_per_s=nv.bandwidth,
                            latency_s=nv.latency)
        return None

    def compute_devices(self) -> list[str]:
        return [n for n, s in self.devices.items() if s.kind in (DeviceKind.GPU, DeviceKind.NPU)]

    def pim_devices(self) -> list[str]:
        return [n for n, s in self.devices.items() if s.kind.is_pim]
