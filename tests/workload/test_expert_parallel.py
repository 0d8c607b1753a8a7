"""Expert parallelism in the workload graph: ep=1 unchanged, FLOPs conserved, weights shrink by ep."""

from __future__ import annotations

import pytest

from cosim.engine.predict import predict, predict_graph
from cosim.errors import CosimInputError
from cosim.perf.collective import collective_ranks, message_bytes, ring_coefficients
from cosim.workload.graph import build_graph, totals
from cosim.workload.ops import OpKind, TensorClass

MODEL = "mixtral-8x7b"


def _ops(g, kind):
    return [op for _, op in g.nodes(data="op") if op.kind is kind]


def _expert_weight_bytes(g) -> float:
    return sum(t.bytes for name, t in g.graph["tensors"].items() if name.endswith("experts.weight"))


@pytest.mark.parametrize("phase, batch, context", [("decode", 16, 700), ("prefill", 2, 300)])
@pytest.mark.parametrize("tp", [1, 2])
def test_ep1_graph_unchanged(phase, batch, context, tp):
    a = build_graph(MODEL, phase, batch, context, tp=tp)
    b = build_graph(MODEL, phase, batch, context, tp=tp, ep=1)
    assert list(a.nodes) == list(b.nodes)
    for n in a.nodes:
        x, y = a.nodes[n]["op"], b.nodes[n]["op"]
        assert (x.kind, x.flops, x.reads, x.writes, dict(x.shape), x.instances) == (
            y.kind, y.flops, y.reads, y.writes, dict(y.shape), y.instances)
    assert list(a.edges(data=True)) == list(b.edges(data=True))
    assert a.graph["tensors"] == b.graph["tensors"]
    assert _ops(a, OpKind.ALL_TO_ALL) == []


def test_ep1_predict_identical():
    ref = predict(MODEL, "dgx-a100", "decode", 8, 512, tp=2).latency_s
    assert predict_graph(build_graph(MODEL, "decode", 8, 512, tp=2, ep=1), "dgx-a100").latency_s == ref


@pytest.mark.parametrize("ep, tp", [(2, 1), (4, 1), (8, 1), (4, 2), (8, 2), (8, 4)])
def test_expert_flops_conserved(ep, tp):
    """The ep ranks together run the expert FLOPs of all ep_tokens tokens on one unsharded rank."""
    tokens_per_replica = 24
    replicas = ep // tp
    g = build_graph(MODEL, "decode", tokens_per_replica, 400, tp=tp, ep=ep)
    whole = build_graph(MODEL, "decode", tokens_per_replica * replicas, 400, tp=1)
    per_rank = totals(g, per_rank=True).flops_by_kind[OpKind.MOE_EXPERTS]
    assert per_rank * ep == pytest.approx(totals(whole, per_rank=True).flops_by_kind[OpKind.MOE_EXPERTS], rel=1e-12)
    (experts,) = _ops(g, OpKind.MOE_EXPERTS)
    assert experts.shape["expert_ffn"] == 14336  # whole experts, not TP-split
    assert experts.shape["experts"] == 8 // ep


@pytest.mark.parametrize("ep", [2, 4, 8])
def test_expert_weights_shrink_by_ep(ep):
    full = _expert_weight_bytes(build_graph(MODEL, "decode", 4, 100, tp=1))
    assert _expert_weight_bytes(build_graph(MODEL, "decode", 4, 100, tp=1, ep=ep)) == pytest.approx(full / ep)
    # with tp the non-expert weights stay TP-split, the experts ep-split
    assert _expert_weight_bytes(build_graph(MODEL, "decode", 4, 100, tp=2, ep=ep)) == pytest.approx(full / ep)


def test_dense_weights_unchanged_by_ep():
    def non_expert(g):
        return sum(t.bytes for n, t in g.graph["tensors"].items()
                   if t.cls is TensorClass.WEIGHT and not n.endswith("experts.weight"))
    assert non_expert(build_graph(MODEL, "decode", 4, 100, tp=2, ep=8)) == non_expert(
        build_graph(MODEL, "decode", 4, 100, tp=2))


@pytest.mark.parametrize("ep, tp", [(4, 1), (8, 2)])
def test_all_to_all_bytes(ep, tp):
    tokens, hidden, top_k = 32, 4096, 2
    g = build_graph(MODEL, "decode", tokens, 200, tp=tp, ep=ep)
    a2a = _ops(g, OpKind.ALL_TO_ALL)
    assert [op.name for op in a2a] == ["decoder.moe_dispatch", "decoder.moe_combine"]
    assert not any(op.name == "decoder.mlp_all_reduce" for _, op in g.nodes(data="op"))
    share = tokens / tp  # each tp rank dispatches 1/tp of its replica's tokens
    for op in a2a:
        assert collective_ranks(op) == ep
        fraction, steps = ring_coefficients(op.kind, collective_ranks(op))
        assert steps == ep - 1
        assert fraction * message_bytes(op) == pytest.approx(share * top_k * hidden * 2 * (ep - 1) / ep)
    assert any(op.name == "decoder.moe_all_gather" for op in _ops(g, OpKind.ALL_GATHER)) == (tp > 1)


def test_ep_tokens_keyword():
    """More global tokens: more pairs on this rank's experts, same dispatch of its own tokens."""
    a = build_graph(MODEL, "decode", 8, 200, ep=4)
    b = build_graph(MODEL, "decode", 8, 200, ep=4, ep_tokens=8 + 3 * 100)
    fa, fb = (totals(g, per_rank=True).flops_by_kind[OpKind.MOE_EXPERTS] for g in (a, b))
    assert fb / fa == pytest.approx(308 / 32)


def test_ep_predict_times_the_all_to_all():
    ep = predict_graph(build_graph(MODEL, "decode", 16, 512, tp=1, ep=8), "dgx-a100")
    base = predict_graph(build_graph(MODEL, "decode", 16, 512, tp=1), "dgx-a100")
    assert ep.latency_s > 0 and ep.latency_s != base.latency_s


@pytest.mark.parametrize("kwargs", [dict(model="llama2-7b", ep=2), dict(model=MODEL, ep=3, tp=2),
                                    dict(model=MODEL, ep=16), dict(model=MODEL, ep=0)])
def test_bad_ep(kwargs):
    with pytest.raises(CosimInputError) as err:
        build_graph(kwargs.pop("model"), "decode", 1, 10, **kwargs)
    assert err.value.field == "ep"
