"""Import a Hugging Face ``config.json`` into a :class:`ModelConfig`.

Each supported ``model_type`` has a reader that renames its fields and fills in what the family
implies (norm, MLP kind, positions, biases). Validation errors name the field as the HF file
spells it, so the user can find it in the file they gave us.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cosim.config import validate
from cosim.errors import CosimInputError
from cosim.workload.model import ModelConfig

# HF activation names -> ours
_ACTIVATIONS = {
    "silu": "silu", "swish": "silu", "relu": "relu", "gelu": "gelu", "gelu_new": "gelu",
    "gelu_fast": "gelu", "gelu_pytorch_tanh": "gelu", "gelu_python": "gelu", "quick_gelu": "gelu",
}

# architectures[0] -> model_type, for configs that lack model_type
_ARCHITECTURES = {
    "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "Qwen2ForCausalLM": "qwen2",
    "OPTForCausalLM": "opt", "GPT2LMHeadModel": "gpt2", "MixtralForCausalLM": "mixtral",
    "Qwen3ForCausalLM": "qwen3", "Qwen3MoeForCausalLM": "qwen3_moe",
}

Reader = Callable[[Mapping[str, Any], "_Fields"], dict[str, Any]]


class _Fields:
    """Reads HF fields, remembering our field name -> HF field name for error messages."""

    def __init__(self, data: Mapping[str, Any], file: Path) -> None:
        self.data, self.file = data, file
        self.hf_name: dict[str, str] = {}

    def get(self, ours: str, hf: str, default: Any = ..., *, nested: str | None = None) -> Any:
        self.hf_name[f"{nested}.{ours}" if nested else ours] = hf
        if hf in self.data and self.data[hf] is not None:
            return self.data[hf]
        if default is ...:
            raise CosimInputError("required field is missing", file=self.file, field=hf)
        return default

    def activation(self, hf: str, default: str) -> str:
        self.hf_name["activation"] = hf
        raw = self.data.get(hf, default)
        if not isinstance(raw, str) or raw not in _ACTIVATIONS:
            raise CosimInputError(f"unsupported activation {raw!r}", file=self.file, field=hf,
                                  allowed=sorted(_ACTIVATIONS))
        return _ACTIVATIONS[raw]


def _common(f: _Fields) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dtype = f.data.get("torch_dtype") or f.data.get("dtype")
    if dtype is not None:
        f.hf_name["dtype"] = "torch_dtype"
        out["dtype"] = dtype
    return out


def _llama_like(f: _Fields, family: str, *, qkv_bias_default: bool = False) -> dict[str, Any]:
    attention_bias = f.get("qkv_bias", "attention_bias", qkv_bias_default)
    out = {
        "family": family,
        "num_layers": f.get("num_layers", "num_hidden_layers"),
        "hidden_size": f.get("hidden_size", "hidden_size"),
        "num_heads": f.get("num_heads", "num_attention_heads"),
        "num_kv_heads": f.get("num_kv_heads", "num_key_value_heads", None),
        "head_dim": f.get("head_dim", "head_dim", None),
        "intermediate_size": f.get("intermediate_size", "intermediate_size"),
        "vocab_size": f.get("vocab_size", "vocab_size"),
        "max_position_embeddings": f.get("max_position_embeddings", "max_position_embeddings"),
        "mlp": "gated", "norm": "rmsnorm", "position": "rotary",
        "activation": f.activation("hidden_act", "silu"),
        "tie_word_embeddings": f.get("tie_word_embeddings", "tie_word_embeddings", False),
        "qkv_bias": attention_bias,
        "o_bias": attention_bias if family in ("llama", "mistral") else False,
        "mlp_bias": f.get("mlp_bias", "mlp_bias", False),
    }
    return out


def _llama(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    return _llama_like(f, "llama")


def _window(f: _Fields, *, switch: bool) -> int | None:
    """The sliding window every layer uses, None for full attention; a mix of both kinds is refused.

    transformers: Mistral and Mixtral slide on every layer when ``sliding_window`` is set. Qwen2 / Qwen3 slide
    only when ``use_sliding_window`` is true, and then on layers ``i >= max_window_layers`` (``layer_types``
    spells the same per layer). cosim builds one kind of decoder layer, so windows on some layers only are refused.
    """
    f.hf_name["sliding_window"] = "sliding_window"
    window = f.data.get("sliding_window")
    if switch and not f.data.get("use_sliding_window"):
        window = None
    layers = f.data.get("num_hidden_layers")
    kinds = f.data.get("layer_types")
    if kinds is not None:
        if not isinstance(kinds, list) or not set(kinds) <= {"full_attention", "sliding_attention"}:
            raise CosimInputError(f"layer_types {kinds!r}: only full_attention and sliding_attention are supported",
                                  file=f.file, field="layer_types", allowed="full_attention, sliding_attention")
        if set(kinds) == {"full_attention"}:
            return None
        if len(set(kinds)) > 1:
            raise CosimInputError("layer_types mixes sliding-window and full-attention layers; only one kind on "
                                  "every layer is supported", file=f.file, field="layer_types",
                                  allowed="all full_attention or all sliding_attention")
        if window is None:
            raise CosimInputError("sliding_attention layers need a sliding_window", file=f.file,
                                  field="sliding_window")
        return window
    if window is None:
        return None
    if switch:
        first = f.data.get("max_window_layers", 0)
        if not isinstance(first, int) or isinstance(first, bool) or first < 0:
            raise CosimInputError(f"expected a layer index, got {first!r}", file=f.file, field="max_window_layers")
        if isinstance(layers, int) and first >= layers:
            return None  # no layer index reaches max_window_layers: full attention everywhere
        if first > 0:
            raise CosimInputError(f"max_window_layers {first}: layers {first}.. slide and the first {first} attend "
                                  "fully; only one kind on every layer is supported", file=f.file,
                                  field="max_window_layers",
                                  allowed=f"0 (every layer slides) or >= num_hidden_layers ({layers})")
    return window


def _mistral(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    out = _llama_like(f, "mistral")
    out["sliding_window"] = _window(f, switch=False)
    return out


def _qwen2(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    out = _llama_like(f, "qwen2", qkv_bias_default=True)
    out["qkv_bias"] = True  # Qwen2 always has q/k/v biases (no config switch) and no o_proj bias
    out["sliding_window"] = _window(f, switch=True)
    return out


def _mixtral(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    out = _llama_like(f, "mixtral")
    out["sliding_window"] = _window(f, switch=False)
    out["moe"] = {
        "num_experts": f.get("num_experts", "num_local_experts", nested="moe"),
        "top_k": f.get("top_k", "num_experts_per_tok", nested="moe"),
        "expert_intermediate_size": f.get("expert_intermediate_size", "intermediate_size", nested="moe"),
    }
    return out


def _qwen3(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    """Qwen3: Llama layout with explicit head_dim, q/k RMSNorm, attention_bias on all four projections."""
    out = _llama_like(f, "qwen3")
    out["sliding_window"] = _window(f, switch=True)
    out["o_bias"] = out["qkv_bias"]  # transformers Qwen3Attention: q, k, v and o_proj all take attention_bias
    out["qk_norm"] = True  # Qwen3Attention: q_norm / k_norm (RMSNorm over head_dim) before rotary
    return out


def _qwen3_dense_prefix(f: _Fields, experts: Any) -> int:
    """Qwen3-MoE's dense layers (mlp_only_layers, decoder_sparse_step) as a count of leading layers.

    transformers Qwen3MoeDecoderLayer: layer i is sparse iff i is not in mlp_only_layers, num_experts > 0 and
    (i + 1) % decoder_sparse_step == 0. cosim builds dense layers first, so other patterns are refused.
    """
    layers = f.data.get("num_hidden_layers")
    step = f.data.get("decoder_sparse_step", 1) or 1
    only = f.data.get("mlp_only_layers") or []
    if not (isinstance(layers, int) and isinstance(step, int) and step > 0 and isinstance(only, list)
            and all(isinstance(i, int) for i in only)):
        raise CosimInputError("decoder_sparse_step must be a positive integer and mlp_only_layers a list of layer "
                              "indices", file=f.file, field="decoder_sparse_step")
    if not (isinstance(experts, int) and experts > 0):
        return layers  # no experts: every layer is dense
    dense = [i for i in range(layers) if i in only or (i + 1) % step]
    if dense != list(range(len(dense))):
        field = "mlp_only_layers" if only else "decoder_sparse_step"
        raise CosimInputError(f"dense layers {dense[:8]}{'...' if len(dense) > 8 else ''} are not the leading "
                              "layers; only a prefix of dense layers is supported", file=f.file, field=field,
                              allowed="decoder_sparse_step 1 and mlp_only_layers [0, 1, ..., k-1]")
    return len(dense)


def _qwen3_moe(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    """Qwen3-MoE: Qwen3 attention; routed experts (no shared expert), dense layers use intermediate_size.

    ``norm_topk_prob`` only decides whether the router renormalizes its top-k weights, inside the routing
    kernel (vLLM's topk_softmax ``renormalize``): no operator changes, so either value is accepted.
    """
    if data.get("shared_expert_intermediate_size"):
        raise CosimInputError("a shared expert is not supported by the qwen3_moe reader", file=f.file,
                              field="shared_expert_intermediate_size", allowed="absent or 0")
    out = _qwen3(data, f)
    out["family"] = "qwen3_moe"
    experts = f.get("num_experts", "num_experts", nested="moe")
    first_dense = _qwen3_dense_prefix(f, experts)
    out["moe"] = None if first_dense == out["num_layers"] else {
        "num_experts": experts,
        "top_k": f.get("top_k", "num_experts_per_tok", nested="moe"),
        "expert_intermediate_size": f.get("expert_intermediate_size", "moe_intermediate_size", nested="moe"),
        "first_dense_layers": first_dense,
    }
    return out


def _opt(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    hidden = f.get("hidden_size", "hidden_size")
    proj = data.get("word_embed_proj_dim", hidden)
    if proj != hidden:
        raise CosimInputError(f"word_embed_proj_dim ({proj}) different from hidden_size ({hidden}) is not "
                              "supported (no project_in/project_out operators)", file=f.file,
                              field="word_embed_proj_dim", allowed=f"{hidden}")
    bias = f.get("qkv_bias", "enable_bias", True)
    return {
        "family": "opt",
        "num_layers": f.get("num_layers", "num_hidden_layers"),
        "hidden_size": hidden,
        "num_heads": f.get("num_heads", "num_attention_heads"),
        "intermediate_size": f.get("intermediate_size", "ffn_dim"),
        "vocab_size": f.get("vocab_size", "vocab_size"),
        "max_position_embeddings": f.get("max_position_embeddings", "max_position_embeddings"),
        "mlp": "standard", "norm": "layernorm", "position": "learned",
        "activation": f.activation("activation_function", "relu"),
        "tie_word_embeddings": f.get("tie_word_embeddings", "tie_word_embeddings", True),
        "qkv_bias": bias, "o_bias": bias, "mlp_bias": bias,
    }


def _gpt2(data: Mapping[str, Any], f: _Fields) -> dict[str, Any]:
    hidden = f.get("hidden_size", "n_embd")
    inner = f.get("intermediate_size", "n_inner", None)
    if inner is None:  # GPT-2 default: 4 x n_embd
        inner = 4 * hidden if isinstance(hidden, int) and not isinstance(hidden, bool) else hidden
    return {
        "family": "gpt2",
        "num_layers": f.get("num_layers", "n_layer"),
        "hidden_size": hidden,
        "num_heads": f.get("num_heads", "n_head"),
        "intermediate_size": inner,
        "vocab_size": f.get("vocab_size", "vocab_size"),
        "max_position_embeddings": f.get("max_position_embeddings", "n_positions"),
        "mlp": "standard", "norm": "layernorm", "position": "learned",
        "activation": f.activation("activation_function", "gelu_new"),
        "tie_word_embeddings": f.get("tie_word_embeddings", "tie_word_embeddings", True),
        "qkv_bias": True, "o_bias": True, "mlp_bias": True,
    }


READERS: dict[str, Reader] = {
    "llama": _llama, "mistral": _mistral, "qwen2": _qwen2, "qwen3": _qwen3, "qwen3_moe": _qwen3_moe,
    "mixtral": _mixtral, "opt": _opt, "gpt2": _gpt2,
}


def is_hf_config(data: Any) -> bool:
    return isinstance(data, Mapping) and ("model_type" in data or "architectures" in data)


def _model_type(data: Mapping[str, Any], file: Path) -> str:
    model_type = data.get("model_type")
    if model_type is None:
        archs = data.get("architectures")
        first = archs[0] if isinstance(archs, list) and archs else archs
        model_type = _ARCHITECTURES.get(first) if isinstance(first, str) else None
        if model_type is None:
            raise CosimInputError(f"unsupported architectures {archs!r}", file=file, field="architectures",
                                  allowed=sorted(_ARCHITECTURES))
    if not isinstance(model_type, str) or model_type not in READERS:
        raise CosimInputError(f"unsupported model_type {model_type!r}", file=file, field="model_type",
                              allowed=sorted(READERS))
    return model_type


def _default_name(data: Mapping[str, Any], file: Path) -> str:
    name = data.get("_name_or_path")
    if isinstance(name, str) and name.strip():
        return name.strip().rstrip("/").split("/")[-1]
    return file.parent.name if file.stem == "config" and file.parent.name else file.stem


def model_from_hf(data: Mapping[str, Any], file: str | Path) -> ModelConfig:
    """Build a ModelConfig from the parsed contents of an HF ``config.json``."""
    file = Path(file)
    model_type = _model_type(data, file)
    fields = _Fields(data, file)
    values = READERS[model_type](data, fields)
    values.update(_common(fields))
    values["name"] = _default_name(data, file)
    values["source"] = f"Hugging Face config {file.name} (model_type {model_type})"
    try:
        return validate(ModelConfig, values, file=file)
    except CosimInputError as exc:
        field = fields.hf_name.get(exc.field or "", exc.field)
        raise CosimInputError(exc.message, file=file, field=field, allowed=exc.allowed) from None
