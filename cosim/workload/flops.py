"""FLOP-counting conventions, in ONE place (the builder and the tests' closed forms both follow them).

* GEMM ``(m x k) @ (k x n)``: ``2*m*n*k`` multiply-adds, plus ``m*n`` when a bias is added.
* Attention: ``2*head_dim`` FLOPs per (query, key) pair per head for the scores ``Q K^T`` and again
  for the context ``P V``; only unmasked pairs count (causal prefill: ``L(L+1)/2`` per request;
  a chunk ``c`` on ``p`` cached tokens: ``c*p + c(c+1)/2``; decode: ``kv_len``). Eager attention
  still *materializes* the full ``q x kv`` score matrix, which shows in its bytes, not its FLOPs.
* Softmax: ``SOFTMAX_PER_SCORE`` = 5 (max, subtract, exp, sum, divide) per unmasked score.
  Fused (flash) attention counts only its two matmuls as FLOPs; its softmax and rotary work is
  recorded in ``attrs["vector_flops"]`` so a cost model can add it to the vector unit if it wants.
* Elementwise work: a small constant per element, listed below. These are estimates of arithmetic,
  never of time; elementwise operators are memory-bound on every device we model.
"""

from __future__ import annotations

from cosim.workload.model import Activation, NormKind

SOFTMAX_PER_SCORE = 5
RMSNORM_PER_ELEMENT = 4  # square, accumulate, scale by rsqrt, multiply by weight
LAYERNORM_PER_ELEMENT = 7  # accumulate mean, subtract, square, accumulate var, scale, weight, bias
ROTARY_PER_ELEMENT = 3  # x*cos + rotate_half(x)*sin (negation folded into the rotation)
RESIDUAL_ADD_PER_ELEMENT = 1
ACTIVATION_PER_ELEMENT = {
    Activation.SILU: 4,  # x * sigmoid(x): negate, exp, add, divide
    Activation.GELU: 8,  # tanh approximation: cube, 2 multiply-adds, tanh, add, 2 multiplies
    Activation.RELU: 1,
}
GATE_MULTIPLY_PER_ELEMENT = 1  # act(gate) * up
TOPK_PER_SCORE = SOFTMAX_PER_SCORE + 1  # router softmax, then one compare per score for the selection


def gemm_flops(m: int, n: int, k: int, *, bias: bool = False) -> float:
    return 2.0 * m * n * k + (float(m) * n if bias else 0.0)


def attention_matmul_flops(pairs: int, heads: int, head_dim: int) -> float:
    """Scores plus context for ``pairs`` unmasked pairs per head (one of the two matmuls is half)."""
    return 4.0 * pairs * heads * head_dim


def norm_flops_per_element(norm: NormKind) -> int:
    return RMSNORM_PER_ELEMENT if norm is NormKind.RMSNORM else LAYERNORM_PER_ELEMENT


def all_reduce_flops(elements: int, ranks: int) -> float:
    """Additions one rank performs in a ring all-reduce: its share of ``(ranks-1)`` partial sums."""
    return float(elements) * (ranks - 1) / ranks if ranks > 1 else 0.0
