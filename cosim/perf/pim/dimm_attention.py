"""Decode attention on DIMM-PIM (L3/CHIME, and the R-PIM rank-level baseline), per layer and per step.

Bank level (CHIME Sec. V), for every KV head slice a chip group holds:

1. q is broadcast to the shared buffers (PIM_WR_SB);
2. score: all-bank scans of K, bank PUs in adder-tree mode; ``ceil(N_gqa / N_cmr)`` MACs per column while
   the row is open; partial scores (one per token and query head per chip) go to the rank PU (PIM_RD_RB);
3. chunked softmax on the rank PU, probabilities written back (PIM_WR_SB);
4. context: all-bank scans of V in accumulator mode, per-bank results read out (PIM_RD_RB).

Internal (bank <-> PU) and external (chip <-> rank PU) buses are decoupled, so with bubble-free pipelining
a rank takes ``max(scan, comm)``; without it ``scan + comm``. CHIME Eq. 1 says when comm stays hidden:
``N_hc <= E_h * B_rk * ceil(N_gqa / N_cmr) / (B_bk * N_bk * N_gqa * N_chips)``. All chips of a rank obey
one command bus, so a rank takes as long as its busiest chip group, a layer as long as its slowest rank.

Rank level (R-PIM, or any device whose layout splits elements over chips, i.e. the host striping): the
rank PU on the buffer chip streams its rank at the rank-bus rate with bank interleaving hiding row
switches.

PCIe (CHIME Sec. VI-A): per layer, decode q/k/v in and outputs out, and prefill KV in when given. With
rankset overlap the prefill KV written to one rankset stalls only that rankset (the others compute);
without it every transfer is exposed (:func:`overlapped_layer_time`). :func:`dimm_decode_attention`
returns both the PIM-only time (what ``cosim predict`` charges to the attention operator: its schedule
counts transfers itself) and the overlapped step time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cosim.errors import CosimInputError
from cosim.hardware.dimm_pim import DimmPimSpec, PimLevel
from cosim.perf.pim.energy import DataPath, EnergyBreakdown, kernel_energy
from cosim.perf.pim.geometry import DimmGeometry, dimm_geometry
from cosim.perf.pim.layout import ElementPlacement, KvLayout, KvShape, Partition, Placement, get_layout, place
from cosim.perf.pim.stream import ActMode, StreamTiming


@dataclass(frozen=True)
class DecodeBatch:
    """One decode step's attention: per-request KV lengths and the head configuration of one layer."""

    contexts: np.ndarray
    heads: int
    kv_heads: int
    head_dim: int
    layers: int = 1
    dtype_bytes: int = 2
    prefill_tokens: int = 0  # prompt tokens whose KV arrives over the link in this step (all requests)

    def __post_init__(self) -> None:
        object.__setattr__(self, "contexts", np.atleast_1d(np.asarray(self.contexts, dtype=np.int64)))
        if self.kv_heads < 1 or self.heads < 1 or self.heads % self.kv_heads:
            raise CosimInputError(f"heads ({self.heads}) must be a positive multiple of kv_heads ({self.kv_heads})",
                                  field="kv_heads")

    @property
    def batch(self) -> int:
        return int(self.contexts.size)

    @property
    def n_gqa(self) -> int:
        return self.heads // self.kv_heads

    def kv_shape(self) -> KvShape:
        return KvShape(self.contexts, self.layers, self.kv_heads, self.head_dim, self.dtype_bytes)


@dataclass(frozen=True)
class PipelineCheck:
    """CHIME Eq. 1 for the configuration: the N_hc bound and the busiest rank's comm vs compute."""

    nhc_bound: float
    n_hc: int
    t_comp_s: float
    t_comm_s: float

    @property
    def bubble_free(self) -> bool:
        return self.t_comm_s <= self.t_comp_s


