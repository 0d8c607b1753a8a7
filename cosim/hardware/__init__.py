"""Parameterized hardware: device schemas (GPU, NPU, DIMM-PIM, HBM-PIM), links, systems, presets in hw/."""

from cosim.hardware.caps import DeviceCaps, DeviceKind, LinkCaps
from cosim.hardware.common import Efficiency, MemorySpec, MemoryTechnology
from cosim.hardware.dimm_pim import BankPu, DimmOrganization, DimmPimSpec, DramDevice, PimLevel, RankPu
from cosim.hardware.dram_timing import DramTiming
from cosim.hardware.gpu import GpuSpec, NvlinkSpec
from cosim.hardware.hbm_pim import HbmPimSpec, HbmStack, PimUnits, Placement
from cosim.hardware.link import CollectiveLinkSpec, LinkKind, LinkSpec, pcie_bw_bytes_per_s
from cosim.hardware.npu import Dataflow, NpuSpec, SystolicArrays, VectorUnits
from cosim.hardware.presets import list_hardware, load_device, load_system, parse_device
from cosim.hardware.system import DeviceSlot, DeviceSpec, SlotView, System, SystemView

__all__ = [
    "BankPu",
    "CollectiveLinkSpec",
    "Dataflow",
    "DeviceCaps",
    "DeviceKind",
    "DeviceSlot",
    "DeviceSpec",
    "DimmOrganization",
    "DimmPimSpec",
    "DramDevice",
    "DramTiming",
    "Efficiency",
    "GpuSpec",
    "HbmPimSpec",
    "HbmStack",
    "LinkCaps",
    "LinkKind",
    "LinkSpec",
    "MemorySpec",
    "MemoryTechnology",
    "NpuSpec",
    "NvlinkSpec",
    "PimLevel",
    "PimUnits",
    "Placement",
    "RankPu",
    "SlotView",
    "System",
    "SystemView",
    "SystolicArrays",
    "VectorUnits",
    "list_hardware",
    "load_device",
    "load_system",
    "parse_device",
    "pcie_bw_bytes_per_s",
]
