"""Qwen3 and Qwen3-MoE: HF import, presets, per-head q/k norm operators and parameter counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cosim.errors import CosimInputError
from cosim.workload import OpKind, TensorClass, build_graph, load_model

DATA = Path(__file__).resolve().parent / "data"
FIELDS = ("num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim", "intermediate_size", "vocab_size",
          "max_position_embeddings", "mlp", "activation", "norm", "position", "tie_word_embeddings", "qkv_bias",
          "o_bias", "mlp_bias", "qk_norm", "moe", "family")


@pytest.mark.parametrize(("fixture", "preset"), [("qwen3-32b-config.json", "qwen3-32b"),
                                                 ("qwen3-30b-a3b-config.json", "qwen3-30b-a3b")])
def test_hf_config_matches_preset(fixture, preset):
    hf, ours = load_model(DATA / fixture), load_model(preset)
    for field in FIELDS:
        assert getattr(hf, field) == getattr(ours, field), field
    assert hf.total_parameters() == ours.total_parameters()


def test_qwen3_32b_parameters_and_explicit_head_dim():
    model = load_model("qwen3-32b")
    assert model.total_parameters() == pytest.approx(32.8e9, rel=0.005)  # Qwen3-32B model card: 32.8B
    assert model.head_dim == 128 and model.q_size == 8192 != model.hidden_size  # not 5120 / 64 = 80
    assert model.qk_norm and not model.qkv_bias and model.moe is None


def test_qwen3_30b_a3b_total_and_active_parameters():
    model = load_model("qwen3-30b-a3b")
    assert model.total_parameters() == pytest.approx(30.5e9, rel=0.005)  # model card: 30.5B total
    assert model.active_parameters() == pytest.approx(3.3e9, rel=0.02)  # model card: 3.3B activated
    assert model.moe is not None and (model.moe.num_experts, model.moe.top_k) == (128, 8)
    assert model.moe.expert_intermediate_size == 768 and model.num_dense_layers == 0


@pytest.mark.parametrize("name", ["qwen3-32b", "qwen3-30b-a3b"])
def test_fused_graph_has_one_norm_kernel_for_q_and_one_for_k(name):
    model = load_model(name)
    g = build_graph(model, "prefill", 2, 64)
    q, k = g.nodes["decoder.q_norm"]["op"], g.nodes["decoder.k_norm"]["op"]
    tokens, hd = 2 * 64, model.head_dim
    assert q.kind is OpKind.NORM and k.kind is OpKind.NORM
    assert q.shape == {"tokens": tokens, "heads": model.num_heads, "head_dim": hd}
    assert k.shape == {"tokens": tokens, "heads": model.kv_heads, "head_dim": hd}
    assert [t.shape for t in q.reads if t.cls is TensorClass.WEIGHT] == [(hd,)]
    assert q.flops == 4 * tokens * model.num_heads * hd  # RMSNORM_PER_ELEMENT per element
    assert list(g.predecessors("decoder.q_norm")) == ["decoder.qkv_proj"]
    assert "decoder.q_norm" in g.predecessors("decoder.attention")


def test_unfused_graph_runs_the_fp32_chain_per_head_before_rotary():
    g = build_graph("qwen3-32b", "prefill", 1, 32, fusion="unfused")
    mean = g.nodes["decoder.k_norm.mean"]["op"]
    assert mean.writes[0].shape == (32, 8, 1)  # one mean per (token, kv head)
    assert list(g.predecessors("decoder.rope_q_neg")) == ["decoder.q_norm.mul_weight"]


@pytest.mark.parametrize("name", ["qwen3-32b", "qwen3-30b-a3b", "llama3.1-8b"])
def test_graph_weight_footprint_is_every_parameter(name):
    model = load_model(name)
    g = build_graph(model, "decode", 4, 256)
    weights = sum(t.bytes for t in g.graph["tensors"].values() if t.cls is TensorClass.WEIGHT)
    assert weights == model.total_parameters() * 2  # bf16


def test_llama31_8b_preset():
    model = load_model("llama3.1-8b")
    assert model.total_parameters() == pytest.approx(8.03e9, rel=0.005)  # Meta Llama 3.1 model card: 8.03B
    assert not model.qk_norm and model.max_position_embeddings == 131072


def _write(tmp_path: Path, base: str, **changes) -> Path:
    data = json.loads((DATA / base).read_text()) | changes
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("base", "changes", "field"), [
    # sliding windows on some layers only (one kind of decoder layer is built); all layers sliding is honoured
    ("qwen3-32b-config.json", {"use_sliding_window": True, "sliding_window": 4096, "max_window_layers": 32},
     "max_window_layers"),
    ("qwen3-32b-config.json", {"sliding_window": 4096, "layer_types": ["sliding_attention", "full_attention"] * 32},
     "layer_types"),
    ("qwen3-30b-a3b-config.json", {"decoder_sparse_step": 2}, "decoder_sparse_step"),
    ("qwen3-30b-a3b-config.json", {"mlp_only_layers": [3]}, "mlp_only_layers"),
    ("qwen3-30b-a3b-config.json", {"shared_expert_intermediate_size": 4096}, "shared_expert_intermediate_size"),
])
def test_math_changing_fields_are_refused(tmp_path, base, changes, field):
    with pytest.raises(CosimInputError) as info:
        load_model(_write(tmp_path, base, **changes))
    assert info.value.field == field


def test_leading_dense_layers_become_first_dense_layers(tmp_path):
    model = load_model(_write(tmp_path, "qwen3-30b-a3b-config.json", mlp_only_layers=[0, 1]))
    assert model.moe is not None and model.num_dense_layers == 2 and model.num_moe_layers == 46
    g = build_graph(model, "decode", 1, 16)
    assert g.nodes["dense.gate_up_proj"]["op"].shape["n"] == 2 * 6144  # dense layers use intermediate_size


def test_norm_topk_prob_either_way_builds_the_same_model(tmp_path):
    a = load_model(_write(tmp_path, "qwen3-30b-a3b-config.json", norm_topk_prob=False))
    assert a.moe == load_model(DATA / "qwen3-30b-a3b-config.json").moe
