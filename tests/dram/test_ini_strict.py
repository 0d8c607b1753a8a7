"""A DRAMsim3 `.ini` is read as written (issue 14): a missing tRCD silently became DRAMsim3's default 10 nCK
(the part meant 22) and unknown keys were ignored. Timings DRAMsim3 defaults may still be left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cosim.dram import load_dram_spec
from cosim.errors import CosimInputError

CONFIGS = Path(__file__).parent / "data" / "dramsim3_configs"


def _edit(tmp_path: Path, name: str, pattern: str, replacement: str) -> Path:
    text = (CONFIGS / name).read_text()
    edited, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path = tmp_path / name
    path.write_text(edited)
    return path


def test_a_ddr4_ini_without_trcd_is_refused(tmp_path: Path):
    path = _edit(tmp_path, "DDR4_8Gb_x8_3200.ini", r"^tRCD\s*=.*$", "")
    with pytest.raises(CosimInputError) as exc:
        load_dram_spec(path)
    assert exc.value.field == "timing.tRCD" and str(path) in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("name", ["HBM2_8Gb_x128.ini", "GDDR6_8Gb_x16.ini"])
def test_hbm_and_gddr_need_their_split_activate_delays(tmp_path: Path, name: str):
    path = _edit(tmp_path, name, r"^tRCDWR\s*=.*$", "")
    with pytest.raises(CosimInputError) as exc:
        load_dram_spec(path)
    assert exc.value.field == "timing.tRCDWR"


def test_an_unknown_key_is_named_with_the_closest_known_one(tmp_path: Path):
    path = _edit(tmp_path, "DDR4_8Gb_x8_3200.ini", r"^tRCD(\s*=)", r"trcd\1")
    with pytest.raises(CosimInputError) as exc:
        load_dram_spec(path)
    assert exc.value.field == "timing.trcd" and "did you mean 'tRCD'" in str(exc.value)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_an_unknown_section_is_refused(tmp_path: Path):
    path = _edit(tmp_path, "DDR4_8Gb_x8_3200.ini", r"^\[timing\]", "[timings]")
    with pytest.raises(CosimInputError, match=r"unknown section \[timings\]; did you mean \[timing\]"):
        load_dram_spec(path)


def test_timings_dramsim3_defaults_may_be_left_out(tmp_path: Path):
    path = _edit(tmp_path, "DDR4_8Gb_x8_3200.ini", r"^tRTRS\s*=.*$", "")
    assert load_dram_spec(path).timing["tRTRS"] == 2  # DRAMsim3's default, as DRAMsim3 would run it


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.ini")), ids=lambda p: p.name)
def test_the_vendored_dramsim3_configs_still_load(path: Path):
    assert load_dram_spec(path).banks > 0
