"""Core helpers: unit strings, one-line errors, safe loading and ``extends``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.config import load_document, load_with_extends, resolve_preset
from cosim.errors import CosimInputError, UnknownPresetError
from cosim.units import Dimension, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "dim", "expected"),
    [
        ("4.8 TB/s", Dimension.BYTES_PER_S, 4.8e12),
        ("80 GiB", Dimension.BYTES, 80 * 2**30),
        ("1.98 GHz", Dimension.HERTZ, 1.98e9),
        ("25 us", Dimension.SECONDS, 25e-6),
        ("0.625 ns", Dimension.SECONDS, 0.625e-9),
        ("312 TFLOPS", Dimension.FLOP_PER_S, 312e12),
        ("64 Gb/s", Dimension.BYTES_PER_S, 8e9),
        ("3200 MT/s", Dimension.TRANSFERS_PER_S, 3.2e9),
        ("40 MB", Dimension.BYTES, 40e6),
        (1024, Dimension.BYTES, 1024.0),
    ],
)
def test_parse_quantity(text, dim, expected):
    assert parse_quantity(text, dim) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "dim"), [("4 GHz", Dimension.BYTES), ("fast", Dimension.HERTZ),
                                          (True, Dimension.BYTES), ("1e999 B", Dimension.BYTES),
                                          ([1], Dimension.SECONDS)])
def test_bad_quantities_are_one_line_errors_with_examples(text, dim):
    with pytest.raises(CosimInputError) as exc:
        parse_quantity(text, dim, field="memory.bandwidth")
    message = str(exc.value)
    assert "\n" not in message and "memory.bandwidth" in message and "allowed" in message


@given(st.floats(min_value=1e-12, max_value=1e18, allow_nan=False))
def test_format_then_parse_round_trips_to_three_digits(value):
    text = format_quantity(value, "B/s").replace("µ", "u")
    assert parse_quantity(text, Dimension.BYTES_PER_S) == pytest.approx(value, rel=5e-3)


def test_format_handles_zero_and_inf():
    assert format_quantity(0.0, "s") == "0 s"
    assert "inf" in format_quantity(math.inf, "s")


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: [unclosed\n")
    with pytest.raises(CosimInputError) as exc:
        load_document(path)
    assert str(path) in str(exc.value) and "line" in str(exc.value)


def test_yaml_is_loaded_safely(tmp_path: Path):
    path = tmp_path / "evil.yaml"
    path.write_text("a: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(CosimInputError):
        load_document(path)


def test_unknown_preset_lists_available_names():
    with pytest.raises(UnknownPresetError) as exc:
        resolve_preset("no-such-gpu", "hw", what="hardware")
    assert "h100-sxm" in str(exc.value)


def test_extends_relative_to_the_extending_file_and_overrides(tmp_path: Path):
    (tmp_path / "base.yaml").write_text("name: base\nsize: 1\nnested: {a: 1, b: 2}\n")
    child = tmp_path / "sub" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../base.yaml\nname: child\nnested: {b: 3}\n")
    data = load_with_extends(child, "hw", what="hardware")
    assert data == {"name": "child", "size": 1, "nested": {"a": 1, "b": 3}}


def test_circular_extends_is_an_error(tmp_path: Path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"extends: {b}\n")
    b.write_text(f"extends: {a}\n")
    with pytest.raises(CosimInputError) as exc:
        load_with_extends(a, "hw", what="hardware")
    assert "circular" in str(exc.value) and "\n" not in str(exc.value)
