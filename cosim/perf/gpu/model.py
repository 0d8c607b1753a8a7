"""The "gpu-kernel" cost model: each operator kind is timed by the kernel formula that fits it.

GEMM-like kinds use the tiled GEMM model, flash attention the prefill / split-KV decode model,
eager attention matmuls a batched GEMM, everything that streams memory the streaming model, and
collectives the ring model over NVLink (as the roofline). Kinds without a dedicated formula (MoE
experts) fall back to an overlapped roofline that still pays the kernel's gap and DRAM latency.
Every formula is bounded below by the roofline of the same caps: the same achievable peaks, bytes
and per-kernel overhead, plus quantization, ramps and latencies that only add time. A GPU known only
by its caps (no spec with an SM count, e.g. a hand-built test device) is timed by the roofline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.perf.base import CostModel, OpTiming, register_cost_model
from cosim.perf.collective import network_op_timing
from cosim.perf.gpu.attention import (
    AttentionKernel,
    decode_attention_time,
    decode_split_limit,
    prefill_attention_time,
)
from cosim.perf.gpu.attention_varlen import (
    decode_attention_varlen_steps,
    decode_attention_varlen_time,
    prefill_attention_varlen_time,
)
from cosim.perf.gpu.device import GpuView, gpu_view, overlap_sum
from cosim.perf.gpu.gemm import KernelTime, gemm_time
from cosim.perf.gpu.memory_bound import streaming_time
from cosim.perf.roofline import RooflineModel, classify_bound
from cosim.workload.ops import ComputeUnit, Operator, OpKind, TensorClass

ATTENTION_KERNEL_ATTR = "attention_kernel"  # op.attrs key: "sdpa" (plain PyTorch) or "serving"


def _dtype_peak(gpu: GpuView, op: Operator) -> float:
    return gpu.tensor_peak(op.dtype) if op.unit is ComputeUnit.MATRIX else gpu.peak(op.unit, op.dtype)


def _gemm(op: Operator, gpu: GpuView) -> KernelTime:
    s = op.shape
    elem = op.dtype.bytes
    return gemm_time(gpu, s["m"], s["n"], s["k"], elem_bytes=elem, peak_flops=_dtype_peak(gpu, op),
                     dram_bytes=op.bytes)


def _per_request(op: Operator) -> tuple[int, int, int]:
    """(requests, query tokens, keys) per request: step graphs give totals, single kernels per-request lengths."""
    s = op.shape
    batch = max(int(s["batch"]), 1)
    if "q_len" in s:
        return batch, max(int(s["q_len"]), 1), max(int(s["kv_len"]), 1)
    return batch, max(round(s["q_tokens"] / batch), 1), max(round(s["kv_tokens"] / batch), 1)


def _eager_attention_matmul(op: Operator, gpu: GpuView) -> KernelTime:
    """QK^T (m=q, n=kv, k=head_dim) or PV (m=q, n=head_dim, k=kv), one GEMM per (request, head)."""
    batch, q, kv = _per_request(op)
    d = int(op.shape["head_dim"])
    m, n, k = (q, kv, d) if op.kind is OpKind.ATTENTION_SCORE else (q, d, kv)
    return gemm_time(gpu, m, n, k, elem_bytes=op.dtype.bytes, peak_flops=_dtype_peak(gpu, op),
                     batch=batch * int(op.shape["heads"]), dram_bytes=op.bytes)


def attention_kernel_of(op: Operator) -> AttentionKernel:
    """Which flash implementation runs: an explicit attr, else plain PyTorch unless rotary was fused in."""
    if ATTENTION_KERNEL_ATTR in op.attrs:
        return AttentionKernel.parse(op.attrs[ATTENTION_KERNEL_ATTR])
    return AttentionKernel.SERVING if op.attrs.get("rotary_inside") else AttentionKernel.SDPA


def unequal_lengths(op: Operator) -> tuple[np.ndarray, np.ndarray] | None:
    """The per-request (q_lens, kv_lens) of an attention operator whose requests differ, else None."""
    q, kv = op.attrs.get("q_lens"), op.attrs.get("kv_lens")
    if q is None or kv is None or len(q) < 2:
        return None
    q, kv = np.asarray(q), np.asarray(kv)
    if (q == q[0]).all() and (kv == kv[0]).all():
        return None
    return q, kv


def decode_splits_keys(op: Operator, gpu: GpuView) -> bool:
    """Whether a fused decode attention operator may split its keys over several CTAs on this GPU."""
    s = op.shape
    group = int(s["heads"]) // int(s["kv_heads"])
    units = int(s["batch"]) * int(s["kv_heads"]) * -(-group // gpu.arch.decode_block_m)
    return decode_split_limit(gpu, attention_kernel_of(op), units=units, group=group) > 1


def _attention_args(op: Operator, gpu: GpuView) -> dict[str, Any]:
    s = op.shape
    kv_elem = next((t.dtype.bytes for t in op.reads if t.cls is TensorClass.KV_CACHE), op.dtype.bytes)
    return dict(heads=int(s["heads"]), kv_heads=int(s["kv_heads"]), head_dim=int(s["head_dim"]),
                elem_bytes=op.dtype.bytes, kv_bytes=kv_elem, peak_flops=_dtype_peak(gpu, op),
                kernel=attention_kernel_of(op), dram_bytes=op.bytes)


RUN_BLOCK = 256  # decode steps evaluated per array pass (bounds the (steps x splits x waves) arrays)


def varlen_decode_run_s(op: Operator, gpu: GpuView, steps: int, bytes_per_step: float) -> np.ndarray | None:
    """Latencies of ``steps`` decode iterations of a fused decode attention over unequal requests, each request
    one key longer per step (``bytes_per_step`` more DRAM traffic): equal to timing each step's operator."""
    varlen = unequal_lengths(op)
    if varlen is None or not (varlen[0] == 1).all() or not _has_shape(op):
        return None
    common = _attention_args(op, gpu)
    base = common.pop("dram_bytes")
    out = np.empty(steps)
    for first in range(0, steps, RUN_BLOCK):
        i = np.arange(first, min(steps, first + RUN_BLOCK))
        t = decode_attention_varlen_steps(gpu, kv_lens=varlen[1][None, :] + i[:, None],
                                          dram_bytes=base + bytes_per_step * i, **common)
        out[i] = t.latency_s
    return out


