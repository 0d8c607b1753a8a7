"""Hand-made results for report tests, so they do not depend on the graph, mapping or perf stages.

A uniquely named module (not conftest) so that other test folders' helpers cannot shadow it."""

from __future__ import annotations

import numpy as np

from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.perf.result import MemoryUse, OpResult, StepResult
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit, OpKind

XSS = "<script>alert(1)</script>"


def gpu_caps(name: str = "gpu") -> DeviceCaps:
    # round illustrative numbers, not a product: the tests check structure, not values
    return DeviceCaps(name=name, kind=DeviceKind.GPU, matrix_flops_per_s={DType.BF16: 1e15},
                      vector_flops_per_s={DType.BF16: 6e13}, mem_bw_bytes_per_s=3e12,
                      mem_capacity_bytes=80 * 2**30, compute_efficiency=0.8, memory_efficiency=0.9)


def pim_caps(name: str = "pim") -> DeviceCaps:
    return DeviceCaps(name=name, kind=DeviceKind.DIMM_PIM, matrix_flops_per_s={DType.BF16: 2e12},
                      vector_flops_per_s={DType.BF16: 1e12}, mem_bw_bytes_per_s=1e12,
                      mem_capacity_bytes=512 * 2**30)


def _op(name: str, kind: OpKind, device: DeviceCaps, flops: float, nbytes: float, repeat: int,
        block: str = "decoder") -> OpResult:
    """An operator timed with a plain roofline on ``device`` (so points sit under their ceiling)."""
    unit = kind.unit
    compute_s = flops / device.achieved_flops(unit, DType.BF16) if unit is not ComputeUnit.NETWORK else 0.0
    memory_s = nbytes / device.achieved_bw_bytes_per_s
    overhead_s = 2e-6
    latency_s = max(compute_s, memory_s) + overhead_s
    bound = "network" if unit is ComputeUnit.NETWORK else ("compute" if compute_s >= memory_s else "memory")
    return OpResult(name=name, kind=kind.value, device=device.name, repeat=repeat, flops=flops, bytes=nbytes,
                    compute_s=compute_s, memory_s=memory_s, overhead_s=overhead_s, latency_s=latency_s,
                    bound=bound, block=block)


def make_step(system: str = "gpu+pim", batch: int = 8, context: int = 2048, *, model: str = "toy-7b",
              layers: int = 32, hidden: int = 4096, fits: bool = True, gpu: DeviceCaps | None = None,
              pim: DeviceCaps | None = None) -> StepResult:
    gpu = gpu or gpu_caps()
    pim = pim or pim_caps()
    b, h, w = batch, hidden, 2  # bf16 bytes
    kv_bytes = 2 * b * context * h * w
    ops = [
        _op("embed", OpKind.EMBEDDING, gpu, 0.0, b * h * w * 2, 1, block="embed"),
        _op("attn_norm", OpKind.NORM, gpu, 4 * b * h, 2 * b * h * w, layers),
        _op("qkv_proj", OpKind.GEMM, gpu, 2 * b * h * 3 * h, 3 * h * h * w, layers),
        _op("attention", OpKind.FUSED_ATTENTION, pim, 4 * b * context * h, kv_bytes, layers),
        _op("o_proj", OpKind.GEMM, gpu, 2 * b * h * h, h * h * w, layers),
        _op("all_reduce_attn", OpKind.ALL_REDUCE, gpu, 0.0, b * h * w, layers),
        _op("mlp", OpKind.GEMM, gpu, 2 * b * h * 3 * 11008, 3 * h * 11008 * w, layers),
        _op("lm_head", OpKind.LM_HEAD, gpu, 2 * b * h * 32000, h * 32000 * w, 1, block="head"),
    ]
    latency_s = sum(op.total_s for op in ops)
    weights = sum(op.bytes * op.repeat for op in ops if op.kind == "gemm")
    memory = [MemoryUse(device=gpu.name, weights_bytes=weights, kv_cache_bytes=0.0, activation_bytes=1e8,
                        capacity_bytes=gpu.mem_capacity_bytes),
              MemoryUse(device=pim.name, weights_bytes=0.0, kv_cache_bytes=kv_bytes * layers,
                        activation_bytes=0.0, capacity_bytes=pim.mem_capacity_bytes if fits else 1.0)]
    return StepResult(model=model, system=system, phase="decode", batch=batch, context=context, tokens=batch,
                      cost_model="roofline", ops=ops, memory=memory, latency_s=latency_s,
                      flops=sum(op.flops * op.repeat for op in ops),
                      bytes=sum(op.bytes * op.repeat for op in ops), notes=["hand-made test result"])


def make_drm(context: int = 4096, **labels: object) -> dict[str, object]:
    """DRM-like curves from a toy model: FC saturates, attention flat, capacity at a batch."""
    batch = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512], dtype=float)
    fc = 2e5 * batch / (batch + 64)
    attn = np.full_like(batch, 3e7 / context)
    cap = 2e6 / context
    system = np.where(batch <= cap, np.minimum(fc, attn), np.nan)
    return {"batch": batch, "fc_tokens_per_s": fc, "attn_tokens_per_s": attn, "capacity_batch": cap,
            "system_tokens_per_s": system, "context": context, **labels}
