"""`DramSpec`: one DRAM device/system configuration (organisation, timings, power, controller), as plain data.

The four sections mirror DRAMsim3's `.ini` files (`dram_structure`, `timing`, `power`, `system`) so that a
DRAMsim3 config and a cosim YAML preset go through the same validation and give the same numbers. Values
DRAMsim3 defaults when an `.ini` leaves them out get the same defaults here (fidelity on its own configs);
the fields every shipped `.ini` gives are required. Derived quantities (ranks from the channel size,
burst cycles, request size, capacity) follow DRAMsim3's `configuration.cc` definitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosim.errors import CosimInputError

# Protocol -> timing-table family (cosim/dram/families/<family>.yaml).
PROTOCOL_FAMILY = {
    "DDR3": "ddr", "DDR4": "ddr", "DDR5": "ddr", "LPDDR": "ddr", "LPDDR3": "ddr", "LPDDR4": "lpddr4",
    "GDDR5": "gddr", "GDDR5X": "gddr", "GDDR6": "gddr", "HBM": "hbm", "HBM2": "hbm", "HBM3": "hbm", "HMC": "ddr",
}
GDDR_PROTOCOLS = frozenset({"GDDR5", "GDDR5X", "GDDR6"})
HBM_PROTOCOLS = frozenset({"HBM", "HBM2", "HBM3"})

# Burst length per clock (DRAMsim3 `burst_cycle = BL / n`): DDR 2, GDDR5 4, GDDR5X 8, GDDR6 16; HBM3 4 (JESD238
# BL8 in 2 nCK, as Ramulator2 nBL = 2).
_BEATS_PER_BURST_CYCLE = {"GDDR5": 4, "GDDR5X": 8, "GDDR6": 16, "HBM3": 4}

REQUIRED = {
    "dram_structure": ("protocol", "bankgroups", "banks_per_group", "rows", "columns", "device_width"),
    "timing": ("tCK", "CL", "CWL", "tRP", "tRAS", "tFAW", "tWR"),
    "system": ("channel_size", "channels", "bus_width", "address_mapping"),
}

# DRAMsim3 defaults (configuration.cc) for what an .ini may leave out; nCK unless named otherwise.
TIMING_DEFAULTS: dict[str, float] = {
    "AL": 0, "tCCD_L": 6, "tCCD_S": 4, "tRTRS": 2, "tRTP": 5, "tWTR_L": 5, "tWTR_S": 5, "tRRD_L": 4, "tRRD_S": 4,
    "tRCD": 10, "tRFC": 74, "tCKE": 6, "tCKESR": 12, "tXS": 432, "tXP": 8, "tRFCb": 20, "tREFI": 7800, "tREFIb": 1950,
    "tRPRE": 1, "tWPRE": 1, "tPPD": 0, "t32AW": 330, "tRCDRD": 24, "tRCDWR": 20,
}
POWER_DEFAULTS: dict[str, float] = {
    "VDD": 1.2, "IDD0": 48, "IDD2P": 25, "IDD2N": 34, "IDD3P": 37, "IDD3N": 43, "IDD4W": 123, "IDD4R": 135,
    "IDD5AB": 250, "IDD5PB": 5, "IDD6x": 31,
}
SYSTEM_DEFAULTS: dict[str, Any] = {
    "queue_structure": "PER_BANK", "row_buf_policy": "OPEN_PAGE", "refresh_policy": "RANK_LEVEL_STAGGERED",
    "cmd_queue_size": 16, "trans_queue_size": 32, "unified_queue": False,
}
QUEUE_STRUCTURES = ("PER_BANK", "PER_RANK")
ROW_POLICIES = ("OPEN_PAGE", "CLOSE_PAGE")
REFRESH_POLICIES = ("RANK_LEVEL_STAGGERED", "RANK_LEVEL_SIMULTANEOUS", "BANK_LEVEL_STAGGERED", "NO_REFRESH")
MAPPING_FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")

MIB = 1 << 20


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


@dataclass(frozen=True)
class DramSpec:
    """A validated DRAM configuration. Timings in nCK (DRAM clock cycles), tCK in ns, currents in mA."""

    name: str
    protocol: str
    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    columns: int  # physical columns (device-width units), DRAMsim3's convention after its GDDR/HBM scaling
    device_width: int
    bus_width: int
    BL: int
    burst_cycle: int
    tCK_ns: float
    timing: Mapping[str, int]
    power: Mapping[str, float]
    address_mapping: str
    queue_structure: str = "PER_BANK"
    row_buf_policy: str = "OPEN_PAGE"
    refresh_policy: str = "RANK_LEVEL_STAGGERED"
    cmd_queue_size: int = 16
    trans_queue_size: int = 32
    unified_queue: bool = False
    hbm_dual_cmd: bool = False
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ---- derived -------------------------------------------------------------------------------------
    @property
    def family(self) -> str:
        return PROTOCOL_FAMILY[self.protocol]

    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def devices_per_rank(self) -> int:
        return max(1, self.bus_width // self.device_width)

    @property
    def request_size_bytes(self) -> int:
        """Bytes one read/write moves: bus width x burst length (DRAMsim3 `request_size_bytes`)."""
        return self.bus_width // 8 * self.BL

    @property
    def channel_bytes(self) -> int:
        page = self.columns * self.device_width // 8
        return page * self.rows * self.banks * self.devices_per_rank * self.ranks

    @property
    def capacity_bytes(self) -> int:
        return self.channel_bytes * self.channels

    @property
    def data_rate_mtps(self) -> float:
        """Transfers per second per pin, in MT/s (BL beats per burst_cycle clocks)."""
        return self.BL / self.burst_cycle / self.tCK_ns * 1e3

    @property
    def peak_bandwidth_bytes_per_s(self) -> float:
        """All channels streaming one request per burst_cycle."""
        return self.channels * self.request_size_bytes / (self.burst_cycle * self.tCK_ns * 1e-9)

    def t(self, name: str) -> int:
        """A timing parameter in nCK."""
        return self.timing[name]

    def derived_timing(self) -> dict[str, int]:
        """Named values the timing-table expressions may use: the raw timings plus DRAMsim3's derived ones."""
        t = dict(self.timing)
        t["burst_cycle"] = self.burst_cycle
        t["BL"] = self.BL
        t["RL"] = t["AL"] + t["CL"]
        t["WL"] = t["AL"] + t["CWL"]
        t["read_delay"] = t["RL"] + self.burst_cycle
        t["write_delay"] = t["WL"] + self.burst_cycle
        t["tRC"] = max(t.get("tRC", 0), t["tRAS"] + t["tRP"])
        t.setdefault("tRCDRD", t["tRCD"])
        t.setdefault("tRCDWR", t["tRCD"])
        # All-bank PIM column command interval: a given tCCD_AB (AttAcc nCCDAB) or one column per tCCD_L.
        t.setdefault("tCCD_AB", max(self.burst_cycle, t["tCCD_L"]))
        if self.bankgroups == 1:  # DRAMsim3: without bank groups the short (_S) timings apply everywhere
            for long, short in (("tCCD_L", "tCCD_S"), ("tWTR_L", "tWTR_S"), ("tRRD_L", "tRRD_S")):
                t[long] = t[short]
        return t

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name, "protocol": self.protocol, "channels": self.channels, "ranks": self.ranks,
            "bankgroups": self.bankgroups, "banks_per_group": self.banks_per_group, "rows": self.rows,
            "columns": self.columns, "bus_width": self.bus_width, "BL": self.BL, "tCK_ns": self.tCK_ns,
            "data_rate_MTps": round(self.data_rate_mtps, 1), "capacity_GiB": self.capacity_bytes / 2**30,
            "peak_GBps": self.peak_bandwidth_bytes_per_s / 1e9, "address_mapping": self.address_mapping,
            "request_bytes": self.request_size_bytes,
        }