@dataclass(frozen=True)
class DimmAttentionResult:
    layout: str
    level: str  # "bank" or "rank" (where the MACs ran)
    ranksets: int
    layers: int
    pim_time_s: float  # all layers, PIM work only (no PCIe)
    step_time_s: float  # all layers, with PCIe transfers (overlapped across ranksets when enabled)
    exposed_pcie_s: float
    kv_bytes: float  # KV bytes of one step (all layers)
    dram_bytes: float  # bytes the PUs read (GQA re-reads included)
    peak_internal_bw_bytes_per_s: float
    bank_utilization: float
    pcie_in_bytes: float
    pcie_out_bytes: float
    capacity_use: float
    pipeline: PipelineCheck
    energy: EnergyBreakdown
    notes: list[str] = field(default_factory=list)

    @property
    def achieved_internal_bw_bytes_per_s(self) -> float:
        return self.dram_bytes / self.pim_time_s if self.pim_time_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout, "level": self.level, "ranksets": self.ranksets, "layers": self.layers,
            "time_s": self.step_time_s, "pim_time_s": self.pim_time_s, "exposed_pcie_s": self.exposed_pcie_s,
            "kv_bytes": self.kv_bytes, "dram_bytes": self.dram_bytes,
            "achieved_internal_bw_bytes_per_s": self.achieved_internal_bw_bytes_per_s,
            "peak_internal_bw_bytes_per_s": self.peak_internal_bw_bytes_per_s,
            "bank_utilization": self.bank_utilization,
            "pcie_in_bytes": self.pcie_in_bytes, "pcie_out_bytes": self.pcie_out_bytes,
            "pcie_bytes": self.pcie_in_bytes + self.pcie_out_bytes, "capacity_use": self.capacity_use,
            "eq1": {"n_hc": self.pipeline.n_hc, "n_hc_bound": self.pipeline.nhc_bound,
                    "t_comp_s": self.pipeline.t_comp_s, "t_comm_s": self.pipeline.t_comm_s,
                    "bubble_free": self.pipeline.bubble_free},
            "energy_j": self.energy.to_dict(), "notes": list(self.notes),
        }


# ---- rates and Eq. 1 --------------------------------------------------------------------------------------
def rank_bus_bytes_per_s(spec: DimmPimSpec) -> float:
    """B_rk: one rank's share of its channel when it talks (data rate x bus width)."""
    return spec.channel_bw_bytes_per_s()


def nhc_bound(*, head_dim: int, rank_bw: float, bank_bw: float, banks: int, chips: int, n_gqa: int,
              n_cmr: float, comm_bytes: int = 2, elem_bytes: int = 2) -> float:
    """CHIME Eq. 1: the largest N_hc with T_comm <= T_comp.

    ``comm_bytes / elem_bytes`` is the size of one partial score relative to a KV element; the paper's
    formula counts both in elements (ratio 1). With DDR4-3200 (B_rk 25.6 GB/s, B_bk 1.6 GB/s, 16 banks,
    8 chips, E_h 128) that gives 16 for MHA and 2 for GQA-8 (N_cmr 8), twice the paper's 8 and 1; fp32
    partial sums (ratio 2) would give the paper's numbers, but the paper does not say so.
    """
    passes = math.ceil(n_gqa / n_cmr)
    return head_dim * rank_bw * passes * elem_bytes / (bank_bw * banks * n_gqa * chips * comm_bytes)


def choose_nhc(bound: float, chips: int, head_dim: int) -> int:
    """The largest N_hc dividing the chips and head_dim that keeps Eq. 1 (at least 1)."""
    best = 1
    for n in range(1, chips + 1):
        if chips % n == 0 and head_dim % n == 0 and n <= bound:
            best = n
    return best


# ---- per-rank work ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _RankWork:
    scan_cycles: np.ndarray  # per rank (all ranks of the device), refresh included
    comm_cycles: np.ndarray
    rank_cycles: np.ndarray
    dram_bytes: float
    bus_bytes: float
    useful_bank_reads: float


