"""Sequential schedule: every row (operator, transfer, collective) runs after the previous one.

No overlap between devices or between compute and communication: the step latency is the plain sum.
It is the reference the co-scheduler (sub-batch ping-pong, overlap) is measured against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from cosim.hardware.caps import DeviceCaps, LinkCaps
from cosim.hardware.system import SystemView
from cosim.mapping.placement import Placement
from cosim.perf.base import OpTiming, cost_model_for
from cosim.perf.result import TRANSFER_KIND, MemoryUse, OpResult, StepResult
from cosim.schedule.plan import PlannedRow, RowKind, StepPlan, plan_step, with_link_overrides
from cosim.workload.meta import graph_meta


@dataclass(frozen=True)
class TimedRow:
    plan: PlannedRow
    result: OpResult
    cost_model: str


def network_timing(row: PlannedRow, link: LinkCaps | None) -> OpTiming:
    """Bandwidth term as ``memory_s`` (data movement), latency steps as ``overhead_s``."""
    if link is None or row.link_steps == 0:
        return OpTiming(0.0, 0.0, 0.0, 0.0, "network")
    bw_s = row.link_bytes / link.bw_bytes_per_s if row.link_bytes else 0.0
    lat_s = row.link_steps * link.latency_s
    return OpTiming(compute_s=0.0, memory_s=bw_s, overhead_s=lat_s, latency_s=bw_s + lat_s, bound="network")


def time_rows(
    plan: StepPlan,
    system: SystemView,
    *,
    cost_model: str | None = None,
    caps_override: Mapping[str, DeviceCaps] | None = None,
    link_override: Mapping[str, LinkCaps] | None = None,
) -> list[TimedRow]:
    links = with_link_overrides(plan, link_override)
    caps_cache: dict[str, DeviceCaps] = dict(caps_override or {})
    out: list[TimedRow] = []
    for row in plan.rows:
        if row.kind is RowKind.OPERATOR:
            device = row.device
            if device not in caps_cache:
                caps_cache[device] = system.caps(device)
            caps = caps_cache[device]
            slot = system.devices[device]
            model = cost_model_for(caps.kind, cost_model or slot.cost_model)
            t = model.op_timing(row.op, caps, slot.spec)
            s = row.share
            timing = OpTiming(t.compute_s * s, t.memory_s * s, t.overhead_s * s, t.latency_s * s, t.bound)
            model_name = model.name
            flops, nbytes, kind, share = row.op.flops, row.op.bytes, row.op.kind.value, s
        else:
            share = 1.0
            timing = network_timing(row, links.get(row.link_name) if row.link_name else None)
            model_name = "network"
            if row.kind is RowKind.COLLECTIVE:
                flops, nbytes, kind = row.op.flops, row.op.bytes, row.op.kind.value
            else:
                flops, nbytes, kind = 0.0, row.link_bytes, TRANSFER_KIND
        result = OpResult(
            name=row.name,
            kind=kind,
            device=row.device,
            repeat=row.repeat,
            flops=flops,
            bytes=nbytes,
            compute_s=timing.compute_s,
            memory_s=timing.memory_s,
            overhead_s=timing.overhead_s,
            latency_s=timing.latency_s,
            bound=timing.bound,
            block=row.block,
            instances=row.instances,
            share=share,
        )
        out.append(TimedRow(row, result, model_name))
    return out


def step_result(
    graph: nx.DiGraph,
    system: SystemView,
    timed: list[TimedRow],
    memory: list[MemoryUse],
    *,
    mapping_name: str = "default",
    notes: list[str] | None = None,
) -> StepResult:
    """Totals: latency = sum of row totals; FLOPs and bytes count operators only (repeat * instances)."""
    ops = [t.result for t in timed]
    op_rows = [t.result for t in timed if t.plan.kind is not RowKind.TRANSFER]
    models = sorted({t.cost_model for t in timed if t.plan.kind is RowKind.OPERATOR})
    meta = graph_meta(graph)
    return StepResult(
        model=meta.model,
        system=str(system.name),
        phase=meta.phase.value,
        batch=meta.batch,
        context=meta.max_context,
        tokens=meta.tokens,
        cost_model="+".join(models) or "roofline",
        ops=ops,
        memory=memory,
        latency_s=sum(o.total_s for o in ops),
        flops=sum(o.flops * o.repeat * o.instances for o in op_rows),
        bytes=sum(o.bytes * o.repeat * o.instances for o in op_rows),
        tp=meta.tp,
        fusion=meta.fusion,
        mapping=mapping_name,
        notes=list(notes or []),
    )


def run_sequential(
    graph: nx.DiGraph,
    system: SystemView,
    placement: Placement,
    memory: list[MemoryUse],
    *,
    cost_model: str | None = None,
    caps_override: Mapping[str, DeviceCaps] | None = None,
    link_override: Mapping[str, LinkCaps] | None = None,
    notes: list[str] | None = None,
) -> StepResult:
    plan = plan_step(graph, system, placement)
    timed = time_rows(
        plan, system, cost_model=cost_model, caps_override=caps_override, link_override=link_override
    )
    return step_result(graph, system, timed, memory, mapping_name=placement.mapping.name, notes=notes)
