"""Hardware values taken as written: no bool or string coercion, no unitless quantities (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.errors import CosimInputError
from cosim.hardware import load_device

H100 = (Path(__file__).resolve().parents[2] / "hw" / "h100-sxm.yaml").read_text()


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    assert old in H100
    path = tmp_path / "gpu.yaml"
    path.write_text(H100.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("sm_count: 132", 'sm_count: "132"', "sm_count", "expected an integer, got '132'"),
    ("sm_count: 132", "sm_count: true", "sm_count", "expected an integer, got True"),
    ("  bf16: 989 TFLOPS", "  bf16: 989", "tensor_flops.bf16", "989 has no unit"),
    ("  bf16: 989 TFLOPS", '  bf16: "989"', "tensor_flops.bf16", "has no unit"),
    ("  bandwidth: 3.35 TB/s", "  bandwidth: 3350000000000", "memory.bandwidth", "has no unit"),
])
def test_values_that_used_to_be_coerced_are_refused(tmp_path: Path, old, new, field, words):
    with pytest.raises(CosimInputError) as exc:
        load_device(_variant(tmp_path, old, new))
    assert exc.value.field == field and words in exc.value.message, str(exc.value)
    assert "\n" not in str(exc.value)


def test_unitless_error_lists_the_allowed_units(tmp_path: Path):
    with pytest.raises(CosimInputError) as exc:
        load_device(_variant(tmp_path, "  bf16: 989 TFLOPS", "  bf16: 989"))
    assert "FLOP/s" in (exc.value.allowed or "") and "TFLOPS" in (exc.value.allowed or "")


def test_unit_strings_and_zero_still_parse(tmp_path: Path):
    spec = load_device(_variant(tmp_path, "  bandwidth: 3.35 TB/s", "  bandwidth: 4.8 TB/s"))
    assert spec.memory.bandwidth == pytest.approx(4.8e12)
    assert load_device(_variant(tmp_path, "  bandwidth: 3.35 TB/s", "  bandwidth: 4.8TB/s")).memory.bandwidth == 4.8e12


def test_code_may_still_build_specs_from_si_floats():
    from cosim.hardware.common import MemorySpec

    assert MemorySpec(technology="hbm3", capacity=80e9, bandwidth=3.35e12).bandwidth == 3.35e12
