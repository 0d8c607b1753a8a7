"""`cosim calibrate gpu --device NAME`: fit the GPU kernel model on measured kernels, print the YAML."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    from cosim.validate import calibrate_gpu as calibrate

    p = sub.add_parser("calibrate", help="fit cost-model parameters on measured data",
                       description="Fit a cost model's physical parameters on the training split of the "
                                   "measured datasets and print the values and the preset YAML to paste.")
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    g = targets.add_parser("gpu", help="the gpu-kernel model (GEMM and flash-attention benchmarks)")
    calibrate.add_arguments(g)
    g.set_defaults(handler=run_gpu)


def run_gpu(args: argparse.Namespace) -> int:
    from cosim.validate.calibrate_gpu import run

    print(run(args.device, peer_root=args.peer_data, max_points=args.max_points))
    return 0
