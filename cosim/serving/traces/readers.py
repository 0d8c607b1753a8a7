"""Read any registered trace layout into a :class:`Trace`, detecting the layout when asked to.

One reader for every format (the formats are column maps, :mod:`.formats`): each value is checked as it is
read, so the first bad value stops the read with its file, line and column. 20k lines take ~0.1 s.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.request import Trace
from cosim.serving.traces.build import make_trace
from cosim.serving.traces.fields import field_error, parse_datetime_us, parse_id, parse_seconds, parse_tokens
from cosim.serving.traces.formats import DETECTION_ORDER, FORMATS, TraceFormat
from cosim.serving.traces.records import container_of, csv_header, first_keys, read_text, records

PROMPT_WHY = "a request needs a prompt to prefill"
OUTPUT_WHY = "a request generates at least the token its prefill makes; vLLM requires max_tokens >= 1"
_PER_S = {"s": 1.0, "ms": 1000.0, "epoch_s": 1.0}  # units of the file per second


def detect_format(path: str | Path, text: str | None = None) -> TraceFormat:
    """The format whose columns the file's header (CSV) or first object (JSON lines) has."""
    path = Path(path)
    text = read_text(path) if text is None else text
    container = container_of(path, text)
    keys = set(first_keys(container, text, path))
    for name in DETECTION_ORDER:
        fmt = FORMATS.get(name)
        if fmt.container == container and fmt.matches(keys):
            return fmt
    shown = ", ".join(sorted(keys))[:120]
    described = "; ".join(f"{f.name} needs {', '.join(f.required)}" for f in map(FORMATS.get, DETECTION_ORDER)
                          if f.container == container)
    raise CosimInputError(f"cannot tell the {container} trace layout from its columns ({shown}): {described}",
                          file=path, field="format", allowed=FORMATS.names())


def read_trace(path: str | Path, format: str = "auto", *, limit: int | None = None,
               require_sorted: bool = True) -> Trace:
    """Requests of a trace file, in a :class:`Trace` named after the path.

    ``limit`` keeps the first N requests of the file. ``require_sorted`` (replaying the file's clock) makes a
    timestamp earlier than the one before it an error naming its line; without it the trace is sorted.
    """
    path = Path(path)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise CosimInputError(f"must be a whole number of requests >= 1, got {limit!r}", field="requests")
    text = read_text(path)
    fmt = detect_format(path, text) if format == "auto" else FORMATS.get(format, file=str(path))
    if fmt.container == "csv":
        _check_header(fmt, text, path)
    file = str(path)
    arrival: list[float] = []  # seconds, or integer microseconds for a datetime clock
    prompt: list[int] = []
    output: list[int] = []
    request_ids: list[int] = []
    seen_ids: dict[int, int] = {}
    has_arrival = fmt.arrival is not None
    has_ids = False
    previous, previous_line = -math.inf, 0
    for number, record in records(fmt.container, text, path):
        if not arrival:  # the first record decides which optional columns the file has
            has_arrival = fmt.arrival is not None and (not fmt.arrival_optional or fmt.arrival in record)
            has_ids = fmt.id_column is not None and fmt.id_column in record
        if fmt.strict and fmt.container == "jsonl":
            _check_keys(fmt, record, file, number)
        if fmt.check:
            fmt.check(record, file, number)
        when = _arrival(fmt, record, file, number) if has_arrival else 0.0
        if require_sorted and when < previous:
            raise field_error(file, number, str(fmt.arrival), f"timestamps must not decrease when the trace is "
                              f"replayed: {record.get(fmt.arrival)!r} comes after line {previous_line}'s")
        previous, previous_line = when, number
        arrival.append(when)
        prompt.append(parse_tokens(record.get(fmt.prompt), file, number, fmt.prompt, why=PROMPT_WHY))
        output.append(parse_tokens(record.get(fmt.output), file, number, fmt.output, why=OUTPUT_WHY))
        if has_ids:
            rid = parse_id(record.get(fmt.id_column), file, number, str(fmt.id_column))
            if rid in seen_ids:
                raise field_error(file, number, str(fmt.id_column), f"id {rid} already used on line {seen_ids[rid]}")
            seen_ids[rid] = number
            request_ids.append(rid)
        if limit is not None and len(arrival) >= limit:
            break
    if not arrival:
        raise CosimInputError("no requests (a header but no rows)", file=path)
    if fmt.clock == "datetime":  # int64 holds every datetime's microseconds (years 1-9999: |t| < 2.6e17)
        micros = np.asarray(arrival, dtype=np.int64)
        times = (micros - micros.min()) / 1e6
    else:
        times = np.asarray(arrival, dtype=float)
        if fmt.absolute:
            times = times - times.min()  # absolute clock: the first request arrives at 0 s
            if not np.isfinite(times).all():
                raise CosimInputError("timestamps too far apart to subtract", file=path, field=str(fmt.arrival))
    return make_trace(file, times, prompt, output, request_ids if has_ids else None)


def _arrival(fmt: TraceFormat, record: dict[str, object], file: str, line: int) -> float:
    column = str(fmt.arrival)
    value = record.get(column)
    if fmt.clock == "datetime":
        return parse_datetime_us(value, file, line, column)
    return parse_seconds(value, file, line, column, per_s=_PER_S[fmt.clock], relative=not fmt.absolute)


def _check_header(fmt: TraceFormat, text: str, path: Path) -> None:
    line, names = csv_header(text, path)
    missing = [c for c in fmt.required if c not in names]
    if missing:
        raise CosimInputError(f"missing column (a {fmt.name} trace has {', '.join(fmt.required)})", file=path,
                              field=f"line {line}: {missing[0]}", allowed=fmt.required)
    if fmt.strict:
        _check_keys(fmt, dict.fromkeys(names), str(path), line)


def _check_keys(fmt: TraceFormat, record: dict[str, object], file: str, line: int) -> None:
    for key in record:
        if key not in fmt.columns:
            raise field_error(file, line, str(key)[:40], "unknown column", allowed=", ".join(fmt.columns))
