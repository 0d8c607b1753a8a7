"""Links between devices: PCIe / CXL bandwidth derived from generation, lanes and line encoding.

Deriving the bandwidth (instead of writing "32 GB/s") keeps the encoding overhead visible:
PCIe gen4 x16 is 16 GT/s x 16 lanes x 128/130 / 8 = 31.5 GB/s per direction, not 32.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from cosim.hardware.caps import LinkCaps
from cosim.hardware.common import NonNegativeSeconds, PositiveBandwidth, PositiveInt, StrictModel


class LinkKind(StrEnum):
    PCIE = "pcie"
    CXL = "cxl"
    NVLINK = "nvlink"
    DDR = "ddr"
    ETHERNET = "ethernet"


# PCI-SIG base specifications: raw rate per lane (GT/s) and payload fraction of the line code.
# Gen1/2: 8b/10b; gen3-5: 128b/130b; gen6: FLIT mode (PAM4), each 256-byte flit carries 236 bytes of
# TLP payload (the rest: 6 B DLP, 8 B CRC, 6 B FEC).
PCIE_GENERATIONS: dict[int, tuple[float, float]] = {
    1: (2.5e9, 8 / 10),
    2: (5.0e9, 8 / 10),
    3: (8.0e9, 128 / 130),
    4: (16.0e9, 128 / 130),
    5: (32.0e9, 128 / 130),
    6: (64.0e9, 236 / 256),
}
PCIE_LANE_COUNTS = (1, 2, 4, 8, 16, 32)


def pcie_bw_bytes_per_s(gen: int, lanes: int) -> float:
    """Per-direction payload bandwidth of one PCIe link (CXL rides on the same PHY)."""
    rate, efficiency = PCIE_GENERATIONS[gen]
    return rate * lanes * efficiency / 8


class LinkSpec(StrictModel):
    """One link (or ``count`` identical parallel links) between two devices of a system."""

    name: str = ""
    kind: LinkKind
    gen: int | None = None  # PCIe generation (CXL: the PCIe PHY generation it runs on)
    lanes: PositiveInt | None = None
    bandwidth: PositiveBandwidth | None = None  # per direction, one instance; overrides gen/lanes
    latency: NonNegativeSeconds = 0.0
    count: PositiveInt = 1
    between: list[str] = Field(min_length=2, max_length=2)
    source: str = ""

    @model_validator(mode="after")
    def _bandwidth_defined(self) -> LinkSpec:
        if self.gen is not None and self.gen not in PCIE_GENERATIONS:
            raise ValueError(f"gen {self.gen} is not a PCIe generation (allowed: "
                             f"{', '.join(map(str, PCIE_GENERATIONS))})")
        if self.lanes is not None and self.lanes not in PCIE_LANE_COUNTS:
            raise ValueError(f"lanes {self.lanes} is not a PCIe link width (allowed: "
                             f"{', '.join(map(str, PCIE_LANE_COUNTS))})")
        if self.bandwidth is None:
            if self.kind not in (LinkKind.PCIE, LinkKind.CXL):
                raise ValueError(f"a {self.kind.value} link needs 'bandwidth' (only pcie/cxl derive it "
                                 "from gen and lanes)")
            if self.gen is None or self.lanes is None:
                raise ValueError("give 'gen' and 'lanes', or 'bandwidth'")
        if self.between[0] == self.between[1]:
            raise ValueError(f"between names the same device twice ({self.between[0]!r}); a link among the "
                             "devices of one slot is a collective link")
        return self

    @property
    def instance_bw_bytes_per_s(self) -> float:
        if self.bandwidth is not None:
            return self.bandwidth
        assert self.gen is not None and self.lanes is not None  # checked by the validator
        return pcie_bw_bytes_per_s(self.gen, self.lanes)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.gen is not None and self.lanes is not None:
            base = f"{self.kind.value}-gen{self.gen}-x{self.lanes}"
        else:
            base = self.kind.value
        return f"{self.count}x {base}" if self.count > 1 else base

    def caps(self) -> LinkCaps:
        return LinkCaps(name=self.label, kind=self.kind.value,
                        bw_bytes_per_s=self.instance_bw_bytes_per_s * self.count, latency_s=self.latency)


class CollectiveLinkSpec(StrictModel):
    """The fabric among the ``count`` devices of one slot (e.g. NVLink + NVSwitch in a DGX)."""

    kind: LinkKind = LinkKind.NVLINK
    bandwidth: PositiveBandwidth  # per device, per direction
    latency: NonNegativeSeconds = 0.0
    source: str = ""

    def caps(self, name: str) -> LinkCaps:
        return LinkCaps(name=name, kind=self.kind.value, bw_bytes_per_s=self.bandwidth,
                        latency_s=self.latency)
