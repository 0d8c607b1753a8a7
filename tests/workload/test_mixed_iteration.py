"""Serving iterations as request slices: equal requests are today's steps; mixed ones split by phase."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.engine import predict, predict_graph
from cosim.errors import CosimInputError
from cosim.workload import OpKind, Phase, build_graph, build_iteration_graph, totals
from cosim.workload.step import step_from_slices


def _same(a, b) -> None:
    assert a.latency_s == b.latency_s
    assert [(o.name, o.device, o.latency_s) for o in a.ops] == [(o.name, o.device, o.latency_s) for o in b.ops]


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 16), context=st.integers(2, 8192), chunk=st.integers(2, 512),
       phase=st.sampled_from(["prefill", "decode", "chunked_prefill"]), fusion=st.sampled_from(["fused", "unfused"]))
def test_equal_slices_give_exactly_the_uniform_step(batch, context, chunk, phase, fusion):
    kw = {"chunk": chunk} if phase == "chunked_prefill" else {}
    ref = build_graph("llama2-7b", phase, batch, context, fusion=fusion, **kw)
    q, kv = ref.graph["q_lens"], ref.graph["kv_lens"]
    logits = "all" if fusion == "unfused" else None
    new = build_iteration_graph("llama2-7b", q, kv, fusion=fusion, logits=logits)
    assert new.graph["phase"] is Phase.parse(phase)
    for hw in ("a100-80g", "gpu+l3"):
        _same(predict_graph(ref, hw), predict_graph(new, hw))


@pytest.mark.parametrize("hw", ["gpu-only", "gpu+l3"])
def test_unequal_requests_with_the_same_total_are_not_forced_equal(hw):
    skewed = predict("llama3-70b", hw, "decode", batch=32, context=[1000, 31000] * 16, tp=8)
    even = predict("llama3-70b", hw, "decode", batch=32, context=[16000] * 32, tp=8)
    attention = [sum(o.total_s for o in r.ops if o.kind == OpKind.FUSED_ATTENTION.value) for r in (skewed, even)]
    assert attention[0] > attention[1]


def test_mixed_iteration_puts_prefill_attention_on_the_gpu_and_decode_attention_on_pim():
    g = build_iteration_graph("llama3-70b", [512] + [1] * 8, [8704, *range(1000, 9000, 1000)], tp=8)
    assert g.graph["phase"] is Phase.MIXED
    r = predict_graph(g, "gpu+l3")
    where = {o.name: o.device for o in r.ops}
    assert where["decoder.prefill_attention"] != where["decoder.decode_attention"]
    assert "pim" in where["decoder.decode_attention"].lower() or where["decoder.decode_attention"] == "pim"
    assert where["decoder.qkv_proj"] == where["decoder.prefill_attention"]


def test_mixed_iteration_conserves_flops_and_tokens():
    q, kv = [512, 1, 1, 300], [8704, 100, 2000, 300]
    g = build_iteration_graph("llama2-7b", q, kv)
    step = step_from_slices(q, kv)
    attn = [op for _, op in g.nodes(data="op") if op.kind is OpKind.FUSED_ATTENTION]
    assert sum(op.shape["pairs"] for op in attn) == step.attention_pairs
    assert sum(op.shape["q_tokens"] for op in attn) == step.tokens
    # every token-parallel GEMM sees all the iteration's tokens, as one uniform prefill of that many tokens
    ref = build_graph("llama2-7b", "prefill", 1, step.tokens)
    ours = totals(g).flops_by_kind[OpKind.GEMM]
    assert ours == totals(ref).flops_by_kind[OpKind.GEMM]
    # logits: one row per request in a serving iteration
    lm = next(op for _, op in g.nodes(data="op") if op.kind is OpKind.LM_HEAD)
    assert lm.shape["m"] == len(q)


def test_unfused_mixed_iteration_runs_one_sdpa_call_per_prefill():
    g = build_iteration_graph("llama2-7b", [256, 128, 1, 1], [256, 1128, 50, 60], fusion="unfused")
    names = [n for n in g.nodes if n.endswith("attention")]
    assert names == ["decoder.prefill0_attention", "decoder.prefill1_attention",
                     "decoder.decode_attention"]


@pytest.mark.parametrize(("q", "kv"), [([0], [5]), ([4], [3]), ([], []), ([1, 2], [3])])
def test_bad_slices_are_one_line_errors(q, kv):
    with pytest.raises(CosimInputError) as err:
        step_from_slices(np.asarray(q, dtype=np.int64), np.asarray(kv, dtype=np.int64))
    assert "\n" not in str(err.value)
    assert "slices" in str(err.value)


def test_graph_metadata_has_one_typed_reader():
    from cosim.workload.meta import graph_meta

    g = build_iteration_graph("llama2-7b", [512, 1, 1], [8704, 100, 2000], tp=2)
    meta = graph_meta(g)
    assert meta.phase is Phase.MIXED and meta.batch == 3 and meta.tokens == 514 and meta.tp == 2
    assert meta.max_context == 8192 and meta.num_layers == 32 and meta.tensors
    assert meta.kv_lens.tolist() == [8704, 100, 2000]


def test_plain_pytorch_runs_one_sdpa_call_per_prefill_of_unequal_length_without_decodes_too():
    g = build_iteration_graph("llama2-7b", [256, 128], [256, 1128], fusion="unfused")
    names = [n for n in g.nodes if n.endswith("attention")]
    assert names == ["decoder.prefill0_attention", "decoder.prefill1_attention"]
    fused = build_iteration_graph("llama2-7b", [256, 128], [256, 1128])
    assert [n for n in fused.nodes if n.endswith("attention")] == ["decoder.attention"]  # one varlen kernel
