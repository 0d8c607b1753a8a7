"""Properties that must hold for every model and step: conservation, monotonicity, sanity."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.workload import TensorClass, build_graph, expand_layers, load_model, totals

DATA = Path(__file__).resolve().parent / "data"
MODELS = [load_model(n) for n in ("llama2-7b", "llama3-8b", "mixtral-8x7b", "opt-66b", "qwen2.5-14b")]
MODELS.append(load_model(DATA / "gpt2-config.json"))


@st.composite
def steps(draw):
    model = draw(st.sampled_from(MODELS))
    tp_options = [t for t in (1, 2, 4, 8) if model.num_heads % t == 0
                  and (model.kv_heads % t == 0 or t % model.kv_heads == 0)]
    phase = draw(st.sampled_from(["prefill", "decode", "chunked_prefill"]))
    batch = draw(st.integers(1, 16))
    if draw(st.booleans()):
        context = draw(st.integers(0 if phase == "chunked_prefill" else 1, 4096))
    else:
        low = 0 if phase == "chunked_prefill" else 1
        context = draw(st.lists(st.integers(low, 4096), min_size=batch, max_size=batch))
    return model, dict(
        phase=phase, batch=batch, context=context,
        chunk=draw(st.integers(1, 512)) if phase == "chunked_prefill" else None,
        tp=draw(st.sampled_from(tp_options)),
        fusion=draw(st.sampled_from(["fused", "unfused"])),
        attention=draw(st.sampled_from(["flash", "eager"])),
        kv_dtype=draw(st.sampled_from([None, "int8", "int8/int4", "fp8"])),
        weight_dtype=draw(st.sampled_from([None, "int4", "fp8"])),
    )


def _kv_read(g):
    return totals(g).bytes_read[TensorClass.KV_CACHE]


def _weight_read(g):
    return totals(g).bytes_read[TensorClass.WEIGHT]


@settings(max_examples=40, deadline=None)
@given(steps())
def test_totals_finite_nonnegative_and_conserved_by_expansion(case):
    model, kw = case
    g = build_graph(model, **kw)
    t = totals(g)
    values = [t.flops, *t.bytes_read.values(), *t.bytes_written.values(), g.graph["activation_peak_bytes"]]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    for _, op in g.nodes(data="op"):
        assert op.flops >= 0 and op.bytes >= 0 and op.repeat >= 1 and op.instances == kw["tp"]
    full = expand_layers(g)
    ft = totals(full)
    assert math.isclose(ft.flops, t.flops, rel_tol=1e-9)
    for cls in TensorClass:
        assert math.isclose(ft.bytes_read[cls], t.bytes_read[cls], rel_tol=1e-9)
        assert math.isclose(ft.bytes_written[cls], t.bytes_written[cls], rel_tol=1e-9)
    assert len(full) >= len(g)


@settings(max_examples=40, deadline=None)
@given(steps())
def test_doubling_batch_never_reduces_weight_bytes(case):
    model, kw = case
    if not isinstance(kw["context"], int):
        kw["context"] = max(kw["context"]) or (0 if kw["phase"] == "chunked_prefill" else 1)
    small = build_graph(model, **kw)
    big = build_graph(model, **(kw | {"batch": 2 * kw["batch"]}))
    assert _weight_read(big) >= _weight_read(small)
    assert totals(big).flops >= totals(small).flops


@settings(max_examples=40, deadline=None)
@given(steps(), st.integers(1, 2048))
def test_more_context_never_fewer_kv_bytes(case, extra):
    model, kw = case
    more = ([c + extra for c in kw["context"]] if isinstance(kw["context"], list) else kw["context"] + extra)
    assert _kv_read(build_graph(model, **(kw | {"context": more}))) >= _kv_read(build_graph(model, **kw))
