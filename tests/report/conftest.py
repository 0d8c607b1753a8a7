"""Fixtures for report tests (hand-made results; helpers live in report_fakes.py)."""

from __future__ import annotations

import pytest
from report_fakes import gpu_caps, make_step, pim_caps

from cosim.hardware.caps import DeviceCaps
from cosim.perf.result import StepResult


@pytest.fixture
def steps() -> list[StepResult]:
    return [make_step("gpu+pim", 8, 2048), make_step("gpu+pim", 64, 8192), make_step("gpu-only", 8, 2048)]


@pytest.fixture
def caps() -> dict[str, DeviceCaps]:
    return {"gpu": gpu_caps(), "pim": pim_caps()}
