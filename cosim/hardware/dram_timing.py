"""DRAM timing parameters a PIM device carries, as plain validated data (nCK + tCK).

The roofline stage only needs tCK and tCCD_L (the bank access interval); the cycle-approximate
DRAM/PIM model of a later stage reads the rest. Validating the set here (all positive, tRC >= tRAS +
tRP, long >= short variants, tCK consistent with the data rate) catches typos in what-if files
before they turn into silently wrong bandwidths.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from cosim.config import Seconds, TransfersPerSecond
from cosim.hardware.common import PositiveInt, StrictModel

# Timings a DDR4/DDR5 DIMM-PIM must give (the set in DRAMsim3's DDR4_8Gb_x8_3200.ini and CHIME Table I).
DDR_REQUIRED_TIMINGS = (
    "CL", "CWL", "tRCD", "tRP", "tRAS", "tRC", "tRRD_S", "tRRD_L", "tCCD_S", "tCCD_L",
    "tWTR_S", "tWTR_L", "tWR", "tRTP", "tFAW", "tRFC", "tREFI", "BL",
)

# (long, short) pairs: the same-bank-group variant can never be faster than the other-group one.
_LONG_SHORT = (("tRRD_L", "tRRD_S"), ("tCCD_L", "tCCD_S"), ("tWTR_L", "tWTR_S"))

# Data rate and tCK must agree to within this fraction (simulator configs round tCK: DDR4-3200 0.63 ns).
_TCK_TOLERANCE = 0.02


class DramTiming(StrictModel):
    """A DRAM standard's speed bin: data rate, clock period and named timings in clock cycles."""

    standard: str = Field(min_length=1)
    data_rate: Annotated[TransfersPerSecond, Field(gt=0)]
    tCK: Annotated[Seconds, Field(gt=0)]
    transfers_per_clock: PositiveInt = 2  # DDR; AttAcc models HBM3 DQ as quad data rate (4)
    timings: dict[str, PositiveInt] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> DramTiming:
        expected_tck = self.transfers_per_clock / self.data_rate
        if abs(self.tCK / expected_tck - 1.0) > _TCK_TOLERANCE:
            raise ValueError(
                f"tCK = {self.tCK * 1e9:.4g} ns does not match data_rate {self.data_rate / 1e6:g} MT/s "
                f"at {self.transfers_per_clock} transfers per clock (expected {expected_tck * 1e9:.4g} ns)")
        t = self.timings
        if {"tRC", "tRAS", "tRP"} <= t.keys() and t["tRC"] < t["tRAS"] + t["tRP"]:
            raise ValueError(f"timings.tRC = {t['tRC']} nCK must be >= tRAS + tRP = "
                             f"{t['tRAS'] + t['tRP']} nCK")
        if {"tRAS", "tRCD"} <= t.keys() and t["tRAS"] < t["tRCD"]:
            raise ValueError(f"timings.tRAS = {t['tRAS']} nCK must be >= tRCD = {t['tRCD']} nCK")
        for long, short in _LONG_SHORT:
            if {long, short} <= t.keys() and t[long] < t[short]:
                raise ValueError(f"timings.{long} = {t[long]} nCK must be >= {short} = {t[short]} nCK")
        if {"tREFI", "tRFC"} <= t.keys() and t["tREFI"] <= t["tRFC"]:
            raise ValueError(f"timings.tREFI = {t['tREFI']} nCK must be > tRFC = {t['tRFC']} nCK")
        return self

    def require(self, names: tuple[str, ...]) -> None:
        """Raise ValueError naming the missing timings (used by schemas that need a full set)."""
        missing = [n for n in names if n not in self.timings]
        if missing:
            raise ValueError(f"timings is missing {', '.join(missing)} (required: {', '.join(names)})")

    def nck(self, name: str) -> int:
        try:
            return self.timings[name]
        except KeyError:
            raise KeyError(f"timing {name!r} not given (have: {', '.join(sorted(self.timings))})") from None

    def seconds(self, name: str) -> float:
        """A timing in seconds: nCK x tCK."""
        return self.nck(name) * self.tCK

    @property
    def burst_beats(self) -> int:
        """Data beats of one burst: BL (in nCK, as CHIME Table I writes it) x transfers per clock."""
        return self.nck("BL") * self.transfers_per_clock
