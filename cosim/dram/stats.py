"""`DramStats`: what a simulation run reports, with DRAMsim3's definitions.

`bandwidth_GBps` = (reads done + writes done) x request bytes / (cycles x tCK), writes counting as done when
the controller buffers them (DRAMsim3); `avg_read_latency_cycles` = data return minus arrival at the
controller, over the reads done; row hits = column commands to a row already hit since its ACT.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

JSON_KEYS = ("cycles", "reads_done", "writes_done", "bandwidth_GBps", "avg_read_latency_cycles", "activates",
             "read_row_hits", "write_row_hits", "energy_j")


@dataclass(frozen=True)
class DramStats:
    spec: str
    cycles: int
    reads_done: int
    writes_done: int
    bandwidth_GBps: float
    avg_read_latency_cycles: float
    activates: int
    read_row_hits: int
    write_row_hits: int
    energy_j: float
    read_cmds: int = 0
    write_cmds: int = 0
    precharges: int = 0
    refreshes: int = 0
    requests: int = 0
    requests_accepted: int = 0
    tCK_ns: float = 0.0
    max_read_latency_cycles: int = 0
    energy_breakdown_j: dict[str, float] = field(default_factory=dict)
    per_channel_bandwidth_GBps: list[float] = field(default_factory=list)
    # per request (trace order): controller arrival and completion cycle (-1 = not accepted / not finished)
    completion_cycles: np.ndarray | None = field(default=None, repr=False)
    arrival_cycles: np.ndarray | None = field(default=None, repr=False)
    act_log: np.ndarray | None = field(default=None, repr=False)

    @property
    def seconds(self) -> float:
        return self.cycles * self.tCK_ns * 1e-9

    @property
    def row_hit_rate(self) -> float:
        cmds = self.read_cmds + self.write_cmds
        return (self.read_row_hits + self.write_row_hits) / cmds if cmds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the CLI keys first, then the extra statistics."""
        d = {k: v for k, v in asdict(self).items() if not isinstance(v, np.ndarray) and v is not None}
        ordered = {k: d.pop(k) for k in JSON_KEYS}
        ordered.update(d)
        ordered["row_hit_rate"] = self.row_hit_rate
        return ordered
