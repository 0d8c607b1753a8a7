"""Options shared by several subcommands (model/hardware/step/dtypes)."""

from __future__ import annotations

import argparse
from typing import Any

from cosim.cli.args import non_negative_int, positive_int

PHASES = ("prefill", "decode", "chunked_prefill")
FUSIONS = ("fused", "unfused")
ATTENTIONS = ("flash", "eager")


def add_step_options(parser: argparse.ArgumentParser, *, need_hw: bool = True, mix: bool = False) -> None:
    """``mix``: the step may instead be given as request slices (``--mix``), so phase/batch/context are optional."""
    parser.add_argument("--model", required=True, help="preset name (cosim list models) or a YAML / HF config.json")
    if need_hw:
        parser.add_argument("--hw", required=True, help="hardware preset (cosim list hw) or a YAML file")
    if mix:
        parser.add_argument("--mix", default=None, metavar="SLICES",
                            help="one serving iteration as request slices: p<len> (fresh prefill), "
                                 "c<chunk>@<cached> (prefill chunk), d<kv_len> (decode), each optionally x<count>; "
                                 "e.g. p2048,d4096x32 (replaces --phase/--batch/--context/--chunk)")
    parser.add_argument("--phase", required=not mix, choices=PHASES)
    parser.add_argument("--batch", required=not mix, type=positive_int, help="requests in the batch")
    parser.add_argument("--context", required=not mix, type=non_negative_int,
                        help="prefill: prompt tokens; decode: KV length attended; chunked_prefill: tokens "
                             "already cached before the chunk")
    parser.add_argument("--chunk", type=positive_int, default=None, help="chunked_prefill: new tokens per request")
    parser.add_argument("--fusion", choices=FUSIONS, default="fused",
                        help="fused: serving engine kernels; unfused: plain PyTorch (default: fused)")
    parser.add_argument("--attention", choices=ATTENTIONS, default="flash")
    parser.add_argument("--dtype", default="bf16", help="activation/compute dtype (default bf16)")
    parser.add_argument("--weight-dtype", default=None, help="weight dtype (default: --dtype)")
    parser.add_argument("--kv-dtype", default=None, help="KV-cache dtype, or K/V pair such as int8/int4")
    parser.add_argument("--tp", type=positive_int, default=1, help="tensor-parallel degree (default 1)")


def step_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "chunk": args.chunk,
        "dtype": args.dtype,
        "weight_dtype": args.weight_dtype,
        "kv_dtype": args.kv_dtype,
        "fusion": args.fusion,
        "attention": args.attention,
        "tp": args.tp,
    }
