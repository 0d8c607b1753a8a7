"""`cosim dram simulate|list|show`: JSON keys, tables, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main
from cosim.dram import load_dram_spec, write_trace

KEYS = ["cycles", "reads_done", "writes_done", "bandwidth_GBps", "avg_read_latency_cycles", "activates",
        "read_row_hits", "write_row_hits", "energy_j"]


@pytest.fixture
def trace(tmp_path):
    return write_trace(tmp_path / "mix.trace", "random_mix", load_dram_spec("ddr4-3200-x8"), 600, seed=2)


def test_simulate_json_has_the_documented_keys(trace, capsys):
    assert main(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", str(trace), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data)[:9] == KEYS
    assert data["reads_done"] + data["writes_done"] == 600 and data["energy_j"] > 0


def test_simulate_with_cycles_and_table_output(trace, capsys):
    assert main(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", str(trace), "--cycles", "1000"]) == 0
    out = capsys.readouterr().out
    assert "bandwidth_GBps" in out and "1,000" in out


def test_ramulator_format(tmp_path, capsys):
    path = tmp_path / "r.trace"
    path.write_text("".join(f"0x{64 * i:x} R\n" for i in range(100)))
    assert main(["dram", "simulate", "--spec", "hbm2", "--trace", str(path), "--format", "ramulator", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reads_done"] == 100


def test_list_and_show(capsys):
    assert main(["dram", "list"]) == 0
    assert "hbm3-6400" in capsys.readouterr().out
    assert main(["dram", "show", "ddr5-4800", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["timing_nCK"]["CL"] == 34


@pytest.mark.parametrize(("args", "needle"), [
    (["--spec", "ddr9"], "unknown DRAM preset"),
    (["--spec", "ddr4-3200-x8", "--trace", "BADTRACE"], "line 2"),
    (["--spec", "ddr4-3200-x8", "--trace", "FARTRACE"], "beyond the capacity"),
    (["--spec", "BADINI"], "timing.tRAS"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, trace, capsys, args, needle):
    bad = tmp_path / "bad.trace"
    bad.write_text("0x0 READ 0\n0x40 RAED 1\n")
    far = tmp_path / "far.trace"
    far.write_text("0xffffffffff READ 0\n")
    ini = tmp_path / "bad.ini"
    ini.write_text("[dram_structure]\nprotocol = DDR4\nbankgroups = 4\nbanks_per_group = 4\nrows = 65536\n"
                   "columns = 1024\ndevice_width = 8\n[timing]\ntCK = 0.63\nCL = 22\nCWL = 16\ntRCD = 22\n"
                   "tRP = 22\ntRAS = 80\ntRC = 60\ntFAW = 34\ntWR = 24\n[system]\nchannel_size = 16384\n"
                   "channels = 1\nbus_width = 64\naddress_mapping = rochrababgco\n")
    subst = {"BADTRACE": str(bad), "FARTRACE": str(far), "BADINI": str(ini)}
    argv = ["dram", "simulate", *[subst.get(a, a) for a in args]]
    if "--trace" not in argv:
        argv += ["--trace", str(trace)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("cosim: error:") and needle in err


def test_cosim_list_dram(capsys):
    assert main(["list", "dram"]) == 0
    out = capsys.readouterr().out
    assert "ddr4-3200-x8" in out and "peak_GBps" in out
