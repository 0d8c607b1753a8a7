"""The DRAMsim3 `.ini` loader reads every shipped config (and the LLMServingSim PIM inis) with DRAMsim3's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosim.dram import load_dram_spec
from cosim.dram.address import AddressMap
from cosim.errors import CosimInputError

SHARED = Path(__file__).resolve().parents[3] / "shared"  # ../shared next to the repository
DRAMSIM3_CONFIGS = SHARED / "peer_data" / "DRAMsim3" / "configs"
PIM_INIS = SHARED / "peer_data" / "LLMServingSim" / "configs" / "pim"

ALL_INIS = sorted(DRAMSIM3_CONFIGS.glob("*.ini")) + sorted(PIM_INIS.glob("*.ini"))


@pytest.fixture
def dramsim3_configs() -> Path:
    if not DRAMSIM3_CONFIGS.is_dir():
        pytest.skip(f"peer data not available: {DRAMSIM3_CONFIGS}")
    return DRAMSIM3_CONFIGS


@pytest.mark.skipif(not ALL_INIS, reason="peer data (../shared/peer_data) not available")
@pytest.mark.parametrize("path", ALL_INIS, ids=lambda p: p.name)
def test_every_ini_loads(path: Path):
    spec = load_dram_spec(path)
    assert spec.banks > 0 and spec.rows > 0 and spec.capacity_bytes > 0
    amap = AddressMap.of(spec)
    # the mapping covers exactly the capacity: DRAMsim3 drops the request-size low bits, then six fields
    assert 2 ** amap.total_bits == spec.capacity_bytes


def test_ddr4_x8_ini_derives_ranks_power_and_mapping(dramsim3_configs):
    spec = load_dram_spec(dramsim3_configs / "DDR4_8Gb_x8_3200.ini")
    assert spec.ranks == 2  # 16384 MB channel / (8 devices x 16 banks x 64 MB)
    assert spec.devices_per_rank == 8 and spec.request_size_bytes == 64
    assert spec.power["IDD0"] == 57 and spec.power["VDD"] == 1.2
    amap = AddressMap.of(spec)
    # rochrababgco: column block lowest (7 bits = 1024 columns / BL8), then bankgroup, bank, rank, row
    assert amap.pos["co"] == 0 and amap.width["co"] == 7
    assert amap.pos["bg"] == 7 and amap.pos["ba"] == 9 and amap.pos["ra"] == 11 and amap.pos["ro"] == 12
    assert amap.shift_bits == 6


def test_hbm2_ini_uses_dramsim3_defaults_for_what_it_leaves_out(dramsim3_configs):
    spec = load_dram_spec(dramsim3_configs / "HBM2_8Gb_x128.ini")
    assert spec.t("tRTP") == 5 and spec.t("tRTRS") == 2  # not in the file: DRAMsim3's defaults
    assert spec.t("tRCDRD") == 14 and spec.hbm_dual_cmd
    assert spec.columns == 128  # DRAMsim3 doubles HBM columns (prefetch 2)


def test_shipped_yaml_preset_equals_its_source_ini(dramsim3_configs):
    from_ini = load_dram_spec(dramsim3_configs / "DDR4_8Gb_x8_3200.ini")
    from_yaml = load_dram_spec("ddr4-3200-x8")
    assert dict(from_ini.timing) == dict(from_yaml.timing)
    assert dict(from_ini.power) == dict(from_yaml.power)
    assert from_ini.address_mapping == from_yaml.address_mapping and from_ini.ranks == from_yaml.ranks


def test_ini_inline_comments_and_sections(tmp_path, dramsim3_configs):
    text = (dramsim3_configs / "GDDR6_8Gb_x16.ini").read_text()
    assert "; read preamble" in text  # the file really has inline ';' comments
    assert load_dram_spec(dramsim3_configs / "GDDR6_8Gb_x16.ini").t("tRPRE") == 1


@pytest.mark.parametrize(("edit", "field"), [
    (lambda s: s.replace("tRAS = 52", "tRAS = 52\ntRC = 40"), "timing.tRAS"),
    (lambda s: s.replace("banks_per_group = 4", "banks_per_group = 0"), "dram_structure.banks_per_group"),
    (lambda s: s.replace("tRP = 22\n", ""), "timing.tRP"),
    (lambda s: s.replace("rochrababgco", "rochrababgqq"), "system.address_mapping"),
])
def test_bad_ini_names_file_and_field(tmp_path, dramsim3_configs, edit, field):
    path = tmp_path / "bad.ini"
    path.write_text(edit((dramsim3_configs / "DDR4_8Gb_x8_3200.ini").read_text()))
    with pytest.raises(CosimInputError) as info:
        load_dram_spec(path)
    assert field in str(info.value) and "bad.ini" in str(info.value)


def test_ini_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.ini"
    path.write_text("[dram_structure]\nprotocol = DDR4\nthis line has no equals sign\n")
    with pytest.raises(CosimInputError, match="line 3"):
        load_dram_spec(path)
