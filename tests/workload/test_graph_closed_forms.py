"""build_graph against closed forms computed here from the config (not from the builder's helpers)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from cosim.errors import CosimInputError
from cosim.workload import (
    ModelConfig,
    OpKind,
    Phase,
    TensorClass,
    build_graph,
    expand_layers,
    load_model,
    operators,
    totals,
)
from cosim.workload.dtypes import DType

L7, D7, H7, HD, F7, V7 = 32, 4096, 32, 128, 11008, 32000  # llama2-7b, from its config.json


def _flops(g, *kinds):
    return sum(op.flops * op.repeat for op in operators(g) if op.kind in kinds)


def _read(g, cls):
    return sum(op.bytes_read(cls) * op.repeat for op in operators(g))


def _llama2_7b_matmul_params_per_layer():
    return D7 * 3 * H7 * HD + H7 * HD * D7 + 3 * D7 * F7


@pytest.mark.parametrize("fusion", ["fused", "unfused"])
def test_prefill_flops_closed_form(fusion):
    ctx = 2048
    g = build_graph("llama2-7b", "prefill", 1, ctx, fusion=fusion, logits="all")
    gemm = _flops(g, OpKind.GEMM, OpKind.LM_HEAD)
    assert gemm == 2 * (L7 * _llama2_7b_matmul_params_per_layer() + V7 * D7) * ctx
    attn = _flops(g, OpKind.FUSED_ATTENTION)
    assert attn == 4 * L7 * H7 * HD * ctx * (ctx + 1) // 2
    assert totals(g).flops == pytest.approx(gemm + attn, rel=0.01)
    assert totals(g).flops > gemm + attn  # norms, rotary, activations are counted, just small


def test_prefill_last_logits_runs_lm_head_on_one_row_per_request():
    g = build_graph("llama2-7b", "prefill", 3, 512)  # fused default: logits="last"
    assert _flops(g, OpKind.LM_HEAD) == 2 * V7 * D7 * 3
    assert _flops(g, OpKind.GEMM) == 2 * L7 * _llama2_7b_matmul_params_per_layer() * 3 * 512


def test_unfused_defaults_to_all_logits():
    g = build_graph("llama2-7b", "prefill", 2, 100, fusion="unfused")
    assert _flops(g, OpKind.LM_HEAD) == 2 * V7 * D7 * 200


def test_eager_attention_flops_and_materialized_scores():
    ctx = 256
    g = build_graph("llama2-7b", "prefill", 2, ctx, attention="eager")
    pairs = 2 * ctx * (ctx + 1) // 2
    assert _flops(g, OpKind.ATTENTION_SCORE) == 2 * L7 * H7 * HD * pairs
    assert _flops(g, OpKind.ATTENTION_CONTEXT) == 2 * L7 * H7 * HD * pairs
    assert _flops(g, OpKind.SOFTMAX) == 5 * L7 * H7 * pairs
    score = g.nodes["decoder.attention_score"]["op"]
    assert score.bytes_written() == H7 * 2 * ctx * ctx * 2  # full q x kv matrix per head, bf16


@pytest.mark.parametrize("batch", [1, 7])
def test_decode_weight_and_kv_bytes(batch):
    ctx = 1000
    model = load_model("llama2-7b")
    g = build_graph(model, "decode", batch, ctx)
    all_weights = model.total_parameters() * 2
    embedding_table = V7 * D7 * 2
    rows_gathered = batch * D7 * 2
    assert _read(g, TensorClass.WEIGHT) == all_weights - embedding_table + rows_gathered
    kv_per_token = 2 * L7 * H7 * HD * 2
    assert _read(g, TensorClass.KV_CACHE) == batch * ctx * kv_per_token
    assert model.kv_bytes_per_token() == kv_per_token


def test_decode_tied_embedding_reads_the_table_once_for_lm_head(data_dir):
    model = load_model(data_dir / "gpt2-config.json")
    g = build_graph(model, "decode", 4, 100)
    tensors = g.graph["tensors"]
    assert "embed.weight" in tensors and "lm_head.weight" not in tensors
    lm_head = g.nodes["lm_head"]["op"]
    assert [t.name for t in lm_head.reads if t.cls is TensorClass.WEIGHT] == ["embed.weight"]
    pos_table, rows_gathered = 1024 * 768 * 2, 4 * 768 * 2  # position table; 4 token + 4 position rows
    assert _read(g, TensorClass.WEIGHT) == model.total_parameters() * 2 - pos_table + 2 * rows_gathered


@pytest.mark.parametrize(("name", "heads", "kv_heads"), [("llama2-70b", 64, 8), ("llama3-8b", 32, 8)])
def test_gqa_qkv_width_and_kv_bytes(name, heads, kv_heads):
    model = load_model(name)
    g = build_graph(model, "decode", 2, 300)
    qkv = g.nodes["decoder.qkv_proj"]["op"]
    assert qkv.shape["n"] == (heads + 2 * kv_heads) * 128 and qkv.shape["k"] == model.hidden_size
    assert _read(g, TensorClass.KV_CACHE) == 2 * 300 * 2 * model.num_layers * kv_heads * 128 * 2
    g4 = build_graph(model, "decode", 2, 300, tp=4)
    assert g4.nodes["decoder.qkv_proj"]["op"].shape["n"] == (heads + 2 * kv_heads) * 128 // 4


def test_kv_heads_replicated_when_tp_exceeds_them():
    g = build_graph("llama2-70b", "decode", 1, 100, tp=16)
    attn = g.nodes["decoder.attention"]["op"]
    assert attn.shape["heads"] == 4 and attn.shape["kv_heads"] == 1
    assert g.nodes["decoder.qkv_proj"]["op"].shape["n"] == (4 + 2) * 128


def _model_24_heads_6_kv():
    return ModelConfig(name="toy", num_layers=2, hidden_size=24 * 16, num_heads=24, num_kv_heads=6,
                       intermediate_size=512, vocab_size=1000, max_position_embeddings=128)


@pytest.mark.parametrize(("model", "tp", "mentions"), [
    ("llama3-8b", 3, "num_heads"),  # 32 heads
    ("llama3-8b", 64, "num_heads"),
    (_model_24_heads_6_kv(), 4, "num_kv_heads"),  # 24 % 4 == 0, but 6 and 4 do not divide each other
])
def test_incompatible_tp_is_a_one_line_error(model, tp, mentions):
    with pytest.raises(CosimInputError) as err:
        build_graph(model, "decode", 1, 10, tp=tp)
    assert "\n" not in str(err.value) and err.value.field == "tp" and mentions in str(err.value)
    build_graph(model, "decode", 1, 10, tp=2)  # a compatible degree works


@pytest.mark.parametrize("tp", [2, 4, 8])
def test_tp_conserves_gemm_flops_and_adds_all_reduce(tp):
    base = build_graph("llama2-7b", "prefill", 2, 128, logits="all")
    sharded = build_graph("llama2-7b", "prefill", 2, 128, logits="all", tp=tp)
    kinds = (OpKind.GEMM, OpKind.LM_HEAD, OpKind.FUSED_ATTENTION)
    assert _flops(sharded, *kinds) * tp == _flops(base, *kinds)
    assert all(op.instances == tp for op in operators(sharded))
    reduce_ops = {op.name for op in operators(sharded) if op.kind is OpKind.ALL_REDUCE}
    assert reduce_ops == {"embed_all_reduce", "decoder.attn_all_reduce", "decoder.mlp_all_reduce"}
    assert any(op.kind is OpKind.ALL_GATHER for op in operators(sharded))
    assert not any(op.kind.is_collective for op in operators(base))
    assert totals(sharded).flops > totals(sharded, per_rank=True).flops


def test_tp_weight_footprint_is_sharded():
    model = load_model("llama2-7b")
    full = sum(t.bytes for t in build_graph(model, "decode", 1, 10).graph["tensors"].values()
               if t.cls is TensorClass.WEIGHT)
    assert full == model.weight_bytes("bf16")
    per_rank = sum(t.bytes for t in build_graph(model, "decode", 1, 10, tp=4).graph["tensors"].values()
                   if t.cls is TensorClass.WEIGHT)
    replicated_norms = (2 * L7 + 1) * D7 * 2
    assert per_rank == (full - replicated_norms) / 4 + replicated_norms


def test_chunked_prefill_pairs_and_lengths():
    chunk, cached, batch = 256, 1024, 3
    g = build_graph("llama2-7b", "chunked_prefill", batch, cached, chunk=chunk)
    assert list(g.graph["q_lens"]) == [chunk] * batch
    assert list(g.graph["kv_lens"]) == [cached + chunk] * batch
    pairs = batch * (chunk * cached + chunk * (chunk + 1) // 2)
    assert _flops(g, OpKind.FUSED_ATTENTION) == 4 * L7 * H7 * HD * pairs
    kv_per_token = load_model("llama2-7b").kv_bytes_per_token()
    assert _read(g, TensorClass.KV_CACHE) == batch * (cached + chunk) * kv_per_token
    assert g.graph["tokens"] == batch * chunk


def test_per_request_contexts():
    g = build_graph("llama2-7b", Phase.DECODE, 3, [100, 200, 300])
    assert g.graph["context"] == [100, 200, 300] and g.graph["tokens"] == 3
    assert np.array_equal(g.graph["kv_lens"], [100, 200, 300])
    assert _read(g, TensorClass.KV_CACHE) == 600 * load_model("llama2-7b").kv_bytes_per_token()
    assert _flops(g, OpKind.FUSED_ATTENTION) == 4 * L7 * H7 * HD * 600
    p = build_graph("llama2-7b", "prefill", 2, [10, 20])
    assert _flops(p, OpKind.FUSED_ATTENTION) == 4 * L7 * H7 * HD * (55 + 210)
    kv = p.graph["tensors"]["decoder.k_cache"]
    assert kv.shape == (L7, 30, H7, HD) and kv.bytes == L7 * 30 * H7 * HD * 2


def test_mixtral_experts_closed_form():
    model = load_model("mixtral-8x7b")
    d, f, e, k = 4096, 14336, 8, 2
    tokens = 512
    g = build_graph(model, "prefill", 1, tokens)
    experts = g.nodes["decoder.experts"]["op"]
    assert experts.flops == 2 * tokens * k * 3 * d * f
    assert experts.repeat == 32
    expert_bytes = 3 * d * f * 2
    for batch in (1, 4, 64):
        dec = build_graph(model, "decode", batch, 100)
        op = dec.nodes["decoder.experts"]["op"]
        expected = e * (1 - (1 - k / e) ** batch)
        assert op.bytes_read(TensorClass.WEIGHT) == pytest.approx(expected * expert_bytes, rel=1e-12)
    assert build_graph(model, "decode", 1, 100).nodes["decoder.experts"]["op"].bytes_read(
        TensorClass.WEIGHT) == pytest.approx(2 * expert_bytes)
    footprint = g.graph["tensors"]["decoder.experts.weight"].bytes
    assert footprint == 32 * e * expert_bytes
    router = g.nodes["decoder.router"]["op"]
    assert router.kind is OpKind.MOE_ROUTER and router.shape == {"m": tokens, "n": e, "k": d}


def test_unfused_profile_structure():
    g = build_graph("llama2-7b", "decode", 1, 64, fusion="unfused")
    names = set(g.nodes)
    for step in ("to_fp32", "pow", "mean", "add_eps", "rsqrt", "mul", "to_dtype", "mul_weight"):
        assert f"decoder.attn_norm.{step}" in names and f"final_norm.{step}" in names
    for t in ("q", "k"):
        for step in ("neg", "cat", "mul_cos", "mul_sin", "add"):
            assert f"decoder.rope_{t}_{step}" in names
    assert {"rotary_cos_sin", "decoder.k_cache_write", "decoder.v_cache_write", "decoder.act", "decoder.mul",
            "decoder.attn_residual", "decoder.mlp_residual", "decoder.gate_up_proj"} <= names
    assert g.nodes["decoder.attn_norm.pow"]["op"].dtype is DType.FP32
    fused = build_graph("llama2-7b", "decode", 1, 64)
    assert {"decoder.kv_write", "decoder.act"} <= set(fused.nodes)
    assert not any("rope" in n or "residual" in n for n in fused.nodes)
    assert fused.nodes["decoder.attn_norm"]["op"].attrs["fused_residual_add"]


def test_opt_learned_positions_layernorm_standard_mlp():
    g = build_graph("opt-66b", "prefill", 1, 64)
    names = set(g.nodes)
    assert {"pos_embed", "embed_add", "decoder.up_proj", "decoder.act", "decoder.down_proj",
            "decoder.attn_residual", "decoder.mlp_residual"} <= names
    assert not any("rope" in n or "gate_up" in n for n in names)
    assert g.nodes["decoder.qkv_proj"]["op"].flops == 2 * 64 * 3 * 9216 * 9216 + 64 * 3 * 9216  # with bias


def test_sub_byte_and_split_kv_dtypes():
    model = load_model("llama3-8b")
    g = build_graph(model, "decode", 2, 1000, weight_dtype="int4", kv_dtype="int8/int4")
    assert g.graph["k_dtype"] is DType.INT8 and g.graph["v_dtype"] is DType.INT4
    assert _read(g, TensorClass.KV_CACHE) == 2 * 1000 * model.num_layers * 8 * 128 * 1.5
    qkv = g.nodes["decoder.qkv_proj"]["op"]
    assert qkv.bytes_read(TensorClass.WEIGHT) == 4096 * 6144 / 2
    same = build_graph(model, "decode", 2, 1000, kv_dtype=("int8", "int8"))
    assert _read(same, TensorClass.KV_CACHE) == 2 * 1000 * model.num_layers * 8 * 128 * 2


def test_node_count_does_not_grow_with_layers():
    model = load_model("llama2-70b")
    one = model.model_copy(update={"num_layers": 1})
    a, b = build_graph(model, "decode", 4, 128), build_graph(one, "decode", 4, 128)
    assert len(a) == len(b) and a.number_of_edges() == b.number_of_edges()
    assert g_layers(a) == {80} and g_layers(b) == {1}


def g_layers(g):
    return {op.repeat for op in operators(g) if op.block == "decoder"}


def test_graph_is_a_dag_with_tensor_edges_and_attributes():
    g = build_graph("mixtral-8x7b", "chunked_prefill", 2, [0, 50], chunk=16, tp=2, fusion="unfused",
                    attention="eager")
    assert nx.is_directed_acyclic_graph(g) and nx.is_weakly_connected(g)
    for _, _, data in g.edges(data=True):
        assert data["tensor"] and data["bytes"] > 0
    for key in ("model", "model_config", "phase", "batch", "context", "q_lens", "kv_lens", "tokens", "tp",
                "fusion", "attention", "dtype", "weight_dtype", "k_dtype", "v_dtype", "num_layers", "tensors",
                "activation_peak_bytes"):
        assert key in g.graph, key
    order = [op.name for op in operators(g)]
    # plain PyTorch runs one SDPA call per prefill of unequal length: decoder.prefill0_attention_score, ...
    first_score = min(i for i, name in enumerate(order) if name.endswith("attention_score"))
    assert order[0] == "embed" and order.index("decoder.qkv_proj") < first_score
    assert g.graph["activation_peak_bytes"] > 0
    for name, tensor in g.graph["tensors"].items():
        assert tensor.name == name and tensor.bytes > 0
        assert tensor.bytes == pytest.approx(math.prod(tensor.shape) * tensor.dtype.bits / 8)


def test_expand_layers_unrolls_and_conserves():
    g = build_graph("llama3-8b", "decode", 2, 64, tp=2)
    full = expand_layers(g)
    block_ops = [op for op in operators(g) if op.block]
    assert len(full) == len(g) - len(block_ops) + 32 * len(block_ops)
    assert "decoder.0.qkv_proj" in full and "decoder.31.down_proj" in full
    assert nx.is_directed_acyclic_graph(full)
    assert nx.has_path(full, "decoder.0.qkv_proj", "decoder.31.qkv_proj")
    assert nx.has_path(full, "decoder.31.down_proj", "lm_head")
    assert totals(full).flops == pytest.approx(totals(g).flops)
    assert totals(full).bytes == pytest.approx(totals(g).bytes)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"phase": "training"}, "phase"),
    ({"batch": 0}, "batch"),
    ({"context": [1, 2]}, "context"),
    ({"context": -3}, "context"),
    ({"phase": "chunked_prefill"}, "chunk"),
    ({"chunk": 16}, "chunk"),
    ({"dtype": "fp7"}, "dtype"),
    ({"kv_dtype": "int8/int4/fp8"}, "kv_dtype"),
    ({"fusion": "xla"}, "fusion"),
    ({"attention": "paged"}, "attention"),
    ({"logits": "some"}, "logits"),
    ({"tp": 0}, "tp"),
    ({"model": "llama9-1t"}, "model"),
])
def test_bad_step_arguments(kwargs, field):
    args = {"model": "llama2-7b", "phase": "decode", "batch": 1, "context": 10} | kwargs
    with pytest.raises(CosimInputError) as err:
        build_graph(args.pop("model"), args.pop("phase"), args.pop("batch"), args.pop("context"), **args)
    assert err.value.field == field and "\n" not in str(err.value)


def test_dense_then_moe_layers_make_two_blocks():
    base = load_model("mixtral-8x7b")
    moe = base.moe.model_copy(update={"first_dense_layers": 3})
    model = ModelConfig(**(base.model_dump() | {"moe": moe.model_dump(), "name": "mixed"}))
    g = build_graph(model, "decode", 2, 64)
    blocks = {op.block: op.repeat for op in operators(g) if op.block}
    assert blocks == {"dense": 3, "decoder": 29}
    assert "dense.gate_up_proj" in g and "decoder.experts" in g and "dense.experts" not in g
    full = expand_layers(g)
    assert nx.has_path(full, "dense.0.qkv_proj", "decoder.28.experts")
    assert nx.has_path(full, "dense.2.down_proj", "decoder.0.qkv_proj")
    assert totals(full).flops == pytest.approx(totals(g).flops)
    layers = 3 * model.dense_layer_parameters() + 29 * model.moe_layer_parameters()
    outside = model.embedding_parameters() + model.lm_head_parameters() + model.hidden_size  # + final norm
    assert model.total_parameters() == layers + outside
