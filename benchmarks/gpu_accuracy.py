"""Print the GPU kernel model's error on held-out (and, labelled, fitted) aiconfigurator kernels.

Usage: python benchmarks/gpu_accuracy.py [device ...]   (default: h100-sxm a100-80g)
"""

from __future__ import annotations

import sys

from cosim.perf.gpu.accuracy import error_table, format_table


def main(devices: list[str]) -> None:
    for device in devices:
        for holdout in (True, False):
            label = "held-out 30 %" if holdout else "fitted 70 % (for reference only)"
            print(format_table(error_table(device, holdout=holdout), f"\n{device}: {label}"))


if __name__ == "__main__":
    main(sys.argv[1:] or ["h100-sxm", "a100-80g"])
