"""Presets and HF imports against published parameter counts and architecture facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.workload import ModelConfig, list_models, load_model
from cosim.workload.dtypes import DType

DATA = Path(__file__).resolve().parent / "data"

# Published totals (model cards / papers). gpt3-89b is a nominal AttAcc label: see its own test.
PUBLISHED_PARAMS = {
    "llama2-7b": 6.74e9,  # Llama 2 paper / HF model card (6,738,415,616)
    "llama2-13b": 13.0e9,  # Llama 2 paper: 13B (13,015,864,320)
    "llama2-70b": 68.98e9,  # HF: 68,976,648,192
    "llama3-8b": 8.03e9,  # Meta Llama 3 model card
    "llama3-70b": 70.6e9,  # Meta Llama 3 model card
    "qwen2.5-14b": 14.7e9,  # Qwen2.5-14B model card
    "qwen-72b": 72.7e9,  # Qwen2-72B model card
    "opt-66b": 65.7e9,  # facebook/opt-66b checkpoint size
    "gpt3-175b": 175e9,  # GPT-3 paper Table 2.1
    "mixtral-8x7b": 46.7e9,  # Mistral AI: 46.7B total
}


def test_all_required_presets_ship():
    assert set(PUBLISHED_PARAMS) | {"gpt3-89b"} <= set(list_models())


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_preset_parameter_count_matches_published(name):
    model = load_model(name)
    assert model.total_parameters() == pytest.approx(PUBLISHED_PARAMS[name], rel=0.01)


def test_gpt3_89b_is_half_the_layers_of_175b():
    small, big = load_model("gpt3-89b"), load_model("gpt3-175b")
    d, layers = 12288, 48
    # 12 L d^2 (4 d^2 attention + 8 d^2 MLP) plus token and position tables
    approx = 12 * layers * d * d + 50257 * d + 2048 * d
    assert small.total_parameters() == pytest.approx(approx, rel=0.002)
    assert small.non_embedding_parameters() * 2 == pytest.approx(big.non_embedding_parameters(), rel=1e-4)


def test_llama2_7b_exact_count():
    # HF reports 6,738,415,616 parameters for Llama-2-7b-hf
    assert load_model("llama2-7b").total_parameters() == 6_738_415_616


def test_mixtral_total_and_active_parameters():
    model = load_model("mixtral-8x7b")
    assert model.total_parameters() == pytest.approx(46.7e9, rel=0.005)
    assert model.active_parameters() == pytest.approx(12.9e9, rel=0.005)


@pytest.mark.parametrize(("name", "layers", "kv_heads"), [("llama2-70b", 80, 8), ("llama3-8b", 32, 8),
                                                           ("llama2-7b", 32, 32)])
def test_kv_bytes_per_token(name, layers, kv_heads):
    model = load_model(name)
    assert model.kv_heads == kv_heads
    assert model.kv_bytes_per_token("bf16", "bf16") == 2 * layers * kv_heads * 128 * 2
    assert model.kv_bytes_per_token("int8", "int4") == layers * kv_heads * 128 * (1 + 0.5)


def test_weight_bytes_follow_dtype_bits():
    model = load_model("llama3-8b")
    assert model.weight_bytes("int4") * 4 == model.weight_bytes(DType.BF16)


def test_qwen_72b_is_qwen2_72b_architecture():
    model = load_model("qwen-72b")
    assert (model.num_layers, model.num_heads, model.hidden_size, model.kv_heads) == (80, 64, 8192, 8)
    assert model.qkv_bias and not model.o_bias
    assert "Qwen2-72B" in model.source


@pytest.mark.parametrize(("fixture", "preset"), [
    ("llama2-7b-config.json", "llama2-7b"),
    ("qwen2.5-14b-config.json", "qwen2.5-14b"),
    ("opt-66b-config.json", "opt-66b"),
    ("mixtral-8x7b-config.json", "mixtral-8x7b"),
])
def test_hf_config_matches_preset(fixture, preset):
    hf, ours = load_model(DATA / fixture), load_model(preset)
    assert hf.total_parameters() == ours.total_parameters()
    assert hf.kv_bytes_per_token() / hf.dtype.bytes == ours.kv_bytes_per_token() / ours.dtype.bytes
    for field in ("num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim", "intermediate_size",
                  "vocab_size", "mlp", "activation", "norm", "position", "tie_word_embeddings", "qkv_bias",
                  "o_bias", "mlp_bias", "moe"):
        assert getattr(hf, field) == getattr(ours, field), field


def test_hf_mistral():
    model = load_model(DATA / "mistral-7b-config.json")
    assert model.family.value == "mistral" and model.kv_heads == 8 and model.dtype is DType.BF16
    assert model.total_parameters() == pytest.approx(7.24e9, rel=0.01)  # Mistral 7B: 7.24B


def test_hf_gpt2_defaults_and_tied_embeddings():
    model = load_model(DATA / "gpt2-config.json")
    assert model.intermediate_size == 4 * 768  # n_inner null -> 4 n_embd
    assert model.tie_word_embeddings and model.position.value == "learned" and model.norm.value == "layernorm"
    assert model.activation.value == "gelu"
    assert model.total_parameters() == 124_439_808  # GPT-2 small, as counted by transformers


def test_hf_names_come_from_the_file():
    assert load_model(DATA / "llama2-7b-config.json").name == "Llama-2-7b-hf"
    assert load_model(DATA / "mistral-7b-config.json").name == "mistral-7b-config"


def test_defaults_for_kv_heads_and_head_dim():
    model = ModelConfig(name="m", num_layers=2, hidden_size=64, num_heads=4, intermediate_size=128,
                        vocab_size=100, max_position_embeddings=32)
    assert model.num_kv_heads == 4 and model.head_dim == 16
    explicit = ModelConfig(name="m", num_layers=2, hidden_size=60, num_heads=8, head_dim=16, num_kv_heads=2,
                           intermediate_size=128, vocab_size=100, max_position_embeddings=32)
    assert explicit.q_size == 128 and explicit.kv_size == 32


def test_model_config_passes_through_load_model():
    model = load_model("llama2-7b")
    assert load_model(model) is model
