"""The "pim" cost model: decode attention and KV writes on PIM devices scored by the PIM stream models.

Everything else (prefill attention placed on a PIM, GEMV on HBM-PIM, softmax as its own eager kernel,
devices without timings) is scored like before by the roofline. PCIe transfers are not part of an
operator's time: the schedule adds them as transfer rows.

Tensor parallelism: the graph describes one tp rank (``instances`` copies). A DIMM-PIM pool is shared by
all ranks (shipped systems have one pool), so the copies are scored together on the pool and each copy
is charged ``1 / instances`` of that time (the sequential schedule multiplies by ``instances / count``).
HBM-PIM sits in each GPU's memory (one device per rank), so one copy is scored on one device.
The layout is the fastest of a few candidates (:func:`_candidate_layouts`), as a mapper would pick.
Per-request context lengths are not on the operator; requests are taken as equally long
(``kv_tokens / batch``) unless ``op.attrs["kv_lens"]`` gives them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, DeviceKind
from cosim.hardware.dimm_pim import DimmPimSpec
from cosim.hardware.hbm_pim import HbmPimSpec
from cosim.perf.base import CostModel, OpTiming, register_cost_model
from cosim.perf.pim.dimm_attention import DecodeBatch, dimm_decode_attention, kv_write_time_s
from cosim.perf.pim.geometry import dimm_geometry
from cosim.perf.pim.hbm_attention import hbm_decode_attention
from cosim.perf.roofline import RooflineModel
from cosim.workload.ops import Operator, OpKind, TensorClass

# Share of a fused decode attention's PIM time charged to each eager kernel (score scans K, context scans V).
_EAGER_SHARE = {OpKind.FUSED_ATTENTION: 1.0, OpKind.ATTENTION_SCORE: 0.5, OpKind.ATTENTION_CONTEXT: 0.5}


def _kv_bytes_per_element(op: Operator) -> int | None:
    sizes = {t.dtype.bytes for t in op.tensors() if t.cls is TensorClass.KV_CACHE}
    if len(sizes) != 1:
        return None
    size = sizes.pop()
    return int(size) if float(size).is_integer() and size >= 1 else None


def decode_batch_of(op: Operator, copies: int = 1) -> DecodeBatch | None:
    """The decode batch an attention operator describes (``copies`` tp ranks' heads together), or None."""
    s = op.shape
    batch, q_tokens = int(s.get("batch", 0)), int(s.get("q_tokens", 0))
    if batch < 1 or q_tokens != batch or "kv_heads" not in s:
        return None  # not a decode step (one query per request)
    e = _kv_bytes_per_element(op)
    if e is None:
        return None
    lens = op.attrs.get("kv_lens")
    contexts = np.asarray(lens, dtype=np.int64) if lens is not None else np.full(
        batch, max(1, -(-int(s["kv_tokens"]) // batch)), dtype=np.int64)
    return DecodeBatch(contexts, int(s["heads"]) * copies, int(s["kv_heads"]) * copies, int(s["head_dim"]),
                       layers=1, dtype_bytes=e)


def _candidate_layouts(spec: DimmPimSpec, batch: DecodeBatch) -> list[str]:
    """Layouts the mapper may pick from: CHIME's (requests over ranks) and heads over ranks; tokens over
    every rank only when there are fewer (request, head) pairs than ranks (otherwise it only adds merges)."""
    names = ["hybrid", "hybrid-head"]
    if batch.batch * batch.kv_heads < dimm_geometry(spec).total_ranks:
        names.append("hybrid-token")
    return names


def _timing(pim_s: float, scan_s: float, comm_s: float, overhead_s: float) -> OpTiming:
    return OpTiming(compute_s=comm_s, memory_s=scan_s, overhead_s=overhead_s, latency_s=pim_s + overhead_s,
                    bound="memory" if scan_s >= comm_s else "compute")


@register_cost_model("pim")
class PimCostModel(CostModel):
    """DIMM-PIM / HBM-PIM stream models for decode attention and KV writes; roofline for the rest."""

    kinds = frozenset({DeviceKind.DIMM_PIM, DeviceKind.HBM_PIM})

    def __init__(self) -> None:
        self._roofline = RooflineModel()

    def op_timing(self, op: Operator, caps: DeviceCaps, spec: Any = None) -> OpTiming:
        try:
            timed = self._pim_timing(op, caps, spec)
        except CosimInputError:
            timed = None  # e.g. one layer's KV does not fit the layout: the mapping stage reports capacity
        return timed if timed is not None else self._roofline.op_timing(op, caps, spec)

    def _pim_timing(self, op: Operator, caps: DeviceCaps, spec: Any) -> OpTiming | None:
        if isinstance(spec, DimmPimSpec):
            return self._dimm(op, caps, spec)
        if isinstance(spec, HbmPimSpec) and spec.dram is not None:
            return self._hbm(op, caps, spec)
        return None

    def _dimm(self, op: Operator, caps: DeviceCaps, spec: DimmPimSpec) -> OpTiming | None:
        copies = max(1, op.instances)
        if op.kind is OpKind.KV_CACHE_WRITE:
            tokens = int(op.shape.get("tokens", 0))
            kv_heads = int(op.shape.get("kv_heads", 0))
            e = _kv_bytes_per_element(op)
            if tokens < 1 or kv_heads < 1 or e is None:
                return None
            batch = DecodeBatch(np.ones(tokens, np.int64), kv_heads * copies, kv_heads * copies,
                                int(op.shape["head_dim"]), dtype_bytes=e)
            t = kv_write_time_s(spec, batch) / copies
            t = max(t, op.bytes / caps.achieved_bw_bytes_per_s)  # never faster than the device roofline
            return OpTiming(0.0, t, caps.op_overhead_s, t + caps.op_overhead_s, "memory")
        share = _EAGER_SHARE.get(op.kind)
        batch = decode_batch_of(op, copies) if share is not None else None
        if batch is None:
            return None
        r = min((dimm_decode_attention(spec, batch, layout=name) for name in _candidate_layouts(spec, batch)),
                key=lambda res: res.pim_time_s)
        f = share / copies
        if r.level == "bank":
            return _timing(r.pim_time_s * f, r.pipeline.t_comp_s * f, r.pipeline.t_comm_s * f, caps.op_overhead_s)
        return _timing(r.pim_time_s * f, r.pim_time_s * f, 0.0, caps.op_overhead_s)

    def _hbm(self, op: Operator, caps: DeviceCaps, spec: HbmPimSpec) -> OpTiming | None:
        share = _EAGER_SHARE.get(op.kind)
        batch = decode_batch_of(op) if share is not None else None
        if batch is None:
            return None
        r = hbm_decode_attention(spec, batch)
        t = r.time_s * share
        return _timing(t, t, 0.0, caps.op_overhead_s)
