"""Plain-text tables and number formatting for terminal output (no extra dependency)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cosim.units import format_quantity


def fmt_seconds(value: float) -> str:
    return format_quantity(value, "s")


def fmt_bytes(value: float) -> str:
    return format_quantity(value, "B", binary=True)


def fmt_number(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:,.4g}"
    return str(value)


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Fixed-width table; numbers right-aligned, text left-aligned."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[fmt_number(row.get(col, "")) for col in columns] for row in rows]
    numeric = [all(isinstance(row.get(col), int | float) for row in rows) for col in columns]
    widths = [max(len(col), *(len(c[i]) for c in cells)) for i, col in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(c) for c in cells)
    return "\n".join(out)
