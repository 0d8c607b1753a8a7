"""Calibrated GPU kernel behaviour beyond the datasheet: the ``kernel_model:`` section of a GPU preset.

The detailed GPU cost model ("gpu-kernel", ``cosim.perf.gpu``) needs a few physical quantities no
datasheet gives: how long a kernel waits for its first DRAM bytes, how much bandwidth one SM can keep
in flight, how fast L2 serves re-reads, how well compute and memory overlap, and how close flash
attention gets to the tensor-core peak. They are fitted per architecture on measured kernels
(``cosim calibrate gpu``) and a GPU without data inherits them from its sibling (``extends:``), so
the achievable peaks (``efficiency``) and the per-kernel gap (``kernel_launch``) stay in their usual
fields and these are the rest. Every field is optional: the defaults are generic first-principles
values, documented next to each field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from cosim.hardware.common import (
    Fraction,
    NonNegativeSeconds,
    PositiveBandwidth,
    PositiveBytes,
    StrictModel,
)
from cosim.workload.dtypes import DType


class GpuArchitecture(StrEnum):
    """Selects the kernel shapes (GEMM tiles, flash-attention blocks) the architecture's libraries use."""

    AMPERE = "ampere"
    HOPPER = "hopper"
    ADA = "ada"  # sm_89 (AD10x): Ampere-style mma.sync GEMMs, FlashAttention-2 with the sm8x tile choice
    RTX_BLACKWELL = "rtx-blackwell"  # sm_120 (GB20x): no tcgen05/TMEM of datacenter sm_100; FlashAttention-2


# Defaults when a preset has no ``kernel_model:`` (or omits a field). Generic values, not fits:
DEFAULT_DRAM_LATENCY_S = 1.0e-6  # order of an HBM round trip plus CTA launch (~600-800 ns load-to-use + launch)
DEFAULT_SM_BANDWIDTH_SHARE = 2.0  # one SM can pull about twice its fair share (BW / SMs) when others idle
DEFAULT_L2_BANDWIDTH_RATIO = 2.5  # L2 serves re-reads at a few times HBM bandwidth on A100/H100-class parts
DEFAULT_OVERLAP = 4.0  # p-norm exponent joining compute and memory time; large = perfect overlap
DEFAULT_ATTENTION_EFFICIENCY = 0.6  # serving flash attention main loop vs tensor peak (FA2 on A100, FA3 on H100)
DEFAULT_SDPA_ATTENTION_EFFICIENCY = 0.6  # torch SDPA flash backend (FA2 kernels) vs tensor peak
# operator kinds (cosim.workload.ops.OpKind values) timed as memory-streaming kernels
STREAM_KINDS = ("norm", "rotary", "elementwise", "residual_add", "kv_cache_write", "embedding", "softmax")


class KernelModelSpec(StrictModel):
    """Calibrated parameters of the detailed GPU kernel model (all optional, see module docstring)."""

    dram_latency: NonNegativeSeconds = DEFAULT_DRAM_LATENCY_S
    sm_bandwidth: PositiveBandwidth | None = None  # None: DEFAULT_SM_BANDWIDTH_SHARE * HBM BW / SMs
    l2_bandwidth: PositiveBandwidth | None = None  # None: DEFAULT_L2_BANDWIDTH_RATIO * HBM BW
    overlap: Annotated[float, Field(ge=1.0, le=64.0)] = DEFAULT_OVERLAP
    attention_efficiency: Fraction = DEFAULT_ATTENTION_EFFICIENCY
    sdpa_attention_efficiency: Fraction = DEFAULT_SDPA_ATTENTION_EFFICIENCY
    # compute/memory overlap (p-norm exponent) inside flash attention, whose cp.async/TMA pipelines keep several
    # K/V tiles in flight, unlike a GEMM's; None: the same as ``overlap``
    attention_overlap: Annotated[float, Field(ge=1.0, le=64.0)] | None = None
    # achievable tensor throughput of a dtype's kernels relative to efficiency.compute (e.g. fp8 GEMMs with
    # scaling epilogues reach a smaller share of their doubled peak); a dtype not listed: 1.0
    dtype_compute_scale: dict[DType, Fraction] = Field(default_factory=dict)
    # bytes one SM keeps in flight in a memory-bound kernel of a given operator kind (norm, rotary, embedding, ...):
    # by Little's law such a kernel streams at most SMs x in-flight / dram_latency. A kind not listed streams at
    # sm_bandwidth per SM (vectorized elementwise kernels). Fitted per kind on measured kernels (cosim calibrate gpu).
    stream_inflight: dict[str, PositiveBytes] = Field(default_factory=dict)
    calibrated_on: str = ""  # dataset(s) and split the values were fitted on ("" = defaults)

    @field_validator("stream_inflight")
    @classmethod
    def _known_stream_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(STREAM_KINDS))
        if unknown:
            raise ValueError(f"unknown streaming kernel kind(s) {unknown}; allowed: {', '.join(STREAM_KINDS)}")
        return value
