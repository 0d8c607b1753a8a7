"""Bad input -> one-line CosimInputError naming the file and the field; never a traceback."""

from __future__ import annotations

import pytest
from hw_fixtures import preset_data

from cosim.config import deep_merge
from cosim.errors import CosimInputError, UnknownPresetError
from cosim.hardware import load_device, load_system
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit


def expect_error(loader, path, *fragments: str) -> CosimInputError:
    with pytest.raises(CosimInputError) as info:
        loader(path)
    text = str(info.value)
    assert "\n" not in text
    for fragment in (str(path), *fragments):
        assert fragment in text, text
    return info.value


def a100(**changes):
    return deep_merge(preset_data("a100-80g"), changes)


def test_unit_strings_parse(write_yaml):
    spec = load_device(
        write_yaml(
            a100(
                memory={"bandwidth": "4.8 TB/s", "capacity": "80 GiB"}, clock="1980 MHz", kernel_launch="5 us"
            )
        )
    )
    assert spec.memory.bandwidth == pytest.approx(4.8e12)
    assert spec.memory.capacity == 80 * 2**30
    assert spec.clock == pytest.approx(1.98e9)
    assert spec.kernel_launch == pytest.approx(5e-6)
    assert spec.caps().peak_flops(ComputeUnit.MATRIX, DType.BF16) == pytest.approx(312e12)


def test_dtype_aliases_in_rate_tables(write_yaml):
    spec = load_device(write_yaml(a100(tensor_flops={"bfloat16": "312 TFLOPS"})))
    assert DType.BF16 in spec.tensor_flops


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"memory": {"bandwidth": "4.8 TB"}}, "memory.bandwidth"),  # bytes, not bytes/s
        ({"clock": "1.4 GB"}, "clock"),
        ({"l2_capacity": "forty"}, "l2_capacity"),
        ({"tensor_flops": {"bf16": "312 GHz"}}, "tensor_flops.bf16"),
    ],
)
def test_bad_units_name_file_and_field(write_yaml, changes, field):
    expect_error(load_device, write_yaml(a100(**changes)), field)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"memory": {"capacity": 0}}, "memory.capacity"),
        ({"memory": {"bandwidth": "-1 TB/s"}}, "memory.bandwidth"),
        ({"sm_count": 0}, "sm_count"),
        ({"efficiency": {"compute": 1.5}}, "efficiency.compute"),
        ({"tensor_flops": {"fp16": -3}}, "tensor_flops.fp16"),
    ],
)
def test_zero_or_negative_sizes(write_yaml, changes, field):
    expect_error(load_device, write_yaml(a100(**changes)), field)


def test_unknown_dtype_lists_dtypes(write_yaml):
    expect_error(
        load_device, write_yaml(a100(tensor_flops={"fp7": "1 TFLOPS"})), "tensor_flops", "fp7", "bf16"
    )


def test_unknown_field(write_yaml):
    expect_error(load_device, write_yaml(a100(hbm_speed=3)), "hbm_speed", "unknown field")


def test_dimm_timing_inconsistency(write_yaml):
    data = preset_data("l3-dimm-pim")
    data["dram"]["timings"]["tRAS"] = 80  # > tRC - tRP
    expect_error(load_device, write_yaml(data), "dram", "tRC")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("tCCD_L", 2, "tCCD_L"),  # below tCCD_S
        ("tREFI", 100, "tREFI"),
        ("tRP", 0, "tRP"),
    ],
)
def test_more_timing_checks(write_yaml, key, value, fragment):
    data = preset_data("l3-dimm-pim")
    data["dram"]["timings"][key] = value
    expect_error(load_device, write_yaml(data), "dram", fragment)


def test_missing_timing_and_tck_mismatch(write_yaml):
    data = preset_data("l3-dimm-pim")
    del data["dram"]["timings"]["tFAW"]
    expect_error(load_device, write_yaml(data), "dram", "tFAW")
    data = preset_data("l3-dimm-pim")
    data["dram"]["data_rate"] = "2400 MT/s"
    expect_error(load_device, write_yaml(data), "dram", "tCK")


