"""Parse quantities with units ("4.8 TB/s", "80 GiB", "1.98 GHz", "25 us") into SI floats.

Code may give any quantity as a plain number (already SI: bytes, bytes/s, Hz, s, FLOP/s, W, J) or as a
string with a unit; files checked by ``cosim.config.validate`` must write the unit (only 0 may go without).
Decimal prefixes (k, M, G, T, P) are powers of 1000; binary prefixes
(Ki, Mi, Gi, Ti, Pi) are powers of 1024. Bits are accepted where bytes are expected ("b" vs "B").
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

from cosim.errors import CosimInputError


class Dimension(StrEnum):
    BYTES = "bytes"
    BYTES_PER_S = "bytes/s"
    HERTZ = "Hz"
    SECONDS = "s"
    FLOP_PER_S = "FLOP/s"
    WATTS = "W"
    JOULES = "J"
    TRANSFERS_PER_S = "T/s"
    DIMENSIONLESS = "1"


_DECIMAL = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}
_SMALL = {"": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}

# base unit spelling -> (dimension, factor to SI)
_BASE_UNITS: dict[str, tuple[Dimension, float]] = {
    "B": (Dimension.BYTES, 1.0),
    "byte": (Dimension.BYTES, 1.0),
    "bytes": (Dimension.BYTES, 1.0),
    "b": (Dimension.BYTES, 1 / 8),
    "bit": (Dimension.BYTES, 1 / 8),
    "bits": (Dimension.BYTES, 1 / 8),
    "B/s": (Dimension.BYTES_PER_S, 1.0),
    "Bps": (Dimension.BYTES_PER_S, 1.0),
    "b/s": (Dimension.BYTES_PER_S, 1 / 8),
    "bps": (Dimension.BYTES_PER_S, 1 / 8),
    "Hz": (Dimension.HERTZ, 1.0),
    "s": (Dimension.SECONDS, 1.0),
    "sec": (Dimension.SECONDS, 1.0),
    "FLOPS": (Dimension.FLOP_PER_S, 1.0),
    "FLOP/s": (Dimension.FLOP_PER_S, 1.0),
    "OPS": (Dimension.FLOP_PER_S, 1.0),
    "OP/s": (Dimension.FLOP_PER_S, 1.0),
    "W": (Dimension.WATTS, 1.0),
    "J": (Dimension.JOULES, 1.0),
    "T/s": (Dimension.TRANSFERS_PER_S, 1.0),
    "MT/s": (Dimension.TRANSFERS_PER_S, 1e6),
    "GT/s": (Dimension.TRANSFERS_PER_S, 1e9),
}

UNIT_EXAMPLES = {
    Dimension.BYTES: "'80 GiB', '40 MB', '1 KiB', 1024",
    Dimension.BYTES_PER_S: "'4.8 TB/s', '25.6 GB/s', '64 Gb/s'",
    Dimension.HERTZ: "'1.98 GHz', '300 MHz'",
    Dimension.SECONDS: "'5 us', '0.625 ns', '2 ms'",
    Dimension.FLOP_PER_S: "'989 TFLOPS', '312 TFLOP/s'",
    Dimension.WATTS: "'700 W'",
    Dimension.JOULES: "'4.4 pJ'",
    Dimension.TRANSFERS_PER_S: "'3200 MT/s', '16 GT/s'",
    Dimension.DIMENSIONLESS: "a plain number",
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ/]*)\s*$")


def _split_unit(unit: str) -> tuple[Dimension, float] | None:
    if unit in _BASE_UNITS:
        return _BASE_UNITS[unit]
    for prefix_table in (_BINARY, _DECIMAL, _SMALL):
        for prefix, scale in prefix_table.items():
            if prefix and unit.startswith(prefix) and unit[len(prefix):] in _BASE_UNITS:
                dim, factor = _BASE_UNITS[unit[len(prefix):]]
                if dim is Dimension.TRANSFERS_PER_S and unit[len(prefix):] != "T/s":
                    continue
                return dim, factor * scale
    return None


def parse_quantity(value: object, dimension: Dimension, *, field: str | None = None) -> float:
    """Return ``value`` in SI units of ``dimension``; raise a one-line CosimInputError otherwise."""
    allowed = f"a number in SI units or a string such as {UNIT_EXAMPLES[dimension]}"
    if isinstance(value, bool):
        raise CosimInputError(f"expected a {dimension.value} quantity, got {value!r}", field=field, allowed=allowed)
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        match = _QUANTITY.match(value)
        if not match:
            raise CosimInputError(f"cannot read {value!r} as a {dimension.value} quantity", field=field,
                                  allowed=allowed)
        number, unit = float(match.group(1)), match.group(2)
        if not unit:
            result = number
        else:
            parsed = _split_unit(unit)
            if parsed is None or parsed[0] is not dimension:
                raise CosimInputError(f"unit {unit!r} in {value!r} is not a {dimension.value} unit",
                                      field=field, allowed=allowed)
            result = number * parsed[1]
    else:
        raise CosimInputError(f"expected a {dimension.value} quantity, got {type(value).__name__}",
                              field=field, allowed=allowed)
    if not math.isfinite(result):
        raise CosimInputError(f"{value!r} is not finite", field=field, allowed=allowed)
    return result


def format_quantity(value: float, unit: str, *, binary: bool = False, digits: int = 3) -> str:
    """Human-readable '1.23 TB/s' style string (for tables and reports)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    if binary:
        steps = [("Pi", 2.0**50), ("Ti", 2.0**40), ("Gi", 2.0**30), ("Mi", 2.0**20), ("Ki", 2.0**10), ("", 1.0)]
    else:
        steps = [("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0), ("m", 1e-3),
                 ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12)]
    for prefix, scale in steps:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    prefix, scale = steps[-1]
    return f"{value / scale:.{digits}g} {prefix}{unit}"
