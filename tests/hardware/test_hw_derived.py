"""Derived numbers against the published figures they must reproduce (reference: pim-systems.md)."""

from __future__ import annotations

import pytest

from cosim.errors import CosimInputError
from cosim.hardware import load_device, load_system, pcie_bw_bytes_per_s
from cosim.hardware.dimm_pim import DimmPimSpec
from cosim.hardware.hbm_pim import HbmPimSpec
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit


def dimm(name: str) -> DimmPimSpec:
    spec = load_device(name)
    assert isinstance(spec, DimmPimSpec)
    return spec


def hbm(name: str) -> HbmPimSpec:
    spec = load_device(name)
    assert isinstance(spec, HbmPimSpec)
    return spec


def test_dimm_pim_bandwidths_match_chime_table_1():
    l3 = dimm("l3-dimm-pim")
    assert l3.column_bytes == 8  # x8 chip, BL8 burst
    assert l3.channel_bw_bytes_per_s() == pytest.approx(25.6e9)
    assert l3.host_bw_bytes_per_s() == pytest.approx(409.6e9)  # paper: 406 GB/s
    assert l3.host_bw_bytes_per_s() == pytest.approx(406e9, rel=0.01)
    assert l3.rank_internal_bw_bytes_per_s() == pytest.approx(1.6384e12)  # paper: 1.6 TB/s
    assert l3.rank_internal_bw_bytes_per_s() == pytest.approx(1.6e12, rel=0.025)
    assert l3.bank_bw_bytes_per_s() == pytest.approx(1.6e9)
    assert l3.bank_internal_bw_bytes_per_s() == pytest.approx(13.1072e12)
    assert l3.bank_internal_bw_bytes_per_s() == pytest.approx(13.0e12, rel=0.01)  # paper: 13.0 TB/s
    assert l3.caps().mem_bw_bytes_per_s == l3.bank_internal_bw_bytes_per_s()
    assert l3.caps().mem_capacity_bytes == 2 * 2**40
    assert l3.derived_capacity_bytes() == 512 * 2**30  # 8 Gb chips: why the 2 TB is an explicit override


def test_rank_level_pim_reports_rank_bandwidth_and_bandwidth_matched_macs():
    r = dimm("r-pim")
    caps = r.caps()
    assert caps.mem_bw_bytes_per_s == pytest.approx(1.6384e12)
    # 2 FLOP per MAC, n_cmr MACs per fp16 element of 2 bytes -> n_cmr FLOP per byte streamed
    n_cmr = r.bank_pu.n_cmr
    assert caps.peak_flops(ComputeUnit.MATRIX, DType.FP16) == pytest.approx(n_cmr * caps.mem_bw_bytes_per_s)


def test_chime_hbm_pim_baseline_totals_260_8_tb_s():
    system = load_system("gpu+hbm-pim")
    slot = system.devices["pim"]
    total_bw = system.caps("pim").mem_bw_bytes_per_s * slot.count
    assert total_bw == pytest.approx(260.8e12, rel=0.001)
    total_capacity = system.caps("pim").mem_capacity_bytes * slot.count
    assert total_capacity == pytest.approx(640 * 2**30)


def test_attacc_internal_scale_is_16x_or_9x_power_limited():
    attacc = hbm("hbm-pim-attacc")
    assert attacc.power_limited
    assert attacc.internal_bw_per_stack_bytes_per_s() == pytest.approx(9 * 670.4e9)
    ideal = attacc.model_copy(update={"power_limited": False})
    assert ideal.internal_bw_per_stack_bytes_per_s() == pytest.approx(16 * 670.4e9)
    assert ideal.caps().mem_capacity_bytes == pytest.approx(80e9)


def test_samsung_hbm_pim_computes_1_229_tflops_per_stack():
    samsung = hbm("samsung-hbm-pim")
    assert samsung.units_per_stack() == 128
    assert samsung.unit_flops_per_stack() == pytest.approx(1.2288e12)
    # the PCUs cannot compute faster than the banks feed them
    assert samsung.caps().peak_flops(ComputeUnit.MATRIX, DType.FP16) <= samsung.unit_flops_per_stack()


def test_neupims_npu_peaks_at_262_tflops():
    npu = load_device("neupims-npu")
    assert npu.caps().peak_flops(ComputeUnit.MATRIX, DType.FP16) == pytest.approx(262.144e12)


def test_neupims_pim_is_limited_by_the_smaller_of_units_and_bandwidth():
    pim = hbm("neupims-hbm2-pim")
    units = pim.stacks * pim.unit_flops_per_stack()
    assert units == pytest.approx(32 * 32 * 16 * 2 * 1e9)
    matrix = pim.caps().peak_flops(ComputeUnit.MATRIX, DType.FP16)
    assert matrix == pytest.approx(min(units, pim.internal_bw_bytes_per_s()))


def test_pcie_bandwidth_from_generation_and_lanes():
    assert pcie_bw_bytes_per_s(4, 16) == pytest.approx(31.5e9, rel=0.001)
    assert pcie_bw_bytes_per_s(3, 16) == pytest.approx(15.75e9, rel=0.001)
    assert pcie_bw_bytes_per_s(5, 16) == pytest.approx(63.0e9, rel=0.001)
    assert pcie_bw_bytes_per_s(6, 16) == pytest.approx(118e9, rel=0.01)
    link = load_system("gpu+l3").link_between("gpu", "pim")
    assert link is not None and link.bw_bytes_per_s == pytest.approx(4 * 31.5e9, rel=0.001)


def test_gpu_peaks_and_missing_dtype():
    a100 = load_device("a100-80g").caps()
    assert a100.peak_flops(ComputeUnit.MATRIX, DType.BF16) == pytest.approx(312e12)
    assert a100.mem_bw_bytes_per_s == pytest.approx(2039e9)
    with pytest.raises(CosimInputError, match="fp8"):
        a100.peak_flops(ComputeUnit.MATRIX, DType.FP8)
    h100 = load_device("h100-sxm").caps()
    assert h100.peak_flops(ComputeUnit.MATRIX, DType.FP8) == pytest.approx(
        2 * h100.peak_flops(ComputeUnit.MATRIX, DType.BF16), rel=0.01
    )
    h200 = load_device("h200")
    assert h200.caps().mem_bw_bytes_per_s == pytest.approx(4.8e12)
    assert h200.caps().matrix_flops_per_s == h100.matrix_flops_per_s  # same chip, via extends
