"""Every shipped hardware preset loads, reports sane caps, and documents each value's source."""

from __future__ import annotations

import math
import re

import pytest

from cosim.config import REPO_ROOT, list_presets
from cosim.hardware import DeviceKind, list_hardware, load_device, load_system
from cosim.hardware.system import System

HW_DIR = REPO_ROOT / "hw"
PRESETS = list_presets("hw")
KINDS = list_hardware()
DEVICE_PRESETS = [n for n, k in KINDS.items() if k != "system"]
SYSTEM_PRESETS = [n for n, k in KINDS.items() if k == "system"]

EXPECTED_DEVICES = {
    "a100-80g",
    "h100-sxm",
    "h200",
    "l3-dimm-pim",
    "r-pim",
    "hbm-pim-attacc",
    "hbm2e-pim-a100",
    "samsung-hbm-pim",
    "neupims-npu",
    "neupims-hbm2-pim",
}
EXPECTED_SYSTEMS = {"dgx-a100", "gpu-only", "gpu+l3", "gpu+hbm-pim", "gpu+r-pim", "neupims", "npu+pim"}


def test_the_briefed_presets_are_shipped():
    assert set(DEVICE_PRESETS) >= EXPECTED_DEVICES
    assert set(SYSTEM_PRESETS) >= EXPECTED_SYSTEMS


@pytest.mark.parametrize("name", DEVICE_PRESETS)
def test_device_preset_loads_with_sane_caps(name):
    spec = load_device(name)
    caps = spec.caps()
    assert caps.kind is spec.kind and caps.name == spec.name
    rates = [*caps.matrix_flops_per_s.values(), *caps.vector_flops_per_s.values()]
    assert rates and caps.matrix_flops_per_s and caps.vector_flops_per_s
    for value in [*rates, caps.mem_bw_bytes_per_s, caps.mem_capacity_bytes]:
        assert math.isfinite(value) and value > 0
    assert 0 < caps.compute_efficiency <= 1 and 0 < caps.memory_efficiency <= 1
    assert caps.op_overhead_s >= 0
    assert caps.supported_kinds
    if spec.kind.is_pim:
        assert {k.value for k in caps.supported_kinds} >= {"attention_score", "attention_context"}


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_as_a_system(name):
    system = load_system(name)
    assert isinstance(system, System) and system.devices
    for slot_name, slot in system.devices.items():
        caps = system.caps(slot_name)
        assert caps.mem_capacity_bytes > 0 and caps.mem_bw_bytes_per_s > 0
        assert slot.count >= 1
    for a in system.compute_devices():
        for b in system.pim_devices():
            link = system.link_between(a, b)
            if link is not None:
                assert link.bw_bytes_per_s > 0 and link.latency_s >= 0


def test_device_preset_becomes_a_one_device_system_named_after_its_kind():
    assert list(load_system("a100-80g").devices) == ["gpu"]
    assert list(load_system("neupims-npu").devices) == ["npu"]
    assert list(load_system("l3-dimm-pim").devices) == ["pim"]
    assert list(load_system("samsung-hbm-pim").devices) == ["pim"]


def test_system_structure():
    dgx = load_system("dgx-a100")
    assert dgx.devices["gpu"].count == 8 and dgx.compute_devices() == ["gpu"] and dgx.pim_devices() == []
    nv = dgx.collective_link("gpu")
    assert nv is not None and nv.bw_bytes_per_s == pytest.approx(300e9)

    l3 = load_system("gpu+l3")
    assert l3.link_between("gpu", "pim") is not None
    assert l3.link_between("gpu", "pim") == l3.link_between("pim", "gpu")
    assert l3.collective_link("pim") is None

    hbm = load_system("gpu+hbm-pim")
    assert hbm.link_between("gpu", "pim") is None  # PIM inside the GPU's HBM: no transfer
    assert hbm.devices["pim"].memory_of == "gpu" and hbm.devices["pim"].count == 8
    assert hbm.caps("pim").mem_capacity_bytes == hbm.caps("gpu").mem_capacity_bytes

    assert load_system("neupims").devices["pim"].spec.dual_row_buffer is True
    assert load_system("npu+pim").devices["pim"].spec.dual_row_buffer is False
    assert load_system("gpu+r-pim").caps("pim").mem_bw_bytes_per_s < l3.caps("pim").mem_bw_bytes_per_s
    assert load_system("gpu-only").devices["gpu"].count == 8


def test_kinds_of_device_presets():
    assert load_device("a100-80g").kind is DeviceKind.GPU
    assert load_device("neupims-npu").kind is DeviceKind.NPU
    assert load_device("r-pim").kind is DeviceKind.DIMM_PIM
    assert load_device("hbm-pim-attacc").kind is DeviceKind.HBM_PIM


# ---- every value carries its source ------------------------------------------------------------------
_EXEMPT_KEYS = {"name", "description", "source", "extends"}
_KEY_VALUE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w]*)\s*:\s*(.*)$")


def uncommented_value_lines(text: str) -> list[tuple[int, str]]:
    """Lines whose value contains a number but that have no '#' comment on the line or directly above."""
    bad = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _KEY_VALUE.match(line)
        if not match or match.group(1) in _EXEMPT_KEYS:
            continue
        value = match.group(2).split("#", 1)[0]
        if not re.search(r"\d", value):
            continue
        above = lines[i - 1].strip() if i > 0 else ""
        if "#" not in line and not above.startswith("#"):
            bad.append((i + 1, line))
    return bad


def test_the_source_check_itself_catches_a_bare_number():
    assert uncommented_value_lines("a: 1  # src\nb: 2\n# src for c\nc: 3\nname: X100\n") == [(2, "b: 2")]


@pytest.mark.parametrize("path", sorted(HW_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_numeric_value_has_a_source_comment(path):
    assert uncommented_value_lines(path.read_text(encoding="utf-8")) == []


# a source must travel with the file: a path of the machine it was written on does not
_LOCAL_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|mnt)/\S*")


def local_paths(text: str) -> list[tuple[int, str]]:
    return [(i + 1, m.group(0)) for i, line in enumerate(text.splitlines()) for m in _LOCAL_PATH.finditer(line)]


def test_the_local_path_check_itself_catches_a_machine_path():
    assert local_paths("# see /work/shared/reference/pim-systems.md 2.2\nb: 2  # JEDEC JESD235\n") == [
        (1, "/work/shared/reference/pim-systems.md")]
    assert local_paths("# scale-snu/attacc_simulator @ c600051, src/config.py\n") == []


PRESET_DIRS = [HW_DIR, HW_DIR / "dram", HW_DIR.parent / "workloads", HW_DIR.parent / "mappings",
               HW_DIR.parent / "studies"]


@pytest.mark.parametrize("path", sorted(p for d in PRESET_DIRS for p in d.glob("*.yaml")), ids=lambda p: p.name)
def test_sources_cite_publications_not_local_paths(path):
    assert local_paths(path.read_text(encoding="utf-8")) == []
