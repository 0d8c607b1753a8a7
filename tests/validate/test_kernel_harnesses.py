"""Single kernels under the harness a user times with (cosim's own H200 measurements, shipped as package data)."""

from __future__ import annotations

import json

import numpy as np

from cosim.cli.main import main
from cosim.validate.datasets.kernel_harnesses import HARNESSES
from cosim.validate.datasets.registry import load_dataset
from cosim.validate.measurement import is_holdout
from cosim.validate.predict import predict_measurement


def test_every_harness_dataset_loads_from_package_data():
    for harness in HARNESSES:
        assert len(load_dataset(f"h200-torch-gemm-{harness}")) == 48
        assert len(load_dataset(f"h200-torch-sdpa-decode-{harness}")) == 60


def _median_abs_error(dataset: str) -> float:
    held = [m for m in load_dataset(dataset) if is_holdout(m)]
    return float(np.median([abs(predict_measurement(m) / m.measured_s - 1) for m in held]))


def test_standalone_harnesses_predict_what_do_bench_and_events_measure():
    # without the harness, cosim's graph-replay times are ~25 % short of do_bench on small GEMMs
    assert _median_abs_error("h200-torch-gemm-graph") < 0.10
    assert _median_abs_error("h200-torch-gemm-do_bench") < 0.15
    assert _median_abs_error("h200-torch-gemm-event") < 0.15


def _op(capsys, *argv: str) -> dict:
    assert main(["op", "gemm", "--m", "16", "--n", "4096", "--k", "4096", "--hw", "h200", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cosim_op_states_its_harness_and_adds_the_launch_cost(capsys):
    graph = _op(capsys)
    assert graph["harness"] == "graph" and graph["latency_s"] == graph["graph_latency_s"]
    bench = _op(capsys, "--harness", "do_bench")
    event = _op(capsys, "--harness", "event")
    assert bench["harness"] == "do_bench" and bench["graph_latency_s"] == graph["latency_s"]
    assert bench["latency_s"] >= graph["latency_s"] + HARNESSES["do_bench"].host_floor_s * 0.99
    assert event["latency_s"] > bench["latency_s"]  # a lone call pays the whole launch
