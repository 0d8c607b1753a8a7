"""`cosim pim attention`: text and JSON output, per-request contexts, one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main

BASE = ("pim", "attention", "--heads", "64", "--kv-heads", "8", "--head-dim", "128")
KEYS = ("time_s", "pim_time_s", "achieved_internal_bw_bytes_per_s", "peak_internal_bw_bytes_per_s",
        "bank_utilization", "pcie_bytes", "energy_j", "eq1", "layout", "ranksets", "capacity_use")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *BASE, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_text_output_names_every_quantity(capsys):
    code, out, _ = run(capsys, *BASE, "--hw", "gpu+l3", "--batch", "64", "--context", "32768")
    assert code == 0
    for label in ("time", "internal bw", "bank utilization", "PCIe traffic", "energy", "Eq. 1", "ranksets"):
        assert label in out


def test_json_keys_and_consistency(capsys):
    d = as_json(capsys, "--hw", "gpu+l3", "--batch", "64", "--context", "16384", "--layers", "2")
    for key in KEYS:
        assert key in d
    assert d["time_s"] >= d["pim_time_s"] > 0
    assert d["pcie_bytes"] == pytest.approx(d["pcie_in_bytes"] + d["pcie_out_bytes"])
    assert d["kv_bytes"] == 64 * 16384 * 2 * 8 * 128 * 2 * 2
    assert d["energy_j"]["total_j"] == pytest.approx(sum(v for k, v in d["energy_j"].items() if k != "total_j"))
    assert d["eq1"]["n_hc"] <= d["eq1"]["n_hc_bound"]


def test_context_list_is_per_request_and_slowest_rank_sets_time(capsys):
    mixed = as_json(capsys, "--hw", "l3-dimm-pim", "--context", "1024,1024,65536")
    long_only = as_json(capsys, "--hw", "l3-dimm-pim", "--context", "65536")
    assert mixed["batch"] == 3 and long_only["batch"] == 1
    assert mixed["pim_time_s"] == pytest.approx(long_only["pim_time_s"])


def test_ranksets_and_layouts_change_the_answer(capsys):
    one = as_json(capsys, "--hw", "gpu+l3", "--batch", "64", "--context", "8192", "--ranksets", "1")
    four = as_json(capsys, "--hw", "gpu+l3", "--batch", "64", "--context", "8192", "--ranksets", "4")
    host = as_json(capsys, "--hw", "gpu+l3", "--batch", "64", "--context", "8192", "--layout", "host")
    assert four["pim_time_s"] < one["pim_time_s"] and four["ranksets"] == 4
    assert host["level"] == "rank" and host["pim_time_s"] > four["pim_time_s"]


def test_hbm_pim_device(capsys):
    d = as_json(capsys, "--hw", "hbm-pim-attacc", "--batch", "8", "--context", "4096")
    assert d["placement"].startswith("bank") and d["time_s"] > 0


@pytest.mark.parametrize(("argv", "needle"), [
    (("--hw", "gpu+l3", "--batch", "512", "--context", "131072", "--layers", "80"), "does not fit layout"),
    (("--hw", "gpu+l3", "--batch", "4", "--context", "1024", "--layout", "nope"), "unknown layout"),
    (("--hw", "h100-sxm", "--batch", "4", "--context", "1024"), "has no PIM device"),
    (("--hw", "gpu+l3", "--batch", "4", "--context", "1,2,3"), "does not match"),
    (("--hw", "no-such-hw", "--batch", "4", "--context", "1024"), "no-such-hw"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *BASE, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cosim: error:") and needle in lines[0]


def test_bad_numbers_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([*BASE, "--hw", "gpu+l3", "--context", "0"])
    assert exc.value.code == 2
    assert "positive integer" in capsys.readouterr().err
