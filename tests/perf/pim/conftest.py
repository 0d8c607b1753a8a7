"""Shared presets for the PIM model tests (CHIME Table I DIMMs, R-PIM, AttAcc HBM3-PIM)."""

from __future__ import annotations

import pytest

from cosim.hardware import load_device


@pytest.fixture(scope="session")
def l3():
    return load_device("l3-dimm-pim")


@pytest.fixture(scope="session")
def rpim():
    return load_device("r-pim")


@pytest.fixture(scope="session")
def attacc():
    return load_device("hbm-pim-attacc")
