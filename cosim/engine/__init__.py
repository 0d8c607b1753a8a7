"""The step predictor: graph -> mapping -> cost models -> schedule, for one step or many hardware variants.

``predict`` / ``predict_graph`` (``cosim.engine.predict``) evaluate one step end to end; ``predict_op_gemm``
/ ``predict_op_attention`` (``cosim.engine.single_op``) one kernel; ``VectorizedStep`` /
``evaluate_variants`` (``cosim.engine.vectorized``) one placed step on arrays of hardware parameters.
Pipeline order (each stage imports only stages before it; ``tests/core/test_import_layers.py``):
workload, dram, hardware -> mapping -> perf -> schedule -> engine -> serving -> dse -> report ->
validate -> cli.
"""

from cosim.engine.predict import (
    clear_caches,
    context_notes,
    memory_notes,
    place_and_validate,
    predict,
    predict_graph,
    resolve_mapping,
    resolve_model,
    resolve_system,
)
from cosim.engine.single_op import predict_op, predict_op_attention, predict_op_gemm
from cosim.engine.vectorized import VariantResults, VectorizedStep, evaluate_variants

__all__ = [
    "VariantResults",
    "VectorizedStep",
    "clear_caches",
    "context_notes",
    "evaluate_variants",
    "memory_notes",
    "place_and_validate",
    "predict",
    "predict_graph",
    "predict_op",
    "predict_op_attention",
    "predict_op_gemm",
    "resolve_mapping",
    "resolve_model",
    "resolve_system",
]
