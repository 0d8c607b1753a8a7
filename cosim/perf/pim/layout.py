"""KV-cache bank layouts on DIMM-PIM: where each byte of every request's K and V lives.

A layout maps ``(request, layer, kv_head, token, K|V, element, byte)`` to ``(channel, rank, chip, bank,
row, column)`` (column = byte column of an x8 chip). Two element placements (CHIME Sec. V-B):

* ``host``: the host's default striping. KV regions are contiguous in the physical address space; every
  64-byte line is a BL8 burst whose 8-byte beats are split over the 8 chips (byte j of a beat -> chip j),
  so one fp16 element lands on two chips and no bank PU sees a whole element. Lines are interleaved
  column-burst, bank group, bank, rank, channel, row (LSB first, DRAMsim3's ``rochrababgco`` order).
* ``hybrid`` (CHIME hybrid-grained re-layout): the two bytes of an element go out in consecutive beats of
  the same chip (fine-grained step) and each KV head is spread over ``N_hc`` chips of a rank, head_dim /
  N_hc elements each (coarse-grained step). Tokens are dealt round-robin over the banks of those chips,
  so every bank PU scores different tokens at once (adder-tree mode) and accumulates its tokens' share of
  the context (accumulator mode). K and V of one (request, layer, head) start on row boundaries.

How work is spread over the ranks of a rankset (one rank per channel, CHIME Sec. VI-A):
``request`` (each request's layer on one rank, requests balanced longest first, NeuPIMs Alg. 2 style),
``head`` (each KV head on its own rank) or ``token`` (each request's tokens split over every rank, so even
one request keeps all banks busy; the host merges the per-rank partial softmax results).
Layers are ``interleaved`` over ranksets (request r, layer l -> rankset (s_r + l) mod R, CHIME's load
balance) or ``blocked`` (contiguous layers fill one rankset after the other).

:func:`place` raises :class:`CosimInputError` when the KV cache does not fit.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cosim.errors import CosimInputError
from cosim.perf.pim.geometry import DimmGeometry
from cosim.registry import Registry

GIB = 2**30


class ElementPlacement(StrEnum):
    HOST_STRIPED = "host_striped"
    CHIP_LOCAL = "chip_local"


class Partition(StrEnum):
    REQUEST = "request"
    HEAD = "head"
    TOKEN = "token"


class LayerPlacement(StrEnum):
    INTERLEAVED = "interleaved"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class KvLayout:
    name: str
    element: ElementPlacement
    partition: Partition = Partition.REQUEST
    layers: LayerPlacement = LayerPlacement.INTERLEAVED
    n_hc: int | None = None  # chips per head; None: the largest that keeps CHIME's Eq. 1 (bubble-free)
    description: str = ""

    @property
    def bank_pu_usable(self) -> bool:
        """Bank PUs need whole elements in one chip; the host striping splits every fp16 over two."""
        return self.element is ElementPlacement.CHIP_LOCAL


LAYOUTS: Registry[KvLayout] = Registry("layout", "layout")
"""KV-cache layouts by name (``--layout``); a name registered twice is an error."""


def register_layout(layout: KvLayout) -> KvLayout:
    return LAYOUTS.add(layout.name, layout)


_CHIP = ElementPlacement.CHIP_LOCAL
register_layout(KvLayout("host", ElementPlacement.HOST_STRIPED,
                         description="host default striping: each 64-bit beat over 8 chips, fp16 split over two"))
register_layout(KvLayout("hybrid", _CHIP, description="CHIME hybrid-grained: element in one chip, N_hc chips per "
                         "head (Eq. 1), requests over ranks, layers interleaved over ranksets"))
register_layout(KvLayout("hybrid-head", _CHIP, Partition.HEAD, description="hybrid, KV heads spread over ranks"))
register_layout(KvLayout("hybrid-token", _CHIP, Partition.TOKEN,
                         description="hybrid, each request's tokens split over every rank"))
register_layout(KvLayout("hybrid-blocked", _CHIP, layers=LayerPlacement.BLOCKED,
                         description="hybrid, contiguous layers fill one rankset after another"))
for _n in (1, 2, 4, 8):
    register_layout(KvLayout(f"hybrid-nhc{_n}", _CHIP, n_hc=_n, description=f"hybrid with N_hc = {_n} chips per head"))


def get_layout(name: str) -> KvLayout:
    return LAYOUTS.get(name)


@dataclass(frozen=True)
class KvShape:
    """The KV cache to place: per-request context lengths, layers, KV heads, head_dim, bytes per element."""

    contexts: np.ndarray
    layers: int
    kv_heads: int
    head_dim: int
    dtype_bytes: int = 2

    def __post_init__(self) -> None:
        ctx = np.atleast_1d(np.asarray(self.contexts, dtype=np.int64))
        object.__setattr__(self, "contexts", ctx)
        for field, value in (("layers", self.layers), ("kv_heads", self.kv_heads), ("head_dim", self.head_dim),
                             ("dtype_bytes", self.dtype_bytes)):
            if value < 1:
                raise CosimInputError(f"{field} must be >= 1, got {value}", field=field)
        if ctx.size == 0 or (ctx < 1).any():
            raise CosimInputError("every context length must be >= 1", field="context")

    @property
    def requests(self) -> int:
        return int(self.contexts.size)

    @property
    def total_bytes(self) -> int:
        return int(self.contexts.sum()) * self.layers * self.kv_heads * self.head_dim * self.dtype_bytes * 2


def _lpt(weights: np.ndarray, bins: int) -> np.ndarray:
    """Longest-processing-time-first assignment of items to ``bins`` (ties: lowest bin).

    A heap of (load, bin) pops the least-loaded bin, lowest index first on ties: the same choice as an
    argmin over the loads, in O(log bins) per item (this runs once per layout candidate and serving step)."""
    out = np.empty(weights.size, dtype=np.int64)
    if bins <= 1 or weights.size == 0:
        out[:] = 0
        return out
    order = np.argsort(-weights, kind="stable").tolist()
    values = weights.tolist()
    heap = [(0, b) for b in range(bins)]
    for i in order:
        load, b = heapq.heappop(heap)
        out[i] = b
        heapq.heappush(heap, (load + values[i], b))
    return out


def _exclusive_cumsum_by_key(keys: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For items in order, the sum of the sizes of earlier items with the same key (a bump allocator)."""
    order = np.argsort(keys, kind="stable")
    k, s = keys[order], sizes[order]
    csum = np.cumsum(s) - s
    starts = np.r_[0, np.flatnonzero(np.diff(k)) + 1]
    group_first = np.repeat(csum[starts], np.diff(np.r_[starts, k.size]))
    out = np.empty_like(sizes)
    out[order] = csum - group_first
    return out


