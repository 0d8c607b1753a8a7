"""Sliding-window attention (issue 14): Mistral's ``sliding_window`` used to be ignored, giving 4x the KV cache
and attention cost at 16K context. A window W: each query sees at most W keys, a request keeps at most
W - 1 + q tokens of K/V per layer (W for a decode)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cosim.errors import CosimInputError
from cosim.workload import build_graph
from cosim.workload.graph import operators
from cosim.workload.hf import model_from_hf

DATA = Path(__file__).parent / "data"


def _hf(name: str, **changes) -> dict:
    return json.loads((DATA / name).read_text()) | changes


def _mistral(**changes):
    return model_from_hf(_hf("mistral-7b-config.json", **changes), DATA / "mistral-7b-config.json")


def _kv_bytes(g) -> float:
    return sum(t.bytes for name, t in g.graph["tensors"].items() if "cache" in name)


def _attention(g):
    return next(op for op in operators(g) if op.kind.value == "fused_attention")


def test_mistral_reads_its_window():
    assert _mistral().sliding_window == 4096
    assert _mistral(sliding_window=None).sliding_window is None


def test_decode_at_16k_keeps_and_reads_only_the_window():
    windowed, full = _mistral(), _mistral(sliding_window=None)
    gw = build_graph(windowed, "decode", batch=4, context=16384)
    gf = build_graph(full, "decode", batch=4, context=16384)
    assert _kv_bytes(gf) / _kv_bytes(gw) == pytest.approx(16384 / 4096)
    assert _attention(gw).shape["kv_tokens"] == 4 * 4096
    assert _attention(gf).flops / _attention(gw).flops == pytest.approx(16384 / 4096)
    assert (np.asarray(_attention(gw).attrs["kv_lens"]) == 4096).all()


def test_within_the_window_nothing_changes():
    windowed, full = _mistral(), _mistral(sliding_window=None)
    for phase, context in (("decode", 2048), ("prefill", 4096)):
        gw, gf = build_graph(windowed, phase, batch=2, context=context), build_graph(full, phase, batch=2,
                                                                                     context=context)
        assert _kv_bytes(gw) == _kv_bytes(gf) and _attention(gw).flops == _attention(gf).flops


def test_windowed_decode_is_faster_end_to_end():
    from cosim.engine import predict

    windowed = predict(_mistral(), "h100-sxm", "decode", batch=16, context=16384)
    full = predict(_mistral(sliding_window=None), "h100-sxm", "decode", batch=16, context=16384)
    assert windowed.latency_s < full.latency_s
    assert windowed.memory_bytes < full.memory_bytes


def test_serving_iterations_agree_with_the_full_predictor_under_a_window():
    from cosim.engine.iteration import IterationModel

    it = IterationModel(_mistral(), "h100-sxm")
    q, kv = np.array([1, 1, 300]), np.array([9000, 100, 5000])
    assert it.iteration_s(q, kv) == pytest.approx(it.predict_s(q, kv), rel=1e-9)
    run = it.decode_run_s(np.array([4090, 8000]), 12)
    steps = [it.iteration_s(np.ones(2, dtype=np.int64), np.array([4090, 8000]) + i) for i in range(12)]
    assert run == pytest.approx(steps, rel=1e-9)


def test_qwen2_window_follows_use_sliding_window_and_max_window_layers():
    base = "qwen2.5-14b-config.json"
    path = DATA / base
    assert model_from_hf(_hf(base), path).sliding_window is None  # use_sliding_window false
    every = model_from_hf(_hf(base, use_sliding_window=True, sliding_window=4096, max_window_layers=0), path)
    assert every.sliding_window == 4096
    none = model_from_hf(_hf(base, use_sliding_window=True, sliding_window=4096, max_window_layers=48), path)
    assert none.sliding_window is None  # no layer index reaches max_window_layers
    with pytest.raises(CosimInputError) as exc:
        model_from_hf(_hf(base, use_sliding_window=True, sliding_window=4096, max_window_layers=28), path)
    assert exc.value.field == "max_window_layers" and "\n" not in str(exc.value)


def test_mixed_layer_types_are_refused_in_one_line():
    with pytest.raises(CosimInputError) as exc:
        _mistral(layer_types=["sliding_attention", "full_attention"] * 16)
    assert exc.value.field == "layer_types"
