"""Table cells for reports: numbers formatted with the unit their column name carries.

cosim names carry units (``latency_s``, ``capacity_bytes``, ``bw_bytes_per_s``), so a table built
from result dicts can be formatted without a separate schema; ``units=`` overrides or adds to
what the name implies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cosim.units import format_quantity

# (column-name suffix, unit, binary prefixes) -- longest suffixes first, first match wins
_SUFFIX_UNITS: tuple[tuple[str, str, bool], ...] = (
    ("tokens_per_s", "tok/s", False),
    ("bytes_per_s", "B/s", False),
    ("flops_per_s", "FLOP/s", False),
    ("_hz", "Hz", False),
    ("_bytes", "B", True),
    ("_flops", "FLOP", False),
    ("_s", "s", False),
    ("_w", "W", False),
    ("_j", "J", False),
)
_EXACT_UNITS: dict[str, tuple[str, bool]] = {"bytes": ("B", True), "flops": ("FLOP", False)}
MISSING = "—"


def unit_for_column(name: str) -> tuple[str, bool] | None:
    """(unit, binary) implied by a column name, or None for a plain number."""
    key = name.lower()
    if key in _EXACT_UNITS:
        return _EXACT_UNITS[key]
    for suffix, unit, binary in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit, binary
    return None


def format_cell(column: str, value: Any, units: Mapping[str, str] | None = None) -> str:
    """Text of one cell; the caller (the Jinja template) escapes it."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, int | float):
        unit = (units[column], units[column] == "B") if units and column in units else unit_for_column(column)
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value:g}"
        if unit is not None:
            return format_quantity(float(value), unit[0], binary=unit[1])
        return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(format_cell(column, v, units) for v in value)
    return str(value)


@dataclass(frozen=True)
class Table:
    """Rows (dicts) of one table; columns are the keys in first-seen order unless given."""

    rows: list[Mapping[str, Any]]
    caption: str = ""
    columns: list[str] | None = None
    units: Mapping[str, str] = field(default_factory=dict)

    def header(self) -> list[str]:
        if self.columns is not None:
            return list(self.columns)
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in row:
                seen.setdefault(str(key), None)
        return list(seen)

    def cells(self) -> list[list[str]]:
        header = self.header()
        return [[format_cell(col, row.get(col), self.units) for col in header] for row in self.rows]

    def numeric_columns(self) -> set[str]:
        """Columns whose values are all numbers (right-aligned in the report)."""
        out = set()
        for col in self.header():
            values = [row.get(col) for row in self.rows if row.get(col) is not None]
            if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                out.add(col)
        return out


def as_table(value: Table | Iterable[Mapping[str, Any]]) -> Table:
    if isinstance(value, Table):
        return value
    return Table(rows=[dict(r) for r in value])
