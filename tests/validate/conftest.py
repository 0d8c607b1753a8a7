"""Fixtures for validation tests: the shared peer data (skipped when absent) and CSV writers."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PEER_DATA = REPO.parent / "shared" / "peer_data"
# the headless-browser helper lives with the report tests
sys.path.insert(0, str(REPO / "tests" / "report"))


@pytest.fixture(scope="session")
def peer_root() -> Path:
    if not PEER_DATA.is_dir():
        pytest.skip(f"shared peer data not found at {PEER_DATA}")
    return PEER_DATA


@pytest.fixture
def scoped_dataset() -> Iterator[Callable]:
    """``scoped_dataset(info)`` registers a DatasetInfo until the test ends (the registry refuses duplicates)."""
    from cosim.validate.datasets import DATASETS

    with contextlib.ExitStack() as stack:
        yield lambda info: stack.enter_context(DATASETS.scoped(info.name, info))


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "measurements.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
