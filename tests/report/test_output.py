"""cosim.report.output: an output replaces only a regular file (or nothing), and leaves no temporary file.

The CLI runs as root on some machines, where an atomic rename over ``/dev/null`` succeeds and breaks the
machine; so the device-node test checks the refusal with the rename guarded, and FIFOs and symlinks are
made in tmp_path.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cosim.errors import CosimInputError
from cosim.report import output, render_report
from cosim.report.output import checked_output_path, output_path, write_output


def _make(kind: str, tmp_path: Path) -> tuple[Path, object]:
    """A non-regular thing at tmp_path/'target' and a snapshot to compare after."""
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "real.txt").write_text("keep me")
        target.symlink_to(tmp_path / "real.txt")
    elif kind == "dangling symlink":
        target.symlink_to(tmp_path / "nowhere.html")
    return target, _snapshot(tmp_path)


def _snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        mode = p.lstat().st_mode
        body = p.read_text() if stat.S_ISREG(mode) else (os.readlink(p) if stat.S_ISLNK(mode) else "")
        out[str(p.relative_to(folder))] = (stat.S_IFMT(mode), body)
    return out


WRITERS = {"write_output": lambda path: write_output(path, "report"),
           "render_report": lambda path: render_report("t", [("s", "text")], path=path)}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink", "dangling symlink"])
def test_refuses_anything_but_a_regular_file_and_leaves_it_as_it_was(kind, writer, tmp_path):
    target, before = _make(kind, tmp_path)
    with pytest.raises(CosimInputError, match="not a regular file") as info:
        WRITERS[writer](target)
    assert "\n" not in str(info.value) and str(target) in str(info.value)
    assert kind.split()[-1] in str(info.value).lower()  # names what is there
    assert _snapshot(tmp_path) == before  # same node, nothing written through, no temporary file


def test_refuses_a_device_node_without_touching_it(no_rename_into_dev):
    for node in ("/dev/null", "/dev/full"):
        if not os.path.exists(node):
            continue
        with pytest.raises(CosimInputError, match="character device"):
            checked_output_path(node)
        with pytest.raises(CosimInputError, match="not a regular file"):
            write_output(node, "report")
        assert stat.S_ISCHR(os.stat(node).st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_refuses_a_read_only_file(tmp_path):
    target = tmp_path / "r.html"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(CosimInputError, match="read-only"):
        write_output(target, "new")
    assert target.read_text() == "old"


def test_replaces_a_regular_file_and_nothing_else(tmp_path):
    target = tmp_path / "sub" / "r.html"
    write_output(target, "old")
    assert write_output(target, "new") == target
    assert target.read_text() == "new"
    assert os.listdir(target.parent) == ["r.html"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the write's handler is gone again


def test_default_output_goes_to_reports_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert output_path(None, "x.html") == Path("reports") / "x.html"
    assert (tmp_path / "reports").is_dir()
    assert output_path(tmp_path / "elsewhere" / "y.html", "x.html") == tmp_path / "elsewhere" / "y.html"


WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from cosim.report import output, render_report

    def slow_fsync(fd):  # the write is under way: the temporary file exists and holds the text
        print("writing", flush=True)
        time.sleep(120)

    os.fsync = slow_fsync
    output.write_output(Path(sys.argv[1]), "x" * 20_000_000)
""")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_write_leaves_the_old_file_and_no_temporary(signum, tmp_path):
    target = tmp_path / "big.html"
    target.write_text("old report")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing", proc.stderr.read()
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the write is really in flight
        proc.send_signal(signum)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    if signum == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
    assert sorted(os.listdir(tmp_path)) == ["big.html"]
    assert target.read_text() == "old report"


def test_the_handler_of_someone_else_is_kept(tmp_path, monkeypatch):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda *a: seen.append(a))
    try:
        write_output(tmp_path / "r.html", "x")
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is not output._terminate
    finally:
        signal.signal(signal.SIGTERM, previous)


RACER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from cosim.report import output

    real_open = os.open

    def open_then_terminate(*args, **kwargs):  # the signal lands as the temporary file comes into being
        fd = real_open(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return fd

    os.open = open_then_terminate
    output.write_output(Path(sys.argv[1]), "report")
""")


def test_a_signal_as_the_temporary_is_created_leaves_nothing(tmp_path):
    target = tmp_path / "r.html"
    proc = subprocess.run([sys.executable, "-c", RACER, str(target)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert os.listdir(tmp_path) == []
