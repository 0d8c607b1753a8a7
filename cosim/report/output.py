"""Where the CLI's output files go and how they are written: the one module every writer goes through.

An output is written to a temporary sibling and renamed over its path, so a reader never sees half a file.
A rename replaces whatever has the name, so the path is checked first: it must be absent or a regular file
we may write. A directory, a FIFO, a device node (as root, ``--out /dev/null`` would otherwise replace the
machine's ``/dev/null`` with a report), a socket or a symlink is refused with one line (CLI exit 2). A
symlink is refused rather than written through, because the rename would replace the link itself and a
write through it would land somewhere the command line does not name.

``output_path`` / ``checked_output_path`` run before any work, so a bad ``--out`` costs nothing computed;
``write_output`` checks again (something may have appeared meanwhile) and writes. The temporary file is
removed on any exception, on Ctrl-C and on SIGTERM (turned into ``SystemExit(143)`` for the length of the
write), so an interrupted write leaves the old file or nothing, never a hidden ``.tmp``.

Outputs without an explicit path go to ``reports/`` in the current directory (:data:`DEFAULT_OUTPUT_DIR`),
never into the checkout or the installed package.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from cosim.errors import CosimInputError

DEFAULT_OUTPUT_DIR = Path("reports")
"""Relative, so it resolves against the current directory of the command."""

_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)


def output_path(out: str | Path | None, default_name: str, *,
                inputs: Iterable[str | Path | None] = ()) -> Path:
    """The path an output goes to, checked: ``out`` when given, else ``reports/<default_name>`` under the
    current directory; never one of ``inputs`` (the command's input files)."""
    return checked_output_path(out if out not in (None, "") else DEFAULT_OUTPUT_DIR / default_name, inputs=inputs)


def checked_output_path(path: str | Path, *, what: str = "output",
                        inputs: Iterable[str | Path | None] = ()) -> Path:
    """``path`` as a Path, refused unless it is absent or a writable regular file other than one of ``inputs``
    (``cosim run s.yaml --out s.yaml`` would replace the study by its report); its folder is created.

    ``inputs`` may hold preset names and None: only the ones that are existing files are compared."""
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CosimInputError(f"cannot write {what}: {exc.strerror or exc}", file=path) from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "something else")
        raise CosimInputError(f"refusing to replace {kind} (not a regular file) with the {what}; "
                              "give a new path or a regular file", file=path)
    if mode is not None and not os.access(path, os.W_OK):
        raise CosimInputError(f"refusing to replace a read-only file with the {what}", file=path)
    if mode is not None:
        clash = next((str(i) for i in inputs if i not in (None, "") and _same_file(path, Path(i))), None)
        if clash is not None:
            raise CosimInputError(f"refusing to replace an input of this command ({clash}) with the {what}",
                                  file=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CosimInputError(f"cannot write {what}: {exc.strerror or exc}", file=path) from None
    return path


def write_output(path: str | Path, text: str, *, what: str = "output") -> Path:
    """Write ``text`` atomically to ``path`` (checked again: absent or a regular file); return the path."""
    path = checked_output_path(path, what=what)
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CosimInputError(f"cannot write {what}: {exc.strerror or exc}", file=path) from None
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary sibling and a rename (all or nothing, no ``.tmp`` left).

    Callers check ``path`` first (:func:`checked_output_path`); this only writes.
    """
    tmp: Path | None = None
    with _sigterm_raises():
        try:
            fd, tmp = _create_temporary(path)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if tmp is None:
                tmp = _CREATING.pop(path, None)
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            raise
        finally:
            _CREATING.pop(path, None)


_CREATING: dict[Path, Path] = {}
"""The temporary being created for each path, named before it exists: a signal handled between its creation
and the return (numpy's threads take process signals, so masking them in this thread is not enough; seen
1 time in 5 when signalled as the file appears) still finds it."""


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new hidden sibling of ``path`` opened for writing (O_EXCL, mode 0600 until it is complete)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        _CREATING[path] = tmp
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:  # someone else's: never ours to remove
            _CREATING.pop(path, None)
    raise FileExistsError(f"no free temporary name beside {path}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # b is a preset name, or gone
        return False


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises ``SystemExit(143)`` inside the block, so the cleanup above runs as on Ctrl-C.

    Only where SIGTERM still has its default action (a handler someone installed is theirs to keep) and in
    the main thread (the only one Python lets install handlers).
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short
    raise SystemExit(128 + signum)
