"""DIMM-PIM decode attention: monotonicity, ranksets and overlap, layouts, per-request contexts, energy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.perf.pim.dimm_attention import DecodeBatch, dimm_decode_attention, overlapped_layer_time
from cosim.perf.pim.geometry import dimm_geometry

LINK = 4 * 31.5e9  # 4 x PCIe gen4 x16 (gpu+l3.yaml)


@settings(max_examples=12, deadline=None)
@given(batch=st.integers(1, 96), context=st.integers(64, 8192), ranksets=st.integers(1, 5),
       layout=st.sampled_from(["hybrid", "hybrid-head", "hybrid-token"]))
def test_more_ranksets_never_slower(l3, batch, context, ranksets, layout):
    b = DecodeBatch(np.full(batch, context), 32, 8, 128)
    few = dimm_decode_attention(l3, b, layout=layout, ranksets=ranksets).pim_time_s
    more = dimm_decode_attention(l3, b, layout=layout, ranksets=ranksets + 1).pim_time_s
    assert more <= few * (1 + 1e-12)


@settings(max_examples=10, deadline=None)
@given(batch=st.integers(1, 64), context=st.integers(64, 8192), channels=st.integers(1, 16))
def test_more_channels_never_slower(l3, batch, context, channels):
    b = DecodeBatch(np.full(batch, context), 32, 8, 128)
    geo = dimm_geometry(l3)
    t = [dimm_decode_attention(l3, b, geometry=dataclasses.replace(geo, channels=c)).pim_time_s
         for c in (channels, channels + 1)]
    assert t[1] <= t[0] * (1 + 1e-12)


def test_never_faster_than_the_peak_internal_bandwidth(l3, rpim):
    b = DecodeBatch(np.full(64, 16384), 64, 8, 128)
    for spec in (l3, rpim):
        r = dimm_decode_attention(spec, b)
        assert r.pim_time_s >= r.kv_bytes / r.peak_internal_bw_bytes_per_s
        assert 0 < r.bank_utilization <= 1
        assert r.achieved_internal_bw_bytes_per_s <= r.peak_internal_bw_bytes_per_s * (1 + 1e-9)


def test_long_contexts_approach_the_sustained_bank_rate(l3):
    """A balanced batch at 32K context keeps every bank PU busy at nearly the streaming rate."""
    r = dimm_decode_attention(l3, DecodeBatch(np.full(64, 32768), 64, 8, 128))
    assert r.level == "bank" and r.bank_utilization > 0.8


def test_host_striping_forces_rank_level_compute(l3):
    b = DecodeBatch(np.full(64, 8192), 64, 8, 128)
    host = dimm_decode_attention(l3, b, layout="host")
    hybrid = dimm_decode_attention(l3, b, layout="hybrid")
    assert host.level == "rank" and hybrid.level == "bank"
    assert any("bank PUs cannot use it" in n for n in host.notes)
    assert host.pim_time_s > 4 * hybrid.pim_time_s


def test_blocked_layers_leave_ranksets_idle(l3):
    b = DecodeBatch(np.full(64, 8192), 64, 8, 128, layers=8)
    inter = dimm_decode_attention(l3, b, layout="hybrid")
    blocked = dimm_decode_attention(l3, b, layout="hybrid-blocked")
    assert blocked.pim_time_s == pytest.approx(inter.pim_time_s * dimm_geometry(l3).ranksets, rel=0.05)


def test_the_slowest_rank_sets_the_time(l3):
    short = DecodeBatch(np.full(64, 1024), 64, 8, 128)
    one_long = DecodeBatch(np.r_[np.full(63, 1024), 32768], 64, 8, 128)
    alone = DecodeBatch(np.array([32768]), 64, 8, 128)
    t_long = dimm_decode_attention(l3, one_long).pim_time_s
    assert t_long > 10 * dimm_decode_attention(l3, short).pim_time_s
    assert t_long == pytest.approx(dimm_decode_attention(l3, alone).pim_time_s, rel=1e-9)


def test_pipelining_and_overlap_never_hurt(l3):
    b = DecodeBatch(np.full(64, 8192), 64, 8, 128, prefill_tokens=4096)
    base = dimm_decode_attention(l3, b, link_bw_bytes_per_s=LINK)
    assert base.pim_time_s <= dimm_decode_attention(l3, b, pipelined=False).pim_time_s
    exposed = dimm_decode_attention(l3, b, link_bw_bytes_per_s=LINK, overlap=False)
    assert base.step_time_s <= exposed.step_time_s
    assert base.exposed_pcie_s < exposed.exposed_pcie_s


def test_overlap_hides_prefill_kv_behind_the_other_ranksets():
    compute = np.full(4, 1.0)
    prefill = np.full(4, 1.0)  # 1 B to each rankset; link 1 B/s, a rankset's DDR buses 4 B/s
    # without overlap every transfer stalls all ranksets: 1 (q/k/v) + 4 (prefill) + 1 (out) + 1 compute
    assert overlapped_layer_time(compute, 1.0, prefill, 1.0, 1.0, 4.0, overlap=False) == pytest.approx(7.0)
    # with overlap the link still carries 6 B, but a rankset only loses its own 0.25 s of DDR writes
    assert overlapped_layer_time(compute, 1.0, prefill, 1.0, 1.0, 4.0, overlap=True) == pytest.approx(6.0)
    fast_link = overlapped_layer_time(compute, 1.0, prefill, 1.0, 100.0, 4.0, overlap=True)
    assert fast_link == pytest.approx(0.01 + 1.25 + 0.01)


def test_pcie_traffic_counts_decode_qkv_in_and_outputs_out(l3):
    b = DecodeBatch(np.full(10, 1000), 64, 8, 128, layers=2)
    r = dimm_decode_attention(l3, b, link_bw_bytes_per_s=LINK)
    assert r.pcie_in_bytes == 10 * (64 + 2 * 8) * 128 * 2 * 2
    assert r.pcie_out_bytes == 10 * 64 * 128 * 2 * 2


def test_energy_splits_and_scales_with_layers(l3, rpim):
    b1 = DecodeBatch(np.full(16, 4096), 64, 8, 128)
    b2 = dataclasses.replace(b1, layers=2)
    e1 = dimm_decode_attention(l3, b1).energy
    e2 = dimm_decode_attention(l3, b2).energy
    assert e2.total_j == pytest.approx(2 * e1.total_j)
    assert min(e1.dram_j, e1.bus_j, e1.alu_j) > 0
    # rank-level reads pay the whole path to the buffer chip: more DRAM energy per byte
    er = dimm_decode_attention(rpim, b1).energy
    assert er.dram_j > e1.dram_j


def test_bad_head_counts_are_one_line_errors():
    with pytest.raises(CosimInputError, match="multiple of kv_heads"):
        DecodeBatch(np.array([10]), 10, 3, 128)
