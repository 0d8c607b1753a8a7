"""Calibration recovers known parameters from data generated with them (and only fits the train split)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from gpu_toys import make_view

from cosim.validate import calibrate_gpu as cal

TRUE = {"compute_efficiency": 0.72, "memory_efficiency": 0.81, "dram_latency_s": 1.7e-6, "overlap": 3.0}
START = {"compute_efficiency": 0.5, "memory_efficiency": 0.5, "dram_latency_s": 4e-6, "overlap": 8.0}


def synthetic_points(view, rng) -> list[cal.Point]:
    shapes = [(int(m), int(n), int(k)) for m, n, k in zip(
        rng.choice([1, 4, 16, 64, 256, 1024, 4096], 120),
        rng.choice([512, 2048, 4096, 11008, 14336], 120),
        rng.choice([512, 2048, 4096, 8192], 120), strict=True)]
    probe = [cal.Point("synthetic", "gemm", {"m": m, "n": n, "k": k, "dtype": "bf16"}, 1.0) for m, n, k in shapes]
    times = cal.predict_points(view, probe, TRUE)
    noise = np.exp(rng.normal(0.0, 0.01, len(times)))  # 1 % measurement noise
    return [replace(p, measured_s=float(t)) for p, t in zip(probe, times * noise, strict=True)]


def test_fit_recovers_the_parameters_that_generated_the_data():
    view = make_view(sms=108, bw=2e12, gap=1e-6)
    points = synthetic_points(view, np.random.default_rng(7))
    values, median_err = cal.fit(view, points, list(TRUE), START)
    assert median_err < 0.02
    for name, truth in TRUE.items():
        assert values[name] == pytest.approx(truth, rel=0.1), name


def test_the_fit_moves_away_from_a_wrong_start():
    view = make_view(sms=108, bw=2e12, gap=1e-6)
    points = synthetic_points(view, np.random.default_rng(3))
    start_pred = cal.predict_points(view, points, START)
    start_err = float(np.median(np.abs(start_pred / np.array([p.measured_s for p in points]) - 1)))
    _, fitted_err = cal.fit(view, points, list(TRUE), START)
    assert fitted_err < start_err / 5


def test_training_points_never_contain_held_out_records(monkeypatch):
    from cosim.validate import measurement as meas
    from cosim.validate.datasets import registry

    records = [meas.Measurement("aiconfigurator-h100-gemm", "h100-sxm", "gemm",
                                {"m": m, "n": 4096, "k": 4096, "dtype": "bf16"}, 1e-5, f"x:{m}") for m in range(1, 200)]
    monkeypatch.setattr(registry, "load_dataset", lambda name, root=None: records
                        if name == "aiconfigurator-h100-gemm" else [])
    import cosim.validate.datasets as ds

    monkeypatch.setattr(ds, "load_dataset", registry.load_dataset)
    train = cal.training_points("h100-sxm", ("gemm",))
    held = cal.training_points("h100-sxm", ("gemm",), holdout=True)
    assert train and held and len(train) + len(held) == len(records)
    held_m = {p.params["m"] for p in held}
    assert all(meas.is_holdout(r) == (r.params["m"] in held_m) for r in records)
    assert not held_m & {p.params["m"] for p in train}
