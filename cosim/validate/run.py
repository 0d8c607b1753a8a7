"""One validation run: load datasets (and user CSVs), predict every record, compute the error tables.

``run_validation`` is what ``cosim validate`` and the report use; it does no printing and no file
writing, so notebooks and tests can call it too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cosim.errors import CosimInputError
from cosim.perf.base import DEFAULT_BY_KIND, get_cost_model
from cosim.validate.datasets.registry import (
    PEER_DATA_ENV,
    Loaded,
    dataset_names,
    default_peer_root,
    get_dataset,
)
from cosim.validate.measurement import SPLITS, Measurement, in_split
from cosim.validate.predict import predict_with_errors
from cosim.validate.stats import ErrorRow, category_rows, error_rows


@dataclass
class DatasetLoad:
    """What one dataset contributed: records kept for the split, rows skipped (by reason), or why absent."""

    name: str
    description: str
    loaded: int
    in_split: int
    skipped: dict[str, int]
    missing: str | None = None
    failed: dict[str, int] = field(default_factory=dict)  # prediction errors by message


@dataclass
class ValidationRun:
    split: str
    cost_model: str
    measurements: list[Measurement]
    predicted: np.ndarray
    rows: list[ErrorRow]
    summary: list[ErrorRow]
    by_device: list[ErrorRow]  # the summary per device
    datasets: list[DatasetLoad]
    seconds: float

    def to_json(self) -> dict:
        return {
            "split": self.split,
            "cost_model": self.cost_model,
            "rows": [r.as_dict() for r in self.rows],
            "summary": [r.as_dict() for r in self.summary],
            "by_device": [r.as_dict() for r in self.by_device],
            "datasets": [vars(d) for d in self.datasets],
            "seconds": self.seconds,
        }


def cost_model_label(cost_model: str | None) -> str:
    """The cost model in use, for headers: the override, or each device kind's default."""
    if cost_model:
        get_cost_model(cost_model)  # unknown names fail here, before any work
        return cost_model
    return ", ".join(f"{kind.value}={name}" for kind, name in DEFAULT_BY_KIND.items())


def _no_peer_data(root: Path, *, explicit: bool, first_missing: str, shipped: Sequence[str]) -> CosimInputError:
    """Asked-for data absent: say where it was expected and how to point cosim at it, instead of a table and a
    report that silently leave it out and exit 0 (a fresh clone or a wheel install has no ../shared/peer_data)."""
    if explicit:
        why = "given by --peer-data"
    elif os.environ.get(PEER_DATA_ENV):
        why = f"from ${PEER_DATA_ENV}"
    else:
        why = f"the default: ${PEER_DATA_ENV} is unset and --peer-data not given"
    what = "no peer data folder here" if not root.is_dir() else f"no measured data found ({first_missing})"
    only = f", or pick datasets that ship with cosim: --dataset {' / '.join(shipped)}" if shipped else ""
    return CosimInputError(f"{what} ({why}); point --peer-data or ${PEER_DATA_ENV} at the peer_data folder, "
                           f"validate your own measurements with --csv FILE (docs/validate.md){only}",
                           file=root, field="peer_data")


def run_validation(
    datasets: Sequence[str] | None = None,
    csv_files: Sequence[str | Path] = (),
    *,
    split: str = "holdout",
    cost_model: str | None = None,
    peer_root: Path | None = None,
) -> ValidationRun:
    """Validate against ``datasets`` (all built-in ones when None and no CSV is given) and ``csv_files``."""
    from cosim.validate.datasets.user_csv import load_csv

    if split not in SPLITS:
        raise CosimInputError(f"unknown split {split!r}", field="split", allowed=SPLITS)
    label = cost_model_label(cost_model)
    start = time.perf_counter()
    names = list(datasets) if datasets else ([] if csv_files else dataset_names())
    loads: list[tuple[str, str, Loaded]] = []
    root = peer_root or default_peer_root()
    for name in dict.fromkeys(names):
        info = get_dataset(name)
        loads.append((name, info.description, info.load(root)))
    missing = [loaded.missing for _, _, loaded in loads if loaded.missing]
    if missing:
        # datasets that ship with cosim load without any peer-data folder; if nothing else did, say so
        nowhere = Path(os.devnull) / "peer_data"
        shipped = [name for name, _, loaded in loads
                   if not loaded.missing and not get_dataset(name).load(nowhere).missing]
        if not root.is_dir() or len(missing) + len(shipped) == len(loads):
            raise _no_peer_data(root, explicit=peer_root is not None, first_missing=missing[0], shipped=shipped)
    for path in csv_files:
        loaded = load_csv(Path(path))
        loads.append((f"csv:{Path(path).name}", f"user measurements from {path}", loaded))
    chosen: list[Measurement] = []
    summaries: list[DatasetLoad] = []
    owner: list[DatasetLoad] = []  # which load each chosen record came from
    for name, description, loaded in loads:
        kept = [m for m in loaded if in_split(m, split)]
        summary = DatasetLoad(name, description, len(loaded), len(kept), dict(loaded.skipped), loaded.missing)
        chosen.extend(kept)
        owner.extend([summary] * len(kept))
        summaries.append(summary)
    predicted, errors = predict_with_errors(chosen, cost_model)
    for summary, err in zip(owner, errors, strict=True):
        if err is not None:
            summary.failed[err] = summary.failed.get(err, 0) + 1
    return ValidationRun(split=split, cost_model=label, measurements=chosen, predicted=predicted,
                         rows=error_rows(chosen, predicted), summary=category_rows(chosen, predicted),
                         by_device=category_rows(chosen, predicted, by_device=True),
                         datasets=summaries, seconds=time.perf_counter() - start)
