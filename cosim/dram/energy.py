"""DRAMsim3's IDD energy model for plain DRAM (configuration.cc `Init PowerParams`, simple_stats.cc).

Per command: ACT+PRE pair  VDD x (IDD0 tRC - (IDD3N tRAS + IDD2N tRP)); RD  VDD x (IDD4R - IDD3N) x burst;
WR  VDD x (IDD4W - IDD3N) x burst; REF  VDD x (IDD5AB - IDD3N) x tRFC; per-bank REF with IDD5PB and tRFCb.
Per cycle: active standby VDD x IDD3N when a rank has an open row, precharge standby VDD x IDD2N otherwise.
Every term is multiplied by the devices per rank. DRAMsim3 reports the sums in V x mA x cycles (it calls
them pJ); one such unit is tCK[ns] pJ, so joules = units x tCK_ns x 1e-12.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.dram.spec import DramSpec


@dataclass(frozen=True)
class EnergyIncrements:
    """DRAMsim3 energy increments in V*mA*cycles (per command, or per rank-cycle for standby)."""

    act: float
    read: float
    write: float
    ref: float
    refb: float
    act_stb: float
    pre_stb: float

    @classmethod
    def of(cls, spec: DramSpec) -> EnergyIncrements:
        p, t = spec.power, spec.derived_timing()
        dev = float(spec.devices_per_rank)
        vdd = p["VDD"]
        trc = t["tRAS"] + t["tRP"]  # DRAMsim3 uses tRC = tRAS + tRP here
        return cls(
            act=vdd * (p["IDD0"] * trc - (p["IDD3N"] * t["tRAS"] + p["IDD2N"] * t["tRP"])) * dev,
            read=vdd * (p["IDD4R"] - p["IDD3N"]) * spec.burst_cycle * dev,
            write=vdd * (p["IDD4W"] - p["IDD3N"]) * spec.burst_cycle * dev,
            ref=vdd * (p["IDD5AB"] - p["IDD3N"]) * t["tRFC"] * dev,
            refb=vdd * (p["IDD5PB"] - p["IDD3N"]) * t["tRFCb"] * dev,
            act_stb=vdd * p["IDD3N"] * dev,
            pre_stb=vdd * p["IDD2N"] * dev,
        )


def energy_breakdown(spec: DramSpec, *, acts: int, reads: int, writes: int, refs: int, refbs: int = 0,
                     active_rank_cycles: int, idle_rank_cycles: int) -> dict[str, float]:
    """Energy terms in joules (keys `act`, `read`, `write`, `ref`, `refb`, `act_stb`, `pre_stb`, `total`)."""
    inc = EnergyIncrements.of(spec)
    units = {
        "act": acts * inc.act, "read": reads * inc.read, "write": writes * inc.write, "ref": refs * inc.ref,
        "refb": refbs * inc.refb, "act_stb": active_rank_cycles * inc.act_stb,
        "pre_stb": idle_rank_cycles * inc.pre_stb,
    }
    joules = {k: v * spec.tCK_ns * 1e-12 for k, v in units.items()}
    joules["total"] = sum(joules.values())
    joules["total_dramsim3_units"] = sum(units.values())
    return joules