def _fused_attention(op: Operator, gpu: GpuView) -> KernelTime:
    common = _attention_args(op, gpu)
    varlen = unequal_lengths(op)
    if varlen is not None:
        q_lens, kv_lens = varlen
        if (q_lens == 1).all():
            return decode_attention_varlen_time(gpu, kv_lens=kv_lens, **common)
        return prefill_attention_varlen_time(gpu, q_lens=q_lens, kv_lens=kv_lens, **common)
    batch, q, kv = _per_request(op)
    common["batch"] = batch
    if q == 1:
        return decode_attention_time(gpu, kv_len=kv, **common)
    return prefill_attention_time(gpu, q_len=q, kv_len=kv, causal=True, **common)


# attrs marking one step of a chain of plain PyTorch kernels (fp32 RMSNorm, chunk/cat rotary): those are
# PyTorch's vectorized elementwise/reduction kernels, not the single fused kernel the kind's in-flight bytes
# were fitted on, so they stream at the generic per-SM bandwidth
GENERIC_STEP_ATTRS = ("norm_step", "rotary_step")


def stream_class(op: Operator) -> str | None:
    """Which fitted in-flight class a memory-bound op streams with (None: generic vectorized kernel)."""
    return None if any(a in op.attrs for a in GENERIC_STEP_ATTRS) else op.kind.value


def streaming_kernel(op: Operator, gpu: GpuView) -> KernelTime:
    """A memory-bound operator (norm, rotary, elementwise, embedding, ...) at its kind's achieved bandwidth."""
    flops = op.flops + float(op.attrs.get("vector_flops", 0.0))
    return streaming_time(gpu, op.bytes, flops, gpu.peak(ComputeUnit.VECTOR, op.dtype), stream_class(op))


def _overlapped_roofline(op: Operator, gpu: GpuView) -> KernelTime:
    compute = op.flops / (gpu.peak(op.unit, op.dtype) * gpu.compute_efficiency) if op.flops > 0 else 0.0
    memory = op.bytes / gpu.achieved_bw
    body = float(overlap_sum(gpu.overlap, compute, memory))
    overhead = gpu.kernel_gap_s + gpu.dram_latency_s
    return KernelTime(np.asarray(compute), np.asarray(memory), np.asarray(overhead), np.asarray(body + overhead))


KernelFormula = Callable[[Operator, GpuView], KernelTime]

KERNEL_FORMULAS: dict[OpKind, KernelFormula] = {
    OpKind.GEMM: _gemm,
    OpKind.LM_HEAD: _gemm,
    OpKind.MOE_ROUTER: _gemm,
    OpKind.ATTENTION_SCORE: _eager_attention_matmul,
    OpKind.ATTENTION_CONTEXT: _eager_attention_matmul,
    OpKind.FUSED_ATTENTION: _fused_attention,
    OpKind.SOFTMAX: streaming_kernel,
    OpKind.NORM: streaming_kernel,
    OpKind.ROTARY: streaming_kernel,
    OpKind.ELEMENTWISE: streaming_kernel,
    OpKind.RESIDUAL_ADD: streaming_kernel,
    OpKind.KV_CACHE_WRITE: streaming_kernel,
    OpKind.EMBEDDING: streaming_kernel,
    OpKind.MOE_EXPERTS: _overlapped_roofline,
}


