"""``build_graph``: a model and a step -> a DAG of typed operators for ONE tensor-parallel rank.

Decoder layers appear once with ``repeat = num_layers``, so building and scoring a 96-layer model
costs the same as a 1-layer one; :func:`expand_layers` unrolls them when a tool needs every layer.
The contract (arguments, graph attributes) is in docs/design.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import networkx as nx
import numpy as np

from cosim.errors import CosimInputError
from cosim.workload.attention import attend_part
from cosim.workload.builder import BuildContext, GraphBuilder
from cosim.workload.dtypes import DType
from cosim.workload.embedding import embed, head
from cosim.workload.fusion import PROFILES, AttentionImpl, Fusion, Logits
from cosim.workload.layers import decoder_layer
from cosim.workload.model import ModelConfig
from cosim.workload.ops import Operator, OpKind, Phase, TensorClass
from cosim.workload.presets import load_model
from cosim.workload.sharding import shard_model
from cosim.workload.step import Step, make_step, step_from_slices

KvDType = DType | str | tuple[DType | str, DType | str] | list[DType | str] | None


def _kv_dtypes(kv_dtype: KvDType, default: DType) -> tuple[DType, DType]:
    """None -> (dtype, dtype); "int8" -> both; "int8/int4" or ("int8", "int4") -> (K, V)."""
    if kv_dtype is None:
        return default, default
    if isinstance(kv_dtype, str) and "/" in kv_dtype:
        parts = kv_dtype.split("/")
        if len(parts) != 2:
            raise CosimInputError(f"expected 'K/V' such as 'int8/int4', got {kv_dtype!r}", field="kv_dtype")
        kv_dtype = (parts[0], parts[1])
    if isinstance(kv_dtype, tuple | list):
        if len(kv_dtype) != 2:
            raise CosimInputError(f"expected a (k_dtype, v_dtype) pair, got {kv_dtype!r}", field="kv_dtype")
        return DType.parse(kv_dtype[0], field="kv_dtype"), DType.parse(kv_dtype[1], field="kv_dtype")
    k = DType.parse(kv_dtype, field="kv_dtype")
    return k, k


def build_graph(model: ModelConfig | str | Path, phase: Phase | str, batch: int,
                context: int | Sequence[int], *, chunk: int | None = None, dtype: DType | str = "bf16",
                weight_dtype: DType | str | None = None, kv_dtype: KvDType = None,
                fusion: Fusion | str = "fused", attention: AttentionImpl | str = "flash", tp: int = 1,
                logits: Logits | str | None = None, ep: int = 1, ep_tokens: int | None = None) -> nx.DiGraph:
    """The operator graph of one inference step on one tensor-parallel rank (see docs/design.md); ``ep``,
    ``ep_tokens``: expert parallelism, as :func:`build_step_graph`."""
    step = make_step(phase, batch, context, chunk)
    ctx_value = int(context) if isinstance(context, int | np.integer) else [int(c) for c in context]
    return build_step_graph(model, step, context=ctx_value, dtype=dtype, weight_dtype=weight_dtype,
                            kv_dtype=kv_dtype, fusion=fusion, attention=attention, tp=tp, logits=logits, ep=ep,
                            ep_tokens=ep_tokens)


def build_iteration_graph(model: ModelConfig | str | Path, q_lens: Sequence[int] | np.ndarray,
                          kv_lens: Sequence[int] | np.ndarray, **options) -> nx.DiGraph:
    """The graph of one serving iteration: request ``i`` adds ``q_lens[i]`` tokens and then sees
    ``kv_lens[i]`` keys (decodes: ``q_len = 1``; prefill chunks: ``q_len = chunk``). Keyword options as
    :func:`build_graph`; logits default to one row per request (the last token of each), as engines do."""
    return build_step_graph(model, step_from_slices(q_lens, kv_lens), **options)


def build_step_graph(model: ModelConfig | str | Path, step: Step, *, context: int | list[int] | None = None,
                     dtype: DType | str = "bf16", weight_dtype: DType | str | None = None, kv_dtype: KvDType = None,
                     fusion: Fusion | str = "fused", attention: AttentionImpl | str = "flash", tp: int = 1,
                     logits: Logits | str | None = None, ep: int = 1, ep_tokens: int | None = None) -> nx.DiGraph:
    """The graph of an already validated :class:`~cosim.workload.step.Step`.

    ``ep > 1``: expert parallelism over ``ep`` ranks (``dp x tp``); ``ep_tokens`` is the token count of the
    lockstep iteration over all replicas (default ``step.tokens * ep / tp``: every replica with this step's
    tokens). See :func:`cosim.workload.mlp.moe_mlp`."""
    ctx = _context(model, step, dtype=dtype, weight_dtype=weight_dtype, kv_dtype=kv_dtype, fusion=fusion,
                   attention=attention, tp=tp, logits=logits, ep=ep, ep_tokens=ep_tokens)
    config, act, weights, k_dtype, v_dtype, fusion = (ctx.model, ctx.dtype, ctx.weight_dtype, ctx.k_dtype,
                                                      ctx.v_dtype, Fusion.parse(fusion))
    b = GraphBuilder(ctx)

    x = embed(b)
    residual = None
    for name, layers, is_moe in _blocks(config):
        with b.block(name, layers):
            x, residual = decoder_layer(b, x, residual, moe=is_moe)
    head(b, x, residual)

    if context is None:
        context = [int(c) for c in step.kv_lens - step.q_lens]
    g = b.graph
    g.graph.update(
        model=config.name, model_config=config, phase=step.phase, batch=step.batch,
        context=context, q_lens=step.q_lens, kv_lens=step.kv_lens, tokens=step.tokens, tp=ctx.tp, fusion=fusion,
        attention=ctx.attention, logits=ctx.logits, dtype=act, weight_dtype=weights, k_dtype=k_dtype,
        v_dtype=v_dtype, num_layers=config.num_layers, tensors=b.tensors,
        activation_peak_bytes=_activation_peak_bytes(g, step.tokens * config.hidden_size * act.bytes),
    )
    return g


def _context(model: ModelConfig | str | Path, step: Step, *, dtype: DType | str, weight_dtype: DType | str | None,
             kv_dtype: KvDType, fusion: Fusion | str, attention: AttentionImpl | str, tp: int,
             logits: Logits | str | None, ep: int = 1, ep_tokens: int | None = None) -> BuildContext:
    config = load_model(model)
    act = DType.parse(dtype, field="dtype")
    weights = DType.parse(weight_dtype, field="weight_dtype") if weight_dtype is not None else act
    k_dtype, v_dtype = _kv_dtypes(kv_dtype, act)
    profile = PROFILES[Fusion.parse(fusion)]
    if logits is not None:
        logits = Logits.parse(logits)
    elif step.is_mixed:
        logits = Logits.LAST
    else:
        logits = profile.default_logits
    if ep_tokens is None:  # every replica with this step's tokens (shard_model validates tp and ep)
        ep_tokens = step.tokens * (ep // tp if ep != 1 and isinstance(tp, int) and tp > 0 else 1)
    return BuildContext(model=config, step=step, shard=shard_model(config, tp, ep, ep_tokens=ep_tokens),
                        profile=profile,
                        attention=AttentionImpl.parse(attention), logits=logits,
                        dtype=act, weight_dtype=weights, k_dtype=k_dtype, v_dtype=v_dtype)


def _blocks(config: ModelConfig) -> list[tuple[str, int, bool]]:
    """(block name, layers, is MoE) of the decoder stack, in order."""
    if config.moe is None:
        return [("decoder", config.num_layers, False)]
    blocks = [("dense", config.num_dense_layers, False), ("decoder", config.num_moe_layers, True)]
    return [b for b in blocks if b[1]]


def part_operators(model: ModelConfig | str | Path, part: Step, name: str, *, dtype: DType | str = "bf16",
                   weight_dtype: DType | str | None = None, kv_dtype: KvDType = None, fusion: Fusion | str = "fused",
                   attention: AttentionImpl | str = "flash", tp: int = 1, ep: int = 1) -> list[Operator]:
    """The KV-write and attention operators one attention part (``name``: "" for a whole step, else as
    :func:`cosim.workload.attention.attention_parts` names it) adds in every block: the same operators
    :func:`build_step_graph` makes, without the rest of the graph (the fast iteration path rescores them)."""
    ctx = _context(model, part, dtype=dtype, weight_dtype=weight_dtype, kv_dtype=kv_dtype, fusion=fusion,
                   attention=attention, tp=tp, logits=None, ep=ep)
    b = GraphBuilder(ctx)
    for block, layers, _ in _blocks(ctx.model):
        with b.block(block, layers):
            attend_part(b, part, name)
    return [op for _, op in b.graph.nodes(data="op")]


def _activation_peak_bytes(g: nx.DiGraph, residual_bytes: float) -> float:
    """Largest live activation set: the biggest operator's inputs plus outputs, plus the residual stream.

    An estimate (no liveness analysis across operators): engines free each intermediate right after
    its consumer, so the peak sits at the operator with the largest working set.
    """
    per_op = (op.bytes_read(TensorClass.ACTIVATION) + op.bytes_written(TensorClass.ACTIVATION)
              for _, op in g.nodes(data="op"))
    return max(per_op, default=0.0) + residual_bytes


def operators(g: nx.DiGraph) -> list[Operator]:
    """Operators in topological order (ties broken by insertion order, so the order is stable)."""
    order = {n: i for i, n in enumerate(g.nodes)}
    return [g.nodes[n]["op"] for n in nx.lexicographical_topological_sort(g, key=order.__getitem__)]


@dataclass(frozen=True)
class GraphTotals:
    """FLOPs and bytes of a graph, each operator counted ``repeat`` times (and ``instances`` times
    unless ``per_rank``)."""

    flops: float
    bytes_read: dict[TensorClass, float]
    bytes_written: dict[TensorClass, float]
    flops_by_kind: dict[OpKind, float] = field(default_factory=dict)

    @property
    def bytes(self) -> float:
        return sum(self.bytes_read.values()) + sum(self.bytes_written.values())

    def bytes_by_class(self) -> dict[TensorClass, float]:
        return {c: self.bytes_read[c] + self.bytes_written[c] for c in TensorClass}


def totals(g: nx.DiGraph, *, per_rank: bool = False) -> GraphTotals:
    flops = 0.0
    read = dict.fromkeys(TensorClass, 0.0)
    written = dict.fromkeys(TensorClass, 0.0)
    by_kind: dict[OpKind, float] = {}
    for _, op in g.nodes(data="op"):
        n = op.repeat * (1 if per_rank else op.instances)
        flops += op.flops * n
        by_kind[op.kind] = by_kind.get(op.kind, 0.0) + op.flops * n
        for t in op.reads:
            read[t.cls] += t.bytes * n
        for t in op.writes:
            written[t.cls] += t.bytes * n
    return GraphTotals(flops=flops, bytes_read=read, bytes_written=written, flops_by_kind=by_kind)


def expand_layers(g: nx.DiGraph) -> nx.DiGraph:
    """Unroll every block: ``decoder.qkv_proj`` (repeat L) -> ``decoder.0.qkv_proj`` ... ``decoder.{L-1}...``.

    Edges inside a layer are copied per layer; layer ``i`` depends on the operators of layer
    ``i-1`` whose outputs leave the block; operators after a block depend on its last layer.
    FLOPs and bytes are conserved (each copy has ``repeat = 1``).
    """
    out = nx.DiGraph()
    out.graph.update(g.graph)
    copies: dict[str, list[str]] = {}
    for name, op in g.nodes(data="op"):
        if not op.block:
            out.add_node(name, op=op)
            copies[name] = [name]
            continue
        suffix = name[len(op.block) + 1:] if name.startswith(op.block + ".") else name
        names = [f"{op.block}.{i}.{suffix}" for i in range(op.repeat)]
        for new in names:
            out.add_node(new, op=replace(op, name=new, repeat=1))
        copies[name] = names

    def block_of(node: str) -> str:
        return g.nodes[node]["op"].block

    leaving: dict[str, list[str]] = {}
    for u, v in g.edges:
        if block_of(u) and block_of(u) != block_of(v):
            leaving.setdefault(block_of(u), []).append(u)
    for u, v, data in g.edges(data=True):
        bu, bv = block_of(u), block_of(v)
        if bu and bu == bv:
            for cu, cv in zip(copies[u], copies[v], strict=True):
                out.add_edge(cu, cv, **data)
            continue
        out.add_edge(copies[u][-1], copies[v][0], **data)
        for i in range(1, len(copies[v])):
            for s in leaving.get(bv, []):
                out.add_edge(copies[s][i - 1], copies[v][i], **data)
    return out
