"""The simulator's compiled address decode agrees with the readable field decode and with `encode`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.dram import load_dram_spec
from cosim.dram.address import AddressMap
from cosim.dram.presets import list_dram_presets

PRESETS = list_dram_presets()


@settings(max_examples=40, deadline=None)
@given(preset=st.sampled_from(PRESETS), seed=st.integers(0, 2**32 - 1))
def test_compiled_decode_matches_field_decode_and_encode(preset: str, seed: int):
    spec = load_dram_spec(preset)
    amap = AddressMap.of(spec)
    rng = np.random.default_rng(seed)
    addrs = rng.integers(0, spec.capacity_bytes, 500, dtype=np.uint64)
    ch, bank, ro, co, first_over = amap.decode_for_sim(addrs, spec.capacity_bytes, spec.banks, spec.banks_per_group)
    fields = amap.decode(addrs)
    assert first_over == -1
    np.testing.assert_array_equal(ch, fields["ch"])
    np.testing.assert_array_equal(bank, fields["ra"] * spec.banks + fields["bg"] * spec.banks_per_group + fields["ba"])
    np.testing.assert_array_equal(ro, fields["ro"])
    np.testing.assert_array_equal(co, fields["co"])
    low = np.uint64(spec.request_size_bytes - 1)
    for i in range(0, 500, 50):  # encode gives back the request-aligned address
        got = amap.encode(**{f: int(v[i]) for f, v in fields.items()})
        assert got == int(addrs[i] & ~low)


def test_compiled_decode_reports_the_first_address_beyond_capacity():
    spec = load_dram_spec(PRESETS[0])
    cap = spec.capacity_bytes
    addrs = np.array([0, cap - 64, cap, cap + 64, 0], dtype=np.uint64)
    *_, first_over = AddressMap.of(spec).decode_for_sim(addrs, cap, spec.banks, spec.banks_per_group)
    assert first_over == 2
