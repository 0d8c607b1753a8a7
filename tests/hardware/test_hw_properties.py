"""Hypothesis: loaders never fail with anything but CosimInputError; derived bandwidth is monotone."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hw_fixtures import preset_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.config import REPO_ROOT, deep_merge, list_presets
from cosim.errors import CosimInputError
from cosim.hardware import load_device, load_system, parse_device
from cosim.hardware.dimm_pim import DimmPimSpec
from cosim.hardware.hbm_pim import HbmPimSpec

FIELD_NAMES = [
    "name",
    "kind",
    "memory",
    "capacity",
    "bandwidth",
    "devices",
    "links",
    "between",
    "preset",
    "spec",
    "count",
    "memory_of",
    "overrides",
    "extends",
    "dram",
    "timings",
    "tRC",
    "organization",
    "channels",
    "stack",
    "stacks",
    "units",
    "per",
    "gen",
    "lanes",
    "tensor_flops",
    "bf16",
    "clock",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "gpu",
            "npu",
            "dimm_pim",
            "hbm_pim",
            "system",
            "4.8 TB/s",
            "80 GiB",
            "1 GHz",
            "5 us",
            "-3 GB",
            "a100-80g",
            "gpu+l3",
            "l3-dimm-pim",
            "pcie",
            "bank",
            "fp16",
            "nan TB/s",
        ]
    ),
    st.text(max_size=12),
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=25,
)
PRESET_NAMES = list_presets("hw")


def _set_path(doc: Any, path: list[Any], value: Any) -> Any:
    if not path or not isinstance(doc, dict) or not doc:
        return value
    keys = sorted(doc, key=str)
    key = keys[path[0] % len(keys)] if isinstance(path[0], int) else path[0]
    out = dict(doc)
    out[key] = _set_path(doc.get(key), path[1:], value)
    return out


def _load_both(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        for loader in (load_device, load_system):
            try:
                result = loader(path)
            except CosimInputError as exc:
                assert "\n" not in str(exc)
            else:
                assert result is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_random_documents_load_or_raise_input_error(doc):
    _load_both(yaml.safe_dump(doc))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PRESET_NAMES), st.lists(st.integers(0, 30), min_size=1, max_size=4), DOCS)
def test_mutated_presets_load_or_raise_input_error(name, path, value):
    doc = yaml.safe_load((REPO_ROOT / "hw" / f"{name}.yaml").read_text(encoding="utf-8"))
    _load_both(yaml.safe_dump(_set_path(doc, path, value)))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_random_text_loads_or_raises_input_error(text):
    _load_both(text)


# ---- monotone derived bandwidth ------------------------------------------------------------------------
L3 = preset_data("l3-dimm-pim")
ORG_FIELDS = [
    "channels",
    "dimms_per_channel",
    "ranks_per_dimm",
    "chips_per_rank",
    "bank_groups",
    "banks_per_group",
]


def _dimm(org: dict[str, int], data_rate_mts: int) -> DimmPimSpec:
    changes = {
        "organization": org,
        "dram": {"data_rate": data_rate_mts * 1e6, "tCK": 2 / (data_rate_mts * 1e6)},
    }
    spec = parse_device(deep_merge(L3, changes))
    assert isinstance(spec, DimmPimSpec)
    return spec


def _bandwidths(spec: DimmPimSpec) -> tuple[float, float, float]:
    return (
        spec.host_bw_bytes_per_s(),
        spec.rank_internal_bw_bytes_per_s(),
        spec.bank_internal_bw_bytes_per_s(),
    )


@settings(max_examples=80, deadline=None)
@given(
    org=st.fixed_dictionaries({f: st.integers(1, 8) for f in ORG_FIELDS}),
    rate=st.sampled_from([1600, 2133, 2400, 2666, 2933, 3200]),
    grow=st.sampled_from([*ORG_FIELDS, "data_rate"]),
    by=st.integers(1, 4),
)
def test_more_parallelism_or_a_faster_bin_never_lowers_dimm_bandwidth(org, rate, grow, by):
    base = _dimm(org, rate)
    bigger = _dimm(org, rate + 400 * by) if grow == "data_rate" else _dimm({**org, grow: org[grow] + by}, rate)
    for before, after in zip(_bandwidths(base), _bandwidths(bigger), strict=True):
        assert after >= before
    assert bigger.caps().mem_bw_bytes_per_s >= base.caps().mem_bw_bytes_per_s


ATTACC = preset_data("hbm-pim-attacc")


@settings(max_examples=60, deadline=None)
@given(
    stacks=st.integers(1, 8),
    extra=st.integers(1, 8),
    limited=st.booleans(),
    placement=st.sampled_from(["bank", "bank_group", "buffer_die"]),
)
def test_more_stacks_never_lower_hbm_pim_bandwidth_and_power_limit_never_raises_it(
    stacks, extra, limited, placement
):
    def spec(n: int, power_limited: bool) -> HbmPimSpec:
        out = parse_device(
            deep_merge(ATTACC, {"stacks": n, "power_limited": power_limited, "placement": placement})
        )
        assert isinstance(out, HbmPimSpec)
        return out

    assert (
        spec(stacks + extra, limited).internal_bw_bytes_per_s()
        >= spec(stacks, limited).internal_bw_bytes_per_s()
    )
    assert spec(stacks, True).internal_bw_bytes_per_s() <= spec(stacks, False).internal_bw_bytes_per_s()
