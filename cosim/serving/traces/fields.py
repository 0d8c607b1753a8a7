"""One value of one trace record, checked: token counts, seconds, datetimes.

Every failure is a one-line :class:`CosimInputError` naming the file, the line and the column
(``field="line 17: output_toks"``), so a bad row in a 20k-line trace is found at once.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from cosim.errors import CosimInputError

# A count above this is not a real request (no model's context is near 2**31 tokens); the bound keeps
# per-request counts in int32 and sums over a trace exact in int64, so a fuzzed "1e30" cannot overflow.
MAX_TOKENS = 2**31 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def field_error(file: str, line: int, column: str, message: str, allowed: str | None = None) -> CosimInputError:
    return CosimInputError(message, file=file, field=f"line {line}: {column}", allowed=allowed)


def _number(value: object, file: str, line: int, column: str, *, whole: bool = True) -> float | int:
    """``value`` as an int or a float; ``whole`` tries int() first (counts), else float() only (times)."""
    if value is None or value == "":
        raise field_error(file, line, column, "missing value")
    if isinstance(value, bool):  # JSON true/false are ints to Python; neither is a count
        raise field_error(file, line, column, f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        if whole:
            try:
                return int(value)
            except ValueError:
                pass
        try:
            return float(value)
        except ValueError:
            pass
    raise field_error(file, line, column, f"expected a number, got {_show(value)}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_tokens(value: object, file: str, line: int, column: str, *, why: str) -> int:
    """A token count >= 1; ``why`` says in the error why zero is refused for this column."""
    number = _number(value, file, line, column)
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
            raise field_error(file, line, column, f"expected a whole number of tokens, got {_show(value)}")
        number = int(number)
    if number < 1:
        raise field_error(file, line, column, f"must be >= 1 ({why}), got {number}")
    if number > MAX_TOKENS:
        raise field_error(file, line, column, f"must be <= {MAX_TOKENS} tokens, got {number}")
    return number


def parse_id(value: object, file: str, line: int, column: str) -> int:
    """A request id: a whole number in 0 .. 2**63 - 1 (it is stored as int64)."""
    number = parse_int(value, file, line, column)
    if not 0 <= number < 2**63:
        raise field_error(file, line, column, f"must be a whole number in 0 .. 2**63 - 1, got {_show(value)}")
    return number


def parse_int(value: object, file: str, line: int, column: str) -> int:
    """Any whole number (ids, type codes)."""
    number = _number(value, file, line, column)
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
            raise field_error(file, line, column, f"expected a whole number, got {_show(value)}")
        number = int(number)
    return number


def parse_seconds(value: object, file: str, line: int, column: str, *, per_s: float = 1.0,
                  relative: bool = True) -> float:
    """A time in seconds (the file counts ``per_s`` units a second); a relative clock must not go below 0."""
    number = _number(value, file, line, column, whole=False)
    try:
        seconds = float(number) / per_s
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if not math.isfinite(seconds):
        raise field_error(file, line, column, f"expected a finite time, got {_show(value)}")
    if relative and seconds < 0:
        raise field_error(file, line, column, f"must be >= 0 s, got {_show(value)}")
    return seconds


def parse_datetime_us(value: object, file: str, line: int, column: str) -> int:
    """An ISO datetime (``2023-11-16 18:15:46.6805900``) as integer POSIX microseconds; naive ones are UTC.

    Integers, not float seconds: differences of 2023 timestamps in float64 lose ~1e-8 s, and Vidur's
    conversion of the Azure trace is exact to the microsecond (fromisoformat keeps six digits).
    """
    if not isinstance(value, str) or not value.strip():
        raise field_error(file, line, column, "missing datetime" if value in (None, "") else
                          f"expected a datetime, got {_show(value)}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise field_error(file, line, column, f"expected a datetime like 2023-11-16 18:15:46.68, got {_show(value)}",
                          ) from None
    if moment.tzinfo is None:  # Azure's traces carry no zone; reading them as local time would shift at DST
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND
