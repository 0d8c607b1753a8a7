"""Raw records of a trace file with their line numbers: CSV rows or JSON-lines objects, nothing interpreted.

The whole file is read at once (traces are a few MB) with the stdlib ``csv``/``json`` modules; a missing,
unreadable, empty or undecodable file is a one-line :class:`CosimInputError` naming it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from cosim.errors import CosimInputError

Container = Literal["csv", "jsonl"]
SUFFIXES: dict[str, Container] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
Record = dict[str, object]


def read_text(path: Path) -> str:
    """The file's text (UTF-8, a leading BOM dropped: spreadsheets write one before the header)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CosimInputError("trace file not found", file=path) from None
    except OSError as exc:
        raise CosimInputError(f"cannot read trace file: {exc.strerror or exc}", file=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CosimInputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    if not text.strip():
        raise CosimInputError("empty trace file: no requests", file=path)
    return text


def container_of(path: Path, text: str) -> Container:
    """From the extension; otherwise a file whose first character is ``{`` is JSON lines, anything else CSV."""
    known = SUFFIXES.get(path.suffix.lower())
    if known:
        return known
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def csv_header(text: str, file: Path) -> tuple[int, list[str]]:
    """The first non-blank row: (its line number, column names stripped of spaces)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                names = [cell.strip() for cell in row]
                for i, name in enumerate(names):
                    if not name:
                        raise CosimInputError(f"column {i + 1} of the header has no name", file=file,
                                              field=f"line {reader.line_num}")
                    if name in names[:i]:
                        raise CosimInputError(f"column {name!r} appears twice in the header", file=file,
                                              field=f"line {reader.line_num}")
                return reader.line_num, names
    except csv.Error as exc:
        raise CosimInputError(f"not a CSV file: {exc}", file=file, field=f"line {reader.line_num}") from None
    raise CosimInputError("no header row", file=file)  # pragma: no cover - read_text refused blank files


def csv_records(text: str, file: Path) -> Iterator[tuple[int, Record]]:
    """(line number, {column: text}) for every non-blank data row; a row of the wrong width is an error."""
    header_line, names = csv_header(text, file)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if reader.line_num <= header_line or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise CosimInputError(f"expected {len(names)} fields ({', '.join(names)}), got {len(row)}",
                                      file=file, field=f"line {reader.line_num}")
            yield reader.line_num, dict(zip(names, row, strict=True))
    except csv.Error as exc:
        raise CosimInputError(f"not a CSV file: {exc}", file=file, field=f"line {reader.line_num}") from None


def jsonl_records(text: str, file: Path) -> Iterator[tuple[int, Record]]:
    """(line number, object) for every non-blank line; a line that is not one JSON object is an error."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise CosimInputError(f"not valid JSON: {reason}", file=file, field=f"line {number}") from None
        if not isinstance(record, dict):
            raise CosimInputError(f"expected a JSON object per line, got {type(record).__name__}", file=file,
                                  field=f"line {number}")
        yield number, record


def records(container: Container, text: str, file: Path) -> Iterator[tuple[int, Record]]:
    return csv_records(text, file) if container == "csv" else jsonl_records(text, file)


def first_keys(container: Container, text: str, file: Path) -> list[str]:
    """The CSV header, or the keys of the first JSON object: what format detection looks at."""
    if container == "csv":
        return csv_header(text, file)[1]
    for _, record in jsonl_records(text, file):
        return list(record)
    raise CosimInputError("no requests", file=file)  # pragma: no cover - read_text refused blank files
