"""`cosim pim attention`: decode attention on a DIMM-PIM or HBM-PIM device, with the PIM stream models."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from cosim.cli.args import int_list, positive_int
from cosim.cli.format import fmt_bytes, fmt_seconds
from cosim.errors import CosimInputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pim", help="PIM device models (decode attention on DIMM-PIM / HBM-PIM)",
                       description="Score decode attention on a PIM device with the cycle-approximate stream models.")
    cmds = p.add_subparsers(dest="pim_command", metavar="COMMAND", required=True)
    a = cmds.add_parser("attention", help="decode attention of a batch on a PIM device",
                        description="Time, internal bandwidth, bank utilization, PCIe traffic, energy and the "
                                    "CHIME Eq. 1 status of one decode attention step.")
    a.add_argument("--hw", required=True, help="PIM device or system preset (cosim list hw), or a YAML file")
    a.add_argument("--batch", type=positive_int, default=None, help="requests (default: the number of contexts)")
    a.add_argument("--context", type=int_list, required=True,
                   help="KV length of every request, or a comma list with one length per request")
    a.add_argument("--heads", type=positive_int, required=True)
    a.add_argument("--kv-heads", type=positive_int, default=None, help="default: --heads (MHA)")
    a.add_argument("--head-dim", type=positive_int, required=True)
    a.add_argument("--layers", type=positive_int, default=1, help="decoder layers (KV capacity and total time)")
    a.add_argument("--layout", default="hybrid", help="DIMM-PIM KV layout (default hybrid; see --list-layouts)")
    a.add_argument("--ranksets", type=positive_int, default=None, help="DIMM-PIM ranks per channel (what-if)")
    a.add_argument("--dtype-bytes", type=positive_int, default=2, help="bytes per KV element (default 2: fp16)")
    a.add_argument("--link-gbps", type=float, default=None,
                   help="GPU<->PIM link bandwidth in GB/s (default: the system's link; none for a bare device)")
    a.add_argument("--no-overlap", action="store_true", help="expose every PCIe transfer (no rankset overlap)")
    a.add_argument("--no-pipeline", action="store_true", help="no bubble-free pipelining: scan + comm")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=run_attention)


def _pim_device(hw: str) -> tuple[Any, int, float | None]:
    """(spec, device count, link bandwidth) of the first PIM device of ``hw``."""
    from cosim.hardware import load_system

    system = load_system(hw)
    pims = system.pim_devices()
    if not pims:
        raise CosimInputError(f"{hw!r} has no PIM device", field="hw",
                              allowed="a dimm_pim / hbm_pim device or a system with one")
    name = pims[0]
    slot = system.devices[name]
    link = None
    for other in system.compute_devices():
        caps = system.link_between(other, name)
        if caps is not None:
            link = caps.bw_bytes_per_s
            break
    return slot.spec, slot.count, link


def _batch(args: argparse.Namespace):
    from cosim.perf.pim.dimm_attention import DecodeBatch
    from cosim.workload.step import MAX_REQUESTS

    contexts = list(args.context)
    if max(args.batch or 0, len(contexts)) > MAX_REQUESTS:  # one context per request is kept
        raise CosimInputError(f"{max(args.batch or 0, len(contexts))} requests is more than the {MAX_REQUESTS} "
                              "supported", field="batch", allowed=f"1..{MAX_REQUESTS}")
    if len(contexts) == 1 and args.batch:
        contexts = contexts * args.batch
    elif args.batch is not None and args.batch != len(contexts):
        raise CosimInputError(f"--batch {args.batch} does not match the {len(contexts)} contexts given",
                              field="batch", allowed=f"{len(contexts)} or omit --batch")
    kv = args.kv_heads or args.heads
    if args.heads % kv:
        raise CosimInputError(f"--heads {args.heads} is not a multiple of --kv-heads {kv}", field="kv_heads")
    return DecodeBatch(np.asarray(contexts), args.heads, kv, args.head_dim, layers=args.layers,
                       dtype_bytes=args.dtype_bytes)


def run_attention(args: argparse.Namespace) -> int:
    from cosim.hardware.dimm_pim import DimmPimSpec
    from cosim.hardware.hbm_pim import HbmPimSpec
    from cosim.perf.pim.dimm_attention import dimm_decode_attention
    from cosim.perf.pim.hbm_attention import hbm_decode_attention
    from cosim.perf.pim.layout import get_layout

    spec, _count, link = _pim_device(args.hw)
    batch = _batch(args)
    if args.link_gbps is not None:
        if args.link_gbps <= 0:
            raise CosimInputError(f"--link-gbps must be > 0, got {args.link_gbps}", field="link_gbps")
        link = args.link_gbps * 1e9
    if isinstance(spec, DimmPimSpec):
        result = dimm_decode_attention(spec, batch, layout=get_layout(args.layout), ranksets=args.ranksets,
                                       link_bw_bytes_per_s=link, overlap=not args.no_overlap,
                                       pipelined=not args.no_pipeline)
    elif isinstance(spec, HbmPimSpec) and spec.dram is not None:
        result = hbm_decode_attention(spec, batch)
    else:
        raise CosimInputError(f"device {spec.name!r} has no DRAM timings for the PIM stream model", field="hw",
                              allowed="a DIMM-PIM, or an HBM-PIM preset with dram timings")
    data = {"device": spec.name, "batch": batch.batch, "heads": batch.heads, "kv_heads": batch.kv_heads,
            "head_dim": batch.head_dim, **result.to_dict()}
    print(json.dumps(data, indent=2) if args.json else _text(data))
    return 0


def _text(d: dict[str, Any]) -> str:
    level = d.get("level", "bank")
    where = d.get("layout", d.get("placement", ""))
    lines = [f"decode attention on {d['device']} ({level}-level PUs, {where})",
             f"  batch {d['batch']}, heads {d['heads']} / KV {d['kv_heads']}, head_dim {d['head_dim']}",
             f"  time              {fmt_seconds(d['time_s'])} (PIM {fmt_seconds(d['pim_time_s'])})",
             f"  internal bw       {d['achieved_internal_bw_bytes_per_s'] / 1e12:.2f} TB/s achieved of "
             f"{d['peak_internal_bw_bytes_per_s'] / 1e12:.2f} TB/s peak",
             f"  bank utilization  {100 * d['bank_utilization']:.1f} %",
             f"  PCIe traffic      {fmt_bytes(d.get('pcie_bytes', 0.0))}",
             f"  energy            {d['energy_j']['total_j']:.4g} J"]
    if "eq1" in d and d["level"] == "bank":
        e = d["eq1"]
        state = "bubble-free" if e["bubble_free"] else "comm-bound (bubbles)"
        lines.append(f"  Eq. 1             N_hc {e['n_hc']} (bound {e['n_hc_bound']:.3g}): {state}, "
                     f"T_comm {fmt_seconds(e['t_comm_s'])} vs T_comp {fmt_seconds(e['t_comp_s'])}")
    if "ranksets" in d:
        lines.append(f"  ranksets          {d['ranksets']}, KV capacity use {100 * d['capacity_use']:.1f} %")
    lines += [f"  note: {n}" for n in d.get("notes", [])]
    return "\n".join(lines)
