"""Fit a kernel dataset's host floor (the per-call launch and timing cost its harness adds) on its train split.

``python -m cosim.validate.harness_fit DATASET ...`` prints, per dataset, the median over the small training
records (predicted under ``SMALL_KERNEL_S`` without a floor: where the launch cost dominates, so the model's
own error on large kernels does not leak into the floor) of (measured - predicted), never negative: the
value to store as the dataset's ``Harness.host_floor_s``. Held-out records are never seen.
"""

from __future__ import annotations

import argparse

import numpy as np

from cosim.validate.datasets.registry import harness_of, load_dataset
from cosim.validate.measurement import is_holdout
from cosim.validate.predict import predict_measurement

SMALL_KERNEL_S = 20e-6  # kernels this short are mostly launch and timing cost under a standalone harness


def fitted_floor_s(dataset: str) -> float:
    """The host floor of ``dataset`` fitted on its train split (its declared floor ignored)."""
    declared = harness_of(dataset).host_floor_s or 0.0  # predictions include it: take it back out
    records = [m for m in load_dataset(dataset) if not is_holdout(m)]
    if not records:
        return 0.0
    predicted = np.array([predict_measurement(m) - declared for m in records])
    measured = np.array([m.measured_s for m in records])
    small = predicted <= SMALL_KERNEL_S
    if not small.any():
        return 0.0
    return max(0.0, float(np.median(measured[small] - predicted[small])))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cosim.validate.harness_fit", description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+")
    for name in parser.parse_args().datasets:
        print(f"{name}: host floor {fitted_floor_s(name) * 1e6:.2f} us (train split)")


if __name__ == "__main__":
    main()
