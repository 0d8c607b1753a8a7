"""Tile and wave quantization edge cases of the GEMM model, derived by hand on a 4-SM toy GPU."""

from __future__ import annotations

import pytest
from gpu_toys import TILE, make_view

from cosim.perf.gpu.gemm import gemm_time
from cosim.workload.dtypes import DType

K = 1 << 16  # long K: compute-bound tiles, so a wave costs one tile's compute


def t(view, m, n=TILE, k=K):
    return float(gemm_time(view, m, n, k, elem_bytes=2, peak_flops=view.caps.matrix_flops_per_s[DType.BF16]).latency_s)


def tile_compute_s(view) -> float:
    return 2.0 * TILE * TILE * K / (view.caps.matrix_flops_per_s[DType.BF16] * view.compute_efficiency / view.sm_count)


def test_m_equal_to_the_tile_and_one_more_row_share_a_wave(single_tile):
    view = make_view(sms=4)
    # M = tile: 1 CTA; M = tile + 1: 2 CTAs, still one wave on 4 SMs -> same compute time
    assert t(view, TILE) == pytest.approx(t(view, TILE + 1), rel=0.02)


def test_a_padded_row_costs_a_whole_tile_when_the_sms_are_full(single_tile):
    view = make_view(sms=1)
    # one SM: M = tile + 1 needs a second, almost empty tile -> about twice the compute
    one, two = t(view, TILE), t(view, TILE + 1)
    assert two - one == pytest.approx(tile_compute_s(view), rel=0.05)


def test_exactly_one_full_wave_then_one_more_cta_adds_a_wave(single_tile):
    view = make_view(sms=4)
    full_wave = t(view, 4 * TILE)  # 4 CTAs on 4 SMs
    one_more = t(view, 4 * TILE + 1)  # 5 CTAs: a second wave with a single CTA
    single = t(view, TILE)
    assert full_wave == pytest.approx(single, rel=0.05)
    assert one_more - full_wave == pytest.approx(tile_compute_s(view), rel=0.05)


def test_wave_time_matches_the_hand_formula(single_tile):
    view = make_view(sms=4, latency=0.0, gap=0.0)
    # 3 waves of compute-bound tiles, memory negligible next to compute at overlap p = 8
    got = t(view, 12 * TILE)
    assert got == pytest.approx(3 * tile_compute_s(view), rel=0.02)


def test_split_k_fills_idle_sms_for_a_single_tile(monkeypatch):
    from gpu_toys import SINGLE_TILE

    from cosim.perf.gpu.arch import ARCH_TABLES

    view = make_view(sms=4, latency=0.0, gap=0.0)
    monkeypatch.setitem(ARCH_TABLES, None, SINGLE_TILE)
    no_split = t(view, TILE)
    monkeypatch.setitem(ARCH_TABLES, None, type(SINGLE_TILE)(**{**SINGLE_TILE.__dict__, "split_k": (1, 4)}))
    split = t(view, TILE)
    # four K slices on four SMs: about a quarter of the compute (plus the fp32 partials' traffic)
    assert split == pytest.approx(no_split / 4, rel=0.05)