def _bank_level_work(p: Placement, batch: DecodeBatch, timing: StreamTiming, n_cmr: float,
                     comm_bytes: int, pipelined: bool) -> _RankWork:
    """Layer-0 work of every rank (every layer has the same per-rank load multiset)."""
    g = p.geo
    banks, groups = g.banks_per_chip, p.groups
    tok_per_bank = -(-p.unit_tokens // banks)
    bursts = -(-(tok_per_bank * p.slice_bytes) // g.column_bytes)
    passes = math.ceil(batch.n_gqa / n_cmr)
    scan = 2 * timing.scan_cycles(bursts, g.bursts_per_row, passes)  # K then V
    e = batch.dtype_bytes
    read_bytes = p.unit_tokens * batch.n_gqa * comm_bytes + banks * p.slice_elems * batch.n_gqa * comm_bytes
    write_bytes = p.unit_tokens * batch.n_gqa * e + p.slice_elems * batch.n_gqa * e
    active = p.unit_tokens > 0  # a token chunk past the end of a short request does nothing
    read_bytes, write_bytes = read_bytes * active, write_bytes * active
    comm = (timing.bus_cycles(read_bytes, g.column_bytes, write=False)
            + timing.bus_cycles(write_bytes, g.column_bytes, write=True))
    key = p.rank_id()[0] * groups + p.unit_group
    n_keys = g.total_ranks * groups
    scan_g = np.bincount(key, weights=scan, minlength=n_keys).reshape(g.total_ranks, groups)
    comm_g = np.bincount(key, weights=comm, minlength=n_keys).reshape(g.total_ranks, groups)
    scan_r = timing.with_refresh(scan_g.max(axis=1).astype(np.int64))
    comm_r = comm_g.max(axis=1)
    rank = np.maximum(scan_r, comm_r) if pipelined else scan_r + comm_r
    chips = p.n_hc
    return _RankWork(
        scan_cycles=scan_r, comm_cycles=comm_r, rank_cycles=rank,
        dram_bytes=float((bursts * passes).sum()) * 2 * banks * chips * g.column_bytes,
        bus_bytes=float((read_bytes + write_bytes).sum()) * chips,
        useful_bank_reads=float((bursts * passes).sum()) * 2 * banks * chips,
    )


def _host_rank_bytes(p: Placement) -> np.ndarray:
    """Bytes of layer 0 on every rank under the host's line interleaving (exact line counts)."""
    g, s = p.geo, p.shape
    line = g.chips_per_rank * g.column_bytes
    block = g.bursts_per_row * g.banks_per_chip  # consecutive lines on one rank before the rank changes
    slots = g.total_ranks
    period = block * slots
    assert p.region_base is not None
    n_regions = s.requests * s.kv_heads * 2
    start = p.region_base[:n_regions] // line
    region_lines = -(-(np.repeat(s.contexts, s.kv_heads * 2) * s.head_dim * s.dtype_bytes) // line)
    end = start + region_lines
    j = np.arange(slots)[None, :]

    def upto(x: np.ndarray) -> np.ndarray:  # lines in [0, x) on slot j
        x = x[:, None]
        return (x // period) * block + np.clip(x % period - j * block, 0, block)

    per_slot = (upto(end) - upto(start)).sum(axis=0)
    # address order: rank bits below channel bits, so slot = channel * ranks_per_channel + rank
    channel, rank_in_ch = np.divmod(np.arange(slots), g.ranks_per_channel)
    out = np.zeros(slots)
    out[rank_in_ch * g.channels + channel] = per_slot * line
    return out


def _rank_level_work(p: Placement, batch: DecodeBatch, timing: StreamTiming, n_cmr: float) -> _RankWork:
    g = p.geo
    if p.layout.element is ElementPlacement.HOST_STRIPED:
        rank_bytes = _host_rank_bytes(p)
    else:
        per_unit = 2 * p.unit_tokens * batch.head_dim * batch.dtype_bytes
        rank_bytes = np.bincount(p.rank_id()[0], weights=per_unit, minlength=g.total_ranks)
    passes = math.ceil(batch.n_gqa / n_cmr)
    line = g.chips_per_rank * g.column_bytes
    bursts = np.ceil(rank_bytes / line).astype(np.int64) * passes
    stream = timing.with_refresh(bursts * max(timing.ccd_s, timing.bl) + np.where(bursts > 0, timing.cl, 0))
    return _RankWork(scan_cycles=stream, comm_cycles=np.zeros_like(stream), rank_cycles=stream,
                     dram_bytes=float(rank_bytes.sum()) * passes, bus_bytes=0.0,
                     useful_bank_reads=float(bursts.sum()) * g.chips_per_rank)


# ---- PCIe and ranksets --------------------------------------------------------------------------------------
def _link_bytes(p: Placement, batch: DecodeBatch) -> tuple[float, np.ndarray, float]:
    """One layer's decode inputs (q, new k, v), prefill KV per rankset, and outputs, in bytes."""
    g, e, d = p.geo, batch.dtype_bytes, batch.head_dim
    decode_in = float(batch.batch * (batch.heads + 2 * batch.kv_heads) * d * e)
    out = float(batch.batch * batch.heads * d * e)
    if p.layout.element is ElementPlacement.CHIP_LOCAL and p.layout.partition is Partition.TOKEN:
        # every rank returns a partial output plus a running max and sum per head for the host merge
        out = float(batch.batch * (batch.heads * d + 2 * batch.heads) * e * p.chunks)
    prefill = np.full(g.ranksets, batch.prefill_tokens * 2 * batch.kv_heads * d * e / g.ranksets)
    return decode_in, prefill, out


def overlapped_layer_time(rankset_s: np.ndarray, decode_in: float, prefill: np.ndarray, out: float,
                          link_bw: float, rankset_ddr_bw: float, *, overlap: bool) -> float:
    """One layer with its PCIe traffic.

    Decode q/k/v gate the attention and outputs follow it. Prefill KV (CHIME Sec. VI-A: sent asynchronously)
    only occupies the link and the DDR bus of the rankset it lands in. With rankset overlap a rankset pays
    only its own share of that DDR write time while the others keep computing, and the link must carry
    everything; without it every transfer stalls all ranksets (the DDR bus is shared).
    """
    link_s = (decode_in + prefill.sum() + out) / link_bw
    compute = float(rankset_s.max())
    if not overlap:
        return link_s + compute
    gated = decode_in / link_bw + float((rankset_s + prefill / rankset_ddr_bw).max()) + out / link_bw
    return max(gated, link_s)


# ---- entry point ---------------------------------------------------------------------------------------------
def dimm_decode_attention(
    spec: DimmPimSpec,
    batch: DecodeBatch,
    *,
    layout: KvLayout | str = "hybrid",
    ranksets: int | None = None,
    link_bw_bytes_per_s: float | None = None,
    overlap: bool = True,
    pipelined: bool = True,
    comm_bytes: int | None = None,
    act_mode: ActMode = ActMode.ALL_BANK,
    geometry: DimmGeometry | None = None,
) -> DimmAttentionResult:
    """Decode attention of ``batch`` on a DIMM-PIM device (see the module docstring)."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    geo = geometry or dimm_geometry(spec, ranksets)
    timing = StreamTiming.from_dram(spec.dram, mac_interval=spec.bank_pu.access_interval, act_mode=act_mode,
                                    banks=geo.banks_per_chip)
    n_cmr = spec.bank_pu.n_cmr
    comm = comm_bytes or batch.dtype_bytes
    bank_bw = timing.bank_peak_bytes_per_s(geo.column_bytes)
    rank_bw = rank_bus_bytes_per_s(spec)
    bound = nhc_bound(head_dim=batch.head_dim, rank_bw=rank_bw, bank_bw=bank_bw, banks=geo.banks_per_chip,
                      chips=geo.chips_per_rank, n_gqa=batch.n_gqa, n_cmr=n_cmr, comm_bytes=comm,
                      elem_bytes=batch.dtype_bytes)
    n_hc = choose_nhc(bound, geo.chips_per_rank, batch.head_dim)
    placement = place(layout, geo, batch.kv_shape(), n_hc=n_hc)
    notes: list[str] = []
    bank_level = spec.pim_level is PimLevel.BANK and layout.bank_pu_usable
    if spec.pim_level is PimLevel.BANK and not layout.bank_pu_usable:
        notes.append(f"layout {layout.name!r} splits fp16 elements over two chips: bank PUs cannot use it, "
                     "attention runs on the rank PUs")
    total_banks = geo.total_ranks * geo.chips_per_rank * geo.banks_per_chip
    if bank_level:
        work = _bank_level_work(placement, batch, timing, n_cmr, comm, pipelined)
        peak = total_banks * bank_bw
        path = DataPath.BANK
    else:
        work = _rank_level_work(placement, batch, timing, n_cmr)
        peak = geo.total_ranks * rank_bw
        path = DataPath.BUFFER
    rank_s = timing.seconds(work.rank_cycles)
    layer_pim_s = float(rank_s.max()) if rank_s.size else 0.0
    rs_of_rank = np.arange(geo.total_ranks) // geo.channels
    rankset_s = np.zeros(geo.ranksets)
    np.maximum.at(rankset_s, rs_of_rank, rank_s)
    decode_in, prefill, out = _link_bytes(placement, batch)
    link_total = decode_in + float(prefill.sum()) + out
    if link_bw_bytes_per_s is None:
        layer_step_s = layer_pim_s
        exposed = 0.0
        notes.append("no GPU<->PIM link given: PCIe transfers not timed")
    else:
        layer_step_s = overlapped_layer_time(rankset_s, decode_in, prefill, out, link_bw_bytes_per_s,
                                             geo.channels * rank_bw, overlap=overlap)
        exposed = layer_step_s - layer_pim_s
    busiest = int(np.argmax(work.rank_cycles)) if work.rank_cycles.size else 0
    check = PipelineCheck(bound, placement.n_hc if bank_level else 0,
                          float(timing.seconds(work.scan_cycles[busiest])) if bank_level else layer_pim_s,
                          float(timing.seconds(work.comm_cycles[busiest])) if bank_level else 0.0)
    slots = total_banks if bank_level else geo.total_ranks * geo.chips_per_rank
    interval = timing.mac_interval if bank_level else max(timing.ccd_s, timing.bl)
    capacity_reads = slots * layer_pim_s / (interval * timing.tck_s) if layer_pim_s > 0 else 0.0
    macs = float(batch.contexts.sum()) * batch.heads * batch.head_dim * 2 * batch.layers
    L = batch.layers
    energy = kernel_energy(dram_bytes=work.dram_bytes * L, path=path, bus_bytes=work.bus_bytes * L, macs=macs,
                           link_bytes=link_total * L)
    return DimmAttentionResult(
        layout=layout.name, level="bank" if bank_level else "rank", ranksets=geo.ranksets, layers=L,
        pim_time_s=layer_pim_s * L, step_time_s=layer_step_s * L, exposed_pcie_s=exposed * L,
        kv_bytes=float(batch.contexts.sum()) * 2 * batch.kv_heads * batch.head_dim * batch.dtype_bytes * L,
        dram_bytes=work.dram_bytes * L, peak_internal_bw_bytes_per_s=peak,
        bank_utilization=work.useful_bank_reads / capacity_reads if capacity_reads else 0.0,
        pcie_in_bytes=(decode_in + float(prefill.sum())) * L, pcie_out_bytes=out * L,
        capacity_use=placement.capacity_use, pipeline=check, energy=energy, notes=notes,
    )


def kv_write_time_s(spec: DimmPimSpec, batch: DecodeBatch, tokens_per_request: int = 1, *,
                    ranksets: int | None = None) -> float:
    """Writing ``tokens_per_request`` new tokens' K and V of one layer into the ranks that hold them.

    The re-layout happens in flight in the rank PU's SRAM (CHIME Sec. V-B), so a write costs its bursts
    on the rank bus; requests are balanced over the ranks (the slowest rank sets the time).
    """
    geo = dimm_geometry(spec, ranksets)
    timing = StreamTiming.from_dram(spec.dram, mac_interval=spec.bank_pu.access_interval)
    per_req = tokens_per_request * 2 * batch.kv_heads * batch.head_dim * batch.dtype_bytes
    per_rank_reqs = math.ceil(batch.batch / geo.total_ranks)
    line = geo.chips_per_rank * geo.column_bytes
    bursts = per_rank_reqs * math.ceil(per_req / line)
    return float(timing.seconds(bursts * max(timing.ccd_s, timing.bl) + timing.cwl))
