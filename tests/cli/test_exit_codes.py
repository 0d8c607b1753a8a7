"""Exit codes of the command line: every user error is one line and exit 2, the what-ifs stay one flag away."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main

OVERFLOW = ["predict", "--model", "llama2-70b", "--hw", "h100-sxm", "--phase", "decode", "--batch", "1",
            "--context", "1024"]  # 129 GiB of bf16 weights on one 80 GiB GPU


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return int(code or 0), out, err


@pytest.mark.parametrize("extra", [[], ["--strict"], ["--mix", "d1024"]])
def test_predict_that_does_not_fit_is_one_line_exit_2(capsys, extra):
    argv = OVERFLOW[:5] + extra if "--mix" in extra else OVERFLOW + extra
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("cosim: error:")
    for needle in ("'gpu'", "overflow 48.79 GiB", "holds 80.00 GiB", "--allow-overflow"):
        assert needle in err


@pytest.mark.parametrize("extra", [["--json"], ["--mix", "d1024", "--json"]])
def test_allow_overflow_keeps_the_what_if(capsys, extra):
    argv = OVERFLOW[:5] + extra if "--mix" in extra else OVERFLOW + extra
    code, out, err = run_cli(capsys, *argv, "--allow-overflow")
    assert code == 0
    assert json.loads(out)["fits"] is False
    assert "does not fit" in err and "'gpu'" in err


def test_strict_and_allow_overflow_conflict(capsys):
    code, _out, err = run_cli(capsys, *OVERFLOW, "--strict", "--allow-overflow")
    assert code == 2 and "not allowed with" in err


def test_a_study_whose_every_point_fails_exits_2(capsys, tmp_path):
    study = tmp_path / "allfail.yaml"
    study.write_text("name: allfail\ntitle: every point fails\nmodel: llama2-7b\nphase: prefill\n"
                     "systems: [a100-80g]\ntp: 2\nbatch: [1, 2]\ncontext: [128]\n")  # tp 2 on one GPU
    report = tmp_path / "allfail.html"
    code, _out, err = run_cli(capsys, "run", str(study), "--out", str(report))
    assert code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after the study's grid line
    assert last.startswith("cosim: error:") and err.count("cosim: error:") == 1
    err = last
    assert "every point" in err and "(2 points)" in err and "batch=1" in err and "tp=2 exceeds" in err
    assert not report.exists()


@pytest.mark.parametrize("argv", [
    ["--phase", "decode", "--batch", "1000000000", "--context", "1"],
    ["--mix", "d1x1000000000"],
])
def test_a_huge_batch_is_one_line_exit_2(capsys, argv):
    code, out, err = run_cli(capsys, "predict", "--model", "llama2-7b", "--hw", "h100-sxm", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "1000000" in err


@pytest.mark.parametrize(("argv", "start"), [
    (["predict", "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "decode", "--batch", "0", "--context", "8"],
     "cosim: error: predict: argument --batch: expected a positive integer up to 2**53, got 0"),
    (["predict", "--model", "llama2-7b"], "cosim: error: predict: the following arguments are required: --hw"),
    (["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", "t", "--format", "x"],
     "cosim: error: dram simulate: argument --format: invalid choice"),
    (["serve", "--model", "llama2-7b", "--hw", "a100-80g", "--trace", "sharegpt", "--bogus"],
     "cosim: error: serve: unrecognized arguments: --bogus"),
    (["nosuch"], "cosim: error: argument COMMAND: invalid choice"),
    ([], "cosim: error: the following arguments are required: COMMAND"),
])
def test_argparse_errors_are_one_line_with_a_help_hint(capsys, argv, start):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(start)
    prog = " ".join(["cosim", *start.split(": ")[2:3]]) if argv and argv[0] != "nosuch" else "cosim"
    assert f"(see '{prog} --help')" in err


def test_serve_refuses_a_huge_request_count(capsys):
    """10^12 generated requests ended in numpy's ArrayMemoryError (7 TiB) traceback."""
    code, _out, err = run_cli(capsys, "serve", "--model", "llama2-7b", "--hw", "a100-80g", "--trace", "sharegpt",
                              "--requests", "1000000000000", "--no-progress")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "requests" in err and "10000000" in err
