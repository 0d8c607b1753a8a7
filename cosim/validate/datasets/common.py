"""Helpers shared by the peer-data loaders: file lookup, unit factors, device dtype support."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cosim.workload.dtypes import DType

MS = 1e-3
US = 1e-6
NS = 1e-9


def relative(path: Path, peer_root: Path) -> str:
    """Path as written in a Measurement's ``source``: relative to the peer_data root."""
    try:
        return str(path.relative_to(peer_root))
    except ValueError:
        return str(path)


@cache
def device_matrix_dtypes(device: str) -> frozenset[DType]:
    """Dtypes the device's matrix unit has a peak for (fp8 on A100: absent, so such rows are skipped)."""
    from cosim.hardware import load_system

    system = load_system(device)
    name = next(iter(system.compute_devices()))
    return frozenset(system.caps(name).matrix_flops_per_s)
