"""Disaggregated roofline: the shapes CHIME §III describes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cosim_fakes import decoder_graph, gpu_pim_system, gpu_system

from cosim.dse.drm import curves_from_builder
from cosim.engine.predict import predict_graph

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]


def curves(context, system=None, mapping=None, **kw):
    system = system or gpu_pim_system()
    return curves_from_builder(
        lambda b: decoder_graph(batch=b, context=context, **kw), system, BATCHES, mapping=mapping
    )


def test_attention_line_roughly_flat_and_falls_with_context():
    short, long = curves(1024), curves(8192)
    # constant arithmetic intensity: past tiny batches (fixed overheads) tokens/s varies by < 20%
    tail = short.attn_tokens_per_s[short.batch >= 16]
    assert tail.max() / tail.min() < 1.2
    assert np.all(long.attn_tokens_per_s < short.attn_tokens_per_s)


def test_fc_line_rises_then_saturates():
    c = curves(1024)
    fc = c.fc_tokens_per_s
    assert np.all(np.diff(fc) > 0)
    assert fc[3] / fc[0] > 5  # weight-bound: nearly proportional to batch at first
    assert fc[-1] / fc[-2] < 1.1  # compute-bound at the end


def test_capacity_line_moves_left_with_context_and_matches_memory():
    short, long = curves(1024), curves(8192)
    assert long.capacity_batch < short.capacity_batch
    system = gpu_pim_system()
    for c in (short, long):
        fits = predict_graph(decoder_graph(batch=c.capacity_batch, context=c.context), system)
        over = predict_graph(decoder_graph(batch=c.capacity_batch + 1, context=c.context), system)
        assert fits.fits and not over.fits
    assert c.kv_device == "pim"


def test_system_line_is_min_up_to_capacity_then_nan():
    c = curves(8192)
    assert c.fc_device == "gpu" and c.attn_device == "pim"
    inside = c.batch <= c.capacity_batch
    np.testing.assert_allclose(
        c.system_tokens_per_s[inside], np.minimum(c.fc_tokens_per_s, c.attn_tokens_per_s)[inside]
    )
    assert np.all(np.isnan(c.system_tokens_per_s[~inside])) and (~inside).any()


def test_link_transfers_shift_attention_line_down():
    c = curves(2048)
    assert np.all(c.attn_transfer_s > 0)
    hbm = curves(2048, system=gpu_pim_system(hbm=True))
    assert np.all(hbm.attn_transfer_s == 0)


def test_serial_combination_when_attention_shares_the_gpu():
    c = curves(1024, system=gpu_system(capacity=1e12))
    inside = c.batch <= c.capacity_batch
    expect = 1.0 / (1.0 / c.fc_tokens_per_s + 1.0 / c.attn_tokens_per_s)
    np.testing.assert_allclose(c.system_tokens_per_s[inside], expect[inside])
    assert c.notes


def test_lines_reproduce_step_times():
    system = gpu_pim_system()
    c = curves(4096, system=system)
    step = predict_graph(decoder_graph(batch=64, context=4096), system)
    i = list(c.batch).index(64)
    assert 64 / c.fc_tokens_per_s[i] + 64 / c.attn_tokens_per_s[i] == pytest.approx(step.latency_s, rel=1e-12)
    assert math.isfinite(c.to_dict()["fc_tokens_per_s"][0])
