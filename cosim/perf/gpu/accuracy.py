"""Held-out error of the calibrated GPU kernel model on the kernel benchmarks it was fitted on.

Scores the preset's parameters (as shipped in ``hw/*.yaml``) on the records ``is_holdout`` keeps
away from calibration, through the same harness-aware predictions the fit used (warm L2, host
floors), so the numbers say how well the physics generalizes to unseen shapes. ``cosim validate``
reports the public-API (cold-L2, CUDA-graph) predictions on every dataset separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cosim.perf.gpu.calibrate import DECODE_KIND, GEMM_KIND, PREFILL_KIND, Point, predict_points, training_points
from cosim.perf.gpu.device import gpu_view

KINDS = (GEMM_KIND, DECODE_KIND, PREFILL_KIND)
TARGET_MEDIAN = 0.10  # issue #4: held-out median absolute error <= 10 %
TARGET_MAX = 0.25  # issue #4: held-out max absolute error <= 25 %


@dataclass(frozen=True)
class ErrorRow:
    dataset: str
    kind: str
    dtype: str
    n: int
    median: float
    p90: float
    max: float


def relative_errors(device: str, points: Sequence[Point]) -> np.ndarray:
    from cosim.hardware import load_device

    spec = load_device(device)
    gpu = gpu_view(spec.caps(), spec)
    measured = np.array([p.measured_s for p in points])
    return predict_points(gpu, points, {}) / measured - 1.0


def error_table(device: str, *, holdout: bool = True, peer_root: Path | None = None) -> list[ErrorRow]:
    points = training_points(device, KINDS, peer_root, holdout=holdout)
    groups: dict[tuple[str, str, str], list[Point]] = {}
    for p in points:
        groups.setdefault((p.dataset, p.kind, str(p.params.get("dtype", "bf16"))), []).append(p)
    rows = []
    for (dataset, kind, dtype), pts in sorted(groups.items()):
        err = np.abs(relative_errors(device, pts))
        rows.append(ErrorRow(dataset, kind, dtype, len(pts), float(np.median(err)), float(np.percentile(err, 90)),
                             float(err.max())))
    return rows


def format_table(rows: Sequence[ErrorRow], title: str) -> str:
    lines = [title, f"{'dataset':<40} {'kind':<18} {'dtype':<5} {'n':>6} {'median%':>8} {'p90%':>7} {'max%':>7}"]
    for r in rows:
        lines.append(f"{r.dataset:<40} {r.kind:<18} {r.dtype:<5} {r.n:>6} {100 * r.median:>8.1f} {100 * r.p90:>7.1f} "
                     f"{100 * r.max:>7.1f}")
    return "\n".join(lines)
