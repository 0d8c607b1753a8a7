"""Turn a placed graph into the rows a schedule times: operators, link transfers and collectives.

Planning (where things run, what crosses which link, how many tp ranks share a device) is kept apart
from timing so the scalar schedule and the vectorized sweep time exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import networkx as nx

from cosim.errors import CosimInputError
from cosim.hardware.caps import LinkCaps
from cosim.hardware.system import SystemView
from cosim.mapping.placement import Placement, graph_operators, memory_owner, share_factor, slot_count
from cosim.perf.collective import collective_ranks, message_bytes, ring_coefficients
from cosim.workload.ops import ComputeUnit, Operator


class RowKind(StrEnum):
    OPERATOR = "operator"  # timed by the device's cost model
    COLLECTIVE = "collective"  # ring algorithm over the slot's collective link
    TRANSFER = "transfer"  # activation or persistent-tensor bytes crossing a link between devices


@dataclass(frozen=True)
class PlannedRow:
    kind: RowKind
    name: str
    device: str  # device name for operators and collectives, link name for transfers
    repeat: int
    instances: int
    block: str = ""
    op: Operator | None = None
    share: float = 1.0  # tp ranks one device runs in sequence (>= 1)
    link_name: str | None = None  # link whose bw/latency time network rows
    link_bytes: float = 0.0  # bytes through the link per copy (network rows)
    link_steps: int = 0  # latency-bound steps (network rows)
    src: str | None = None  # producing op (transfers)
    dst: str | None = None  # consuming op (transfers)


@dataclass(frozen=True)
class StepPlan:
    rows: list[PlannedRow]
    links: dict[str, LinkCaps]  # every link a row uses, by name


def shares_memory(system: SystemView, a: str, b: str) -> bool:
    return a == b or memory_owner(system, a) == memory_owner(system, b)


def _link(system: SystemView, a: str, b: str, what: str) -> LinkCaps:
    link = system.link_between(a, b)
    if link is None:
        raise CosimInputError(
            f"{what} must cross from device {a!r} to {b!r}, but the system has no link between them",
            field="links",
            allowed=f"add a link between {a} and {b} or remap",
        )
    return link


def plan_step(graph: nx.DiGraph, system: SystemView, placement: Placement) -> StepPlan:
    rows: list[PlannedRow] = []
    links: dict[str, LinkCaps] = {}

    def transfer(
        name: str, a: str, b: str, nbytes: float, repeat: int, block: str, src: str | None, dst: str | None
    ) -> None:
        link = _link(system, a, b, name)
        links[link.name] = link
        rows.append(
            PlannedRow(
                RowKind.TRANSFER,
                name,
                link.name,
                repeat,
                1,
                block,
                link_name=link.name,
                link_bytes=nbytes,
                link_steps=1,
                src=src,
                dst=dst,
            )
        )

    ops = {op.name: op for op in graph_operators(graph)}
    written_here: dict[tuple[str, str], float] = {}  # (persistent tensor, device) -> bytes written this step
    for op in ops.values():
        device = placement.op_device[op.name]
        for pred in graph.predecessors(op.name):
            src_dev = placement.op_device[pred]
            if shares_memory(system, src_dev, device):
                continue
            edge = graph.edges[pred, op.name]
            nbytes = float(edge.get("bytes", 0.0)) * op.instances
            transfer(
                f"{pred}->{op.name}",
                src_dev,
                device,
                nbytes,
                min(ops[pred].repeat, op.repeat),
                op.block,
                pred,
                op.name,
            )
        for access in op.reads:
            home = placement.home_of_access(access)
            if home is not None and not shares_memory(system, home, device):
                # K/V this device produced earlier in the step is still local (prefill attention reads
                # the fresh K/V it just wrote); only the rest comes over the link.
                remote = access.bytes - written_here.get((access.name, device), 0.0)
                if remote > 0:
                    transfer(
                        f"{access.name}->{op.name}",
                        home,
                        device,
                        remote * op.instances,
                        op.repeat,
                        op.block,
                        None,
                        op.name,
                    )
        rows.append(_op_row(op, device, system, links))
        for access in op.writes:
            home = placement.home_of_access(access)
            if home is not None and not shares_memory(system, home, device):
                written_here[(access.name, device)] = (
                    written_here.get((access.name, device), 0.0) + access.bytes
                )
                transfer(
                    f"{op.name}->{access.name}",
                    device,
                    home,
                    access.bytes * op.instances,
                    op.repeat,
                    op.block,
                    op.name,
                    None,
                )
    return StepPlan(rows=rows, links=links)


def _op_row(op: Operator, device: str, system: SystemView, links: dict[str, LinkCaps]) -> PlannedRow:
    if op.unit is not ComputeUnit.NETWORK:
        share = share_factor(op.instances, slot_count(system, device))
        return PlannedRow(
            RowKind.OPERATOR, op.name, device, op.repeat, op.instances, op.block, op=op, share=share
        )
    ranks = collective_ranks(op)
    fraction, steps = ring_coefficients(op.kind, ranks)
    link = system.collective_link(device) if steps else None
    if steps and link is None:
        raise CosimInputError(
            f"collective {op.name!r} over {ranks} ranks needs a collective link among the "
            f"devices of {device!r}",
            field="collective_link",
        )
    if link is not None:
        links[link.name] = link
    return PlannedRow(
        RowKind.COLLECTIVE,
        op.name,
        device,
        op.repeat,
        op.instances,
        op.block,
        op=op,
        link_name=link.name if link else None,
        link_bytes=fraction * message_bytes(op),
        link_steps=steps,
    )


def with_link_overrides(plan: StepPlan, overrides: Mapping[str, LinkCaps] | None) -> dict[str, LinkCaps]:
    links = dict(plan.links)
    for name, link in (overrides or {}).items():
        links[name] = link
    return links