@dataclass(frozen=True)
class Placement:
    """A placed KV cache. Chip-local layouts: per (layer, unit) rank, chip group and row ranges."""

    layout: KvLayout
    geo: DimmGeometry
    shape: KvShape
    n_hc: int
    # chip-local: one "unit" = (request, kv head, token chunk); arrays of shape (units,)
    unit_req: np.ndarray
    unit_head: np.ndarray
    unit_tok0: np.ndarray
    unit_tokens: np.ndarray
    unit_group: np.ndarray
    unit_rows: np.ndarray  # rows per bank for K (the same for V)
    # shape (layers, units)
    rankset: np.ndarray
    channel: np.ndarray
    row_base: np.ndarray  # first row of K; V follows at row_base + unit_rows
    chunks: int  # token chunks per (request, head): all ranks for the token partition, else 1
    used_bytes: int  # bytes of the rows the layout occupies (with row padding), or of the lines (host)
    region_base: np.ndarray | None = None  # host: byte address of each (layer, request, head, K|V) region

    @property
    def slice_elems(self) -> int:
        return self.shape.head_dim // self.n_hc

    @property
    def slice_bytes(self) -> int:
        return self.slice_elems * self.shape.dtype_bytes

    @property
    def groups(self) -> int:
        return self.geo.chips_per_rank // self.n_hc

    @property
    def capacity_use(self) -> float:
        return self.used_bytes / self.geo.capacity_bytes

    def rank_id(self) -> np.ndarray:
        """(layers, units) global rank index: rankset * channels + channel."""
        return self.rankset * self.geo.channels + self.channel

    # ---- the map ---------------------------------------------------------------------------------------
    def locate(self, req, layer, head, token, kv, elem, byte) -> dict[str, np.ndarray]:
        """Where bytes live: arrays in, dict of ``channel, rank, chip, bank, row, column`` arrays out.

        ``rank`` is the rank within its channel (= the rankset); ``kv`` is 0 for K, 1 for V.
        """
        args = [np.asarray(a, dtype=np.int64) for a in (req, layer, head, token, kv, elem, byte)]
        req, layer, head, token, kv, elem, byte = np.broadcast_arrays(*args)
        if self.layout.element is ElementPlacement.HOST_STRIPED:
            return self._locate_host(req, layer, head, token, kv, elem, byte)
        s, g = self.shape, self.geo
        chunk_len = -(-s.contexts[req] // self.chunks)
        chunk = token // chunk_len
        unit = (req * s.kv_heads + head) * self.chunks + chunk
        t_local = token - self.unit_tok0[unit]
        bank = t_local % g.banks_per_chip
        slot = t_local // g.banks_per_chip
        chip = self.unit_group[unit] * self.n_hc + elem // self.slice_elems
        off = slot * self.slice_bytes + (elem % self.slice_elems) * s.dtype_bytes + byte
        row = self.row_base[layer, unit] + kv * self.unit_rows[unit] + off // g.row_bytes
        return {"channel": self.channel[layer, unit], "rank": self.rankset[layer, unit], "chip": chip,
                "bank": bank, "row": row, "column": off % g.row_bytes}

    def _locate_host(self, req, layer, head, token, kv, elem, byte) -> dict[str, np.ndarray]:
        s, g = self.shape, self.geo
        assert self.region_base is not None
        region = ((layer * s.requests + req) * s.kv_heads + head) * 2 + kv
        addr = self.region_base[region] + (token * s.head_dim + elem) * s.dtype_bytes + byte
        line_bytes = g.chips_per_rank * g.column_bytes
        line, in_line = np.divmod(addr, line_bytes)
        beat, chip = np.divmod(in_line, g.chips_per_rank)
        rest, burst = np.divmod(line, g.bursts_per_row)
        rest, bg = np.divmod(rest, g.bank_groups)
        rest, ba = np.divmod(rest, g.banks_per_group)
        rest, rank = np.divmod(rest, g.ranks_per_channel)
        row, channel = np.divmod(rest, g.channels)
        bytes_per_beat = g.column_bytes // g.chips_per_rank if g.column_bytes >= g.chips_per_rank else 1
        column = burst * g.column_bytes + beat * bytes_per_beat
        return {"channel": channel, "rank": rank, "chip": chip, "bank": bg * g.banks_per_group + ba,
                "row": row, "column": column}


def _too_big(layout: KvLayout, shape: KvShape, geo: DimmGeometry, detail: str) -> CosimInputError:
    return CosimInputError(
        f"KV cache of {shape.total_bytes / GIB:.2f} GiB ({shape.requests} requests, {shape.layers} layers, "
        f"{shape.kv_heads} KV heads) does not fit layout {layout.name!r} on {geo.capacity_bytes / GIB:.0f} GiB "
        f"of DIMM-PIM: {detail}", field="layout")


def _place_host(layout: KvLayout, geo: DimmGeometry, shape: KvShape) -> Placement:
    line = geo.chips_per_rank * geo.column_bytes
    region_bytes = np.repeat(shape.contexts, shape.kv_heads * 2) * shape.head_dim * shape.dtype_bytes
    region_bytes = np.tile(-(-region_bytes // line) * line, shape.layers)
    base = np.cumsum(region_bytes) - region_bytes
    used = int(region_bytes.sum())
    if used > geo.capacity_bytes:
        raise _too_big(layout, shape, geo, f"needs {used / GIB:.2f} GiB of 64-byte lines")
    empty = np.zeros(0, dtype=np.int64)
    return Placement(layout, geo, shape, 1, empty, empty, empty, empty, empty, empty,
                     np.zeros((shape.layers, 0), np.int64), np.zeros((shape.layers, 0), np.int64),
                     np.zeros((shape.layers, 0), np.int64), 1, used, region_base=base)


def _units(layout: KvLayout, geo: DimmGeometry, shape: KvShape) -> tuple[np.ndarray, ...]:
    """(request, head, first token, tokens) of every unit, in (request, head, chunk) order."""
    chunks = geo.total_ranks if layout.partition is Partition.TOKEN else 1
    req = np.repeat(np.arange(shape.requests), shape.kv_heads * chunks)
    head = np.tile(np.repeat(np.arange(shape.kv_heads), chunks), shape.requests)
    chunk = np.tile(np.arange(chunks), shape.requests * shape.kv_heads)
    length = -(-shape.contexts[req] // chunks)
    tok0 = np.minimum(chunk * length, shape.contexts[req])
    tokens = np.minimum(tok0 + length, shape.contexts[req]) - tok0
    return req, head, chunk, tok0, tokens, chunks


def _ranks(layout: KvLayout, geo: DimmGeometry, shape: KvShape, req, chunk, tokens) -> tuple[np.ndarray, ...]:
    """Rankset at layer 0 and channel of every unit (layer placement applied later)."""
    R, C = geo.ranksets, geo.channels
    spread = R if layout.layers is LayerPlacement.INTERLEAVED else 1
    if layout.partition is Partition.TOKEN:
        return chunk // C, chunk % C
    if layout.partition is Partition.REQUEST:
        per_req = shape.contexts * shape.kv_heads
        slot = _lpt(per_req, spread * C)[req]
    else:  # HEAD
        slot = _lpt(tokens, spread * C)
    return slot // C, slot % C


def _groups(rank_key: np.ndarray, tokens: np.ndarray, groups: int) -> np.ndarray:
    """Chip group of each unit: longest first onto the least-loaded group of its rank (LPT per rank, as
    :func:`_lpt` does for one rank; all ranks in one pass over the units sorted by rank, then longest first)."""
    out = np.zeros(tokens.size, dtype=np.int64)
    if groups == 1 or tokens.size == 0:
        return out
    order = np.lexsort((np.arange(tokens.size), -tokens, rank_key)).tolist()  # by rank, longest first, stable
    keys, values = rank_key.tolist(), tokens.tolist()
    heaps: dict[int, list[tuple[int, int]]] = {}
    for i in order:
        heap = heaps.get(keys[i])
        if heap is None:
            heap = heaps[keys[i]] = [(0, g) for g in range(groups)]
        load, g = heapq.heappop(heap)
        out[i] = g
        heapq.heappush(heap, (load + values[i], g))
    return out


def place(layout: KvLayout | str, geo: DimmGeometry, shape: KvShape, *, n_hc: int | None = None) -> Placement:
    """Place a KV cache; ``n_hc`` overrides the layout's (needed when the layout leaves it to Eq. 1)."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    if layout.element is ElementPlacement.HOST_STRIPED:
        return _place_host(layout, geo, shape)
    n = layout.n_hc or n_hc or geo.chips_per_rank
    if geo.chips_per_rank % n or shape.head_dim % n:
        raise CosimInputError(f"N_hc = {n} must divide the {geo.chips_per_rank} chips per rank and head_dim "
                              f"{shape.head_dim}", field="layout")
    req, head, chunk, tok0, tokens, chunks = _units(layout, geo, shape)
    rs0, channel0 = _ranks(layout, geo, shape, req, chunk, tokens)
    groups = geo.chips_per_rank // n
    group = _groups(rs0 * geo.channels + channel0, tokens, groups)
    slice_bytes = shape.head_dim // n * shape.dtype_bytes
    tokens_per_bank = -(-tokens // geo.banks_per_chip)
    rows = -(-(tokens_per_bank * slice_bytes) // geo.row_bytes)
    layer = np.arange(shape.layers)[:, None]
    if layout.layers is LayerPlacement.INTERLEAVED:
        rankset = (rs0[None, :] + layer) % geo.ranksets
    else:
        rankset = np.broadcast_to(layer * geo.ranksets // shape.layers, (shape.layers, req.size)).copy()
    channel = np.broadcast_to(channel0, rankset.shape).copy()
    keys = ((rankset * geo.channels + channel) * groups + group[None, :]).ravel()
    sizes = np.broadcast_to(2 * rows, rankset.shape).ravel()
    row_base = _exclusive_cumsum_by_key(keys, sizes).reshape(rankset.shape)
    top = int((row_base + 2 * rows[None, :]).max()) if rows.size else 0
    if top > geo.rows:
        raise _too_big(layout, shape, geo, f"the fullest bank needs {top} rows, banks have {geo.rows}")
    used = int(sizes.sum()) * n * geo.banks_per_chip * geo.row_bytes
    return Placement(layout, geo, shape, n, req, head, tok0, tokens, group, rows, rankset, channel, row_base,
                     chunks, used)

