"""Vectorized roofline: one placed graph, many hardware variants, one numpy evaluation.

The placed graph becomes a struct-of-arrays once (FLOPs, bytes, achieved peak, device index, repeat x
sharing weight per operator row; bytes, steps, link index per network row). A variant only changes
per-device bandwidth, compute scale, capacity and overhead and per-link bandwidth and latency, so
time[rows, variants] = max(flops / peak, bytes / bw) + overhead is plain broadcasting and the step
latency is weights @ time. Rows and arithmetic are those of the scalar schedule (cosim.schedule), so
the two agree to rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from cosim.engine.predict import place_and_validate, resolve_system
from cosim.errors import CosimInputError
from cosim.hardware.system import SystemView
from cosim.hardware.variants import DEVICE_PARAMS, LINK_PARAMS, check_params
from cosim.mapping.mapping import Mapping as MappingRules
from cosim.perf.result import BOUNDS
from cosim.schedule.plan import RowKind, plan_step
from cosim.workload.meta import graph_meta

CHUNK_VARIANTS = 32768  # variants per block: keeps temporaries (rows x block) in cache-friendly sizes
_COMPUTE, _MEMORY, _OVERHEAD, _NETWORK = (
    BOUNDS.index(b) for b in ("compute", "memory", "overhead", "network")
)


@dataclass
class VariantResults:
    """Arrays over variants (same order as the inputs)."""

    latency_s: np.ndarray
    fits: np.ndarray
    bound: np.ndarray  # strings from cosim.perf.result.BOUNDS
    tokens_per_s: np.ndarray

    def __len__(self) -> int:
        return len(self.latency_s)


@dataclass
class VectorizedStep:
    """Struct-of-arrays form of one placed step; build with :meth:`build`, evaluate with :meth:`evaluate`."""

    devices: list[str]
    links: list[str]
    tokens: int
    # operator rows
    op_dev: np.ndarray
    op_compute_base_s: np.ndarray  # flops / achieved peak at flops_scale 1
    op_bytes_over_eff: np.ndarray  # bytes / memory_efficiency
    op_weight: np.ndarray  # repeat * share
    # network rows (collectives, transfers)
    net_link: np.ndarray
    net_bytes: np.ndarray
    net_steps: np.ndarray
    net_weight: np.ndarray  # repeat
    # base parameters
    dev_bw: np.ndarray
    dev_overhead_s: np.ndarray
    dev_capacity: np.ndarray
    link_bw: np.ndarray
    link_latency_s: np.ndarray
    # memory: bytes each memory-owning device holds
    mem_dev: np.ndarray
    mem_bytes: np.ndarray

    @classmethod
    def build(
        cls, graph: nx.DiGraph, system: SystemView | str, mapping: MappingRules | str | None = None
    ) -> VectorizedStep:
        system = resolve_system(system)
        placement, memory = place_and_validate(graph, system, mapping, strict=False)
        plan = plan_step(graph, system, placement)
        devices = list(system.devices)
        links = list(plan.links)
        for name in devices:
            slot = system.devices[name]
            # This path IS the roofline: device kinds whose default (DEFAULT_BY_KIND) is a detailed model
            # (PIM streams, systolic arrays) are swept with the roofline; compare it with
            # predict(..., cost_model="roofline"). An explicit per-device override is refused below.
            model = slot.cost_model or "roofline"
            used = any(r.kind is RowKind.OPERATOR and r.device == name for r in plan.rows)
            if used and model != "roofline":
                raise CosimInputError(
                    f"device {name!r} uses cost model {model!r}; the vectorized path is roofline only",
                    field="cost_model",
                    allowed=["roofline"],
                )
        caps = {n: system.caps(n) for n in devices}
        op_rows = [r for r in plan.rows if r.kind is RowKind.OPERATOR]
        net_rows = [r for r in plan.rows if r.kind is not RowKind.OPERATOR]
        compute_base = []
        for r in op_rows:
            c = caps[r.device]
            compute_base.append(
                r.op.flops / c.achieved_flops(r.op.unit, r.op.dtype) if r.op.flops > 0 else 0.0
            )
        f64 = np.float64
        return cls(
            devices=devices,
            links=links,
            tokens=graph_meta(graph).tokens,
            op_dev=np.array([devices.index(r.device) for r in op_rows], dtype=np.intp),
            op_compute_base_s=np.array(compute_base, dtype=f64),
            op_bytes_over_eff=np.array(
                [r.op.bytes / caps[r.device].memory_efficiency for r in op_rows], dtype=f64
            ),
            op_weight=np.array([r.repeat * r.share for r in op_rows], dtype=f64),
            net_link=np.array(
                [links.index(r.link_name) if r.link_name else -1 for r in net_rows], dtype=np.intp
            ),
            net_bytes=np.array([r.link_bytes for r in net_rows], dtype=f64),
            net_steps=np.array([r.link_steps for r in net_rows], dtype=f64),
            net_weight=np.array([r.repeat for r in net_rows], dtype=f64),
            dev_bw=np.array([caps[n].mem_bw_bytes_per_s for n in devices], dtype=f64),
            dev_overhead_s=np.array([caps[n].op_overhead_s for n in devices], dtype=f64),
            dev_capacity=np.array([caps[n].mem_capacity_bytes for n in devices], dtype=f64),
            link_bw=np.array([plan.links[n].bw_bytes_per_s for n in links], dtype=f64),
            link_latency_s=np.array([plan.links[n].latency_s for n in links], dtype=f64),
            mem_dev=np.array([devices.index(m.device) for m in memory], dtype=np.intp),
            mem_bytes=np.array([m.total_bytes for m in memory], dtype=f64),
        )

    # -- evaluation -------------------------------------------------------------------------------------
    def _param_matrix(
        self, names: list[str], base: np.ndarray, variants: Mapping[str, Mapping[str, Any]], key: str, n: int
    ) -> np.ndarray:
        out = np.empty((len(names), n))
        for i, name in enumerate(names):
            value = variants.get(name, {}).get(key, base[i])
            out[i] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
        return out

    def _count(self, variants: Mapping[str, Mapping[str, Any]]) -> int:
        sizes = {np.size(v) for params in variants.values() for v in params.values() if np.ndim(v) > 0}
        if len(sizes) > 1:
            raise CosimInputError(f"variant arrays have different lengths {sorted(sizes)}", field="variants")
        return sizes.pop() if sizes else 1

    def evaluate(
        self, variants: Mapping[str, Mapping[str, Any]], *, with_bound: bool = True
    ) -> VariantResults:
        """``variants``: {device: {param: array}} (params in cosim.hardware.variants.DEVICE_PARAMS) and
        {link: {param: array}} (LINK_PARAMS); scalars broadcast, omitted parameters keep base values."""
        for name, params in variants.items():
            if name in self.devices:
                check_params(name, params, DEVICE_PARAMS)
            elif name in self.links:
                check_params(name, params, LINK_PARAMS)
            else:
                raise CosimInputError(
                    f"{name!r} is neither a device nor a link used by this step",
                    field="variants",
                    allowed=[*self.devices, *self.links],
                )
        n = self._count(variants)
        bw = self._param_matrix(self.devices, self.dev_bw, variants, "mem_bw_bytes_per_s", n)
        scale = self._param_matrix(self.devices, np.ones(len(self.devices)), variants, "flops_scale", n)
        ovh = self._param_matrix(self.devices, self.dev_overhead_s, variants, "op_overhead_s", n)
        cap = self._param_matrix(self.devices, self.dev_capacity, variants, "mem_capacity_bytes", n)
        lbw = self._param_matrix(self.links, self.link_bw, variants, "bw_bytes_per_s", n)
        llat = self._param_matrix(self.links, self.link_latency_s, variants, "latency_s", n)

        latency = np.empty(n)
        bound_idx = np.empty(n, dtype=np.intp)
        for lo in range(0, n, CHUNK_VARIANTS):
            hi = min(n, lo + CHUNK_VARIANTS)
            latency[lo:hi], bound_idx[lo:hi] = self._block(
                bw[:, lo:hi], scale[:, lo:hi], ovh[:, lo:hi], lbw[:, lo:hi], llat[:, lo:hi], with_bound
            )
        fits = (
            np.all(self.mem_bytes[:, None] <= cap[self.mem_dev], axis=0)
            if len(self.mem_dev)
            else np.ones(n, bool)
        )
        bound = np.asarray(BOUNDS, dtype=object)[bound_idx] if with_bound else np.full(n, "", dtype=object)
        with np.errstate(divide="ignore"):
            tps = np.where(latency > 0, self.tokens / latency, 0.0)
        return VariantResults(latency_s=latency, fits=fits, bound=bound, tokens_per_s=tps)

    def _block(
        self,
        bw: np.ndarray,
        scale: np.ndarray,
        ovh: np.ndarray,
        lbw: np.ndarray,
        llat: np.ndarray,
        with_bound: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        d = self.op_dev
        compute = self.op_compute_base_s[:, None] / scale[d]
        memory = self.op_bytes_over_eff[:, None] / bw[d]
        overhead = ovh[d]
        roof = np.maximum(compute, memory)
        op_time = roof + overhead
        latency = self.op_weight @ op_time
        if len(self.net_link):
            valid = self.net_link >= 0
            link = np.where(valid, self.net_link, 0)
            net = (
                np.where(
                    valid[:, None],
                    self.net_bytes[:, None] / lbw[link] + self.net_steps[:, None] * llat[link],
                    0.0,
                )
                if len(self.links)
                else np.zeros((len(link), bw.shape[1]))
            )
            net_total = self.net_weight @ net
        else:
            net_total = np.zeros(bw.shape[1])
        latency = latency + net_total
        if not with_bound:
            return latency, np.zeros(bw.shape[1], dtype=np.intp)
        is_over = overhead > roof
        is_comp = (compute >= memory) & ~is_over
        by_bound = np.empty((len(BOUNDS), bw.shape[1]))
        by_bound[_OVERHEAD] = self.op_weight @ np.where(is_over, op_time, 0.0)
        by_bound[_COMPUTE] = self.op_weight @ np.where(is_comp, op_time, 0.0)
        by_bound[_MEMORY] = latency - net_total - by_bound[_OVERHEAD] - by_bound[_COMPUTE]
        by_bound[_NETWORK] = net_total
        return latency, np.argmax(by_bound, axis=0)


def evaluate_variants(
    graph: nx.DiGraph,
    system: SystemView | str,
    variants: Mapping[str, Mapping[str, Any]],
    *,
    mapping: MappingRules | str | None = None,
) -> VariantResults:
    """One-call form: build the struct-of-arrays and evaluate ``variants`` on it."""
    return VectorizedStep.build(graph, system, mapping).evaluate(variants)
