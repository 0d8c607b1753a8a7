"""The systolic model times attention of unequal requests per request, and equal ones exactly as before."""

from __future__ import annotations

from cosim.engine import predict, predict_graph
from cosim.workload import OpKind, build_iteration_graph


def _attention_s(result) -> float:
    return sum(o.total_s for o in result.ops if o.kind == OpKind.FUSED_ATTENTION.value)


def test_equal_prefills_as_slices_equal_the_uniform_step():
    uniform = predict("llama2-7b", "neupims-npu", "prefill", batch=2, context=2080)
    slices = predict_graph(build_iteration_graph("llama2-7b", [2080, 2080], [2080, 2080], logits="all"),
                           "neupims-npu")
    assert _attention_s(slices) == _attention_s(uniform)


def test_unequal_prefills_are_not_averaged():
    even = predict_graph(build_iteration_graph("llama2-7b", [2080, 2080], [2080, 2080]), "neupims-npu")
    skewed = predict_graph(build_iteration_graph("llama2-7b", [4096, 64], [4096, 64]), "neupims-npu")
    # causal attention grows with the square of the length: one long prompt costs more than two halves
    assert _attention_s(skewed) > 1.5 * _attention_s(even)
