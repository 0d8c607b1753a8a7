"""Bookkeeping shared by the layer builders: tensors, persistent footprints, operators and edges.

Builders describe each operator by the tensors it reads and writes; this class turns that into
graph nodes, registers weights and KV caches (footprint over all layers of a block on one rank)
and draws an edge from the producer of every activation/KV tensor to each of its readers.

A mixed serving iteration builds its attention once per part (prefill slices, decode slices; see
:meth:`GraphBuilder.part`): each part writes and reads its own requests' K/V, and the parts' outputs
together make the activation the next operator reads, so it gets an edge from each part.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import networkx as nx

from cosim.workload.dtypes import DType
from cosim.workload.fusion import AttentionImpl, FusionProfile, Logits
from cosim.workload.model import ModelConfig
from cosim.workload.ops import Operator, OpKind, PersistentTensor, TensorAccess, TensorClass
from cosim.workload.sharding import Shard
from cosim.workload.step import Step


@dataclass(frozen=True)
class BuildContext:
    """Everything a layer builder needs to know about the step being built."""

    model: ModelConfig
    step: Step
    shard: Shard
    profile: FusionProfile
    attention: AttentionImpl
    logits: Logits
    dtype: DType  # activations and compute
    weight_dtype: DType
    k_dtype: DType
    v_dtype: DType

    @property
    def tokens(self) -> int:
        return self.step.tokens

    @property
    def tp(self) -> int:
        return self.shard.tp


def nbytes(shape: Sequence[int], dtype: DType) -> float:
    return float(math.prod(shape)) * dtype.bits / 8


class GraphBuilder:
    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.graph = nx.DiGraph()
        self.tensors: dict[str, PersistentTensor] = {}
        self._producers: dict[str, list[tuple[str, float, str]]] = {}  # tensor -> (op, bytes written, part)
        self._block = ""
        self._part = ""
        self._repeat = 1
        self.rotary_tables: tuple[TensorAccess, TensorAccess] | None = None  # (cos, sin) rows of the step

    # ----- blocks -----
    @contextmanager
    def block(self, name: str, repeat: int) -> Iterator[None]:
        """Operators added inside are named ``<name>.<op>`` and stand for ``repeat`` identical layers."""
        previous = (self._block, self._repeat)
        self._block, self._repeat = name, repeat
        try:
            yield
        finally:
            self._block, self._repeat = previous

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Operators added inside serve one part of a mixed batch (named ``<part>_<op>``): their K/V is their
        requests' own, and the activations they write are each a slice of the tensor (a reader outside the
        parts depends on every part, a reader inside on its own part)."""
        previous, self._part = self._part, name
        try:
            yield
        finally:
            self._part = previous

    def name(self, op: str) -> str:
        return f"{self._block}.{op}" if self._block else op

    # ----- tensors -----
    def act(self, name: str, shape: Sequence[int], dtype: DType | None = None) -> TensorAccess:
        dtype = dtype or self.ctx.dtype
        shape = tuple(shape)
        return TensorAccess(self.name(name), TensorClass.ACTIVATION, dtype, shape, nbytes(shape, dtype))

    def weight(self, name: str, shape: Sequence[int], touched: Sequence[int] | None = None,
               dtype: DType | None = None, *, shared_name: str | None = None) -> TensorAccess:
        """A weight of one layer (``shape``), registered with its footprint over the block's layers.

        ``touched``: the part one operator reads (embedding rows), default all of it. ``shared_name``
        refers to an already registered tensor (tied embeddings) instead of creating one.
        """
        dtype = dtype or self.ctx.weight_dtype
        full = shared_name or self.name(name)
        if shared_name is None:
            layers = self._repeat if self._block else 1
            stored = (layers, *shape) if self._block else tuple(shape)
            self.tensors[full] = PersistentTensor(full, TensorClass.WEIGHT, dtype, stored,
                                                  nbytes(shape, dtype) * layers)
        part = tuple(touched) if touched is not None else tuple(shape)
        return TensorAccess(full, TensorClass.WEIGHT, dtype, part, nbytes(part, dtype))

    def kv_cache(self, name: str, tokens: int, dtype: DType) -> TensorAccess:
        """One layer's K or V cache entries for ``tokens`` tokens; footprint registered for all layers."""
        s = self.ctx.shard
        full = self.name(name)
        layers = self._repeat if self._block else 1
        step = self.ctx.step
        kept = int(self.ctx.model.attended_kv_lens(step.q_lens, step.kv_lens).sum())  # sliding window: fewer
        resident = (kept, s.kv_heads, s.head_dim)
        self.tensors[full] = PersistentTensor(full, TensorClass.KV_CACHE, dtype, (layers, *resident),
                                              nbytes(resident, dtype) * layers)
        shape = (tokens, s.kv_heads, s.head_dim)
        return TensorAccess(full, TensorClass.KV_CACHE, dtype, shape, nbytes(shape, dtype))

    # ----- operators -----
    def add(self, op: str, kind: OpKind, flops: float, reads: Sequence[TensorAccess],
            writes: Sequence[TensorAccess], shape: Mapping[str, int], *, dtype: DType | None = None,
            attrs: Mapping[str, Any] | None = None) -> Operator:
        full = self.name(f"{self._part}_{op}" if self._part else op)
        operator = Operator(name=full, kind=kind, dtype=dtype or self.ctx.dtype, flops=float(flops),
                            reads=tuple(reads), writes=tuple(writes), shape=dict(shape),
                            repeat=self._repeat if self._block else 1, instances=self.ctx.tp,
                            block=self._block, attrs=dict(attrs or {}))
        if full in self.graph:
            raise ValueError(f"operator {full!r} added twice")  # a builder bug, not user input
        self.graph.add_node(full, op=operator)
        for t in operator.reads:
            if t.cls is TensorClass.WEIGHT:
                continue
            producers = self._producers.get(self._key(t), [])
            own = [p for p in producers if self._part and p[2] == self._part]
            producers = own or producers
            for source, written, _ in producers:
                if source == full:
                    continue
                nbytes = t.bytes if len(producers) == 1 else min(t.bytes, written)
                if self.graph.has_edge(source, full):
                    self.graph.edges[source, full]["bytes"] += nbytes
                else:
                    self.graph.add_edge(source, full, tensor=t.name, bytes=nbytes)
        for t in operator.writes:
            key = self._key(t)
            if self._part and t.cls is TensorClass.ACTIVATION:
                kept = [p for p in self._producers.get(key, []) if p[2] not in ("", self._part)]
                self._producers[key] = [*kept, (full, t.bytes, self._part)]
            else:
                self._producers[key] = [(full, t.bytes, self._part)]
        return operator

    def _key(self, t: TensorAccess) -> str:
        """Producer lookup key: a part's K/V cache accesses are its own requests' entries."""
        return f"{t.name}#{self._part}" if self._part and t.cls is TensorClass.KV_CACHE else t.name
