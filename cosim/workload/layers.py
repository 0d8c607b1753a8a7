"""One decoder layer: norm, attention, residual, norm, MLP or MoE, residual.

With the fused profile and RMSNorm, each residual add is folded into the next norm (vLLM's fused
add+RMSNorm), so a layer passes ``(hidden, residual)`` on and the final norm performs the last add.
The compact graph holds one layer standing for all of them; its first norm is charged the fused add
even though the very first layer of a real model has no residual yet (one add of ``T x d``).
"""

from __future__ import annotations

from cosim.workload.attention import attention_block
from cosim.workload.builder import GraphBuilder
from cosim.workload.mlp import dense_mlp, moe_mlp
from cosim.workload.model import NormKind
from cosim.workload.norms import norm, residual_add
from cosim.workload.ops import TensorAccess


def fuses_residual_into_norm(b: GraphBuilder) -> bool:
    return b.ctx.profile.fuse_add_rmsnorm and b.ctx.model.norm is NormKind.RMSNORM


def decoder_layer(b: GraphBuilder, x: TensorAccess, residual: TensorAccess | None, *, moe: bool
                  ) -> tuple[TensorAccess, TensorAccess | None]:
    """Returns ``(hidden, residual)``; ``residual`` is None when the adds are separate operators."""
    ffn = moe_mlp if moe else dense_mlp
    if fuses_residual_into_norm(b):
        h, residual = norm(b, "attn_norm", x, x if residual is None else residual)
        a = attention_block(b, h)
        h, residual = norm(b, "mlp_norm", a, residual)
        return ffn(b, h), residual
    h, _ = norm(b, "attn_norm", x)
    x = residual_add(b, "attn_residual", attention_block(b, h), x)
    h, _ = norm(b, "mlp_norm", x)
    return residual_add(b, "mlp_residual", ffn(b, h), x), None