# ---- building a spec from ini/yaml sections -----------------------------------------------------------
def _num(value: Any, *, file: Any, field_name: str, integer: bool) -> float:
    if isinstance(value, bool):
        raise CosimInputError("expected a number, got a boolean", file=file, field=field_name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CosimInputError(f"expected a number, got {value!r}", file=file, field=field_name) from None
    if not math.isfinite(number):
        raise CosimInputError(f"expected a finite number, got {value!r}", file=file, field=field_name)
    if integer:
        if number != int(number):
            raise CosimInputError(f"expected a whole number of clock cycles, got {value!r}", file=file,
                                  field=field_name)
        return int(number)
    return number


def _bool(value: Any, *, file: Any, field_name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise CosimInputError(f"expected true or false, got {value!r}", file=file, field=field_name,
                          allowed="true, false")


def _require_activate_to_column(protocol: str, tm: Mapping[str, Any], file: str | Path | None) -> None:
    """The activate-to-column delay the protocol's table uses must be written: DRAMsim3's defaults (tRCD 10,
    tRCDRD 24, tRCDWR 20 nCK) are off by 2x for most parts, so a file that left it out (meaning 22) would
    silently simulate another device. DDR-family files may give tRCDRD and tRCDWR instead (DRAMsim3's ST-*.ini
    do; DRAMsim3 then times DDR with its tRCD default, and so does cosim, for fidelity on those files). Every
    other timing DRAMsim3 defaults (``TIMING_DEFAULTS``) may be left out: shipped files omit them where the part
    has no such constraint or DRAMsim3's value is the intended one."""
    split = "tRCDRD" in tm and "tRCDWR" in tm
    if PROTOCOL_FAMILY[protocol] in ("gddr", "hbm"):
        if not split:  # DRAMsim3 would time a lone tRCD with its tRCDRD / tRCDWR defaults
            missing = next(k for k in ("tRCDRD", "tRCDWR") if k not in tm)
            raise CosimInputError(f"required timing is missing ({protocol} times activate-to-read and "
                                  "activate-to-write separately)", file=file, field=f"timing.{missing}",
                                  allowed="tRCDRD and tRCDWR in nCK")
    elif "tRCD" not in tm and not split:
        raise CosimInputError(f"required timing is missing ({protocol} activate-to-column delay)", file=file,
                              field="timing.tRCD", allowed="tRCD in nCK")


def spec_from_sections(sections: Mapping[str, Mapping[str, Any]], *, name: str, file: str | Path | None = None,
                       source: str = "") -> DramSpec:
    """Validate DRAMsim3-style sections into a `DramSpec`; raise a one-line CosimInputError on bad input."""
    for section, keys in REQUIRED.items():
        body = sections.get(section)
        if not isinstance(body, Mapping):
            raise CosimInputError("required section is missing", file=file, field=section)
        for key in keys:
            if key not in body:
                raise CosimInputError("required field is missing", file=file, field=f"{section}.{key}")
    st, tm, pw, sy = (dict(sections.get(s) or {}) for s in ("dram_structure", "timing", "power", "system"))

    protocol = str(st["protocol"]).strip().upper()
    if protocol not in PROTOCOL_FAMILY:
        raise CosimInputError(f"unknown protocol {st['protocol']!r}", file=file, field="dram_structure.protocol",
                              allowed=sorted(PROTOCOL_FAMILY))
    _require_activate_to_column(protocol, tm, file)

    def integer(section: str, body: dict, key: str, default: Any = None, positive: bool = True) -> int:
        value = body.get(key, default)
        out = int(_num(value, file=file, field_name=f"{section}.{key}", integer=True))
        if positive and out <= 0:
            raise CosimInputError(f"must be > 0, got {value!r}", file=file, field=f"{section}.{key}")
        if out < 0:
            raise CosimInputError(f"must be >= 0, got {value!r}", file=file, field=f"{section}.{key}")
        return out

    bankgroups = integer("dram_structure", st, "bankgroups")
    banks_per_group = integer("dram_structure", st, "banks_per_group")
    if not _bool(st.get("bankgroup_enable", True), file=file, field_name="dram_structure.bankgroup_enable"):
        banks_per_group *= bankgroups
        bankgroups = 1
    rows = integer("dram_structure", st, "rows")
    columns = integer("dram_structure", st, "columns")
    device_width = integer("dram_structure", st, "device_width")
    bl_default = 8
    if protocol == "HMC":  # DRAMsim3: BL from the HMC block size (32 B blocks of 32-bit devices)
        bl_default = integer("hmc", dict(sections.get("hmc") or {}), "block_size", 64) * 8 // device_width
    BL = integer("dram_structure", st, "BL", bl_default)
    burst_cycle = max(1, BL // _BEATS_PER_BURST_CYCLE.get(protocol, 2))
    if protocol in GDDR_PROTOCOLS:  # DRAMsim3 counts a GDDR column as device_width x BL bits
        columns *= BL
    elif protocol in HBM_PROTOCOLS:  # and an HBM column as device_width x 2 (prefetch 2)
        columns *= 2
    for key, value in (("rows", rows), ("columns", columns), ("bankgroups", bankgroups),
                       ("banks_per_group", banks_per_group), ("BL", BL)):
        if not _is_pow2(value):
            raise CosimInputError(f"must be a power of two for address mapping, got {value}", file=file,
                                  field=f"dram_structure.{key}")

    channels = integer("system", sy, "channels")
    bus_width = integer("system", sy, "bus_width")
    channel_size_mb = integer("system", sy, "channel_size")
    if bus_width % device_width and device_width <= bus_width:
        raise CosimInputError(f"bus_width {bus_width} is not a multiple of device_width {device_width}",
                              file=file, field="system.bus_width")
    if not _is_pow2(channels):
        raise CosimInputError(f"must be a power of two, got {channels}", file=file, field="system.channels")
    devices = max(1, bus_width // device_width)
    megs_per_rank = (columns * device_width // 8) * (rows // 1024) // 1024 * bankgroups * banks_per_group * devices
    ranks = 1 if megs_per_rank == 0 or megs_per_rank > channel_size_mb else channel_size_mb // megs_per_rank
    ranks = 1 << int(math.log2(ranks))  # address bits need a power of two (DRAMsim3 LogBase2 truncates too)

    tCK = _num(tm["tCK"], file=file, field_name="timing.tCK", integer=False)
    if tCK <= 0:
        raise CosimInputError(f"must be > 0, got {tm['tCK']!r}", file=file, field="timing.tCK")
    timing: dict[str, int] = {}
    for key, value in {**TIMING_DEFAULTS, **tm}.items():
        if key == "tCK":
            continue
        try:
            timing[key] = int(_num(value, file=file, field_name=f"timing.{key}", integer=True))
        except CosimInputError:
            if key in TIMING_DEFAULTS or key in REQUIRED["timing"]:
                raise
            continue  # an unused non-integer extra (e.g. a ns annotation) is kept out of the nCK table
        if timing[key] < 0:
            raise CosimInputError(f"must be >= 0, got {value!r}", file=file, field=f"timing.{key}")
    for key in ("CL", "tRP", "tRAS", "tRFC", "tFAW"):
        if timing[key] <= 0:
            raise CosimInputError(f"must be > 0, got {timing[key]}", file=file, field=f"timing.{key}")
    if "tRC" in tm and timing["tRAS"] > timing["tRC"]:
        raise CosimInputError(f"tRAS = {timing['tRAS']} nCK must be <= tRC = {timing['tRC']} nCK", file=file,
                              field="timing.tRAS")
    if "tRC" in tm and timing["tRC"] < timing["tRAS"] + timing["tRP"]:
        raise CosimInputError(f"tRC = {timing['tRC']} nCK must be >= tRAS + tRP = "
                              f"{timing['tRAS'] + timing['tRP']} nCK", file=file, field="timing.tRC")
    # consistency rules apply to values the file gives (a DRAMsim3 default may not fit an odd config)
    rcd = timing["tRCD"] if "tRCD" in tm else timing["tRCDRD"] if "tRCDRD" in tm else 0
    if timing["tRAS"] < rcd:
        raise CosimInputError(f"tRAS = {timing['tRAS']} nCK must be >= tRCD = {rcd} nCK", file=file,
                              field="timing.tRAS")
    for long, short in (("tRRD_L", "tRRD_S"), ("tCCD_L", "tCCD_S"), ("tWTR_L", "tWTR_S")):
        if long in tm and short in tm and timing[long] < timing[short]:
            raise CosimInputError(f"{long} = {timing[long]} nCK must be >= {short} = {timing[short]} nCK",
                                  file=file, field=f"timing.{long}")
    if timing["tREFI"] <= timing["tRFC"] and "tREFI" in tm:
        raise CosimInputError(f"tREFI = {timing['tREFI']} nCK must be > tRFC = {timing['tRFC']} nCK", file=file,
                              field="timing.tREFI")
    if protocol in HBM_PROTOCOLS and "tRTP" not in tm and "tRTP_L" in tm:
        timing["tRTP"] = TIMING_DEFAULTS["tRTP"]  # DRAMsim3 reads tRTP only; HBM inis give tRTP_L/S (unused)

    power = {k: _num(v, file=file, field_name=f"power.{k}", integer=False) for k, v in {**POWER_DEFAULTS, **pw}.items()}

    system = {**SYSTEM_DEFAULTS, **sy}
    choices = (("queue_structure", QUEUE_STRUCTURES), ("row_buf_policy", ROW_POLICIES),
               ("refresh_policy", REFRESH_POLICIES))
    for key, allowed in choices:
        system[key] = str(system[key]).strip().upper()
        if system[key] not in allowed:
            raise CosimInputError(f"unknown value {system[key]!r}", file=file, field=f"system.{key}", allowed=allowed)
    mapping = str(system["address_mapping"]).strip().lower()
    check_mapping_string(mapping, file=file)

    return DramSpec(
        name=name, protocol=protocol, channels=channels, ranks=ranks, bankgroups=bankgroups,
        banks_per_group=banks_per_group, rows=rows, columns=columns, device_width=device_width,
        bus_width=bus_width, BL=BL, burst_cycle=burst_cycle, tCK_ns=tCK, timing=timing, power=power,
        address_mapping=mapping, queue_structure=system["queue_structure"],
        row_buf_policy=system["row_buf_policy"], refresh_policy=system["refresh_policy"],
        cmd_queue_size=integer("system", system, "cmd_queue_size"),
        trans_queue_size=integer("system", system, "trans_queue_size"),
        unified_queue=_bool(system["unified_queue"], file=file, field_name="system.unified_queue"),
        hbm_dual_cmd=protocol in HBM_PROTOCOLS and _bool(st.get("hbm_dual_cmd", True), file=file,
                                                         field_name="dram_structure.hbm_dual_cmd"),
        source=source, extra={k: v for k, v in sections.items()
                              if k not in ("dram_structure", "timing", "power", "system")},
    )


def check_mapping_string(mapping: str, *, file: str | Path | None = None) -> None:
    """A DRAMsim3 mapping string: six two-letter fields (ch ra bg ba ro co), most significant first."""
    if len(mapping) != 2 * len(MAPPING_FIELDS):
        raise CosimInputError(f"address mapping {mapping!r} must be 12 letters: six 2-letter fields", file=file,
                              field="system.address_mapping", allowed=", ".join(MAPPING_FIELDS))
    fields = [mapping[i:i + 2] for i in range(0, len(mapping), 2)]
    for f in fields:
        if f not in MAPPING_FIELDS:
            raise CosimInputError(f"unknown field {f!r} in address mapping {mapping!r}", file=file,
                                  field="system.address_mapping", allowed=", ".join(MAPPING_FIELDS))
    if len(set(fields)) != len(fields):
        raise CosimInputError(f"address mapping {mapping!r} repeats a field", file=file,
                              field="system.address_mapping", allowed=", ".join(MAPPING_FIELDS))
