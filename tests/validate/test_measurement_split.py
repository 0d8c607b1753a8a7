"""The held-out split: deterministic, about 30 %, a function of dataset + params only."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.validate.measurement import (
    HOLDOUT_FRACTION,
    MEASUREMENT_KINDS,
    Measurement,
    from_model_graph,
    in_split,
    is_holdout,
)


def gemm(m: int, n: int = 4096, k: int = 4096, *, dataset: str = "d", measured_s: float = 1e-3,
         device: str = "h100-sxm", source: str = "f:1") -> Measurement:
    return Measurement(dataset=dataset, device=device, kind="gemm", params={"m": m, "n": n, "k": k, "dtype": "bf16"},
                       measured_s=measured_s, source=source)


def test_split_is_the_documented_hash():
    # Recompute the split from its specification: sha256 of dataset + sorted params, first 8 bytes.
    m = gemm(37)
    text = "d|" + json.dumps({"dtype": "bf16", "k": 4096, "m": 37, "n": 4096}, separators=(",", ":"))
    bucket = (int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 10_000) / 10_000
    assert is_holdout(m) == (bucket < HOLDOUT_FRACTION)


def test_split_ignores_time_source_and_device_but_not_dataset():
    flips = 0
    for m in range(1, 200):
        a = gemm(m)
        assert is_holdout(a) == is_holdout(gemm(m, measured_s=5.0, source="other:9", device="a100-80g"))
        flips += is_holdout(a) != is_holdout(gemm(m, dataset="another"))
    assert flips > 0  # the dataset name is part of the identity


def test_about_thirty_percent_held_out():
    records = [gemm(m, n) for m in range(1, 101) for n in (128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)]
    share = sum(map(is_holdout, records)) / len(records)
    assert 0.27 < share < 0.33


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=8), max_size=6))
def test_param_order_does_not_matter(params):
    a = Measurement("d", "h100-sxm", "gemm", params, 1.0, "s")
    b = Measurement("d", "h100-sxm", "gemm", dict(reversed(list(params.items()))), 1.0, "s")
    assert is_holdout(a) == is_holdout(b)
    assert in_split(a, "all")
    assert in_split(a, "holdout") != in_split(a, "train")


def test_params_are_frozen():
    m = gemm(8)
    with pytest.raises(TypeError):
        m.params["m"] = 9  # type: ignore[index]


def test_kinds_and_graph_flag():
    assert {"gemm", "attention_decode", "step_prefill"} <= set(MEASUREMENT_KINDS)
    assert not from_model_graph(gemm(8))
    assert from_model_graph(Measurement("d", "h100-sxm", "elementwise", {"ops": "decoder.act"}, 1.0, "s"))


def test_a_users_csv_is_held_out_entirely(tmp_path):
    """Calibration never fits on a user's CSV, so `cosim validate --csv` scores every row, not a 30 % sample."""
    from cosim.validate.datasets.user_csv import load_csv

    rows = "\n".join(f"h100-sxm,gemm,{m},4096,4096,bf16,0.05" for m in range(1, 41))
    path = tmp_path / "mine.csv"
    path.write_text("device,kind,m,n,k,dtype,measured_ms\n" + rows + "\n", encoding="utf-8")
    records = list(load_csv(path))
    assert len(records) == 40
    assert all(is_holdout(m) for m in records)
