"""Where the CLI writes: ./reports by default, --out / --report otherwise, never over a non-regular file.

A bad output path is refused (one line, exit 2) before anything is computed; FIFOs and symlinks are made in
tmp_path, and the device node is checked with every rename into /dev guarded (the tests may run as root).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

import cosim.dse.study as dse_study
import cosim.validate.run as validate_run
from cosim.cli.main import main

STUDY = """\
name: tiny-out
title: tiny
description: one point
model: llama2-7b
phase: decode
systems: [gpu-only]
tp: 1
dtype: fp16
batch: [1]
context: [1024]
detail_batch: 1
"""
CHECKOUT_REPORTS = Path(__file__).resolve().parents[2] / "reports"


@pytest.fixture
def never_compute(monkeypatch, no_rename_into_dev):
    def never(*args, **kwargs):
        raise AssertionError("the work started although its output cannot be written")

    monkeypatch.setattr(dse_study, "run_study", never)
    monkeypatch.setattr(validate_run, "run_validation", never)


def _bad_target(kind: str, tmp_path: Path) -> Path:
    if kind == "/dev/null":
        return Path("/dev/null")
    target = tmp_path / "target.html"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "other.txt").write_text("not a report")
        target.symlink_to(tmp_path / "other.txt")
    return target


def _kind_of(path: Path) -> int:
    return stat.S_IFMT(path.lstat().st_mode)


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink", "/dev/null"])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_bad_output_is_refused_before_any_work(command, kind, tmp_path, capsys, never_compute):
    study = tmp_path / "s.yaml"
    study.write_text(STUDY)
    target = _bad_target(kind, tmp_path)
    before = _kind_of(target)
    argv = ["run", str(study), "--out", str(target)] if command == "run" else ["validate", "--report", str(target)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a regular file" in err and str(target) in err
    assert _kind_of(target) == before
    if kind == "symlink":
        assert (tmp_path / "other.txt").read_text() == "not a report"


def test_run_writes_under_the_current_directory_by_default(tmp_path, monkeypatch, capsys):
    (tmp_path / "s.yaml").write_text(STUDY)
    monkeypatch.chdir(tmp_path)
    stale = CHECKOUT_REPORTS / "tiny-out.html"
    stale.unlink(missing_ok=True)
    assert main(["run", "s.yaml"]) == 0
    assert (tmp_path / "reports" / "tiny-out.html").is_file()
    assert not stale.exists()  # not the checkout's reports/
    assert "report: reports/tiny-out.html" in capsys.readouterr().out
    assert not [n for n in os.listdir(tmp_path / "reports") if n.endswith(".tmp")]


def test_validate_writes_under_the_current_directory_by_default(tmp_path, monkeypatch, capsys):
    import cosim.validate.report as validate_report

    written = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(validate_run, "run_validation", lambda *a, **k: SimpleNamespace(to_json=dict))
    monkeypatch.setattr(validate_report, "write_validation_report",
                        lambda result, path, command="": written.append(Path(path)) or Path(path))
    assert main(["validate", "--json"]) == 0
    assert written == [Path("reports") / "validate.html"]
    assert (tmp_path / "reports").is_dir()


def test_an_output_never_replaces_an_input_of_the_command(tmp_path, capsys, never_compute, monkeypatch):
    import cosim.serving.simulator as simulator

    monkeypatch.setattr(simulator, "simulate", dse_study.run_study)  # the never() of the fixture
    study = tmp_path / "s.yaml"
    study.write_text(STUDY)
    csv = tmp_path / "mine.csv"
    csv.write_text("kind,device\n")
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"prompt_len": 5, "output_len": 3}\n')
    serve = ["serve", "--model", "llama2-7b", "--hw", "a100-80g", "--no-progress"]
    for argv, victim in ((["run", str(study), "--out", str(study)], study),
                         (["validate", "--csv", str(csv), "--report", str(csv)], csv),
                         ([*serve, "--trace", str(trace), "--trace-out", str(trace)], trace)):
        before = victim.read_text()
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "input of this command" in err
        assert victim.read_text() == before
    same = str(tmp_path / "r.html")
    assert main([*serve, "--trace", "sharegpt", "--out", same, "--trace-out", same]) == 2
    assert "same file" in capsys.readouterr().err
