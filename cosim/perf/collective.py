"""Collectives over a link with the ring algorithm (what NCCL uses for bandwidth-bound messages).

Ring all-reduce over n ranks moves 2(n-1)/n of the buffer through every link and takes 2(n-1) steps,
each paying the link latency; ring all-gather moves (n-1)/n of the gathered buffer in n-1 steps.

All-to-all (expert-parallel MoE dispatch and combine) over n ranks: each rank keeps 1/n of its message
(the token-expert pairs of its own experts) and sends (n-1)/n of it, one chunk to each peer, as n-1
pairwise exchanges (NCCL's send/recv all-to-all; DeepEP/pplx post them together, but each peer is still
one message): (n-1)/n of the message per link, n-1 latency steps. Its ranks are ``shape["ranks"]``
(the ep ranks, not the tp ``instances`` of the graph's rank).
"""

from __future__ import annotations

from typing import Any

from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceCaps, LinkCaps
from cosim.perf.base import OpTiming
from cosim.workload.ops import Operator, OpKind


def message_bytes(op: Operator) -> float:
    """Bytes of the full buffer: the reduced tensor (all-reduce), the gathered output (all-gather) or one rank's
    outgoing token-expert rows (all-to-all)."""
    return max(op.bytes_read(), op.bytes_written())


def collective_ranks(op: Operator) -> int:
    """Ranks a collective spans: the tp group (``instances``), or ``shape["ranks"]`` for an all-to-all."""
    if op.kind is OpKind.ALL_TO_ALL:
        return int(op.shape.get("ranks", op.instances))
    return op.instances


def ring_coefficients(kind: OpKind, n: int) -> tuple[float, int]:
    """(fraction of the buffer each link carries, number of latency-bound steps) for ``n`` ranks."""
    if n <= 1:
        return 0.0, 0
    if kind is OpKind.ALL_REDUCE:
        return 2.0 * (n - 1) / n, 2 * (n - 1)
    if kind in (OpKind.ALL_GATHER, OpKind.ALL_TO_ALL):
        return (n - 1) / n, n - 1
    raise ValueError(f"{kind.value} is not a collective")


def collective_timing(op: Operator, link: LinkCaps) -> OpTiming:
    """Bandwidth term reported as ``memory_s`` (data movement), latency steps as ``overhead_s``."""
    fraction, steps = ring_coefficients(op.kind, collective_ranks(op))
    bw_s = fraction * message_bytes(op) / link.bw_bytes_per_s if fraction else 0.0
    lat_s = steps * link.latency_s
    return OpTiming(compute_s=0.0, memory_s=bw_s, overhead_s=lat_s, latency_s=bw_s + lat_s, bound="network")


def network_op_timing(op: Operator, caps: DeviceCaps, spec: Any) -> OpTiming:
    """Time of a collective scored on ``caps``: every cost model delegates here (``spec`` is the collective link)."""
    if not isinstance(spec, LinkCaps):
        raise CosimInputError(
            f"collective {op.name!r} on device {caps.name!r} needs a collective link (NVLink, ...) between its devices",
            field="collective_link",
        )
    return collective_timing(op, spec)
