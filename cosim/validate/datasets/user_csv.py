"""Users' own measurements: a CSV in a documented schema (docs/validate.md) -> Measurement records.

Columns: ``device`` (a cosim hw preset), ``kind`` (one of MEASUREMENT_KINDS), exactly one time column
with its unit in the header (``measured_s``, ``measured_ms``, ``measured_us`` or ``measured_ns``),
optionally ``dataset``, and the parameters of each kind used (``REQUIRED`` / ``OPTIONAL`` below).
Lines starting with ``#`` and blank lines are ignored. Any problem raises one CosimInputError naming
the file, the row (its line number in the file) and the column; nothing is loaded partially.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from cosim.errors import CosimInputError
from cosim.validate.datasets.registry import Loaded
from cosim.validate.kernels import KERNELS
from cosim.validate.measurement import MEASUREMENT_KINDS, Measurement
from cosim.workload.dtypes import DType

TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
TIME_PREFIX = "measured_"
FUSIONS = ("fused", "unfused")
ATTENTIONS = ("flash", "eager")

_ATTENTION = ("batch", "context", "heads", "kv_heads", "head_dim")
_MODEL_STEP = ("model", "batch", "context")
REQUIRED: dict[str, tuple[str, ...]] = {
    "gemm": ("m", "n", "k"),
    "attention_prefill": _ATTENTION,
    "attention_decode": _ATTENTION,
    "elementwise": ("op", "tokens", "hidden"),
    "allreduce": ("bytes", "gpus"),
    "layer_prefill": _MODEL_STEP,
    "layer_decode": _MODEL_STEP,
    "step_prefill": _MODEL_STEP,
    "step_decode": _MODEL_STEP,
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "gemm": ("dtype",),
    "attention_prefill": ("dtype",),
    "attention_decode": ("dtype",),
    "elementwise": ("dtype", "head_dim"),
    "allreduce": ("dtype",),
    **{k: ("tp", "fusion", "attention", "dtype") for k in ("layer_prefill", "layer_decode", "step_prefill",
                                                           "step_decode")},
}
INTEGER_COLUMNS = frozenset({"m", "n", "k", "batch", "context", "heads", "kv_heads", "head_dim", "tokens",
                             "hidden", "gpus", "tp"})


class _Row:
    """One CSV row with the context every error message needs."""

    def __init__(self, path: Path, line: int, cells: dict[str, str]) -> None:
        self.path, self.line, self.cells = path, line, cells

    def error(self, column: str, message: str, allowed: Any = None) -> CosimInputError:
        return CosimInputError(message, file=self.path, field=f"row {self.line}, column {column}", allowed=allowed)

    def text(self, column: str) -> str:
        value = (self.cells.get(column) or "").strip()
        if not value:
            raise self.error(column, "empty value")
        return value


def _positive_int(row: _Row, column: str) -> int:
    text = row.text(column)
    try:
        value = float(text)
    except ValueError:
        raise row.error(column, f"not a number: {text!r}") from None
    if not value.is_integer() or value < 1:
        raise row.error(column, f"must be a whole number >= 1, got {text}")
    return int(value)


def _dtype(row: _Row, column: str) -> str:
    text = row.text(column)
    try:
        return DType.parse(text).value
    except CosimInputError:
        raise row.error(column, f"unknown dtype {text!r}", allowed=[d.value for d in DType]) from None


def _choice(choices: tuple[str, ...]) -> Callable[[_Row, str], str]:
    def parse(row: _Row, column: str) -> str:
        text = row.text(column)
        if text not in choices:
            raise row.error(column, f"unknown value {text!r}", allowed=choices)
        return text

    return parse


def _op(row: _Row, column: str) -> str:
    return _choice(tuple(sorted(KERNELS)))(row, column)


def _model(row: _Row, column: str) -> str:
    text = row.text(column)
    if not _model_exists(text):
        from cosim.workload import list_models

        raise row.error(column, f"unknown model {text!r}", allowed=list_models())
    return text


def _bytes(row: _Row, column: str) -> float:
    text = row.text(column)
    try:
        value = float(text)
    except ValueError:
        raise row.error(column, f"not a number of bytes: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise row.error(column, f"must be > 0, got {text}")
    return value


PARSERS: dict[str, Callable[[_Row, str], Any]] = {
    "dtype": _dtype,
    "fusion": _choice(FUSIONS),
    "attention": _choice(ATTENTIONS),
    "op": _op,
    "model": _model,
    "bytes": _bytes,
    **{c: _positive_int for c in INTEGER_COLUMNS},
}


@cache
def _model_exists(name: str) -> bool:
    from cosim.workload import load_model

    try:
        load_model(name)
    except CosimInputError:
        return False
    return True


@cache
def _device_exists(name: str) -> bool:
    from cosim.hardware import load_system

    try:
        load_system(name)
    except CosimInputError:
        return False
    return True


def _time_column(path: Path, header: list[str]) -> tuple[str, float]:
    timed = [c for c in header if c.startswith(TIME_PREFIX) or c == "measured"]
    allowed = [TIME_PREFIX + u for u in TIME_UNITS]
    if len(timed) != 1:
        what = "no time column" if not timed else f"{len(timed)} time columns ({', '.join(timed)})"
        raise CosimInputError(f"{what}; give exactly one, its unit in the header", file=path,
                              field="row 1 (header)", allowed=allowed)
    unit = timed[0].removeprefix(TIME_PREFIX)
    if unit not in TIME_UNITS:
        raise CosimInputError(f"unknown time unit in column {timed[0]!r}", file=path,
                              field=f"row 1 (header), column {timed[0]}", allowed=allowed)
    return timed[0], TIME_UNITS[unit]


def _seconds(row: _Row, column: str, factor: float) -> float:
    text = row.text(column)
    try:
        value = float(text)
    except ValueError:
        raise row.error(column, f"not a number: {text!r} (write the unit in the header, not the cell)") from None
    if not (math.isfinite(value) and value > 0):
        raise row.error(column, f"time must be > 0, got {text}")
    return value * factor


def load_csv(path: Path) -> Loaded:
    """All rows of ``path`` as measurements (the whole file or an error; never part of it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CosimInputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CosimInputError("empty file", file=path, field="row 1 (header)")
    reader = csv.reader([line for _, line in lines])
    header = [c.strip() for c in next(reader)]
    for column in ("device", "kind"):
        if column not in header:
            raise CosimInputError(f"missing column {column!r}", file=path, field=f"row {lines[0][0]} (header)",
                                  allowed=", ".join(header))
    time_col, factor = _time_column(path, header)
    default_dataset = f"csv:{path.name}"
    out: list[Measurement] = []
    for (line, _), values in zip(lines[1:], reader, strict=True):
        if len(values) != len(header):
            raise CosimInputError(f"{len(values)} cells, header has {len(header)}", file=path, field=f"row {line}")
        row = _Row(path, line, dict(zip(header, values, strict=True)))
        out.append(_measurement(row, header, time_col, factor, default_dataset))
    return Loaded(out)


def _measurement(row: _Row, header: list[str], time_col: str, factor: float, default_dataset: str) -> Measurement:
    kind = row.text("kind")
    if kind not in MEASUREMENT_KINDS:
        raise row.error("kind", f"unknown kind {kind!r}", allowed=MEASUREMENT_KINDS)
    device = row.text("device")
    if not _device_exists(device):
        from cosim.config import list_presets

        raise row.error("device", f"unknown device {device!r}", allowed=list_presets("hw"))
    params: dict[str, Any] = {}
    for column in REQUIRED[kind]:
        if column not in header:
            raise row.error(column, f"missing column {column!r} (needed by kind {kind})")
        params[column] = PARSERS.get(column, _Row.text)(row, column)
    for column in OPTIONAL[kind]:
        if column in header and (row.cells.get(column) or "").strip():
            params[column] = PARSERS.get(column, _Row.text)(row, column)
    if kind.startswith("attention"):
        if params["heads"] % params["kv_heads"]:
            raise row.error("kv_heads", f"heads ({params['heads']}) must be a multiple of kv_heads "
                                        f"({params['kv_heads']})")
        params["q_len"] = params["context"] if kind == "attention_prefill" else 1
    dataset = (row.cells.get("dataset") or "").strip() or default_dataset
    return Measurement(dataset=dataset, device=device, kind=kind, params=params,
                       measured_s=_seconds(row, time_col, factor), source=f"{row.path}:{row.line}",
                       calibratable=False)  # calibration never sees a user's CSV: all of it is held out
