"""Fusion profiles and attention implementations: which kernels a step is made of.

* ``fused`` models a serving engine (vLLM-like): residual add folded into RMSNorm, rotary inside
  the attention kernel, one KV-cache write for K and V, SiLU-and-multiply in one kernel.
* ``unfused`` models plain eager PyTorch (Hugging Face modelling code): every elementwise step is
  its own kernel, RMSNorm runs in fp32 as a chain of casts, reductions and multiplies, rotary is
  neg/cat/mul/mul/add on q and on k, and K and V are copied into the cache separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cosim.errors import CosimInputError


class Fusion(StrEnum):
    FUSED = "fused"
    UNFUSED = "unfused"

    @classmethod
    def parse(cls, value: str | Fusion) -> Fusion:
        return _parse(cls, value, "fusion")


class AttentionImpl(StrEnum):
    FLASH = "flash"  # one FUSED_ATTENTION operator; scores never leave on-chip memory
    EAGER = "eager"  # ATTENTION_SCORE, SOFTMAX, ATTENTION_CONTEXT with materialized score matrices

    @classmethod
    def parse(cls, value: str | AttentionImpl) -> AttentionImpl:
        return _parse(cls, value, "attention")


class Logits(StrEnum):
    LAST = "last"  # one lm_head row per request (serving engines)
    ALL = "all"  # every processed token (plain forward pass)

    @classmethod
    def parse(cls, value: str | Logits) -> Logits:
        return _parse(cls, value, "logits")


def _parse(cls, value, field):
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value).strip().lower())
    except ValueError:
        allowed = [v.value for v in cls]
        raise CosimInputError(f"unknown {field} {value!r}", field=field, allowed=allowed) from None


@dataclass(frozen=True)
class FusionProfile:
    fuse_add_rmsnorm: bool  # residual add folded into RMSNorm (LayerNorm models keep separate adds)
    rmsnorm_fp32_chain: bool  # RMSNorm as cast/pow/mean/add/rsqrt/mul/cast/mul kernels in fp32
    rotary_in_attention: bool  # rotary applied inside the attention kernel
    rotary_chunk_cat: bool  # rotary as neg/cat/mul/mul/add kernels on q and k
    single_kv_write: bool  # one kernel writes K and V into the cache
    fused_gate_act: bool  # act(gate) * up in one kernel
    default_logits: Logits


PROFILES = {
    Fusion.FUSED: FusionProfile(fuse_add_rmsnorm=True, rmsnorm_fp32_chain=False, rotary_in_attention=True,
                                rotary_chunk_cat=False, single_kv_write=True, fused_gate_act=True,
                                default_logits=Logits.LAST),
    Fusion.UNFUSED: FusionProfile(fuse_add_rmsnorm=False, rmsnorm_fp32_chain=True, rotary_in_attention=False,
                                  rotary_chunk_cat=True, single_kv_write=False, fused_gate_act=False,
                                  default_logits=Logits.ALL),
}
