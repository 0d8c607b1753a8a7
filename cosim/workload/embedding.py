"""Operators outside the decoder layers: token/position embedding, rotary tables, final norm, lm_head.

The token embedding is vocab-parallel under tp: each rank stores ``vocab/tp`` rows, looks up every
token with out-of-shard ids masked (it still reads one row per token) and the partial embeddings
are all-reduced. The lm_head is vocab-sharded likewise and its logits are all-gathered. Learned
position tables are replicated. With tied embeddings the lm_head reads the embedding tensor.
"""

from __future__ import annotations

from cosim.workload import flops as F
from cosim.workload.builder import GraphBuilder, nbytes
from cosim.workload.fusion import Logits
from cosim.workload.linear import all_reduce, linear
from cosim.workload.model import PositionKind
from cosim.workload.norms import norm
from cosim.workload.ops import OpKind, TensorAccess, TensorClass

EMBEDDING = "embed.weight"


def embed(b: GraphBuilder) -> TensorAccess:
    ctx = b.ctx
    t, d, vocab = ctx.tokens, ctx.shard.hidden, ctx.shard.vocab
    table = b.weight(EMBEDDING, (vocab, d), touched=(t, d))
    x = b.act("embed.out", (t, d))
    b.add("embed", OpKind.EMBEDDING, 0, [table], [x], {"tokens": t, "hidden": d, "vocab": vocab})
    if ctx.tp > 1:
        x = all_reduce(b, "embed_all_reduce", x)
    if ctx.model.position is PositionKind.LEARNED:
        rows = ctx.model.max_position_embeddings
        positions = b.weight("pos_embed.weight", (rows, d), touched=(t, d))
        pos = b.act("pos_embed.out", (t, d))
        b.add("pos_embed", OpKind.EMBEDDING, 0, [positions], [pos],
              {"tokens": t, "hidden": d, "positions": rows})
        out = b.act("embed_add.out", (t, d))
        b.add("embed_add", OpKind.ELEMENTWISE, F.RESIDUAL_ADD_PER_ELEMENT * t * d, [x, pos], [out],
              {"tokens": t, "hidden": d})
        x = out
    elif ctx.profile.rotary_chunk_cat:
        _rotary_tables(b)
    return x


def _rotary_tables(b: GraphBuilder) -> None:
    """Eager code gathers the cos and sin rows of the step's positions once, outside the layers.

    The tables are derived buffers (not parameters), so they are classed as activations.
    """
    t, hd = b.ctx.tokens, b.ctx.shard.head_dim
    table_rows = (t, hd)
    tables = [
        TensorAccess(f"rotary.{which}_table", TensorClass.ACTIVATION, b.ctx.dtype, table_rows,
                     nbytes(table_rows, b.ctx.dtype))
        for which in ("cos", "sin")
    ]
    cos, sin = b.act("rotary_cos_sin.cos", table_rows), b.act("rotary_cos_sin.sin", table_rows)
    b.add("rotary_cos_sin", OpKind.EMBEDDING, 0, tables, [cos, sin], {"tokens": t, "head_dim": hd})
    b.rotary_tables = (cos, sin)


def head(b: GraphBuilder, x: TensorAccess, residual: TensorAccess | None) -> TensorAccess:
    """Final norm, lm_head on all tokens or the last one per request, logits all-gather under tp."""
    ctx = b.ctx
    d, vocab = ctx.shard.hidden, ctx.shard.vocab
    normed, _ = norm(b, "final_norm", x, residual)
    rows = ctx.step.batch if ctx.logits is Logits.LAST else ctx.tokens
    if rows != ctx.tokens:  # only the last hidden state of each request reaches the lm_head
        last = (rows, d)
        normed = TensorAccess(normed.name, normed.cls, normed.dtype, last, nbytes(last, normed.dtype))
    if ctx.model.tie_word_embeddings:
        weight = b.weight("lm_head.weight", (d, vocab), shared_name=EMBEDDING)
        logits = b.act("lm_head.out", (rows, vocab))
        b.add("lm_head", OpKind.LM_HEAD, F.gemm_flops(rows, vocab, d), [normed, weight], [logits],
              {"m": rows, "n": vocab, "k": d}, attrs={"tied_to": EMBEDDING})
    else:
        logits = linear(b, "lm_head", normed, d, vocab, bias=False, kind=OpKind.LM_HEAD, rows=rows)
    if ctx.tp > 1:
        full_vocab = ctx.model.vocab_size
        gathered = b.act("logits_all_gather.out", (rows, full_vocab))
        b.add("logits_all_gather", OpKind.ALL_GATHER, 0, [logits], [gathered],
              {"elements": rows * full_vocab, "ranks": ctx.tp})
        logits = gathered
    return logits
