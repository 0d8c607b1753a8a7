"""Grid sweeps: the Cartesian product of named hardware parameters, evaluated in one vectorized call.

Parameters are named ``"<device or link>.<parameter>"`` (``"gpu.mem_bw_bytes_per_s"``,
``"pim.flops_scale"``, ``"pcie.bw_bytes_per_s"``). Results are a dict of equal-length numpy arrays
(inputs and outputs side by side); ``to_records`` and ``to_dataframe`` (pandas optional) reshape it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cosim.engine.vectorized import VectorizedStep
from cosim.errors import CosimInputError


def grid(params: Mapping[str, Sequence[float] | np.ndarray]) -> dict[str, np.ndarray]:
    """Cartesian product {name: values} -> {name: flat array}; the last name varies fastest."""
    if not params:
        return {}
    names = list(params)
    axes = [np.asarray(params[n], dtype=np.float64).ravel() for n in names]
    for name, axis in zip(names, axes, strict=True):
        if axis.size == 0:
            raise CosimInputError("a sweep axis needs at least one value", field=name)
    mesh = np.meshgrid(*axes, indexing="ij")
    return {n: m.ravel() for n, m in zip(names, mesh, strict=True)}


def split_name(name: str) -> tuple[str, str]:
    target, sep, param = name.rpartition(".")
    if not sep or not target:
        raise CosimInputError(
            f"sweep parameter {name!r} must be '<device or link>.<parameter>'",
            field=name,
            allowed="e.g. gpu.mem_bw_bytes_per_s, pim.flops_scale, pcie.bw_bytes_per_s",
        )
    return target, param


def to_variants(columns: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    variants: dict[str, dict[str, np.ndarray]] = {}
    for name, values in columns.items():
        target, param = split_name(name)
        variants.setdefault(target, {})[param] = values
    return variants


def sweep(
    step: VectorizedStep, params: Mapping[str, Sequence[float] | np.ndarray], *, cartesian: bool = True
) -> dict[str, np.ndarray]:
    """Evaluate ``step`` on every point of the grid (``cartesian``) or on zipped equal-length columns."""
    columns = grid(params) if cartesian else {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    result = step.evaluate(to_variants(columns))
    return {
        **columns,
        "latency_s": result.latency_s,
        "tokens_per_s": result.tokens_per_s,
        "fits": result.fits,
        "bound": result.bound,
    }


def to_records(table: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    names = list(table)
    return [
        {n: table[n][i].item() if hasattr(table[n][i], "item") else table[n][i] for n in names}
        for i in range(len(next(iter(table.values()))) if table else 0)
    ]


def to_dataframe(table: Mapping[str, np.ndarray]) -> Any:
    """A pandas DataFrame of the sweep (pandas is optional; imported only here)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CosimInputError(
            "to_dataframe needs pandas; use the dict of arrays or to_records instead", field="pandas"
        ) from exc
    return pd.DataFrame(dict(table))
