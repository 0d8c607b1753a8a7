"""Cost-model interface and registry.

A cost model scores one operator on one device. The model used for a device is chosen per device
kind (``DEFAULT_BY_KIND``) and can be overridden per device in a system file (``cost_model:``),
so the cycle-approximate DRAM/PIM model and the calibrated GPU/NPU models replace the roofline
one device kind at a time, without touching graphs, mappings or schedulers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.registry import Registry
from cosim.workload.ops import Operator


@dataclass(frozen=True)
class OpTiming:
    """Time of one copy of an operator on one device, split by what limits it."""

    compute_s: float
    memory_s: float
    overhead_s: float
    latency_s: float
    bound: str  # one of cosim.perf.result.BOUNDS


class CostModel(ABC):
    """Scores operators on a device. Subclasses register themselves by ``name``."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[DeviceKind] | None] = None
    """Device kinds the model can time (None: any). Asked for another kind, :func:`cost_model_for` refuses
    instead of letting the model fall back to something else (``pim`` on a GPU used to return the roofline)."""

    @abstractmethod
    def op_timing(self, op: Operator, caps: DeviceCaps, spec: Any = None) -> OpTiming:
        """Time of one copy of ``op`` on the device described by ``caps`` (``spec``: its full schema)."""


COST_MODELS: Registry[type[CostModel]] = Registry("cost model", "cost_model")
"""Cost-model classes by name; a name registered twice is an error (``register_cost_model``)."""

DEFAULT_BY_KIND: dict[DeviceKind, str] = {
    DeviceKind.GPU: "gpu-kernel",  # cosim.perf.gpu
    DeviceKind.NPU: "systolic",  # cosim.perf.npu
    DeviceKind.DIMM_PIM: "pim",  # cosim.perf.pim.cost_model
    DeviceKind.HBM_PIM: "pim",  # cosim.perf.pim.cost_model
}


def register_cost_model(name: str):
    """Class decorator: make a cost model available by name (in system files and the CLI)."""

    def decorate(cls: type[CostModel]) -> type[CostModel]:
        COST_MODELS.add(name, cls)
        cls.name = name
        return cls

    return decorate


def available_cost_models() -> list[str]:
    return COST_MODELS.names()


def get_cost_model(name: str) -> CostModel:
    """A fresh instance of the cost model registered as ``name`` (unknown names: one-line user error)."""
    return COST_MODELS.get(name)()


def cost_model_for(kind: DeviceKind, override: str | None = None) -> CostModel:
    """The cost model of a device: ``override`` (system file, CLI) or the kind's default; a model that cannot
    time this kind is a one-line user error listing those that can."""
    model = get_cost_model(override or DEFAULT_BY_KIND[kind])
    if model.kinds is not None and kind not in model.kinds:
        able = [n for n in COST_MODELS.names() if COST_MODELS.get(n).kinds is None or kind in COST_MODELS.get(n).kinds]
        raise CosimInputError(f"cost model {model.name!r} times {', '.join(sorted(k.value for k in model.kinds))} "
                              f"devices, not {kind.value}", field="cost_model", allowed=able)
    return model
