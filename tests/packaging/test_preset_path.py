"""$COSIM_PATH: user preset folders searched before the shipped presets; a bad folder is one line."""

from __future__ import annotations

import pytest

from cosim.config import list_presets, resolve_preset
from cosim.errors import CosimInputError
from cosim.preset_path import ENV, listing


def test_user_folder_adds_and_shadows_presets(tmp_path, monkeypatch):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "my-gpu.yaml").write_text("extends: h100-sxm\n")
    (tmp_path / "hw" / "h200.yaml").write_text("extends: h100-sxm\n")
    monkeypatch.setenv(ENV, str(tmp_path))
    assert "my-gpu" in list_presets("hw") and "h100-sxm" in list_presets("hw")
    assert resolve_preset("my-gpu", "hw", what="hardware") == tmp_path / "hw" / "my-gpu.yaml"
    assert resolve_preset("h200", "hw", what="hardware") == tmp_path / "hw" / "h200.yaml"
    assert listing("hw")["h100-sxm"].origin == "shipped" and listing("hw")["my-gpu"].origin == f"${ENV}"


@pytest.mark.parametrize("make", [lambda p: p / "absent", lambda p: p])
def test_bad_folder_is_one_line(tmp_path, monkeypatch, make):
    monkeypatch.setenv(ENV, str(make(tmp_path)))
    with pytest.raises(CosimInputError, match=ENV):
        list_presets("hw")
