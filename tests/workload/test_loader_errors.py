"""Every bad model file is a one-line CosimInputError naming the file and the field; never a traceback."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError, UnknownPresetError
from cosim.workload import ModelConfig, list_models, load_model

GOOD = {
    "name": "toy", "num_layers": 2, "hidden_size": 256, "num_heads": 8, "num_kv_heads": 2,
    "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 128,
}
HF_GOOD = {
    "model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256, "num_attention_heads": 8,
    "num_key_value_heads": 2, "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 128,
}
_counter = itertools.count()


def _write(folder: Path, data, suffix: str) -> Path:
    path = folder / f"model{next(_counter)}{suffix}"  # unique names: load_model caches by path
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _error(path: Path) -> CosimInputError:
    with pytest.raises(CosimInputError) as err:
        load_model(path)
    text = str(err.value)
    assert "\n" not in text and path.name in text
    return err.value


def test_good_files_load(tmp_path):
    assert isinstance(load_model(_write(tmp_path, GOOD, ".yaml")), ModelConfig)
    assert load_model(_write(tmp_path, HF_GOOD, ".json")).kv_heads == 2


@pytest.mark.parametrize(("change", "field", "mentions"), [
    ({"num_layers": 0}, "num_layers", "greater than 0"),
    ({"hidden_size": -5}, "hidden_size", "greater than 0"),
    ({"vocab_size": "many"}, "vocab_size", "integer"),
    ({"num_heads": 12}, "head_dim", "num_heads"),  # 12 does not divide 256 and no head_dim given
    ({"num_kv_heads": 3}, "num_kv_heads", "num_heads"),
    ({"moe": {"num_experts": 8, "top_k": 9, "expert_intermediate_size": 64}}, "moe.top_k", "num_experts"),
    ({"mlp": "swiglu"}, "mlp", "gated"),
    ({"dtype": "fp7"}, "dtype", "bf16"),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_project_yaml_errors(tmp_path, change, field, mentions):
    err = _error(_write(tmp_path, GOOD | change, ".yaml"))
    assert err.field == field and mentions in str(err)


@pytest.mark.parametrize(("change", "field", "mentions"), [
    ({"model_type": "bert"}, "model_type", "llama"),  # lists the supported model types
    ({"num_hidden_layers": 0}, "num_hidden_layers", "greater than 0"),
    ({"num_key_value_heads": 3}, "num_key_value_heads", "num_heads"),
    ({"num_attention_heads": 12}, "head_dim", "num_heads"),
    ({"hidden_act": "swishy"}, "hidden_act", "silu"),
    ({"model_type": "mixtral", "num_local_experts": 2, "num_experts_per_tok": 3}, "num_experts_per_tok",
     "num_experts"),
    ({"model_type": "opt", "ffn_dim": 512, "word_embed_proj_dim": 128}, "word_embed_proj_dim", "256"),
])
def test_hf_errors_name_the_hf_field(tmp_path, change, field, mentions):
    err = _error(_write(tmp_path, HF_GOOD | change, ".json"))
    assert err.field == field and mentions in str(err)


def test_hf_missing_field(tmp_path):
    data = dict(HF_GOOD)
    del data["intermediate_size"]
    assert _error(_write(tmp_path, data, ".json")).field == "intermediate_size"


def test_hf_unknown_architecture(tmp_path):
    err = _error(_write(tmp_path, {"architectures": ["BertModel"], "hidden_size": 8}, ".json"))
    assert err.field == "architectures"


@pytest.mark.parametrize(("text", "suffix", "mentions"), [
    ("name: [1, 2\n", ".yaml", "invalid YAML"),
    ('{"model_type": "llama",', ".json", "invalid JSON"),
    ("", ".yaml", "empty"),
    ("- 1\n- 2\n", ".yaml", "mapping"),
])
def test_unreadable_files(tmp_path, text, suffix, mentions):
    assert mentions in str(_error(_write(tmp_path, text, suffix)))


def test_unknown_preset_lists_available():
    with pytest.raises(UnknownPresetError) as err:
        load_model("llama9-1t")
    assert "llama2-7b" in str(err.value) and "\n" not in str(err.value)
    assert set(list_models()) >= {"llama2-7b", "mixtral-8x7b"}


def test_missing_file():
    with pytest.raises(CosimInputError) as err:
        load_model(Path("/nonexistent/dir/config.json"))
    assert "not found" in str(err.value)


def test_extends_inherits_and_overrides(tmp_path):
    path = _write(tmp_path, {"extends": "llama2-7b", "name": "llama2-7b-short", "num_layers": 4}, ".yaml")
    model = load_model(path)
    assert model.num_layers == 4 and model.hidden_size == 4096 and model.name == "llama2-7b-short"


_FIELDS = sorted(set(GOOD) | set(HF_GOOD) | {"model_type", "moe", "head_dim", "mlp", "norm", "n_embd",
                                             "num_local_experts", "architectures", "torch_dtype", "extends"})
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5000) | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(["llama", "opt", "gpt2", "mixtral", "qwen2", "mistral", "bf16", "gated", "llama2-7b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from([GOOD, HF_GOOD, {}]),
       changes=st.dictionaries(st.sampled_from(_FIELDS), _VALUES, max_size=5),
       suffix=st.sampled_from([".yaml", ".json"]))
def test_fuzz_mappings_load_or_raise_input_error(base, changes, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), base | changes, suffix)
        try:
            assert isinstance(load_model(path), ModelConfig)
        except CosimInputError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200), suffix=st.sampled_from([".yaml", ".json"]))
def test_fuzz_text_load_or_raise_input_error(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), text, suffix)
        try:
            load_model(path)
        except CosimInputError as exc:
            assert "\n" not in str(exc)
