"""Make gpu_toys.py (next to this file) importable, and offer a one-tile architecture fixture."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gpu_toys import SINGLE_TILE

from cosim.perf.gpu.arch import ARCH_TABLES


@pytest.fixture
def single_tile(monkeypatch):
    """Generic architecture reduced to one 128x128 tile and no split-K."""
    monkeypatch.setitem(ARCH_TABLES, None, SINGLE_TILE)
    return SINGLE_TILE
