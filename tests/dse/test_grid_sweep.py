"""Grid sweeps over named hardware parameters."""

from __future__ import annotations

import numpy as np
import pytest
from cosim_fakes import decoder_graph, gpu_pim_system

from cosim.dse import grid, sweep, to_records
from cosim.engine.predict import predict_graph
from cosim.engine.vectorized import VectorizedStep
from cosim.errors import CosimInputError
from cosim.hardware.variants import system_with_overrides


def test_grid_is_cartesian_product():
    g = grid({"a.x": [1, 2, 3], "b.y": [10, 20]})
    assert len(g["a.x"]) == 6
    assert {(a, b) for a, b in zip(g["a.x"], g["b.y"], strict=True)} == {
        (a, b) for a in (1, 2, 3) for b in (10, 20)
    }


def test_sweep_points_match_scalar_predictions():
    system = gpu_pim_system()
    graph = decoder_graph(batch=8, context=2048)
    table = sweep(
        VectorizedStep.build(graph, system),
        {
            "gpu.mem_bw_bytes_per_s": [2e12, 4e12],
            "pim.mem_bw_bytes_per_s": [1e12, 13e12],
            "pcie.bw_bytes_per_s": [32e9, 64e9],
        },
    )
    assert len(table["latency_s"]) == 8
    for row in to_records(table):
        point = {
            "gpu": {"mem_bw_bytes_per_s": row["gpu.mem_bw_bytes_per_s"]},
            "pim": {"mem_bw_bytes_per_s": row["pim.mem_bw_bytes_per_s"]},
            "pcie": {"bw_bytes_per_s": row["pcie.bw_bytes_per_s"]},
        }
        assert row["latency_s"] == pytest.approx(
            predict_graph(graph, system_with_overrides(system, point)).latency_s, rel=1e-9
        )


def test_zipped_columns():
    step = VectorizedStep.build(decoder_graph(), gpu_pim_system())
    table = sweep(
        step,
        {"gpu.flops_scale": np.array([1.0, 2.0]), "pim.flops_scale": np.array([1.0, 2.0])},
        cartesian=False,
    )
    assert len(table["latency_s"]) == 2


def test_bad_names_are_one_line_errors():
    step = VectorizedStep.build(decoder_graph(), gpu_pim_system())
    with pytest.raises(CosimInputError, match="<device or link>"):
        sweep(step, {"bandwidth": [1.0]})
    with pytest.raises(CosimInputError, match="at least one"):
        grid({"gpu.flops_scale": []})