def test_unknown_kind_lists_kinds(write_yaml):
    err = expect_error(load_device, write_yaml(a100(kind="tpu")), "kind", "tpu")
    for kind in ("gpu", "npu", "dimm_pim", "hbm_pim"):
        assert kind in str(err)


def test_unknown_preset_lists_names():
    with pytest.raises(UnknownPresetError) as info:
        load_device("a100-40g")
    assert "a100-80g" in str(info.value) and "\n" not in str(info.value)


def test_system_file_given_to_load_device(write_yaml):
    expect_error(load_device, write_yaml(preset_data("dgx-a100")), "load_system")


def _system(**changes):
    return deep_merge(preset_data("gpu+l3"), changes)


def test_link_naming_a_missing_device(write_yaml):
    data = _system()
    data["links"][0]["between"] = ["gpu", "dimms"]
    err = expect_error(load_system, write_yaml(data), "links[0].between", "dimms")
    assert "gpu" in str(err) and "pim" in str(err)  # lists the devices that exist


def test_memory_of_a_missing_device(write_yaml):
    data = preset_data("gpu+hbm-pim")
    data["devices"]["pim"]["memory_of"] = "cpu"
    expect_error(load_system, write_yaml(data), "devices.pim.memory_of", "cpu")


def test_count_must_be_positive(write_yaml):
    data = _system()
    data["devices"]["gpu"]["count"] = 0
    expect_error(load_system, write_yaml(data), "devices.gpu.count")


def test_slot_with_unknown_preset(write_yaml):
    data = _system()
    data["devices"]["pim"]["preset"] = "l4-dimm-pim"
    expect_error(load_system, write_yaml(data), "devices.pim.preset", "l3-dimm-pim")


def test_bad_override_names_the_slot(write_yaml):
    data = _system()
    data["devices"]["pim"]["overrides"] = {"organization": {"channels": -2}}
    expect_error(load_system, write_yaml(data), "devices.pim.organization.channels")


def test_inline_spec_and_overrides(write_yaml):
    data = _system()
    data["devices"]["pim"] = {
        "spec": preset_data("l3-dimm-pim"),
        "overrides": {"organization": {"channels": 8}},
    }
    system = load_system(write_yaml(data))
    assert system.caps("pim").mem_bw_bytes_per_s == pytest.approx(13.1072e12 / 2)


def test_pcie_link_needs_gen_and_lanes_and_valid_values(write_yaml):
    data = _system()
    del data["links"][0]["gen"]
    expect_error(load_system, write_yaml(data), "links[0]", "gen")
    data = _system()
    data["links"][0]["gen"] = 7
    expect_error(load_system, write_yaml(data), "links[0]", "gen 7")
    data = _system()
    data["links"][0]["kind"] = "nvlink"
    expect_error(load_system, write_yaml(data), "links[0]", "bandwidth")


def test_no_link_between_devices_is_an_error_not_a_free_transfer(write_yaml):
    data = _system()
    data["links"] = []
    system = load_system(write_yaml(data))
    with pytest.raises(CosimInputError, match="no link"):
        system.link_between("gpu", "pim")
    with pytest.raises(CosimInputError, match="no device"):
        system.caps("tpu")


@pytest.mark.parametrize("text", ["name: [unclosed\n", "a: b: c\n", "- just\n- a list\n", "", "42\n"])
def test_invalid_yaml(write_yaml, text):
    path = write_yaml(text)
    for loader in (load_device, load_system):
        expect_error(loader, path)


def test_extends_what_if(write_yaml):
    path = write_yaml({"extends": "l3-dimm-pim", "name": "L3-DDR4-faster", "organization": {"channels": 32}})
    spec = load_device(path)
    assert spec.caps().mem_bw_bytes_per_s == pytest.approx(2 * 13.1072e12)
    expect_error(load_device, write_yaml({"extends": "nothing-like-this", "name": "x"}), "extends")
