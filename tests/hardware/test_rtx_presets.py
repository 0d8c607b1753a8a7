"""RTX 4090 and RTX PRO 6000 presets: datasheet facts, kernel tables, two-card PCIe systems, and a predict on each."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main
from cosim.hardware import list_hardware, load_device, load_system
from cosim.hardware.gpu_kernel import GpuArchitecture
from cosim.hardware.link import pcie_bw_bytes_per_s
from cosim.perf.gpu.arch import arch_table
from cosim.workload.dtypes import DType

DEVICES = {"rtx4090": GpuArchitecture.ADA, "rtx-pro-6000": GpuArchitecture.RTX_BLACKWELL}
SYSTEMS = {"rtx4090x2": ("rtx4090", 4), "rtx-pro-6000x2": ("rtx-pro-6000", 5)}  # system -> (card, PCIe gen)


def test_presets_are_listed_with_their_kinds():
    kinds = list_hardware()
    assert all(kinds[name] == "gpu" for name in DEVICES)
    assert all(kinds[name] == "system" for name in SYSTEMS)


@pytest.mark.parametrize(("name", "arch"), sorted(DEVICES.items()))
def test_devices_have_an_architecture_table_and_no_nvlink(name, arch):
    spec = load_device(name)
    assert spec.architecture is arch and spec.nvlink is None
    assert arch_table(arch).attn_block_m == 64  # vLLM's paged FlashAttention-2 runs the split-KV kernel's 64 rows
    assert spec.kernel_model.calibrated_on and spec.kernel_model.stream_inflight == {}


def test_geforce_runs_bf16_with_fp32_accumulate_at_half_the_pro_rate():
    rtx4090, pro = load_device("rtx4090"), load_device("rtx-pro-6000")
    # Ada whitepaper: 82.6 TFLOPS FP32 and 165.2 TFLOPS BF16 tensor (FP32 accumulate) = 2x; RTX PRO: 4x
    assert rtx4090.tensor_flops[DType.BF16] == pytest.approx(2 * rtx4090.vector_flops[DType.FP32])
    assert pro.tensor_flops[DType.BF16] == pytest.approx(4 * pro.vector_flops[DType.FP32], rel=1e-3)
    assert (rtx4090.sm_count, pro.sm_count) == (128, 188)
    assert (rtx4090.memory.bandwidth, pro.memory.bandwidth) == (1008e9, 1597e9)  # Server Edition: 1597 GB/s


@pytest.mark.parametrize(("system", "card_gen"), sorted(SYSTEMS.items()))
def test_two_cards_talk_over_pcie_x16(system, card_gen):
    card, gen = card_gen
    sys_ = load_system(system)
    slot = sys_.devices["gpu"]
    assert slot.count == 2 and slot.spec == load_device(card)
    link = sys_.collective_link("gpu")
    assert link is not None and link.kind == "pcie" and link.latency_s == pytest.approx(1e-6)
    assert link.bw_bytes_per_s == pytest.approx(pcie_bw_bytes_per_s(gen, 16), rel=1e-3)


@pytest.mark.parametrize(("hw", "tp"), [("rtx4090", 1), ("rtx-pro-6000", 1), ("rtx4090x2", 2), ("rtx-pro-6000x2", 2)])
def test_predict_runs_on_every_new_preset(capsys, hw, tp):
    code = main(["predict", "--model", "llama3.1-8b", "--hw", hw, "--phase", "decode", "--batch", "8",
                 "--context", "1024", "--tp", str(tp), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tp"] == tp and result["fits"] and result["cost_model"] == "gpu-kernel"
    assert 1e-3 < result["latency_s"] < 0.1
    assert result["breakdown"]["gemm"] > 0.5 * result["latency_s"]  # decode streams the weights


def test_the_pro_card_decodes_faster_and_tp2_over_pcie_helps_decode(capsys):
    def latency(hw: str, tp: int) -> float:
        main(["predict", "--model", "llama3.1-8b", "--hw", hw, "--phase", "decode", "--batch", "8",
              "--context", "1024", "--tp", str(tp), "--json"])
        return json.loads(capsys.readouterr().out)["latency_s"]

    assert latency("rtx-pro-6000", 1) < latency("rtx4090", 1)  # 1597 vs 1008 GB/s
    assert latency("rtx4090x2", 2) < latency("rtx4090", 1)
