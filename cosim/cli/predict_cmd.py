"""`cosim predict`: latency, throughput, FLOPs, bytes and memory of one inference step."""

from __future__ import annotations

import argparse
import json
import sys

from cosim.cli.common import add_step_options, step_kwargs
from cosim.cli.format import fmt_bytes, fmt_seconds, render_table
from cosim.perf.result import StepResult

JSON_KEYS = ("latency_s", "tokens_per_s", "flops", "bytes", "memory_bytes", "fits", "breakdown", "bound")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict one prefill/decode step of a model on a system",
                       description="Predict one inference step (prefill, decode or a prefill chunk).")
    add_step_options(p, mix=True)
    p.add_argument("--mapping", default=None, help="mapping preset or YAML (default: rule-based mapper)")
    p.add_argument("--cost-model", default=None, help="override the cost model of every device")
    fit = p.add_mutually_exclusive_group()
    fit.add_argument("--allow-overflow", action="store_true",
                     help="predict a mapping that does not fit in memory as a what-if (a warning, exit 0) "
                          "instead of the default one-line error and exit 2")
    fit.add_argument("--strict", action="store_true",
                     help="refuse a mapping that does not fit (the default; kept for old scripts)")
    p.add_argument("--ops", action="store_true", help="print (or include in JSON) the per-operator table")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cosim.errors import CapacityError

    try:
        result = _predict_mix(args) if args.mix is not None else _predict_step(args)
    except CapacityError as exc:  # a result that cannot run is an error; the what-if stays one flag away
        raise CapacityError(f"{exc.message}; --allow-overflow predicts it as a what-if", file=exc.file,
                            field=exc.field) from None
    if args.json:
        data = result.to_dict()
        if not args.ops:
            data.pop("ops", None)
        print(json.dumps(data, indent=2))
    else:
        print(summary_text(result, ops=args.ops))
    for use in result.memory:
        if not use.fits:
            print(f"cosim: warning: does not fit: device {use.device!r} needs {fmt_bytes(use.total_bytes)} "
                  f"of {fmt_bytes(use.capacity_bytes)} (overflow {use.overflow_bytes / 2**30:.2f} GiB)",
                  file=sys.stderr)
    return 0


def _predict_step(args: argparse.Namespace) -> StepResult:
    from cosim.engine import predict
    from cosim.errors import CosimInputError

    missing = [f"--{n}" for n in ("phase", "batch", "context") if getattr(args, n) is None]
    if missing:
        raise CosimInputError(f"{', '.join(missing)} required (or give the iteration as --mix SLICES)",
                              field=missing[0].lstrip("-"))
    return predict(args.model, args.hw, args.phase, args.batch, args.context, mapping=args.mapping,
                   cost_model=args.cost_model, strict=not args.allow_overflow, **step_kwargs(args))


def _predict_mix(args: argparse.Namespace) -> StepResult:
    from cosim.engine.mixed import predict_iteration
    from cosim.errors import CosimInputError
    from cosim.workload.mix import parse_mix

    given = [f"--{n}" for n in ("phase", "batch", "context", "chunk") if getattr(args, n) is not None]
    if given:
        raise CosimInputError(f"{', '.join(given)} cannot be combined with --mix (the slices give the step)",
                              field="mix")
    q_lens, kv_lens = parse_mix(args.mix)
    options = {k: v for k, v in step_kwargs(args).items() if k != "chunk"}
    return predict_iteration(args.model, args.hw, q_lens, kv_lens, mapping=args.mapping, cost_model=args.cost_model,
                             strict=not args.allow_overflow, **options)


def summary_text(result: StepResult, *, ops: bool = False) -> str:
    lines = [
        f"model {result.model} on {result.system} ({result.mapping} mapping, cost model {result.cost_model})",
        f"{result.phase}: batch {result.batch}, context {result.context}, tp {result.tp}, fusion {result.fusion}",
        f"latency      {fmt_seconds(result.latency_s)}",
        f"throughput   {result.tokens_per_s:,.1f} tokens/s",
        f"FLOPs        {result.flops:.4g}",
        f"bytes moved  {fmt_bytes(result.bytes)}",
        f"bound        {result.bound}",
        "",
        "memory per device:",
        render_table([
            {"device": m.device, "weights": fmt_bytes(m.weights_bytes), "kv_cache": fmt_bytes(m.kv_cache_bytes),
             "activations": fmt_bytes(m.activation_bytes), "capacity": fmt_bytes(m.capacity_bytes),
             "fits": m.fits}
            for m in result.memory
        ]),
        "",
        "time by operator kind:",
        render_table([
            {"kind": kind, "time": fmt_seconds(t), "share_%": 100 * t / result.latency_s if result.latency_s else 0.0}
            for kind, t in result.breakdown("kind").items()
        ]),
    ]
    if ops:
        lines += ["", "operators (time per copy x repeat):", render_table([
            {"name": o.name, "kind": o.kind, "device": o.device, "repeat": o.repeat,
             "latency": fmt_seconds(o.latency_s), "total": fmt_seconds(o.total_s), "bound": o.bound,
             "flops": o.flops, "bytes": fmt_bytes(o.bytes)}
            for o in result.ops
        ])]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
