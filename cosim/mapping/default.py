"""The rule-based default mapper: decode attention and the KV cache on PIM when the system has one.

This is the placement L3/CHIME and AttAcc study: the bandwidth-bound decode attention (and the KV
cache it streams) runs where the memory is, everything with weight reuse stays on the GPU/NPU. Prefill
attention is compute-bound, so it stays on the compute device, but the KV cache still lives in PIM
memory, so prefill's KV writes cross the link.
"""

from __future__ import annotations

from typing import Any

from cosim.errors import CosimInputError
from cosim.mapping.mapping import Mapping
from cosim.mapping.schema import OpMatch, OpRule, TensorMatch, TensorRule
from cosim.workload.ops import ATTENTION_KINDS, OpKind, Phase, TensorClass

# Ops that touch the KV cache in decode: the attention itself and the write of the new token's K/V.
DECODE_PIM_KINDS = (*sorted(ATTENTION_KINDS, key=lambda k: k.value), OpKind.KV_CACHE_WRITE)


def attention_pim_device(system: Any) -> str | None:
    """First PIM device that can run decode attention (fused, or score and context)."""
    for name in system.pim_devices():
        caps = system.caps(name)
        if caps.supports(OpKind.FUSED_ATTENTION) or (
            caps.supports(OpKind.ATTENTION_SCORE) and caps.supports(OpKind.ATTENTION_CONTEXT)
        ):
            return name
    return None


def compute_device(system: Any) -> str:
    devices = list(system.compute_devices())
    if not devices:
        raise CosimInputError(
            f"system {getattr(system, 'name', '?')!r} has no GPU/NPU for the default mapping; "
            "give a mapping file",
            field="mapping",
            allowed=list(system.devices),
        )
    return devices[0]


def default_mapping(system: Any, phase: Phase | str = Phase.DECODE) -> Mapping:
    phase = Phase.parse(phase)
    gpu = compute_device(system)
    pim = attention_pim_device(system)
    if pim is None:
        return Mapping(
            name="default",
            description=f"everything on {gpu}",
            op_rules=(OpRule(device=gpu),),
            tensor_rules=(TensorRule(device=gpu, partition="tensor_parallel"),),
        )
    caps = system.caps(pim)
    pim_kinds = [k for k in DECODE_PIM_KINDS if caps.supports(k)]
    op_rules = []
    if phase in (Phase.DECODE, Phase.MIXED):  # a mixed iteration's decode part is an operator of phase decode
        op_rules.append(OpRule(match=OpMatch(kind=pim_kinds, phase=[Phase.DECODE]), device=pim))
    op_rules.append(OpRule(device=gpu))
    tensor_rules = (
        TensorRule(
            match=TensorMatch(cls=[TensorClass.KV_CACHE]),
            device=pim,
            partition={"across": ["channel", "rank"], "by": "head"},
        ),
        TensorRule(device=gpu, partition="tensor_parallel"),
    )
    return Mapping(
        name="default",
        description=f"decode attention and the KV cache on {pim}, everything else on {gpu}",
        op_rules=tuple(op_rules),
        tensor_rules=tensor_rules,
    )
