"""NPU specs for the systolic-model tests: the NeuPIMs preset, and small variants of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cosim.hardware import load_device
from cosim.hardware.npu import NpuSpec


def _variant(base: NpuSpec, *, arrays: dict | None = None, **fields: object) -> NpuSpec:
    """``base`` with some array fields (count, rows, cols, dataflow, clock) and spec fields replaced."""
    update: dict[str, object] = dict(fields)
    if arrays:
        update["systolic_arrays"] = base.systolic_arrays.model_copy(update=arrays)
    if "bandwidth" in update:
        update["memory"] = base.memory.model_copy(update={"bandwidth": update.pop("bandwidth")})
    return base.model_copy(update=update)


@pytest.fixture(scope="session")
def neupims_npu() -> NpuSpec:
    return load_device("neupims-npu")


@pytest.fixture(scope="session")
def npu_variant(neupims_npu: NpuSpec) -> Callable[..., NpuSpec]:
    """``npu_variant(arrays={...}, sram_capacity=..., bandwidth=...)``: a modified NeuPIMs NPU."""
    return lambda **kw: _variant(neupims_npu, **kw)
