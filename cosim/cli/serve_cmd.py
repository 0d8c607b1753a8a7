"""`cosim serve`: a request trace through a batching policy on a system -> TTFT / TPOT / throughput metrics."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cosim.cli.args import positive_int

# Which policy field each engine-style flag sets (a flag a policy has no field for is refused by name).
FLAG_FIELDS: dict[str, dict[str, str]] = {
    "max_num_seqs": {"vllm": "max_num_seqs", "sarathi": "max_num_seqs", "fairbatching": "max_num_seqs",
                     "orca": "max_batch_size", "static": "batch_size"},
    "max_batched_tokens": {"vllm": "max_num_batched_tokens", "fairbatching": "max_num_batched_tokens",
                           "orca": "max_num_batched_tokens", "sarathi": "chunk_size"},
}
BUDGET_FIELDS = ("max_num_batched_tokens", "chunk_size")  # a policy's token budget, by the name it uses
SEQS_FIELDS = ("max_num_seqs", "max_batch_size", "batch_size")  # its most requests in one iteration


MAX_TRACE_REQUESTS = 10**7  # ~1 KB of arrays per request and ~10 ms of simulation per 1,000: a day's run at most
SLO_FIELDS = {"fairbatching": ("ttft_slo_s", "tpot_slo_s")}  # policies that schedule by the SLOs themselves


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="simulate serving a request trace (TTFT, TPOT, throughput, SLOs)",
                       description="Run a request trace through a continuous-batching policy, a paged KV cache "
                                   "and the system's iteration times.")
    p.add_argument("--model", required=True, help="preset name (cosim list models) or a YAML / HF config.json")
    p.add_argument("--hw", required=True, help="hardware preset (cosim list hw) or a YAML file")
    p.add_argument("--trace", required=True,
                   help="a trace file, or a length distribution: openr1, dolphin, dolphin-short, openthoughts, "
                        "sharegpt, alpaca")
    p.add_argument("--format", default="auto", help="trace file format: auto, vllm, azure, vidur, mooncake, "
                                                     "splitwise, csv, jsonl (default auto)")
    p.add_argument("--requests", type=positive_int, default=None,
                   help="first N requests of a file; N generated for a distribution (default 1000)")
    p.add_argument("--rate", type=positive_float, default=None,
                   help="requests per second (Poisson for a distribution; a file's timestamps rescaled)")
    p.add_argument("--seed", type=int, default=0, help="seed of synthetic lengths and arrivals (default 0)")
    p.add_argument("--policy", default="vllm", help="batching policy: vllm, sarathi, fairbatching, orca, static")
    p.add_argument("--max-num-seqs", type=positive_int, default=None, help="most requests in one iteration")
    p.add_argument("--max-batched-tokens", type=positive_int, default=None, help="token budget of one iteration")
    p.add_argument("--block-size", type=positive_int, default=16, help="KV-cache block in tokens (default 16)")
    p.add_argument("--gpu-memory-utilization", type=fraction, default=0.9,
                   help="share of each GPU's memory vLLM may use (default 0.9)")
    p.add_argument("--tp", type=positive_int, default=1, help="tensor-parallel degree of each replica")
    p.add_argument("--dp", type=positive_int, default=1, help="data-parallel replicas behind a router")
    p.add_argument("--ep", action="store_true",
                   help="expert parallelism (vLLM --enable-expert-parallel): MoE experts over all dp x tp GPUs, "
                        "replicas in lockstep")
    p.add_argument("--router", default="round-robin", help="dp router: round-robin, least-loaded")
    p.add_argument("--mapping", default=None, help="mapping preset or YAML (default: rule-based mapper)")
    p.add_argument("--dtype", default="bf16", help="activation/compute dtype (default bf16)")
    p.add_argument("--fusion", choices=("fused", "unfused"), default="fused")
    p.add_argument("--slo-ttft", type=positive_float, default=None, metavar="S", help="TTFT limit in seconds")
    p.add_argument("--slo-tpot", type=positive_float, default=None, metavar="S", help="TPOT limit in seconds")
    p.add_argument("--engine-overhead", choices=("vllm-v1", "vllm-2023", "none"), default="vllm-v1",
                   help="serving engine host time per iteration: vllm-v1 (fitted on the shared vLLM 0.19 run, "
                        "default), vllm-2023 (splitwise-sim's eager vLLM on A100/H100), none")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, help="write an HTML report here")
    p.add_argument("--trace-out", default=None, help="write a Chrome/Perfetto trace-event JSON of the iterations")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def policy_options(args: argparse.Namespace) -> dict[str, Any]:
    """The policy config fields the engine-style flags set; a flag the policy has no use for is an error."""
    from cosim.errors import CosimInputError

    options: dict[str, Any] = {}
    for flag, fields in FLAG_FIELDS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if args.policy not in fields:
            raise CosimInputError(f"--{flag.replace('_', '-')} does not apply to policy {args.policy!r}",
                                  field=flag, allowed=[f"policy {p}" for p in sorted(fields)])
        options[fields[args.policy]] = value
    for name, value in zip(SLO_FIELDS.get(args.policy, ()), (args.slo_ttft, args.slo_tpot), strict=False):
        if value is not None:
            options[name] = value
    return options


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cosim.engine.iteration import IterationModel
    from cosim.engine.predict import resolve_system
    from cosim.errors import CosimInputError
    from cosim.report.output import checked_output_path
    from cosim.serving.defaults import engine_overhead_for, policy_defaults_for
    from cosim.serving.policies import make_policy
    from cosim.serving.simulator import simulate
    from cosim.serving.traces import load_trace

    inputs = [args.model, args.hw, args.trace, args.mapping]
    if args.out and args.trace_out and Path(args.out).absolute() == Path(args.trace_out).absolute():
        raise CosimInputError("--out and --trace-out name the same file", file=args.out, field="trace_out")
    for out in (args.out, args.trace_out):  # refuse a bad output before computing anything
        if out:
            checked_output_path(out, inputs=inputs)
    system = resolve_system(args.hw)
    options = policy_defaults_for(args.policy, system) | policy_options(args)
    config = make_policy(args.policy, options).config
    budget = next((getattr(config, f) for f in BUDGET_FIELDS if getattr(config, f, None)), None) or 8192
    seqs = next((getattr(config, f) for f in SEQS_FIELDS if getattr(config, f, None)), None) or 256
    if args.requests is not None and args.requests > MAX_TRACE_REQUESTS:  # generated arrays were killed for memory
        raise CosimInputError(f"--requests {args.requests} is more than the {MAX_TRACE_REQUESTS} supported",
                              field="requests", allowed=f"1..{MAX_TRACE_REQUESTS}")
    trace = load_trace(args.trace, format=args.format, requests=args.requests, rate=args.rate, seed=args.seed)
    timer = IterationModel(args.model, system, tp=args.tp, mapping=args.mapping, dtype=args.dtype,
                           fusion=args.fusion, gpu_memory_utilization=args.gpu_memory_utilization,
                           max_batched_tokens=budget, max_num_seqs=seqs, ep=args.dp * args.tp if args.ep else 1)
    overhead = engine_overhead_for(timer.system, timer.config.num_layers, int(timer.options["tp"]),
                                   args.engine_overhead)
    progress = None if args.no_progress or args.json else _progress_bar(len(trace))
    try:
        result = simulate(trace, timer, policy=args.policy, policy_options=options, block_size=args.block_size,
                          dp=args.dp, router=args.router, overhead=overhead,
                          progress=progress, ep=args.ep)
    finally:
        if progress is not None:
            progress.close()
    summary = result.summary(slo_ttft_s=args.slo_ttft, slo_tpot_s=args.slo_tpot)
    if args.trace_out:
        from cosim.report.serving_trace import write_trace_events

        write_trace_events(result, args.trace_out)
    if args.out:
        from cosim.report.serving import write_serving_report

        write_serving_report(result, args.out, title=f"{args.model} on {args.hw}: {trace.name} under {args.policy}",
                             slo_ttft_s=args.slo_ttft, slo_tpot_s=args.slo_tpot)
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        print(summary_text(summary))
    return 0


class _progress_bar:
    """A tqdm bar over finished requests, shown only once a run has taken a few seconds."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="req", file=sys.stderr, delay=3.0, leave=False)
        self._total = total

    def __call__(self, done_fraction: float) -> None:
        self._bar.update(round(done_fraction * self._total) - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _stat_row(name: str, stats: dict[str, float]) -> dict[str, Any]:
    return {"metric": name, **{k: f"{v * 1e3:.2f} ms" for k, v in stats.items()}}


def summary_text(summary: dict[str, Any]) -> str:
    from cosim.cli.format import render_table

    lines = [
        f"requests {summary['requests']}: completed {summary['completed']}, rejected {summary['rejected']}, "
        f"preemptions {summary['preemptions']}",
        f"makespan {summary['makespan_s']:.3f} s, output {summary['output_tokens_per_s']:,.1f} tokens/s",
        "",
        render_table([_stat_row(k.removesuffix("_s"), summary[k]) for k in ("ttft_s", "tpot_s", "e2e_s")]),
    ]
    for key in ("slo_attainment", "goodput_requests_per_s"):
        if summary.get(key) is not None:
            lines.append(f"{key.replace('_', ' ')}: {summary[key]:.4g}")
    return "\n".join(lines)