_ATTENTION_SHAPE = ("batch", "heads", "kv_heads", "head_dim")
_SHAPE_KEYS = {
    OpKind.GEMM: ("m", "n", "k"), OpKind.LM_HEAD: ("m", "n", "k"), OpKind.MOE_ROUTER: ("m", "n", "k"),
    OpKind.ATTENTION_SCORE: _ATTENTION_SHAPE, OpKind.ATTENTION_CONTEXT: _ATTENTION_SHAPE,
    OpKind.FUSED_ATTENTION: _ATTENTION_SHAPE,
}


def _has_shape(op: Operator) -> bool:
    """Whether the op carries the dimensions its formula needs (else: overlapped roofline)."""
    if not all(key in op.shape for key in _SHAPE_KEYS.get(op.kind, ())):
        return False
    if op.kind.is_attention and op.kind is not OpKind.SOFTMAX:
        return {"q_len", "kv_len"} <= set(op.shape) or {"q_tokens", "kv_tokens"} <= set(op.shape)
    return True


CACHE_SIZE = 65536
_CACHE: dict[tuple, OpTiming] = {}


LENGTH_ATTRS = ("q_lens", "kv_lens")


def _attr_key(value: Any) -> object:
    """A hashable stand-in for an attribute (per-request length arrays by content: repr elides long arrays)."""
    if isinstance(value, np.ndarray):
        return value.dtype.str, value.shape, value.tobytes()
    return repr(value)


def _op_key(op: Operator) -> tuple:
    """What a kernel's time depends on (not its name, repeat or place in the graph)."""
    # per-request lengths matter to attention kernels only (a KV write streams its bytes, whatever the lengths)
    attrs = tuple(sorted((k, _attr_key(v)) for k, v in op.attrs.items()
                         if op.kind.is_attention or k not in LENGTH_ATTRS))
    tensors = tuple((t.cls, t.dtype, t.bytes) for t in (*op.reads, *op.writes))
    return op.kind, op.dtype, op.flops, tuple(sorted(op.shape.items())), tensors, attrs


def _kernel_timing(op: Operator, gpu: GpuView) -> OpTiming:
    key = (_op_key(op), gpu)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        hit = _CACHE[key] = _time_kernel(op, gpu)
    return hit


def _time_kernel(op: Operator, gpu: GpuView) -> OpTiming:
    formula = KERNEL_FORMULAS.get(op.kind, _overlapped_roofline) if _has_shape(op) else _overlapped_roofline
    t = formula(op, gpu)
    compute, memory, overhead, latency = (float(x) for x in (t.compute_s, t.memory_s, t.overhead_s, t.latency_s))
    return OpTiming(compute, memory, overhead, latency, classify_bound(compute, memory, overhead))


_VIEWS: dict[tuple[int, int], tuple[DeviceCaps, Any, GpuView]] = {}


def _view(caps: DeviceCaps, spec: Any) -> GpuView:
    """``gpu_view(caps, spec)``, remembered for the same two objects (a serving run asks ~10^5 times)."""
    key = (id(caps), id(spec))
    hit = _VIEWS.get(key)
    if hit is None or hit[0] is not caps or hit[1] is not spec:
        if len(_VIEWS) >= CACHE_SIZE:
            _VIEWS.clear()
        hit = _VIEWS[key] = (caps, spec, gpu_view(caps, spec))
    return hit[2]


@register_cost_model("gpu-kernel")
class GpuKernelModel(CostModel):
    """Tile/wave-quantized GEMMs, flash attention, size-dependent streaming; calibrated per architecture."""

    kinds = frozenset({DeviceKind.GPU})

    def op_timing(self, op: Operator, caps: DeviceCaps, spec: Any = None) -> OpTiming:
        if op.unit is ComputeUnit.NETWORK:
            return network_op_timing(op, caps, spec)
        if caps.kind is not DeviceKind.GPU:
            raise CosimInputError(f"the gpu-kernel cost model times GPUs, not {caps.kind.value} {caps.name!r}",
                                  field="cost_model", allowed=["roofline"])
        if getattr(spec, "sm_count", None) is None:  # caps only (a hand-built device): nothing to tile over
            return RooflineModel().op_timing(op, caps, spec)
        return _kernel_timing(op, _view(caps, spec))
