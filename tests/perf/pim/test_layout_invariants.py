"""KV-cache layouts: every byte has exactly one home, homes never collide, capacity is respected."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.perf.pim.geometry import DimmGeometry
from cosim.perf.pim.layout import LAYOUTS, KvShape, place

FIELDS = ("channel", "rank", "chip", "bank", "row", "column")


def small_geometry(channels=2, ranks=2, rows=64) -> DimmGeometry:
    return DimmGeometry(channels=channels, ranks_per_channel=ranks, chips_per_rank=8, bank_groups=2,
                        banks_per_group=2, rows=rows, row_bytes=64, column_bytes=8)


def all_locations(p, shape: KvShape) -> np.ndarray:
    """Locations of every byte of the KV cache, one row per byte."""
    out = []
    for r, length in enumerate(shape.contexts):
        grid = np.meshgrid(np.arange(shape.layers), np.arange(shape.kv_heads), np.arange(length), np.arange(2),
                           np.arange(shape.head_dim), np.arange(shape.dtype_bytes), indexing="ij")
        loc = p.locate(r, *(g.ravel() for g in grid))
        out.append(np.stack([loc[f] for f in FIELDS], axis=1))
    return np.concatenate(out)


shapes = st.builds(
    lambda ctx, layers, kv, hd: KvShape(np.array(ctx), layers, kv, hd),
    st.lists(st.integers(1, 40), min_size=1, max_size=4), st.integers(1, 3), st.integers(1, 3),
    st.sampled_from([8, 16]),
)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, name=st.sampled_from(sorted(LAYOUTS)), n_hc=st.sampled_from([1, 2, 4, 8]))
def test_every_byte_has_one_home_and_homes_never_collide(shape, name, n_hc):
    geo = small_geometry(rows=512)  # roomy enough for every drawn shape, even with row padding
    p = place(name, geo, shape, n_hc=n_hc)
    locs = all_locations(p, shape)
    assert len(locs) == shape.total_bytes
    assert len(np.unique(locs, axis=0)) == len(locs)  # injective: no two bytes share a location
    limits = (geo.channels, geo.ranks_per_channel, geo.chips_per_rank, geo.banks_per_chip, geo.rows, geo.row_bytes)
    assert (locs >= 0).all() and all((locs[:, i] < lim).all() for i, lim in enumerate(limits))
    assert 0 < p.capacity_use <= 1
    assert p.used_bytes >= shape.total_bytes


@settings(max_examples=15, deadline=None)
@given(shape=shapes)
def test_hybrid_keeps_an_element_in_one_chip_and_host_splits_it(shape):
    geo = small_geometry(rows=4096)
    hybrid, host = place("hybrid-nhc2", geo, shape), place("host", geo, shape)
    r = 0
    args = (r, 0, 0, np.arange(shape.contexts[0])[:, None], 0, np.arange(shape.head_dim)[None, :])
    lo_h, hi_h = hybrid.locate(*args, 0), hybrid.locate(*args, 1)
    assert (lo_h["chip"] == hi_h["chip"]).all() and (hi_h["column"] == lo_h["column"] + 1).all()
    lo, hi = host.locate(*args, 0), host.locate(*args, 1)
    assert (lo["chip"] != hi["chip"]).all() and (lo["column"] == hi["column"]).all()


def test_hybrid_spreads_a_head_over_n_hc_chips():
    geo = small_geometry(rows=4096)
    shape = KvShape(np.array([32]), 1, 1, 16)
    for n_hc in (1, 2, 4, 8):
        p = place("hybrid", geo, shape, n_hc=n_hc)
        loc = p.locate(0, 0, 0, np.arange(32)[:, None], 0, np.arange(16)[None, :], 0)
        assert len(np.unique(loc["chip"])) == n_hc
        assert len(np.unique(loc["bank"])) == geo.banks_per_chip  # tokens dealt over every bank


def test_interleaved_layers_rotate_ranksets_and_blocked_fill_one_after_another():
    geo = small_geometry(ranks=2, rows=4096)
    shape = KvShape(np.array([8]), 4, 1, 8)
    inter = place("hybrid", geo, shape, n_hc=8)
    blocked = place("hybrid-blocked", geo, shape, n_hc=8)
    rs = [int(inter.locate(0, layer, 0, 0, 0, 0, 0)["rank"]) for layer in range(4)]
    assert rs[0] != rs[1] and rs[0] == rs[2]
    rb = [int(blocked.locate(0, layer, 0, 0, 0, 0, 0)["rank"]) for layer in range(4)]
    assert rb == sorted(rb) and rb[0] != rb[-1]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_a_kv_cache_that_does_not_fit_is_one_line_error(name):
    geo = small_geometry(rows=4)
    shape = KvShape(np.array([4000, 4000]), 2, 2, 16)
    with pytest.raises(CosimInputError) as exc:
        place(name, geo, shape, n_hc=8)
    text = str(exc.value)
    assert "\n" not in text and "does not fit" in text and name in text and "layout" in text


def test_capacity_use_grows_with_context():
    geo = small_geometry(rows=4096)
    uses = [place("hybrid", geo, KvShape(np.array([n, n]), 2, 2, 16), n_hc=2).capacity_use for n in (16, 64, 256)]
    assert uses == sorted(uses) and uses[0] < uses[-1]
