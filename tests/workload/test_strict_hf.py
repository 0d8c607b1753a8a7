"""HF configs taken as written: ``true`` is not 1 layer and ``"4096"`` is not 4096 (issue 14, strict inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cosim.errors import CosimInputError
from cosim.workload.hf import model_from_hf

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("num_hidden_layers", True, "expected an integer, got True"),
    ("hidden_size", "4096", "expected an integer, got '4096'"),
    ("num_attention_heads", "32", "expected an integer"),
    ("tie_word_embeddings", "false", "expected true or false"),
    ("tie_word_embeddings", 0, "expected true or false"),
])
def test_hf_values_are_not_coerced(field, value, words):
    data = json.loads((DATA / "llama2-7b-config.json").read_text())
    data[field] = value
    with pytest.raises(CosimInputError) as exc:
        model_from_hf(data, DATA / "llama2-7b-config.json")
    assert exc.value.field == field and words in exc.value.message, str(exc.value)


def test_moe_values_are_not_coerced_either():
    data = json.loads((DATA / "mixtral-8x7b-config.json").read_text())
    data["num_local_experts"] = True
    with pytest.raises(CosimInputError) as exc:
        model_from_hf(data, DATA / "mixtral-8x7b-config.json")
    assert exc.value.field == "num_local_experts"


def test_preset_yaml_is_strict_too(tmp_path: Path):
    from cosim.workload.presets import load_model

    text = (Path(__file__).resolve().parents[2] / "workloads" / "llama2-7b.yaml").read_text()
    path = tmp_path / "m.yaml"
    path.write_text(text.replace("num_layers: 32", "num_layers: '32'", 1))
    assert "num_layers: '32'" in path.read_text()
    with pytest.raises(CosimInputError, match="num_layers: expected an integer"):
        load_model(path)
