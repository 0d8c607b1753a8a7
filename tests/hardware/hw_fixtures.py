"""Plain helpers shared by the hardware tests (a module with a unique name, unlike conftest)."""

from __future__ import annotations

from typing import Any

from cosim.config import REPO_ROOT, load_document


def preset_data(name: str) -> dict[str, Any]:
    """A shipped preset's raw document (without resolving ``extends``)."""
    return load_document(REPO_ROOT / "hw" / f"{name}.yaml")
