"""Error-table statistics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cosim.validate.measurement import Measurement, is_holdout
from cosim.validate.stats import category_rows, error_rows, operator_label, percent_error, summarize


def test_percent_error_sign():
    assert percent_error(np.array([1.1, 0.9]), np.array([1.0, 1.0])) == pytest.approx([10.0, -10.0])


def test_summary_by_hand():
    # errors 10, -10, 100, 0 -> |e| sorted 0, 10, 10, 100
    med, p90, mx, bias = summarize([10.0, -10.0, 100.0, 0.0])
    assert med == pytest.approx(10.0)
    assert p90 == pytest.approx(10.0 + 0.7 * 90.0)  # linear interpolation at rank 0.9 * 3 = 2.7
    assert mx == pytest.approx(100.0)
    assert bias == pytest.approx(5.0)  # median of -10, 0, 10, 100


def test_summary_ignores_nan_and_handles_empty():
    assert summarize([float("nan"), 20.0])[0] == pytest.approx(20.0)
    assert all(math.isnan(v) for v in summarize([]))


def _records(dataset: str, n: int) -> list[Measurement]:
    return [Measurement(dataset, "h100-sxm", "gemm", {"m": i, "n": 8, "k": 8, "dtype": "bf16"}, 1.0, "s")
            for i in range(1, n + 1)]


def test_rows_group_by_dataset_operator_and_split():
    records = _records("a", 40) + _records("b", 10)
    predicted = np.array([1.2] * 40 + [0.5] * 9 + [np.nan])
    rows = error_rows(records, predicted)
    assert sum(r.n + r.failed for r in rows) == 50
    assert {(r.dataset, r.split) for r in rows} == {(m.dataset, "holdout" if is_holdout(m) else "train")
                                                    for m in records}
    for r in rows:
        if r.dataset == "a":
            assert (r.median_abs_pct, r.max_abs_pct, r.bias_pct) == pytest.approx((20.0, 20.0, 20.0))
        else:
            assert r.bias_pct == pytest.approx(-50.0)
    assert sum(r.failed for r in rows) == 1
    summary = category_rows(records, predicted)
    assert {r.operator for r in summary} == {"gemm"}
    assert sum(r.n for r in summary) == 49


def test_operator_label_marks_narrow_gemms():
    fp8 = Measurement("d", "h100-sxm", "gemm", {"m": 1, "n": 1, "k": 1, "dtype": "fp8"}, 1.0, "s")
    named = Measurement("d", "h100-sxm", "elementwise", {"op": "rmsnorm"}, 1.0, "s")
    assert operator_label(fp8) == "gemm fp8"
    assert operator_label(named) == "rmsnorm"
