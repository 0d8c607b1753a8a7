"""Measure DRAMsim3 on cosim's standard traces and write tests/dram/data/dramsim3_reference.json.

    DRAMSIM3_DIR=/path/to/DRAMsim3 python benchmarks/make_dramsim3_reference.py [--out FILE]

The traces come from `cosim.dram.write_trace` (kind, n_requests, seed recorded with a sha256 of the file, so the
fidelity test notices generator drift). The result is measured peer data, like ../shared/peer_data: nothing in it
is fitted or edited by hand. Run windows: the saturated traces stop at 80 % of the time the trace would need at
the protocol's peak rate (`SATURATION_FRACTION`), so the memory is busy for the whole window and the bandwidth is
a steady-state number; the low-load trace runs until every request has returned.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dramsim3_runner import build_dramsim3, default_checkout, run_dramsim3, source_digest

from cosim.dram import TRACE_KINDS, load_dram_spec, write_trace
from cosim.dram.tracegen import LOW_LOAD_INTERVAL

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "dram" / "data" / "dramsim3_reference.json"
CONFIG_DIR = REPO.parent / "shared" / "peer_data" / "DRAMsim3" / "configs"
SEED = 0
SATURATION_FRACTION = 0.8  # run window = this x (n_requests x burst_cycle / channels): the queue never drains
LOW_LOAD_REQUESTS = 2000
LOW_LOAD_TAIL_CYCLES = 2000  # after the last arrival: longer than any unloaded read latency
# Saturated-trace length per config: enough requests that the run window is >= 10k cycles on every config.
CONFIGS = {
    "DDR4_8Gb_x8_3200.ini": 20000,
    "DDR4_8Gb_x16_3200.ini": 20000,
    "HBM2_8Gb_x128.ini": 50000,
    "GDDR6_8Gb_x16.ini": 40000,
    "LPDDR4_8Gb_x16_2400.ini": 20000,
    "DDR3_8Gb_x8_1600.ini": 20000,
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_plan(spec, kind: str, saturated_requests: int) -> tuple[int, int]:
    """(n_requests, cycles) for one config and trace kind."""
    if kind == "low_load_random":
        return LOW_LOAD_REQUESTS, LOW_LOAD_REQUESTS * LOW_LOAD_INTERVAL + LOW_LOAD_TAIL_CYCLES
    cycles = int(SATURATION_FRACTION * saturated_requests * spec.burst_cycle / spec.channels)
    return saturated_requests, cycles


def measure(checkout: Path, out: Path) -> dict:
    binary = build_dramsim3(checkout)
    entries = []
    with tempfile.TemporaryDirectory(prefix="ds3-ref-") as tmp:
        for config, saturated in CONFIGS.items():
            ini = CONFIG_DIR / config
            spec = load_dram_spec(ini)
            for kind in TRACE_KINDS:
                n, cycles = run_plan(spec, kind, saturated)
                trace = write_trace(Path(tmp) / f"{ini.stem}_{kind}.trace", kind, spec, n, seed=SEED)
                run = run_dramsim3(binary, ini, trace, cycles)
                done = run.stats["num_reads_done"] + run.stats["num_writes_done"]
                entries.append({
                    "config": config, "kind": kind, "n_requests": n, "seed": SEED, "cycles": cycles,
                    "trace_sha256": sha256_file(trace), "trace_lines": n,
                    "command": " ".join(["dramsim3main", f"configs/{config}", "-c", str(cycles),
                                         "-t", trace.name, "-o", "OUTDIR"]),
                    "saturated_at_end": kind != "low_load_random" and done < n,
                    "dramsim3": run.stats,
                    "dramsim3_wall_s": round(run.wall_s, 4),
                    "dramsim3_requests_per_s": round(done / run.wall_s, 1) if run.wall_s > 0 else None,
                })
                print(f"{config:26s} {kind:16s} n={n:6d} cycles={cycles:8d} "
                      f"bw={run.stats['bandwidth_GBps']:8.3f} GB/s lat={run.stats['avg_read_latency_cycles']:8.2f} "
                      f"wall={run.wall_s:6.2f}s", flush=True)
    return {
        "description": "DRAMsim3 measured on cosim-generated traces (peer data, not fitted); see README.md here.",
        "generated_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dramsim3": {
            "upstream": "umd-memsys/DRAMsim3 (master era, GDDR6 support; see README.md for provenance)",
            "source_sha256": source_digest(checkout),
            "build": "cmake -DCMAKE_BUILD_TYPE=Release, target dramsim3main",
        },
        "host": {"machine": platform.machine(), "python": platform.python_version()},
        "method": {"saturation_fraction": SATURATION_FRACTION, "low_load_requests": LOW_LOAD_REQUESTS,
                   "low_load_interval_cycles": LOW_LOAD_INTERVAL, "low_load_tail_cycles": LOW_LOAD_TAIL_CYCLES,
                   "trace_writer": "cosim.dram.write_trace", "config_dir": "../shared/peer_data/DRAMsim3/configs"},
        "runs": entries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--dramsim3", type=Path, default=default_checkout(),
                        help="DRAMsim3 checkout (default: $DRAMSIM3_DIR)")
    args = parser.parse_args(argv)
    if args.dramsim3 is None:
        parser.error("set DRAMSIM3_DIR or pass --dramsim3")
    data = measure(args.dramsim3, args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(data['runs'])} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
