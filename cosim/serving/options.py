"""Plain config dataclasses built from user dicts (CLI flags, YAML): unknown keys and wrong types are one-line errors.

The serving configs (policy options, engine overhead) stay plain frozen dataclasses so that a fit or a sweep
can construct them directly; this module is the one place that turns a mapping into one and says, in one
line, which option was wrong and which are allowed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from cosim.errors import CosimInputError

C = TypeVar("C")


def option_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _check_type(kind: str, name: str, annotation: str, value: Any, file: str | None) -> Any:
    """Check ``value`` against the simple annotations the configs use: int, float, bool, str, ``X | None``."""
    allowed = [part.strip() for part in str(annotation).split("|")]
    if value is None:
        if "None" in allowed:
            return None
        raise CosimInputError(f"{kind} option may not be null", file=file, field=name)
    if "bool" in allowed and isinstance(value, bool):
        return value
    if "int" in allowed and isinstance(value, int) and not isinstance(value, bool):
        return value
    if "float" in allowed and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            raise CosimInputError(f"{kind} option must be finite, got {value!r}", file=file, field=name)
        return float(value)
    if "str" in allowed and isinstance(value, str):
        return value
    wanted = " or ".join(a for a in allowed if a != "None")
    raise CosimInputError(f"{kind} option expects {wanted}, got {value!r}", file=file, field=name)


def config_from_dict(cls: type[C], options: Mapping[str, Any] | None, *, kind: str, file: str | None = None) -> C:
    """``cls(**options)`` with every key checked: an unknown key names the allowed ones."""
    if options is None:
        return cls()
    if not isinstance(options, Mapping):
        raise CosimInputError(f"{kind} options must be a mapping, got {type(options).__name__}", file=file)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in options.items():
        if key not in fields:
            raise CosimInputError(f"unknown {kind} option {key!r}", file=file, field=str(key),
                                  allowed=sorted(fields))
        values[key] = _check_type(kind, key, fields[key].type, value, file)
    return cls(**values)


def require(condition: bool, kind: str, name: str, message: str) -> None:
    """Raise the one-line error of a config whose value is out of range."""
    if not condition:
        raise CosimInputError(f"{message} ({kind} option)", field=name)
