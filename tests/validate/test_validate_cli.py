"""`cosim validate` and `cosim list datasets`: output, exit codes, JSON, atomic report."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main

CSV = "device,kind,measured_us,m,n,k\nh100-sxm,gemm,120,4096,4096,4096\nh100-sxm,gemm,15,16,4096,4096\n" \
      "a100-80g,gemm,400,4096,4096,4096\n"


def test_csv_only_prints_table_and_writes_report(write_csv, tmp_path, capsys):
    report = tmp_path / "out" / "v.html"
    code = main(["validate", "--csv", str(write_csv(CSV)), "--split", "all", "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert "median_abs_pct" in out and "csv:measurements.csv" in out
    assert "summary by category" in out
    assert report.is_file() and report.read_text().startswith("<!DOCTYPE html>")
    assert not list(report.parent.glob(".*.tmp"))


def test_json_output(write_csv, tmp_path, capsys):
    code = main(["validate", "--csv", str(write_csv(CSV)), "--split", "all", "--json", "--no-report"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["report"] is None
    assert sum(r["n"] for r in data["rows"]) == 3
    assert {r["split"] for r in data["rows"]} <= {"holdout", "train"}
    assert data["datasets"][0]["loaded"] == 3


@pytest.mark.parametrize("argv", [
    ["validate", "--dataset", "no-such-dataset", "--no-report"],
    ["validate", "--csv", "{bad}", "--no-report"],
    ["validate", "--csv", "{missing}", "--no-report"],
    ["validate", "--csv", "{good}", "--cost-model", "no-such-model", "--no-report"],
])
def test_user_errors_exit_2_with_one_line(argv, write_csv, tmp_path, capsys):
    paths = {"bad": write_csv("device,kind,measured_s,m,n,k\nh100-sxm,gemm,-1,8,8,8\n", name="bad.csv"),
             "good": write_csv(CSV, name="good.csv"), "missing": tmp_path / "nope.csv"}
    argv = [a.format(**{k: str(v) for k, v in paths.items()}) for a in argv]
    report = tmp_path / "never.html"
    code = main([*argv, "--report", str(report)] if "--no-report" not in argv else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("cosim: error: ") and err.count("\n") == 1
    assert not report.exists()


def test_bad_split_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "--split", "everything"])
    assert info.value.code == 2


def test_list_datasets(capsys):
    assert main(["list", "datasets"]) == 0
    out = capsys.readouterr().out
    assert "aiconfigurator-h100-gemm" in out and "splitwise-a100-llama2-70b" in out


def test_peer_dataset_run(peer_root, tmp_path, capsys):
    code = main(["validate", "--dataset", "llmcompass-a100-ops", "--dataset", "llmcompass-a100-gpt3-layer",
                 "--peer-data", str(peer_root), "--report", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 0
    assert "llmcompass-a100-ops" in out and "matmul" in out
    assert "llmcompass-a100-gpt3-layer: 26 records" in out
