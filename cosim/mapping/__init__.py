"""Mappings: which device runs each operator and where each persistent tensor lives."""

from cosim.mapping.default import default_mapping
from cosim.mapping.mapping import Mapping, load_mapping, mapping_from_dict
from cosim.mapping.memory import MemoryUse
from cosim.mapping.placement import Placement, place
from cosim.mapping.validate import memory_use, validate_mapping

__all__ = [
    "Mapping",
    "MemoryUse",
    "Placement",
    "default_mapping",
    "load_mapping",
    "mapping_from_dict",
    "memory_use",
    "place",
    "validate_mapping",
]
