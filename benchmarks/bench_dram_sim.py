"""Requests per second of cosim's DRAM trace simulator on the standard traces (one core, after warm-up).

    python benchmarks/bench_dram_sim.py [--requests N] [--presets a,b] [--repeat R]

Times `simulate_trace` on in-memory traces (kernel + address decode + statistics, no file parsing) and on
the same trace as a DRAMsim3-format file (adds parsing). The DRAMsim3 column lives in
`benchmarks/bench_dram.py`, which runs both simulators side by side.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from cosim.dram import TRACE_KINDS, load_dram_spec, simulate_trace, write_trace
from cosim.dram.tracegen import generate_arrays

DEFAULT_PRESETS = ("ddr4-3200-x8", "hbm2", "gddr6", "lpddr4", "hbm3-6400")


def best_cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--presets", default=",".join(DEFAULT_PRESETS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    header = (f"{'preset':14s} {'trace':16s} {'requests':>9s} {'cycles':>11s} {'arrays s':>9s} {'req/s':>11s} "
              f"{'Mcycles/s':>10s} {'file s':>8s} {'req/s':>11s}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.presets.split(","):
            spec = load_dram_spec(name)
            simulate_trace(spec, generate_arrays("random_read", spec, 100))  # numba compile / cache load
            for kind in TRACE_KINDS:
                n = args.requests if kind != "low_load_random" else max(1, args.requests // 10)
                arrays = generate_arrays(kind, spec, n)
                stats = simulate_trace(spec, arrays)
                t_arr = best_cpu(lambda s=spec, a=arrays: simulate_trace(s, a), args.repeat)
                path = write_trace(Path(tmp) / f"{name}_{kind}.trace", kind, spec, n)
                t_file = best_cpu(lambda s=spec, p=path: simulate_trace(s, p), args.repeat)
                print(f"{name:14s} {kind:16s} {n:9d} {stats.cycles:11d} {t_arr:9.3f} {n / t_arr:11.0f} "
                      f"{stats.cycles / t_arr / 1e6:10.1f} {t_file:8.3f} {n / t_file:11.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
