"""`cosim validate` without any measured data: exit 2 with where the data was expected, no empty report."""

from __future__ import annotations

import pytest

from cosim.cli.main import main
from cosim.validate.datasets.registry import PEER_DATA_ENV


def test_default_location_without_data_exits_2_and_names_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PEER_DATA_ENV, str(tmp_path / "nowhere"))
    report = tmp_path / "reports" / "validate.html"
    assert main(["validate", "--report", str(report)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(tmp_path / "nowhere") in err and f"${PEER_DATA_ENV}" in err and "--peer-data" in err
    assert not report.exists()


def test_peer_data_flag_without_data_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(PEER_DATA_ENV, raising=False)
    assert main(["validate", "--peer-data", str(tmp_path), "--no-report"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "given by --peer-data" in err


def test_shipped_datasets_alone_still_run(tmp_path, monkeypatch):
    """Datasets that ship with cosim need no peer data; naming one is not an error."""
    from cosim.validate.datasets import DATASETS, dataset_names

    monkeypatch.setenv(PEER_DATA_ENV, str(tmp_path / "nowhere"))
    shipped = [n for n in dataset_names() if not DATASETS[n].load(tmp_path / "nowhere").missing]
    if not shipped:
        pytest.skip("no dataset ships with cosim")
    assert main(["validate", "--dataset", shipped[0], "--no-report"]) == 0


@pytest.mark.parametrize("with_env", [False, True])
def test_one_named_dataset_missing_exits_2(tmp_path, monkeypatch, capsys, with_env):
    if with_env:
        monkeypatch.setenv(PEER_DATA_ENV, str(tmp_path))
    argv = ["validate", "--dataset", "vidur-h100-llama2-7b-mlp", "--no-report"]
    assert main([*argv, "--peer-data", str(tmp_path)] if not with_env else argv) == 2
    assert "no measured data found" in capsys.readouterr().err
