"""Speed of the PIM models: the analytical stream path vs the command-level simulator, and attention points/s.

Prints a table; run with `python benchmarks/bench_pim.py`. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cosim.hardware import load_device
from cosim.perf.pim.dimm_attention import DecodeBatch, dimm_decode_attention
from cosim.perf.pim.stream import StreamTiming, scan_commands


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    l3 = load_device("l3-dimm-pim")
    timing = StreamTiming.from_dram(l3.dram)
    rows = []
    sweep = np.arange(1, 100_001) * 128  # 100,000 scan lengths (1 .. 100,000 rows) in one call
    t = timed(lambda: timing.with_refresh(timing.scan_cycles(sweep, 128)))
    rows.append(("analytical all-bank scans (vectorized)", len(sweep), len(sweep) / t))
    try:
        from cosim.dram import load_dram_spec, simulate_commands

        spec = load_dram_spec("ddr4-3200-x8")
        cmds = list(scan_commands(128 * 1000, 128))
        simulate_commands(spec, cmds[:10])  # numba compile outside the timing
        t = timed(lambda: simulate_commands(spec, cmds), repeat=1)
        rows.append(("simulate_commands, one 1000-row scan", 1, 1 / t))
        rows.append(("  (its commands per second)", len(cmds), len(cmds) / t))
    except ImportError:
        rows.append(("simulate_commands: cosim.dram not available", 0, float("nan")))
    batch = DecodeBatch(np.full(64, 32768), 64, 8, 128)
    t = timed(lambda: dimm_decode_attention(l3, batch))
    rows.append(("DIMM-PIM decode attention (64 x 32K, llama3-70b layer)", 1, 1 / t))
    print(f"{'what':58s} {'items':>8s} {'per second':>14s}")
    for name, n, rate in rows:
        print(f"{name:58s} {n:8d} {rate:14,.0f}")


if __name__ == "__main__":
    main()
