"""The points file of a study: one JSON line per computed point, written and flushed as it is computed.

A study can run for hours; its report is written once at the end. The points file is what survives a
crash, a Ctrl-C or a kill in between: every row is on disk as soon as its point is computed (one
``json.dumps`` line per point, flushed), readable by ``pandas.read_json(path, lines=True)`` or line by
line. NaN becomes ``null`` so every line is strict JSON. The path is checked like every output
(:func:`cosim.report.output.checked_output_path`: absent or a regular file, never an input); unlike the
report it is written in place, not renamed over at the end, because a partial file is the point.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cosim.errors import CosimInputError
from cosim.report.output import checked_output_path

POINTS_SUFFIX = ".points.jsonl"


def points_path_for(report: Path) -> Path:
    """The points file next to a report: ``reports/s.html`` -> ``reports/s.points.jsonl``."""
    return report.with_name(report.stem + POINTS_SUFFIX if report.suffix else report.name + POINTS_SUFFIX)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class PointsFile:
    """Appends rows as JSON lines, flushing each one; use as a context manager."""

    def __init__(self, path: str | Path, *, inputs: tuple[str | Path | None, ...] = ()) -> None:
        self.path = checked_output_path(path, what="points file", inputs=inputs)
        self.count = 0
        self._handle: IO[str] | None = None

    def __enter__(self) -> PointsFile:
        try:
            self._handle = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise CosimInputError(f"cannot write points file: {exc.strerror or exc}", file=self.path) from None
        return self

    def write(self, row: dict[str, Any]) -> None:
        """One point, on disk when this returns (flushed to the OS; a crash of this process keeps it)."""
        assert self._handle is not None, "PointsFile.write outside its with block"
        self._handle.write(json.dumps({k: _jsonable(v) for k, v in row.items()}, allow_nan=False) + "\n")
        self._handle.flush()
        self.count += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
