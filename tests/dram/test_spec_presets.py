"""DRAM standards as data: presets load, carry their sources, give the standards' peak bandwidths; bad specs fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cosim.dram import list_dram_presets, load_dram_spec, timing_table
from cosim.dram.presets import dram_preset_dir
from cosim.errors import CosimInputError

PRESETS = list_dram_presets()
EXPECTED = {"ddr4-3200-x8", "ddr4-3200-x16", "ddr5-4800", "ddr5-5600", "hbm2", "hbm3-5200", "hbm3-6400", "gddr6",
            "lpddr4"}


def test_every_required_standard_ships():
    assert set(PRESETS) >= EXPECTED


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_and_is_consistent(name):
    spec = load_dram_spec(name)
    assert spec.capacity_bytes > 0
    assert spec.derived_timing()["tRC"] >= spec.t("tRAS") + spec.t("tRP")
    assert spec.peak_bandwidth_bytes_per_s > 0


@pytest.mark.parametrize(("name", "peak_gbps"), [
    ("ddr4-3200-x8", 25.6),  # 64-bit channel x 3200 MT/s (tCK rounded to 0.63 ns in DRAMsim3: -0.8 %)
    ("ddr5-4800", 38.4),  # two 32-bit sub-channels x 4800 MT/s
    ("hbm2", 256.0),  # 8 x 128-bit channels x 2 Gb/s
    ("hbm3-6400", 819.2),  # 1024-bit stack x 6.4 Gb/s
    ("hbm3-5200", 665.6),  # 1024-bit stack x 5.2 Gb/s
])
def test_peak_bandwidth_matches_the_standard(name, peak_gbps):
    assert load_dram_spec(name).peak_bandwidth_bytes_per_s / 1e9 == pytest.approx(peak_gbps, rel=0.01)


_KEY_VALUE = re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*(.*)$")


@pytest.mark.parametrize("path", sorted(dram_preset_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_value_names_its_source(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = []
    for i, line in enumerate(lines):
        m = _KEY_VALUE.match(line)
        if not m or m.group(1) in ("name", "description", "source") or not m.group(2).split("#")[0].strip():
            continue
        if "#" not in line and not (i and lines[i - 1].strip().startswith("#")):
            bad.append((i + 1, line))
    assert bad == []


def test_ddr4_table_rows_follow_dramsim3_definitions():
    spec = load_dram_spec("ddr4-3200-x8")  # CL 22, CWL 16, BL8 (burst 4), tCCD_S/L 4/8, tWTR_S/L 4/12, tRTRS 1
    table = timing_table(spec)
    assert table.get("other_banks_same_bankgroup", "RD", "RD") == 8  # max(burst, tCCD_L)
    assert table.get("other_bankgroups_same_rank", "RD", "RD") == 4  # max(burst, tCCD_S)
    assert table.get("same_bank", "RD", "WR") == 22 + 4 - 16 + 1  # RL + burst - WL + tRTRS
    assert table.get("same_bank", "WR", "RD") == 16 + 4 + 12  # write_delay + tWTR_L
    assert table.get("other_ranks", "RD", "RD") == 4 + 1  # burst + tRTRS
    assert table.get("same_bank", "ACT", "RD") == 22  # tRCD
    assert table.get("same_bank", "RDA", "ACT") == 4 + 12 + 22  # AL + burst + tRTP + tRP
    assert table.get("same_rank", "REF", "ACT") == 560  # tRFC
    assert table.window("ACT", 4) == 34  # tFAW


def test_hbm_and_gddr_tables_extend_ddr_with_their_own_rows():
    hbm = timing_table(load_dram_spec("hbm3-6400"))
    assert hbm.get("same_bank", "ACT", "RD") == 31 and hbm.get("same_bank", "ACT", "WR") == 15  # tRCDRD / tRCDWR
    gddr = timing_table(load_dram_spec("gddr6"))
    assert gddr.get("other_banks_same_bankgroup", "PRE", "PRE") == 2  # tPPD
    assert gddr.window("ACT", 32) == 420  # t32AW
    assert timing_table(load_dram_spec("ddr4-3200-x8")).window("ACT", 32) is None


def _yaml(tmp_path: Path, edit) -> Path:
    text = (dram_preset_dir() / "ddr4-3200-x8.yaml").read_text(encoding="utf-8")
    path = tmp_path / "x.yaml"
    path.write_text(edit(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "field"), [
    (lambda s: s.replace("  tRAS: 52", "  tRC: 40\n  tRAS: 52"), "timing.tRAS"),
    (lambda s: s.replace("  bankgroups: 4", "  bankgroups: 0"), "dram_structure.bankgroups"),
    (lambda s: re.sub(r"\n  CL: 22[^\n]*", "", s), "timing.CL"),
    (lambda s: s.replace("address_mapping: rochrababgco", "address_mapping: rochrababgxx"), "system.address_mapping"),
    (lambda s: s.replace("  protocol: DDR4", "  protocol: DDR9"), "dram_structure.protocol"),
    (lambda s: s.replace("  tRRD_L: 8", "  tRRD_L: 2"), "timing.tRRD_L"),
])
def test_bad_spec_is_one_line_naming_file_and_field(tmp_path, edit, field):
    path = _yaml(tmp_path, edit)
    with pytest.raises(CosimInputError) as info:
        load_dram_spec(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and field in msg


def test_unknown_preset_lists_the_shipped_ones():
    with pytest.raises(CosimInputError, match="ddr4-3200-x8"):
        load_dram_spec("ddr7-9000")


# The trace simulator keeps limits per level (bank, bank group, rank) and lets a bank-group row bind the issuing
# bank and a rank row the issuing bank group. That is exact when same bank >= same bank group >= other bank
# groups for every (preceding, following) pair, except pairs the bank state forbids anyway.
_STATE_FORBIDS = {  # (preceding, following): why the over-applied row can never bind
    ("RDA", "RD"), ("RDA", "RDA"), ("RDA", "WR"), ("RDA", "WRA"), ("RDA", "PIM_LD_SB"),  # bank closed by RDA
    ("WRA", "RD"), ("WRA", "RDA"), ("WRA", "WR"), ("WRA", "WRA"), ("WRA", "PIM_LD_SB"),  # bank closed by WRA
    ("ACT", "REFB"),  # a bank with an open row must precharge before a refresh
    ("PRE", "PRE"),  # a closed bank is not precharged again
    ("PIM_LD_SB", "PIM_LD_SB"),  # not used by the trace simulator (PIM streams use exact per-bank levels)
    ("REFB", "ACT"), ("REFB", "REFB"),  # per-bank refresh is not issued by the trace simulator
}


@pytest.mark.parametrize("name", PRESETS)
def test_timing_levels_are_ordered_for_the_per_level_limits(name):
    table = timing_table(load_dram_spec(name))
    from cosim.dram.commands import Cmd
    from cosim.dram.constraints import LEVELS

    d = table.delay
    bank, bg, other = (LEVELS.index(x) for x in ("same_bank", "other_banks_same_bankgroup",
                                                   "other_bankgroups_same_rank"))
    bad = []
    for p in Cmd:
        for n in Cmd:
            if (p.name, n.name) in _STATE_FORBIDS:
                continue
            if d[bank, p, n] < d[bg, p, n] or d[bg, p, n] < d[other, p, n]:
                bad.append((p.name, n.name, int(d[bank, p, n]), int(d[bg, p, n]), int(d[other, p, n])))
    assert bad == []
