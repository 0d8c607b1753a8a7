"""`cosim dram simulate|list|show`: the command-level DRAM simulator and the DRAM standards shipped as data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cosim.cli.args import positive_int
from cosim.cli.format import render_table
from cosim.errors import CosimInputError

SIM_FORMATS = ("dramsim3", "ramulator")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dram", help="simulate DRAM traces; list and show DRAM standards",
                       description="Command-level DRAM simulation (DRAMsim3 semantics) and DRAM presets.")
    cmds = p.add_subparsers(dest="dram_command", metavar="SUBCOMMAND", required=True)

    s = cmds.add_parser("simulate", help="run a request trace through the memory controller",
                        description="Simulate a request trace; print cycles, bandwidth, latency, row hits, energy.")
    s.add_argument("--spec", required=True, help="DRAM preset (cosim dram list), DRAMsim3 .ini file or YAML file")
    s.add_argument("--trace", action="append", default=[], metavar="FILE",
                   help="trace file; repeat it to simulate several traces in one process (one result each)")
    s.add_argument("--trace-list", default=None, metavar="FILE",
                   help="a file naming one trace file per line (relative paths: to the list's folder), "
                        "simulated after the --trace files in the same process")
    s.add_argument("--format", choices=SIM_FORMATS, default="dramsim3",
                   help="dramsim3: '0xADDR READ|WRITE CYCLE'; ramulator: '0xADDR R|W' or 'LD|ST ADDR'")
    s.add_argument("--cycles", type=positive_int, default=None,
                   help="stop after N memory cycles (default: run until every request has completed)")
    s.add_argument("--row-policy", choices=("open", "closed"), default=None, help="default: the spec's policy")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=run_simulate)

    w = cmds.add_parser("worker", help="keep a warm simulate process; COSIM_DRAM_WORKER=SOCKET runs use it",
                        description="Serve `cosim dram simulate` runs of processes that set COSIM_DRAM_WORKER to "
                                    "the socket path, so they skip numba's start-up (see cosim/cli/dram_worker.py).")
    w.add_argument("--socket", required=True, help="Unix socket path (its folder private to you)")
    w.add_argument("--idle", type=positive_int, default=600, help="exit after this many seconds without a run")
    w.set_defaults(handler=run_worker)

    ls = cmds.add_parser("list", help="list the DRAM presets in hw/dram")
    ls.set_defaults(handler=run_list)

    sh = cmds.add_parser("show", help="organisation, timings and the derived peak bandwidth of one spec")
    sh.add_argument("spec", help="DRAM preset, DRAMsim3 .ini file or YAML file")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(handler=run_show)


def run_simulate(args: argparse.Namespace) -> int:
    """Every trace of the call runs in this one process: a DSE sweep over many traces pays the interpreter,
    numba and compiled-kernel start-up (most of a small run's time) once instead of once per trace."""
    if getattr(args, "remote", True):
        from cosim.cli.dram_worker import try_remote

        rc = try_remote(args)
        if rc is not None:
            return rc
    from cosim.dram import load_dram_spec, simulate_trace

    traces = [*args.trace, *trace_list(args.trace_list)]
    if not traces:
        raise CosimInputError("no trace given", field="--trace", allowed="--trace FILE (repeatable) or --trace-list")
    spec = load_dram_spec(args.spec)
    results = []
    for trace in traces:
        stats = simulate_trace(spec, trace, cycles=args.cycles, fmt=args.format, row_policy=args.row_policy)
        results.append({**stats.to_dict(), "trace": trace})
        if not args.json:
            print_stats(spec.name, trace, results[-1])
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    return 0


def run_worker(args: argparse.Namespace) -> int:
    from cosim.cli.dram_worker import serve

    return serve(args.socket, float(args.idle))


def trace_list(path: str | None) -> list[str]:
    """The trace files a --trace-list file names (blank lines and # comments skipped)."""
    if path is None:
        return []
    list_file = Path(path)
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CosimInputError(f"cannot read the trace list: {exc}", file=path, field="--trace-list") from None
    names = [line.split("#", 1)[0].strip() for line in lines]
    return [str(list_file.parent / n) for n in names if n]


def print_stats(spec_name: str, trace: str, data: dict) -> None:
    keys = ("cycles", "reads_done", "writes_done", "bandwidth_GBps", "avg_read_latency_cycles", "activates",
            "read_row_hits", "write_row_hits", "energy_j")
    print(f"{spec_name}: {trace}")
    print(render_table([{"statistic": k, "value": data[k]} for k in keys]))


def preset_rows() -> list[dict]:
    """One row per shipped DRAM preset (also used by `cosim list dram`)."""
    from cosim.dram import list_dram_presets, load_dram_spec

    rows = []
    for name in list_dram_presets():
        s = load_dram_spec(name).summary()
        rows.append({"name": name, "protocol": s["protocol"], "MT/s": round(s["data_rate_MTps"]),
                     "channels": s["channels"], "ranks": s["ranks"], "banks": s["bankgroups"] * s["banks_per_group"],
                     "GiB": s["capacity_GiB"], "peak_GBps": round(s["peak_GBps"], 1)})
    return rows


def run_list(args: argparse.Namespace) -> int:
    print(render_table(preset_rows()))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from cosim.dram import load_dram_spec

    spec = load_dram_spec(args.spec)
    data = {**spec.summary(), "timing_nCK": dict(spec.timing), "power": dict(spec.power),
            "row_buf_policy": spec.row_buf_policy, "refresh_policy": spec.refresh_policy, "source": spec.source}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(render_table([{"field": k, "value": v} for k, v in spec.summary().items()]))
    print(render_table([{"timing": k, "nCK": v} for k, v in spec.timing.items()]))
    return 0
