"""Registry of measured datasets by name, and the result type every loader returns.

A loader turns one peer file (or a few) into :class:`~cosim.validate.measurement.Measurement`
records. Rows cosim cannot represent are counted by reason instead of silently dropped, and a
dataset whose files are absent yields an empty result with the reason, so validation and
calibration run on whatever data a checkout has.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cosim.perf.gpu.harness import COLD, Harness
from cosim.registry import Registry
from cosim.validate.measurement import Measurement

PEER_DATA_ENV = "COSIM_PEER_DATA"


class Loaded(list[Measurement]):
    """A list of measurements that also says what was skipped (reason -> rows) or why nothing loaded."""

    def __init__(
        self,
        items: Iterable[Measurement] = (),
        *,
        skipped: Counter[str] | dict[str, int] | None = None,
        missing: str | None = None,
    ) -> None:
        super().__init__(items)
        self.skipped: Counter[str] = Counter(skipped or {})
        self.missing = missing

    @classmethod
    def absent(cls, path: Path) -> Loaded:
        return cls(missing=f"{path} not found")

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())


Loader = Callable[[Path], Loaded]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    loader: Loader
    harness: Harness = COLD  # how the benchmark ran (warm L2, host floor, serving engine); predictions apply it

    def load(self, peer_root: Path) -> Loaded:
        return self.loader(Path(peer_root))


DATASETS: Registry[DatasetInfo] = Registry("dataset", "dataset")
"""Measured datasets by name; a name registered twice is an error."""


def register_dataset(name: str, description: str, loader: Loader, harness: Harness = COLD) -> None:
    """Make a dataset available by name (``cosim validate --dataset NAME``), with the harness it was timed in."""
    DATASETS.add(name, DatasetInfo(name, description, loader, harness))


def harness_of(dataset: str) -> Harness:
    """The measurement harness a dataset declared (cold, CUDA-graph kernels for unknown names and user CSVs)."""
    _ensure_loaded()
    return DATASETS.get(dataset).harness if dataset in DATASETS else COLD


def dataset_names() -> list[str]:
    _ensure_loaded()
    return DATASETS.names()


def get_dataset(name: str) -> DatasetInfo:
    _ensure_loaded()
    return DATASETS.get(name)


def load_dataset(name: str, peer_root: Path | None = None) -> Loaded:
    return get_dataset(name).load(peer_root or default_peer_root())


def default_peer_root() -> Path:
    """``$COSIM_PEER_DATA``, else ``<checkout>/../shared/peer_data`` (the team's shared data)."""
    env = os.environ.get(PEER_DATA_ENV)
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "peer_data"


def _ensure_loaded() -> None:
    # Importing the package registers every built-in loader.
    import cosim.validate.datasets  # noqa: F401
