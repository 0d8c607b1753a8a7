"""DRAM standards as data and a command-level DRAM simulator (DRAMsim3 semantics, event-driven, numba).

    from cosim.dram import load_dram_spec, simulate_trace, simulate_commands
    spec = load_dram_spec("ddr4-3200-x8")             # or "X.ini" (DRAMsim3) or "X.yaml"
    stats = simulate_trace(spec, "trace.txt")         # or an iterable of (addr, is_write, cycle)
    stats.to_dict()["bandwidth_GBps"]

`simulate_commands(spec, commands)` runs an explicit (PIM) command stream in order through the same
timing tables; see `cosim.dram.sim.commands`.
"""

from cosim.dram.commands import Cmd
from cosim.dram.constraints import TimingTable, timing_table
from cosim.dram.presets import list_dram_presets, load_dram_spec
from cosim.dram.sim.commands import CommandStats, all_bank_mac_stream, simulate_commands
from cosim.dram.sim.trace_sim import simulate_trace
from cosim.dram.spec import DramSpec
from cosim.dram.stats import DramStats
from cosim.dram.tracegen import KINDS as TRACE_KINDS
from cosim.dram.tracegen import generate_trace, write_trace

__all__ = [
    "TRACE_KINDS", "Cmd", "CommandStats", "DramSpec", "DramStats", "TimingTable", "all_bank_mac_stream",
    "generate_trace", "list_dram_presets", "load_dram_spec", "simulate_commands", "simulate_trace",
    "timing_table", "write_trace",
]
