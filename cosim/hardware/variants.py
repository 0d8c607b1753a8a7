"""Hardware variants of a system: the same devices with other bandwidth, compute, capacity, overhead.

A variant is named by ``{device or link name: {parameter: value}}``. The scalar path applies it
with :func:`system_with_overrides`; the vectorized path (cosim.engine.vectorized) takes arrays of the
same parameters, so both describe a variant identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, LinkCaps
from cosim.hardware.system import SlotView, SystemView

DEVICE_PARAMS = ("mem_bw_bytes_per_s", "flops_scale", "mem_capacity_bytes", "op_overhead_s")
"""``flops_scale`` multiplies every peak (matrix and vector, every dtype) of the device."""
LINK_PARAMS = ("bw_bytes_per_s", "latency_s")


def check_params(name: str, params: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in params:
        if key not in allowed:
            raise CosimInputError(
                f"unknown variant parameter {key!r} for {name!r}", field=f"{name}.{key}", allowed=allowed
            )


def vary_caps(caps: DeviceCaps, params: Mapping[str, float]) -> DeviceCaps:
    check_params(caps.name, params, DEVICE_PARAMS)
    scale = float(params.get("flops_scale", 1.0))
    changes: dict[str, Any] = {k: float(v) for k, v in params.items() if k != "flops_scale"}
    if scale != 1.0:
        changes["matrix_flops_per_s"] = {d: v * scale for d, v in caps.matrix_flops_per_s.items()}
        changes["vector_flops_per_s"] = {d: v * scale for d, v in caps.vector_flops_per_s.items()}
    return replace(caps, **changes)


def vary_link(link: LinkCaps, params: Mapping[str, float]) -> LinkCaps:
    check_params(link.name, params, LINK_PARAMS)
    return replace(link, **{k: float(v) for k, v in params.items()})


class SystemVariant:
    """A system seen through overrides: same devices, slots and links, other numbers."""

    def __init__(self, base: SystemView, variant: Mapping[str, Mapping[str, float]]) -> None:
        self.base = base
        self.name: str = base.name
        self.devices: Mapping[str, SlotView] = base.devices
        self._device_params = {k: v for k, v in variant.items() if k in base.devices}
        self._link_params = {k: v for k, v in variant.items() if k not in base.devices}

    def caps(self, name: str) -> DeviceCaps:
        caps = self.base.caps(name)
        return vary_caps(caps, self._device_params[name]) if name in self._device_params else caps

    def _link(self, link: LinkCaps | None) -> LinkCaps | None:
        if link is None or link.name not in self._link_params:
            return link
        return vary_link(link, self._link_params[link.name])

    def link_between(self, a: str, b: str) -> LinkCaps | None:
        return self._link(self.base.link_between(a, b))

    def collective_link(self, name: str) -> LinkCaps | None:
        return self._link(self.base.collective_link(name))

    def compute_devices(self) -> list[str]:
        return list(self.base.compute_devices())

    def pim_devices(self) -> list[str]:
        return list(self.base.pim_devices())

    def __getattr__(self, item: str) -> Any:  # anything else (description, spec helpers) from the base
        base = self.__dict__.get("base")  # absent while unpickling: no forwarding (it would recurse)
        if base is None:
            raise AttributeError(item)
        return getattr(base, item)


def system_with_overrides(system: SystemView, variant: Mapping[str, Mapping[str, float]]) -> SystemVariant:
    return SystemVariant(system, variant)
