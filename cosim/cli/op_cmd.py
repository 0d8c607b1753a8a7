"""`cosim op gemm|attention`: time of one kernel on one device."""

from __future__ import annotations

import argparse
import json

from cosim.cli.args import positive_int
from cosim.cli.format import fmt_bytes, fmt_seconds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("op", help="predict a single GEMM or attention kernel",
                       description="Predict the time of a single operator on one device.")
    ops = p.add_subparsers(dest="op", metavar="OP", required=True)

    g = ops.add_parser("gemm", help="C[m,n] = A[m,k] @ B[k,n]")
    g.add_argument("--m", type=positive_int, required=True)
    g.add_argument("--n", type=positive_int, required=True)
    g.add_argument("--k", type=positive_int, required=True)
    _common(g)
    g.set_defaults(handler=run_gemm)

    a = ops.add_parser("attention", help="one attention kernel (flash for prefill, decode over a KV cache)")
    a.add_argument("--phase", choices=("prefill", "decode"), required=True)
    a.add_argument("--batch", type=positive_int, required=True)
    a.add_argument("--heads", type=positive_int, required=True)
    a.add_argument("--kv-heads", type=positive_int, default=None, help="default: --heads (MHA)")
    a.add_argument("--head-dim", type=positive_int, required=True)
    a.add_argument("--context", type=positive_int, required=True,
                   help="prefill: sequence length (causal); decode: KV length")
    _common(a)
    a.set_defaults(handler=run_attention)


HARNESS_HELP = {
    "graph": "CUDA-graph replay, as a serving engine runs kernels (no host launch gap)",
    "do_bench": "triton.testing.do_bench: L2 flushed before each call, launch and event cost included",
    "event": "one call between CUDA events after warm-up: warm L2, launch cost included",
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--harness", choices=tuple(HARNESS_HELP), default="graph",
                   help="how the kernel is timed: " + "; ".join(f"{k}: {v}" for k, v in HARNESS_HELP.items())
                        + " (default graph; launch costs measured on an H200, see docs/validate.md)")
    p.add_argument("--dtype", default="bf16")
    p.add_argument("--hw", required=True, help="device or system preset, or a YAML file")
    p.add_argument("--device", default=None, help="device of the system to run on (default: its compute device)")
    p.add_argument("--json", action="store_true")


def run_gemm(args: argparse.Namespace) -> int:
    from cosim.engine import predict_op_gemm

    result = predict_op_gemm(args.hw, args.m, args.n, args.k, dtype=args.dtype, device=args.device)
    params = {"m": args.m, "n": args.n, "k": args.k, "dtype": args.dtype}
    return _print(result, args.json, args.harness, _harnessed_s(args, "gemm", "gemm", params))


def run_attention(args: argparse.Namespace) -> int:
    from cosim.engine import predict_op_attention

    kv_heads = args.kv_heads or args.heads
    result = predict_op_attention(args.hw, args.phase, args.batch, args.heads, kv_heads,
                                  args.head_dim, args.context, dtype=args.dtype, device=args.device)
    params = {"batch": args.batch, "q_len": 1 if args.phase == "decode" else args.context, "context": args.context,
              "heads": args.heads, "kv_heads": kv_heads, "head_dim": args.head_dim, "dtype": args.dtype,
              "causal": True}
    return _print(result, args.json, args.harness,
                  _harnessed_s(args, "sdpa-decode", f"attention_{args.phase}", params))


def _harnessed_s(args: argparse.Namespace, family: str, kind: str, params: dict) -> float | None:
    """The kernel's time under a standalone harness (None for graph replay: the cost model's own time)."""
    if args.harness == "graph":
        return None
    from cosim.validate.measurement import Measurement
    from cosim.validate.predict import predict_measurement

    m = Measurement(dataset=f"h200-torch-{family}-{args.harness}", device=args.hw, kind=kind, params=params,
                    measured_s=0.0, source="cosim op")
    return float(predict_measurement(m))


def _print(result, as_json: bool, harness: str = "graph", harnessed_s: float | None = None) -> int:
    latency = result.latency_s if harnessed_s is None else harnessed_s
    data = {
        "name": result.name, "kind": result.kind, "device": result.device, "latency_s": latency,
        "harness": harness, "graph_latency_s": result.latency_s,
        "flops": result.flops, "bytes": result.bytes, "compute_s": result.compute_s,
        "memory_s": result.memory_s, "overhead_s": result.overhead_s, "bound": result.bound,
        "achieved_flops_per_s": result.achieved_flops_per_s,
    }
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        print(f"{result.kind} on {result.device}: {fmt_seconds(latency)} ({result.bound}-bound), timed as {harness}: "
              f"{HARNESS_HELP[harness]}")
        print(f"  FLOPs {result.flops:.4g}, bytes {fmt_bytes(result.bytes)}, "
              f"achieved {data['achieved_flops_per_s'] / 1e12:.1f} TFLOP/s")
        print(f"  compute {fmt_seconds(result.compute_s)}, memory {fmt_seconds(result.memory_s)}, "
              f"overhead {fmt_seconds(result.overhead_s)}")
    return 0
