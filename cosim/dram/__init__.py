"""DRAM standards as data and a command-level DRAM simulator (DRAMsim3 semantics, event-driven, numba).

    from cosim.dram import load_dram_spec, simulate_trace, simulate_commands
    spec = load_dram_spec("ddr4-3200-x8")             # or "X.ini" (DRAMsim3) or "X.yaml"
    stats = simulate_trace(spec, "trace.txt")         # or an iterable of (addr, is_write, cycle)
    stats.to_dict()["bandwidth_GBps"]

`simulate_commands(spec, commands)` runs an explicit (PIM) command stream in order through the same
timing tables; see `cosim.dram.sim.commands`.
"""

from cosim.numba_target import avoid_avx512_codegen, load_array_math_without_scipy

avoid_avx512_codegen()  # cosim.dram holds cosim's numba code: choose the target before any of it imports numba
load_array_math_without_scipy()  # numba's first load would import scipy.linalg for a BLAS probe

from cosim.dram.commands import Cmd  # noqa: E402
from cosim.dram.constraints import TimingTable, timing_table  # noqa: E402
from cosim.dram.presets import list_dram_presets, load_dram_spec  # noqa: E402
from cosim.dram.sim.commands import CommandStats, all_bank_mac_stream, simulate_commands  # noqa: E402
from cosim.dram.sim.trace_sim import simulate_trace  # noqa: E402
from cosim.dram.spec import DramSpec  # noqa: E402
from cosim.dram.stats import DramStats  # noqa: E402
from cosim.dram.tracegen import KINDS as TRACE_KINDS  # noqa: E402
from cosim.dram.tracegen import generate_trace, write_trace  # noqa: E402

__all__ = [
    "TRACE_KINDS", "Cmd", "CommandStats", "DramSpec", "DramStats", "TimingTable", "all_bank_mac_stream",
    "generate_trace", "list_dram_presets", "load_dram_spec", "simulate_commands", "simulate_trace",
    "timing_table", "write_trace",
]
