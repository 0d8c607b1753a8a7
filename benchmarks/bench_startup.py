"""Start-up: `cosim dram simulate` as a fresh process vs DRAMsim3's whole process, on one trace (issue 14, item 7).

    python benchmarks/bench_startup.py [--repeat N] [--batch K]
    DRAMSIM3_DIR=/path/to/DRAMsim3 python benchmarks/bench_startup.py     # adds the DRAMsim3 row and the ratios

DSE scripts call simulators as processes, so the front door is part of a simulator's speed. The trace is the
issue's: DDR4-3200 (DRAMsim3's own DDR4_8Gb_x8_3200.ini when ../shared/peer_data is there, else cosim's
ddr4-3200-x8 preset), 200,000 random reads one every 5 cycles (1 M cycles), both simulators run for the same
`CYCLES` window on the same trace file. Rows:
- `cosim --help`: a fresh process (issue target < 0.3 s);
- `cosim dram simulate` fresh: one process per trace, as a sweep calling the CLI pays it (target: >= 5x faster
  than DRAMsim3's process);
- `cosim dram simulate` batch: K traces in one process (repeated --trace), time per trace;
- `cosim dram simulate` fresh via worker: the same fresh process with COSIM_DRAM_WORKER naming a warm
  `cosim dram worker` (the client imports neither numpy nor numba; the worker's time is in the wall column only);
- in-process: one `simulate_trace(config, trace, cycles=N)` call in a warm process (target: >= 20x);
- DRAMsim3: the whole `dramsim3main` process (start-up, .ini, trace, simulation, stats files).
Each row is the best of `--repeat` runs, taken in turns so a slow spell of a shared machine falls on every row;
wall time is what a script waits for, CPU time (user + sys of the child) is printed beside it because it moves
less on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dramsim3_runner import BINARY_NAME, DRAMsim3Error, build_dramsim3, default_checkout
from make_dramsim3_reference import CONFIG_DIR

from cosim.dram import load_dram_spec, simulate_trace, write_trace

REQUESTS = 200_000
INTERVAL_CYCLES = 5
CYCLES = 1_000_000
INI = "DDR4_8Gb_x8_3200.ini"
PRESET = "ddr4-3200-x8"
COSIM = [sys.executable, "-m", "cosim"]
TARGETS = {"fresh": 5.0, "in-process": 20.0, "help_s": 0.3}


def run_process(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one process run; its output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process(config: str, trace: Path) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    simulate_trace(config, trace, cycles=CYCLES)
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row, best kept (default 5)")
    parser.add_argument("--batch", type=int, default=8, help="traces per process in the batch row (default 8)")
    args = parser.parse_args(argv)
    ini = CONFIG_DIR / INI
    config = str(ini) if ini.is_file() else PRESET
    work = Path(tempfile.mkdtemp(prefix="cosim-bench-startup-"))
    trace = write_trace(work / "random_read.trace", "random_read", load_dram_spec(config), REQUESTS, seed=1,
                        interval_cycles=INTERVAL_CYCLES)
    sim = [*COSIM, "dram", "simulate", "--spec", config, "--trace", str(trace), "--cycles", str(CYCLES)]
    rows: dict[str, list[tuple[float, float]]] = {"cosim --help": [], "cosim dram simulate, fresh process": [],
                                                  f"cosim dram simulate, batch of {args.batch} (per trace)": [],
                                                  "simulate_trace in-process": []}
    runs = {
        "cosim --help": lambda: run_process([*COSIM, "--help"]),
        "cosim dram simulate, fresh process": lambda: run_process(sim),
        f"cosim dram simulate, batch of {args.batch} (per trace)": lambda: tuple(
            x / args.batch for x in run_process([*sim, *["--trace", str(trace)] * (args.batch - 1)])),
        "simulate_trace in-process": lambda: in_process(config, trace),
    }
    binary = None
    if (checkout := default_checkout()) is not None:
        try:
            binary = build_dramsim3(checkout)
        except DRAMsim3Error as exc:
            print(f"DRAMsim3 build failed, timing cosim only: {exc}", file=sys.stderr)
    if binary is not None:
        out_dir = work / "dramsim3-out"
        out_dir.mkdir()
        rows[BINARY_NAME] = []
        runs[BINARY_NAME] = lambda: run_process([str(binary), str(ini), "-c", str(CYCLES), "-t", str(trace),
                                                 "-o", str(out_dir)])
    sock = work / "worker.sock"
    worker = subprocess.Popen([*COSIM, "dram", "worker", "--socket", str(sock), "--idle", "600"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not sock.exists() and worker.poll() is None:
        time.sleep(0.05)
    via_worker = "cosim dram simulate, fresh process via worker"
    rows[via_worker] = []
    runs[via_worker] = lambda: run_process(["env", f"COSIM_DRAM_WORKER={sock}", *sim])
    runs[via_worker]()  # the worker's first run loads this kernel variant
    run_process(sim)  # compiles (or loads) the kernel variant once, so no row pays numba's compilation
    in_process(config, trace)
    try:
        for _ in range(max(1, args.repeat)):
            for name, fn in runs.items():
                rows[name].append(fn())
    finally:
        worker.terminate()
        worker.wait()
    print(f"{config}: {REQUESTS:,} random reads, {CYCLES:,} cycles; best of {args.repeat}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'row':<48} {'wall s':>8} {'CPU s':>8}")
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in rows.items()}
    for name, (wall, cpu) in best.items():
        print(f"{name:<48} {wall:8.3f} {cpu:8.3f}")
    help_wall = best["cosim --help"][0]
    print(f"cosim --help: {help_wall:.3f} s (target < {TARGETS['help_s']} s: "
          f"{'met' if help_wall < TARGETS['help_s'] else 'NOT met'})")
    if binary is not None:
        ref_wall, ref_cpu = best[BINARY_NAME]
        for name, key in (("cosim dram simulate, fresh process", "fresh"), (via_worker, "fresh"),
                          ("simulate_trace in-process", "in-process"),
                          (f"cosim dram simulate, batch of {args.batch} (per trace)", "in-process")):
            wall, cpu = best[name]
            print(f"DRAMsim3 / {name}: wall {ref_wall / wall:.1f}x, CPU {ref_cpu / cpu:.1f}x "
                  f"(target >= {TARGETS[key]:g}x)")
    else:
        print("set DRAMSIM3_DIR to a DRAMsim3 checkout for the DRAMsim3 row and the ratios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
