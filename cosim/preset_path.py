"""Where presets come from: ``--preset-path`` folders, then ``$COSIM_PATH``, then the ones shipped with cosim.

The shipped presets live in the package (``cosim/presets/<kind>``) so that a wheel or a plain ``pip install .``
carries them. In a checkout those four folders are symlinks to the top-level ``hw/``, ``workloads/``,
``mappings/`` and ``studies/``, which stay the files people edit, review and link to; a wheel build copies the
files behind the links. A user folder is laid out the same way (``DIR/hw/*.yaml``, ``DIR/workloads/*.yaml``,
``DIR/hw/dram/*.yaml`` ...), and a name found there shadows a shipped preset of the same name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cosim.errors import CosimInputError

ENV = "COSIM_PATH"
"""os.pathsep-separated preset folders, searched before the shipped presets (after --preset-path)."""
KINDS = ("hw", "workloads", "mappings", "studies")
SUFFIXES = (".yaml", ".yml", ".json")
SHIPPED = "shipped"

_PACKAGE_PRESETS = Path(__file__).resolve().parent / "presets"
_CHECKOUT = Path(__file__).resolve().parent.parent
_flag_roots: tuple[Path, ...] = ()


@dataclass(frozen=True)
class PresetRoot:
    """One folder of the search path and what put it there (``--preset-path``, ``$COSIM_PATH`` or shipped)."""

    path: Path
    origin: str


def set_flag_roots(folders: list[str | Path] | tuple[str | Path, ...] | None) -> None:
    """The ``--preset-path`` folders of this command (replacing those of an earlier in-process call)."""
    global _flag_roots
    _flag_roots = tuple(Path(f).expanduser() for f in folders or ())


def shipped_dir(kind: str) -> Path:
    """Folder of the shipped presets of one kind ('hw', 'hw/dram', 'workloads', 'mappings', 'studies')."""
    top, _, rest = kind.partition("/")
    folder = _PACKAGE_PRESETS / top
    if folder.is_dir():
        # resolved: in a checkout the symlink's target, so messages name hw/... as before
        return folder.resolve() / rest if rest else folder.resolve()
    # a checkout where git wrote the symlinks as plain files (core.symlinks=false): the top-level folders
    return _CHECKOUT / kind


def user_roots() -> list[PresetRoot]:
    """--preset-path folders, then $COSIM_PATH's; a folder that is missing or holds no preset kind is an error
    (a misspelled or too-deep path would otherwise fall back to the shipped presets without a word)."""
    roots = [PresetRoot(p, "--preset-path") for p in _flag_roots]
    roots += [PresetRoot(Path(p).expanduser(), f"${ENV}") for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    for root in roots:
        where = "--preset-path" if root.origin == "--preset-path" else ENV
        if not root.path.is_dir():
            raise CosimInputError("preset folder not found", file=root.path, field=where)
        if not any((root.path / kind).is_dir() for kind in KINDS):
            raise CosimInputError("preset folder holds none of the preset kinds", file=root.path, field=where,
                                  allowed=", ".join(f"{k}/" for k in KINDS))
    return roots


def search_dirs(kind: str) -> list[PresetRoot]:
    """Folders searched for presets of one kind, first match wins: user folders, then the shipped one."""
    return [PresetRoot(r.path / kind, r.origin) for r in user_roots()] + [PresetRoot(shipped_dir(kind), SHIPPED)]


def listing(kind: str) -> dict[str, PresetRoot]:
    """Every preset name of one kind -> the file that defines it (the first along the search path) and its origin."""
    found: dict[str, PresetRoot] = {}
    for folder in search_dirs(kind):
        if not folder.path.is_dir():
            continue
        for path in sorted(folder.path.iterdir()):
            if path.suffix in SUFFIXES and path.is_file():
                found.setdefault(path.stem, PresetRoot(path, folder.origin))
    return dict(sorted(found.items()))


def find(name: str, kind: str) -> Path | None:
    """The file of preset ``name`` of one kind along the search path, or None."""
    for folder in search_dirs(kind):
        for suffix in SUFFIXES:
            path = folder.path / f"{name}{suffix}"
            if path.is_file():
                return path
    return None
