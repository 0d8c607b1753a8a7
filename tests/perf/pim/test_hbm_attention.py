"""HBM-PIM decode attention: placements, power limit, NeuPIMs activation, bandwidth ceilings."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.hardware import load_device
from cosim.hardware.hbm_pim import Placement
from cosim.perf.pim.dimm_attention import DecodeBatch
from cosim.perf.pim.hbm_attention import hbm_decode_attention, stream_model

BATCH = DecodeBatch(np.full(16, 4096), 96, 96, 128)


def test_bank_beats_bank_group_beats_buffer_die(attacc):
    times = [hbm_decode_attention(attacc.model_copy(update={"placement": p}), BATCH).time_s
             for p in (Placement.BANK, Placement.BANK_GROUP, Placement.BUFFER_DIE)]
    assert times[0] < times[1] < times[2]


def test_power_limit_never_speeds_up(attacc):
    for p in Placement:
        spec = attacc.model_copy(update={"placement": p})
        free = hbm_decode_attention(spec, BATCH, power_limited=False).time_s
        limited = hbm_decode_attention(spec, BATCH, power_limited=True).time_s
        assert limited >= free


@pytest.mark.parametrize("name", ["hbm-pim-attacc", "samsung-hbm-pim", "neupims-hbm2-pim"])
def test_never_beats_the_derived_peak(name):
    spec = load_device(name)
    r = hbm_decode_attention(spec, BATCH)
    assert r.dram_bytes / r.time_s <= r.peak_internal_bw_bytes_per_s * (1 + 1e-9)
    assert 0 < r.utilization <= 1 and r.energy.total_j > 0


def test_neupims_activates_four_banks_per_tfaw():
    spec = load_device("neupims-hbm2-pim")
    m = stream_model(spec)
    t = spec.dram.timings
    assert m.timing.act_stagger == max(15 * t["tRRD_S"], 3 * t["tFAW"])
    assert m.scale(sustained=True) < m.scale(sustained=False)


def test_more_stacks_never_slower(attacc):
    one = hbm_decode_attention(attacc, BATCH).time_s
    more = hbm_decode_attention(attacc.model_copy(update={"stacks": attacc.stacks * 2}), BATCH).time_s
    assert more <= one


def test_gqa_rereads_k_and_v_when_the_pu_has_one_mac_per_element(attacc):
    mha = hbm_decode_attention(attacc, DecodeBatch(np.full(16, 4096), 64, 64, 128))
    gqa = hbm_decode_attention(attacc, DecodeBatch(np.full(16, 4096), 64, 8, 128))
    assert gqa.kv_bytes == pytest.approx(mha.kv_bytes / 8)
    assert gqa.dram_bytes == pytest.approx(mha.dram_bytes)  # AttAcc opb = 1: each K/V element read per query head
