"""Presets loaded once per process: systems, models and mappings named by preset or path.

``predict("llama3-70b", "gpu+l3", ...)`` in a loop must not re-read and re-validate YAML on every call
(loading a system is ~13 ms, a whole decode prediction ~4 ms). An entry is keyed by the resolved path of
the file it was loaded from and stays valid while that file and every other file read while loading it
(``extends:`` bases, the device presets a system names) keep their modification time and size; editing
any of them reloads on the next call.

Loaded systems and mappings hold mutable containers (``System.devices`` is a dict, specs hold dicts and
lists), so every caller gets its own deep copy and a mutation can never leak into the cache or into another
caller's object. Models are frozen pydantic objects of scalars and are shared.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cosim.config import recording_reads, resolve_preset
from cosim.errors import CosimInputError

T = TypeVar("T")

Stamp = tuple[int, int]  # (st_mtime_ns, st_size)


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    files: tuple[tuple[Path, Stamp | None], ...]

    def fresh(self) -> bool:
        return all(_stamp(path) == stamp for path, stamp in self.files)


class PresetCache(Generic[T]):
    """``get(name_or_path)``: ``load(name_or_path)``, cached by resolved path and the stamps of the files read."""

    def __init__(self, load: Callable[[str | Path], T], kind: str, what: str, *, copy_out: bool,
                 maxsize: int = 64) -> None:
        self._load = load
        self._kind = kind
        self._what = what
        self._copy_out = copy_out
        self._maxsize = maxsize
        self._entries: OrderedDict[Path, _Entry[T]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.loads = 0

    def get(self, name_or_path: str | Path) -> T:
        try:
            key = resolve_preset(name_or_path, self._kind, what=self._what).resolve()
        except (CosimInputError, OSError, ValueError, TypeError):
            return self._load(name_or_path)  # not cached: the loader raises its own one-line error
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.fresh():
                self._entries.move_to_end(key)
                self.hits += 1
                return self._out(entry.value)
        before = _stamp(key)
        with recording_reads() as reads:
            value = self._load(name_or_path)
        files = {key: before}
        for path in reads:
            resolved = path.resolve()
            files.setdefault(resolved, _stamp(resolved))
        entry = _Entry(copy.deepcopy(value) if self._copy_out else value, tuple(files.items()))
        with self._lock:
            self.loads += 1
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return value

    def _out(self, value: T) -> T:
        return copy.deepcopy(value) if self._copy_out else value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.loads = 0

    def __len__(self) -> int:
        return len(self._entries)
