"""Errors raised on bad user input.

Every user-facing failure is a :class:`CosimInputError` whose ``str()`` is one line naming the file,
the field and what is allowed. The CLI prints it and exits with status 2; library users catch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class CosimError(Exception):
    """Base class of every error cosim raises on purpose."""


class CosimInputError(CosimError, ValueError):
    """Bad user input: a file, a field, a value, and what would have been allowed."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        allowed: Iterable[object] | str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.message = message
        if allowed is not None and not isinstance(allowed, str):
            allowed = ", ".join(str(a) for a in allowed)
        self.allowed = allowed
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.field:
            parts.append(self.field)
        text = self.message
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        line = ": ".join([*parts, text])
        return " ".join(line.split())  # always one line

    def with_context(self, *, file: str | Path | None = None, field_prefix: str | None = None) -> CosimInputError:
        """Return a copy with the file set (if unset) and the field prefixed."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return CosimInputError(
            self.message,
            file=self.file or (str(file) if file is not None else None),
            field=field,
            allowed=self.allowed,
        )


class CapacityError(CosimInputError):
    """A mapping places more bytes on a device than it holds."""


class UnknownPresetError(CosimInputError):
    """A preset name that is not shipped; the message lists the available names."""
