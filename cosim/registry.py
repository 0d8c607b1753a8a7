"""One registry type for every plug-in kind (cost models, schedulers, batching policies, layouts, datasets).

One policy for all of them: registering a name twice is a programming error (raised at import, never a
silent overwrite as in Vidur's registries), and looking up an unknown name is a user error that names the
field and lists what is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from cosim.errors import CosimInputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind; ``field`` is what a user sets to pick one (used in error messages)."""

    def __init__(self, kind: str, field: str) -> None:
        self.kind = kind
        self.field = field
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} registered twice")  # a programming error, not user input
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorate(entry: T) -> T:
            return self.add(name, entry)

        return decorate

    def get(self, name: str, *, file: str | None = None) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise CosimInputError(f"unknown {self.kind} {name!r}", file=file, field=self.field,
                                  allowed=self.names()) from None

    def __getitem__(self, name: str) -> T:
        """Same as :meth:`get` (an unknown name is a user error listing the registered ones)."""
        return self.get(name)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """(name, entry) pairs, sorted by name."""
        return [(name, self._entries[name]) for name in self.names()]

    def values(self) -> list[T]:
        """Entries, sorted by name."""
        return [entry for _, entry in self.items()]

    @contextmanager
    def scoped(self, name: str, entry: T) -> Iterator[T]:
        """Register ``entry`` for the duration of a ``with`` block (tests, temporary plug-ins), same policy as
        :meth:`add`; the name is free again afterwards."""
        self.add(name, entry)
        try:
            yield entry
        finally:
            del self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
