"""The architecture of a decoder-only transformer: what the graph builder needs, nothing else.

Parameter counts are computed here from first principles so that presets can be checked against
published totals (a wrong number in a preset shows up as a wrong parameter count).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import numpy as np
from pydantic import BeforeValidator, Field, PositiveInt, ValidationInfo, field_validator

from cosim.config import StrictModel
from cosim.workload.dtypes import DType


class Family(StrEnum):
    LLAMA = "llama"
    MISTRAL = "mistral"
    QWEN2 = "qwen2"
    QWEN3 = "qwen3"
    QWEN3_MOE = "qwen3_moe"
    OPT = "opt"
    GPT2 = "gpt2"
    GPT3 = "gpt3"
    MIXTRAL = "mixtral"
    OTHER = "other"


class MlpKind(StrEnum):
    GATED = "gated"  # SwiGLU-style: gate and up projections, act(gate) * up, down projection
    STANDARD = "standard"  # up projection, activation, down projection


class Activation(StrEnum):
    SILU = "silu"
    GELU = "gelu"
    RELU = "relu"


class NormKind(StrEnum):
    RMSNORM = "rmsnorm"
    LAYERNORM = "layernorm"


class PositionKind(StrEnum):
    ROTARY = "rotary"  # RoPE applied to q and k inside every layer
    LEARNED = "learned"  # a position-embedding table added to the token embedding


def _parse_dtype(value: object) -> DType:
    if isinstance(value, DType):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a dtype name, got {value!r}")
    return DType.parse(value)


DTypeField = Annotated[DType, BeforeValidator(_parse_dtype)]


class MoEConfig(StrictModel):
    """Mixture-of-experts FFN: ``num_experts`` experts per layer, each token routed to ``top_k``."""

    num_experts: PositiveInt
    top_k: PositiveInt
    expert_intermediate_size: PositiveInt
    first_dense_layers: int = Field(default=0, ge=0)

    @field_validator("top_k")
    @classmethod
    def _top_k_fits(cls, value: int, info: ValidationInfo) -> int:
        experts = info.data.get("num_experts")
        if experts is not None and value > experts:
            raise ValueError(f"top_k ({value}) must be <= num_experts ({experts})")
        return value


class ModelConfig(StrictModel):
    """Architecture of one model. ``num_kv_heads`` defaults to ``num_heads`` (MHA) and ``head_dim``
    to ``hidden_size // num_heads``; both are always ints after validation."""

    name: str = Field(min_length=1)
    family: Family = Family.OTHER
    num_layers: PositiveInt
    hidden_size: PositiveInt
    num_heads: PositiveInt
    num_kv_heads: PositiveInt | None = None
    head_dim: PositiveInt | None = None
    intermediate_size: PositiveInt
    vocab_size: PositiveInt
    max_position_embeddings: PositiveInt
    mlp: MlpKind = MlpKind.GATED
    activation: Activation = Activation.SILU
    norm: NormKind = NormKind.RMSNORM
    position: PositionKind = PositionKind.ROTARY
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    o_bias: bool = False  # bias on the attention output projection (OPT, GPT); Qwen2 has qkv bias only
    mlp_bias: bool = False
    qk_norm: bool = False  # RMSNorm over head_dim on every q and k head before rotary (Qwen3)
    moe: MoEConfig | None = None
    # Sliding-window attention on every layer (Mistral 7B v0.1: 4096): a query sees at most this many keys, itself
    # included, and a request keeps at most that many tokens' K/V per layer (see attended_kv_lens).
    sliding_window: PositiveInt | None = None
    dtype: DTypeField = DType.BF16  # weights dtype of the release
    source: str = ""  # where the numbers came from

    @field_validator("num_kv_heads")
    @classmethod
    def _kv_heads_divide_heads(cls, value: int | None, info: ValidationInfo) -> int | None:
        heads = info.data.get("num_heads")
        if value is None:
            return heads
        if heads is not None and heads % value:
            raise ValueError(f"num_kv_heads ({value}) must divide num_heads ({heads})")
        return value

    @field_validator("head_dim")
    @classmethod
    def _head_dim_default(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None:
            return value
        hidden, heads = info.data.get("hidden_size"), info.data.get("num_heads")
        if hidden is None or heads is None:
            return None  # the missing field is reported on its own
        if hidden % heads:
            raise ValueError(f"num_heads ({heads}) must divide hidden_size ({hidden}) when head_dim "
                             "is not given")
        return hidden // heads

    @field_validator("moe")
    @classmethod
    def _dense_layers_fit(cls, value: MoEConfig | None, info: ValidationInfo) -> MoEConfig | None:
        layers = info.data.get("num_layers")
        if value is not None and layers is not None and value.first_dense_layers > layers:
            raise ValueError(f"first_dense_layers ({value.first_dense_layers}) exceeds num_layers ({layers})")
        return value

    # ----- derived sizes -----
    @property
    def kv_heads(self) -> int:
        assert self.num_kv_heads is not None
        return self.num_kv_heads

    @property
    def head_size(self) -> int:
        assert self.head_dim is not None
        return self.head_dim

    @property
    def q_size(self) -> int:
        return self.num_heads * self.head_size

    @property
    def kv_size(self) -> int:
        return self.kv_heads * self.head_size

    @property
    def num_dense_layers(self) -> int:
        return self.num_layers if self.moe is None else self.moe.first_dense_layers

    @property
    def num_moe_layers(self) -> int:
        return self.num_layers - self.num_dense_layers

    # ----- parameter counts -----
    def _norm_parameters(self) -> int:
        return self.hidden_size * (2 if self.norm is NormKind.LAYERNORM else 1)

    def attention_parameters(self) -> int:
        d = self.hidden_size
        params = d * (self.q_size + 2 * self.kv_size) + self.q_size * d
        if self.qkv_bias:
            params += self.q_size + 2 * self.kv_size
        if self.o_bias:
            params += d
        if self.qk_norm:  # one head_dim weight vector each for q_norm and k_norm, shared by all heads
            params += 2 * self.head_size
        return params

    def _ffn_parameters(self, ffn: int) -> int:
        d = self.hidden_size
        if self.mlp is MlpKind.GATED:
            return 3 * d * ffn + ((2 * ffn + d) if self.mlp_bias else 0)
        return 2 * d * ffn + ((ffn + d) if self.mlp_bias else 0)

    def dense_mlp_parameters(self) -> int:
        return self._ffn_parameters(self.intermediate_size)

    def expert_parameters(self) -> int:
        """One expert of an MoE layer (0 for dense models)."""
        return self._ffn_parameters(self.moe.expert_intermediate_size) if self.moe else 0

    def router_parameters(self) -> int:
        return self.hidden_size * self.moe.num_experts if self.moe else 0

    def dense_layer_parameters(self) -> int:
        return self.attention_parameters() + self.dense_mlp_parameters() + 2 * self._norm_parameters()

    def moe_layer_parameters(self, *, active: bool = False) -> int:
        """An MoE layer: all experts, or the ``top_k`` a token uses when ``active``."""
        if self.moe is None:
            return 0
        experts = self.moe.top_k if active else self.moe.num_experts
        return (self.attention_parameters() + self.router_parameters() + experts * self.expert_parameters()
                + 2 * self._norm_parameters())

    def parameters_per_layer(self) -> int:
        """Parameters of one decoder layer (an MoE layer for MoE models)."""
        return self.moe_layer_parameters() if self.moe else self.dense_layer_parameters()

    def embedding_parameters(self) -> int:
        """Token embedding table plus the learned position table, if any."""
        params = self.vocab_size * self.hidden_size
        if self.position is PositionKind.LEARNED:
            params += self.max_position_embeddings * self.hidden_size
        return params

    def lm_head_parameters(self) -> int:
        """Untied output projection (0 when tied to the embedding)."""
        return 0 if self.tie_word_embeddings else self.vocab_size * self.hidden_size

    def non_embedding_parameters(self) -> int:
        """Decoder layers and final norm: everything but embedding tables and an untied lm_head."""
        return (self.num_dense_layers * self.dense_layer_parameters() + self.num_moe_layers
                * self.moe_layer_parameters() + self._norm_parameters())

    def total_parameters(self) -> int:
        return self.non_embedding_parameters() + self.embedding_parameters() + self.lm_head_parameters()

    def active_parameters(self) -> int:
        """Parameters one token touches (MoE: only ``top_k`` experts); equals the total for dense models."""
        if self.moe is None:
            return self.total_parameters()
        return (self.num_dense_layers * self.dense_layer_parameters()
                + self.num_moe_layers * self.moe_layer_parameters(active=True)
                + self._norm_parameters() + self.embedding_parameters() + self.lm_head_parameters())

    def attended_kv_lens(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> np.ndarray:
        """Keys each request's slice reads and keeps, under the sliding window: ``min(kv, W + q - 1)``.

        Decode (q = 1): the last W keys, and W tokens of K/V per layer, as vLLM's sliding-window KV manager
        keeps them (blocks wholly outside the window are freed; block rounding is not modelled). A slice of q
        new tokens stores all q of them before attending, and its first query still sees W - 1 older keys, so
        it holds W - 1 + q. Attention is then timed as a causal chunk over those keys: exact for decode and for
        slices up to W, an upper bound on the pairs of longer prefills (their early queries see fewer keys)."""
        if self.sliding_window is None:
            return kv_lens
        return np.minimum(kv_lens, self.sliding_window + np.asarray(q_lens) - 1)

    # ----- bytes -----
    def kv_bytes_per_token(self, k_dtype: DType | str | None = None,
                           v_dtype: DType | str | None = None) -> float:
        """KV-cache bytes one token occupies over all layers (K and V dtypes may differ)."""
        k = DType.parse(k_dtype) if k_dtype is not None else self.dtype
        v = DType.parse(v_dtype) if v_dtype is not None else k
        return self.num_layers * self.kv_size * (k.bytes + v.bytes)

    def weight_bytes(self, dtype: DType | str | None = None) -> float:
        """All parameters stored in ``dtype`` (default: the release dtype)."""
        d = DType.parse(dtype) if dtype is not None else self.dtype
        return self.total_parameters() * d.bytes
