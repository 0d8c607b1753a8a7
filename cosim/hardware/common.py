"""Pieces every device schema shares: positive quantities, attached memory, efficiency caps, identity.

Kept in one place so a GPU, an NPU and a PIM device describe memory and efficiency the same way,
and so the "achievable fraction of peak" defaults carry their source once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from cosim.config import Bytes, BytesPerSecond, FlopsPerSecond, Hertz, Seconds, StrictModel
from cosim.workload.dtypes import DType

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
PositiveBytes = Annotated[Bytes, Field(gt=0)]
PositiveBandwidth = Annotated[BytesPerSecond, Field(gt=0)]
PositiveHertz = Annotated[Hertz, Field(gt=0)]
PositiveFlops = Annotated[FlopsPerSecond, Field(gt=0)]
NonNegativeSeconds = Annotated[Seconds, Field(ge=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]

# AttAcc simulator (scale-snu/attacc_simulator @ c600051, src/config.py): MAX_COMPUTE_UTIL = 0.8 and
# MAX_OFF_MEM_BW_UTIL = 0.85 cap the achievable fraction of peak FLOP/s and HBM bandwidth on a GPU.
DEFAULT_COMPUTE_EFFICIENCY = 0.8
DEFAULT_MEMORY_EFFICIENCY = 0.85


class MemoryTechnology(StrEnum):
    HBM2 = "hbm2"
    HBM2E = "hbm2e"
    HBM3 = "hbm3"
    HBM3E = "hbm3e"
    DDR4 = "ddr4"
    DDR5 = "ddr5"
    LPDDR5 = "lpddr5"
    GDDR6 = "gddr6"
    GDDR6X = "gddr6x"  # PAM4 GDDR6 (Micron), e.g. GeForce RTX 4090
    GDDR7 = "gddr7"  # PAM3 GDDR7, e.g. RTX PRO 6000 Blackwell
    SRAM = "sram"


class MemorySpec(StrictModel):
    """Memory attached to a compute device: what it holds and how fast the device can stream it."""

    technology: MemoryTechnology
    capacity: PositiveBytes
    bandwidth: PositiveBandwidth
    stacks: PositiveInt | None = None
    # Memory the driver keeps out of what the runtime reports as the device's total (cudaMemGetInfo's total is
    # ``capacity - reserved``): a device measurement, 0 where none is known. Serving engines size their KV cache
    # from the reported total (cosim.engine.kv_sizing); placement checks still use the full capacity.
    reserved: Annotated[Bytes, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _reserved_within_capacity(self) -> MemorySpec:
        if self.reserved >= self.capacity:
            raise ValueError(f"reserved ({self.reserved:g} B) must be less than capacity ({self.capacity:g} B)")
        return self

    @property
    def visible_bytes(self) -> float:
        """What the runtime reports as the device's total memory: the capacity less what the driver keeps."""
        return self.capacity - self.reserved

    @property
    def capacity_bytes(self) -> float:
        return self.capacity

    @property
    def bw_bytes_per_s(self) -> float:
        return self.bandwidth


class Efficiency(StrictModel):
    """Achievable fraction of peak: roofline models multiply peaks by these."""

    compute: Fraction = DEFAULT_COMPUTE_EFFICIENCY
    memory: Fraction = DEFAULT_MEMORY_EFFICIENCY


def parse_rate_table(value: object) -> object:
    """Accept ``{bf16: "312 TFLOPS"}`` with dtype aliases ("bfloat16"); reject unknown dtypes by name."""
    if not isinstance(value, Mapping):
        return value
    out = {}
    for key, rate in value.items():
        out[DType.parse(str(key)).value] = rate
    return out


RateTable = dict[DType, PositiveFlops]


class DeviceBase(StrictModel):
    """Identity fields every device spec carries."""

    name: str = Field(min_length=1)
    description: str = ""
    source: str = ""

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()


def bandwidth_matched_flops(bw_bytes_per_s: float, element_bytes: float, macs_per_element: float) -> float:
    """FLOP/s of MAC units that consume every streamed element ``macs_per_element`` times (2 FLOP/MAC).

    This is how PIM compute is sized when the paper gives the bandwidth but not the PU clock: the
    units keep up with the bank reads, so the GEMV runs at memory speed (CHIME N_cmr, AttAcc opb).
    """
    return 2.0 * macs_per_element * bw_bytes_per_s / element_bytes
