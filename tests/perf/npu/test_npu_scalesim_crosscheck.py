"""Cross-check against SCALE-Sim v3 (skipped when `scalesim` is not installed)."""

from __future__ import annotations

import pytest

from cosim.hardware.npu import Dataflow
from cosim.perf.npu.dataflow import single_array_cycles
from cosim.perf.npu.scalesim_bridge import scalesim_available, scalesim_compute_cycles

pytestmark = pytest.mark.skipif(not scalesim_available(), reason="scalesim not installed "
                                "(pip install -r benchmarks/requirements-peers.txt)")

TOLERANCE = 0.05  # the target: compute cycles within 5 %
SMALL_SHAPES = [(1, 40, 33), (7, 16, 16), (20, 13, 40), (64, 100, 70)]


@pytest.mark.parametrize("dataflow", list(Dataflow))
@pytest.mark.parametrize(("m", "n", "k"), SMALL_SHAPES)
def test_compute_cycles_agree_on_small_gemms(dataflow, m, n, k):
    ref = scalesim_compute_cycles(m, n, k, dataflow, 16, 8)
    assert ref.scale == 1  # simulated whole
    ours = int(single_array_cycles(dataflow, m, n, k, 16, 8))
    assert abs(ours - ref.cycles) <= TOLERANCE * ref.cycles


@pytest.mark.parametrize("dataflow", list(Dataflow))
def test_sliced_simulation_equals_the_whole_one(dataflow):
    whole = scalesim_compute_cycles(50, 70, 90, dataflow, 16, 16)
    sliced = scalesim_compute_cycles(50, 70, 90, dataflow, 16, 16, memory_budget_bytes=0)
    assert whole.scale == 1 and sliced.scale > 1
    assert sliced.cycles == whole.cycles
