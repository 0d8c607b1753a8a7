"""Measured datasets by name. Importing this package registers every built-in loader.

``DATASETS[name].load(peer_root)`` (or ``load_dataset(name)``) returns a :class:`Loaded` list of
:class:`~cosim.validate.measurement.Measurement` with ``skipped`` (reason -> rows) and ``missing``.
"""

from cosim.validate.datasets import (  # noqa: F401  (each module registers its datasets)
    aiconfigurator,
    kernel_harnesses,
    llmcompass,
    llmservingsim,
    llmservingsim_profiles,
    splitwise,
    vidur,
)
from cosim.validate.datasets.registry import (
    DATASETS,
    DatasetInfo,
    Loaded,
    dataset_names,
    default_peer_root,
    get_dataset,
    load_dataset,
    register_dataset,
)

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "Loaded",
    "dataset_names",
    "default_peer_root",
    "get_dataset",
    "load_dataset",
    "register_dataset",
]
