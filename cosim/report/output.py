"""Where a command's output file may go: a regular file or nothing yet, never a directory, FIFO or device.

``checked_output_path`` runs before any work (so a bad ``--out`` costs nothing computed), ``write_output``
writes atomically through :func:`cosim.report.html.write_atomic` after checking again.
"""

from __future__ import annotations

import stat
from pathlib import Path

from cosim.errors import CosimInputError
from cosim.report.html import write_atomic


def checked_output_path(path: str | Path) -> Path:
    """``path`` as a Path, refused if something other than a regular file (a directory, a FIFO, a device)
    is there; its folder is created."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CosimInputError(f"cannot write output: {exc.strerror or exc}", file=path) from None
    if mode is not None and not stat.S_ISREG(mode):
        raise CosimInputError("refusing to overwrite something that is not a regular file", file=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CosimInputError(f"cannot write output: {exc.strerror or exc}", file=path) from None
    return path


def write_output(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically to ``path`` (a regular file or nothing yet); return the path."""
    path = checked_output_path(path)
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CosimInputError(f"cannot write output: {exc.strerror or exc}", file=path) from None
    return path
