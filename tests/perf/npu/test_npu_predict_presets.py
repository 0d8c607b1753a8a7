"""End to end: `cosim predict` on the NeuPIMs presets scores NPU operators with the systolic model."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main
from cosim.hardware import load_system
from cosim.perf.base import get_cost_model
from cosim.workload import build_graph
from cosim.workload.graph import operators

STEP = ("--model", "llama2-7b", "--phase", "decode", "--batch", "8", "--context", "512")


def predict_json(capsys, *argv: str) -> dict:
    code = main(["predict", *argv, "--json", "--ops"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("system", ["neupims", "npu+pim", "neupims-npu"])
def test_npu_rows_are_the_systolic_model(capsys, system):
    data = predict_json(capsys, "--hw", system, *STEP)
    assert "systolic" in data["cost_model"].split("+")
    spec = load_system(system).devices["npu"].spec
    ops = {op.name: op for op in operators(build_graph("llama2-7b", "decode", 8, 512))}
    model = get_cost_model("systolic")
    npu_rows = [r for r in data["ops"] if r["device"] == "npu"]
    assert any(r["kind"] == "gemm" for r in npu_rows)
    for row in npu_rows:
        expected = model.op_timing(ops[row["name"]], spec.caps(), spec)
        assert row["latency_s"] == pytest.approx(expected.latency_s * row["share"], rel=1e-9)


def test_roofline_override_still_available(capsys):
    systolic = predict_json(capsys, "--hw", "neupims", *STEP)
    roofline = predict_json(capsys, "--hw", "neupims", *STEP, "--cost-model", "roofline")
    assert roofline["cost_model"] == "roofline"
    gemm = {r["name"]: r["latency_s"] for r in systolic["ops"] if r["kind"] == "gemm"}
    gemm_roof = {r["name"]: r["latency_s"] for r in roofline["ops"] if r["kind"] == "gemm"}
    assert gemm.keys() == gemm_roof.keys() and gemm != gemm_roof


def test_systolic_on_a_pim_device_is_a_one_line_error(capsys):
    code = main(["predict", "--hw", "neupims", *STEP, "--cost-model", "systolic"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "cost_model" in err and "Traceback" not in err
