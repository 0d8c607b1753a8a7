"""Shared fixtures: notebooks executed in the venv's kernel; a guard that no test replaces a device node."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


class ExecutedNotebook:
    """A notebook run top to bottom (nbclient, the ``python3`` kernel, its folder as working directory)."""

    def __init__(self, path: Path) -> None:
        nbformat = pytest.importorskip("nbformat")
        nbclient = pytest.importorskip("nbclient")
        pytest.importorskip("ipykernel")
        self.nb = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(self.nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()

    @property
    def outputs(self) -> list:
        return [o for c in self.nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.fixture(scope="session")
def execute_notebook():
    return ExecutedNotebook


@pytest.fixture
def no_rename_into_dev(monkeypatch):
    """Fail the test instead of replacing a device node, whatever the code under test does (tests run as root)."""
    real = os.replace

    def guarded(src, dst, *args, **kwargs):
        if str(dst).startswith("/dev/"):
            raise AssertionError(f"tried to replace {dst}")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", guarded)
