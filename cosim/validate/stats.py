"""Error statistics: the rows of the `cosim validate` table.

Error of one point: ``100 * (predicted - measured) / measured`` (positive = cosim too slow). A row
groups points of one dataset, device, operator label and split, and reports n, the median, p90 and
max of the absolute error and the median signed error (bias). Points cosim could not predict are
counted (``failed``), never folded into the statistics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from cosim.validate.measurement import Measurement, is_holdout

FULL_PRECISION = ("bf16", "fp16")
P90 = 90.0


def percent_error(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    predicted = np.asarray(predicted, dtype=float)
    measured = np.asarray(measured, dtype=float)
    return 100.0 * (predicted - measured) / measured


@dataclass(frozen=True)
class ErrorRow:
    dataset: str
    device: str
    operator: str
    split: str  # "holdout" or "train"
    n: int
    median_abs_pct: float
    p90_abs_pct: float
    max_abs_pct: float
    bias_pct: float  # median signed error
    failed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(errors_pct: Sequence[float]) -> tuple[float, float, float, float]:
    """(median |e|, p90 |e|, max |e|, median e) of finite errors; NaNs when there are none."""
    e = np.asarray(errors_pct, dtype=float)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return (float("nan"),) * 4
    a = np.abs(e)
    return float(np.median(a)), float(np.percentile(a, P90)), float(a.max()), float(np.median(e))


def operator_label(m: Measurement) -> str:
    """What a table row is about: the named operator (``op``) or the kind, plus a narrow dtype."""
    label = str(m.params.get("op", m.kind))
    dtype = str(m.params.get("dtype", "bf16"))
    if m.kind == "gemm" and dtype not in FULL_PRECISION:
        label += f" {dtype}"
    return label


def split_name(m: Measurement) -> str:
    return "holdout" if is_holdout(m) else "train"


def error_rows(measurements: Sequence[Measurement], predicted: np.ndarray) -> list[ErrorRow]:
    """One row per (dataset, device, operator, split), in first-seen order."""
    groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(measurements):
        groups[(m.dataset, m.device, operator_label(m), split_name(m))].append(i)
    measured = np.array([m.measured_s for m in measurements], dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    err = percent_error(predicted, measured) if len(measured) else np.array([])
    rows = []
    for (dataset, device, op, split), idx in groups.items():
        e = err[idx]
        ok = np.isfinite(e)
        med, p90, mx, bias = summarize(e)
        rows.append(ErrorRow(dataset, device, op, split, int(ok.sum()), med, p90, mx, bias,
                             failed=int((~ok).sum())))
    return rows


# Accuracy-target groups (issue #4): which measurement kinds count as what.
CATEGORY_OF_KIND = {
    "gemm": "gemm",
    "attention_prefill": "attention",
    "attention_decode": "attention",
    "elementwise": "elementwise",
    "allreduce": "allreduce",
    "layer_prefill": "layer",
    "layer_decode": "layer",
    "step_prefill": "step",
    "step_decode": "step",
}


def category_of(m: Measurement) -> str:
    """The accuracy-target group of a record; narrow-dtype GEMMs (fp8: extra quantize kernel) are their own group."""
    category = CATEGORY_OF_KIND.get(m.kind, m.kind)
    dtype = str(m.params.get("dtype", "bf16"))
    return f"{category} {dtype}" if m.kind == "gemm" and dtype not in FULL_PRECISION else category


def category_rows(measurements: Sequence[Measurement], predicted: np.ndarray, *,
                  by_device: bool = False) -> list[ErrorRow]:
    """Summary per category and split over every dataset (dataset column "*"); per device too with ``by_device``."""
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(measurements):
        groups[(category_of(m), m.device if by_device else "*", split_name(m))].append(i)
    measured = np.array([m.measured_s for m in measurements], dtype=float)
    err = percent_error(np.asarray(predicted, dtype=float), measured) if len(measured) else np.array([])
    rows = []
    for (cat, device, split), idx in sorted(groups.items()):
        e = err[idx]
        ok = np.isfinite(e)
        med, p90, mx, bias = summarize(e)
        rows.append(ErrorRow("*", device, cat, split, int(ok.sum()), med, p90, mx, bias, failed=int((~ok).sum())))
    return rows


# Issue #4 accuracy target on held-out data, for these categories (percent).
TARGET_CATEGORIES = ("gemm", "attention", "step")
TARGET_MEDIAN_PCT = 10.0
TARGET_MAX_PCT = 25.0
