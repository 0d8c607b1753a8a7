"""`cosim list` says where a preset comes from once a $COSIM_PATH folder adds or shadows one."""

from __future__ import annotations

from pathlib import Path

from cosim.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def test_list_names_the_folder_of_user_presets(tmp_path, monkeypatch, capsys):
    (tmp_path / "hw").mkdir()
    text = (REPO / "hw" / "h100-sxm.yaml").read_text().replace("name: H100-SXM5-80GB", "name: My-GPU", 1)
    (tmp_path / "hw" / "my-gpu.yaml").write_text(text)
    assert main(["list", "hw"]) == 0
    assert " from" not in capsys.readouterr().out.splitlines()[0]  # nothing but shipped presets: no column
    monkeypatch.setenv("COSIM_PATH", str(tmp_path))
    assert main(["list", "hw"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].rstrip().endswith("from")
    mine = next(line for line in lines if line.startswith("my-gpu "))
    assert mine.rstrip().endswith(str(tmp_path / "hw" / "my-gpu.yaml"))
    assert next(line for line in lines if line.startswith("h100-sxm ")).rstrip().endswith("shipped")
