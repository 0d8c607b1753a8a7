"""Single-kernel predictions (``cosim op gemm|attention``): a one-operator graph through predict_graph."""

from __future__ import annotations

from pathlib import Path

from cosim.engine.predict import predict_graph, resolve_system
from cosim.errors import CosimInputError
from cosim.hardware.system import SystemView
from cosim.mapping.mapping import Mapping
from cosim.mapping.schema import OpRule
from cosim.perf.result import OpResult
from cosim.perf.single_op import attention_operator, gemm_operator, single_op_graph
from cosim.workload.ops import Operator, Phase


def predict_op(
    hw: SystemView | str | Path,
    op: Operator,
    *,
    phase: Phase = Phase.DECODE,
    batch: int = 1,
    context: int = 0,
    device: str | None = None,
) -> OpResult:
    system = resolve_system(hw)
    if device is None:
        compute = list(system.compute_devices())
        device = compute[0] if compute else next(iter(system.devices))
    elif device not in system.devices:
        raise CosimInputError(
            f"device {device!r} is not in system {system.name!r}",
            field="device",
            allowed=list(system.devices),
        )
    mapping = Mapping(name=f"all-on-{device}", op_rules=(OpRule(device=device),))
    result = predict_graph(single_op_graph(op, phase, batch, context), system, mapping=mapping)
    return next(r for r in result.ops if r.name == op.name)


def predict_op_gemm(
    hw: SystemView | str | Path, m: int, n: int, k: int, dtype: str = "bf16", device: str | None = None
) -> OpResult:
    return predict_op(hw, gemm_operator(m, n, k, dtype), batch=m, device=device)


def predict_op_attention(
    hw: SystemView | str | Path,
    phase: str | Phase,
    batch: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    context: int,
    dtype: str = "bf16",
    device: str | None = None,
    kernel: str | None = None,
) -> OpResult:
    op = attention_operator(phase, batch, heads, kv_heads, head_dim, context, dtype, kernel)
    return predict_op(hw, op, phase=Phase.parse(phase), batch=batch, context=context, device=device)
