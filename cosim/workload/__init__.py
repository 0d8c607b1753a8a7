"""Workload stage: model configs (presets, project YAML, HF config.json) -> per-step operator graphs."""

from cosim.workload.dtypes import DType
from cosim.workload.fusion import AttentionImpl, Fusion, Logits
from cosim.workload.graph import (
    GraphTotals,
    build_graph,
    build_iteration_graph,
    build_step_graph,
    expand_layers,
    operators,
    totals,
)
from cosim.workload.model import Activation, Family, MlpKind, ModelConfig, MoEConfig, NormKind, PositionKind
from cosim.workload.ops import Operator, OpKind, PersistentTensor, Phase, TensorAccess, TensorClass
from cosim.workload.presets import list_models, load_model

__all__ = [
    "Activation",
    "AttentionImpl",
    "DType",
    "Family",
    "Fusion",
    "GraphTotals",
    "Logits",
    "MlpKind",
    "MoEConfig",
    "ModelConfig",
    "NormKind",
    "OpKind",
    "Operator",
    "PersistentTensor",
    "Phase",
    "PositionKind",
    "TensorAccess",
    "TensorClass",
    "build_graph",
    "build_iteration_graph",
    "build_step_graph",
    "expand_layers",
    "list_models",
    "load_model",
    "operators",
    "totals",
]
