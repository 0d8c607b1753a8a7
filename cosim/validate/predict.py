"""Predict a measurement with cosim's public API, so validation scores exactly what users run.

* ``gemm``, ``attention_*``, ``elementwise``: one operator (``cosim.perf.single_op.gemm_operator`` /
  ``attention_operator``, ``cosim.validate.kernels.kernel_operator``) scored by the cost model the device
  uses (its kind's default, a system override, or ``cost_model``). This is what ``predict_op_gemm`` /
  ``predict_op_attention`` do, without re-planning a one-node graph for each of 100,000 points
  (tests check the two agree).
* ``allreduce``: a one-collective graph on ``gpus`` devices through ``predict_graph``.
* Each dataset declares the harness it was measured under (``cosim.perf.gpu.harness``); a non-cold one is
  applied here: kernel benchmarks (warm L2, paged KV, fp8 quantize prologue, host floor) are timed by the
  harness-aware formulas of the "gpu-kernel" model (``cosim.perf.gpu.harness_times``). User CSVs and
  unknown datasets are cold.
* End-to-end serving steps (splitwise-sim's vLLM times) also hold the engine's host work: those datasets
  declare an ``EngineOverhead`` (``cosim.serving.engine_overhead``, ``engine_overhead_of``), added here to
  the step's kernels exactly as the serving simulator adds it to an iteration.
* ``layer_*`` / ``step_*``, and any record whose params name graph operators (``ops``: comma-separated
  globs over operator names, e.g. ``decoder.attn_norm*``): ``build_graph`` + ``predict_graph``
  on a tp-GPU system; steps and graphs are cached because many records share them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

import networkx as nx
import numpy as np

from cosim.engine.predict import predict_graph
from cosim.errors import CosimInputError
from cosim.hardware.system import System
from cosim.mapping.mapping import Mapping as OpMapping
from cosim.mapping.schema import OpRule
from cosim.perf.base import cost_model_for
from cosim.perf.gpu.device import GpuView, gpu_view
from cosim.perf.gpu.harness import Harness
from cosim.perf.gpu.harness_times import kernel_time, without_launch_gaps
from cosim.perf.gpu.model import ATTENTION_KERNEL_ATTR, GpuKernelModel
from cosim.perf.result import StepResult
from cosim.perf.single_op import attention_operator, gemm_operator, single_op_graph
from cosim.registry import Registry
from cosim.serving.engine_overhead import EngineOverhead
from cosim.validate.datasets.registry import harness_of
from cosim.validate.datasets.splitwise import ENGINE_OVERHEADS
from cosim.validate.kernels import kernel_operator
from cosim.validate.measurement import Measurement
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit, Operator, OpKind, Phase, TensorAccess, TensorClass

Predictor = Callable[[Measurement, str | None], float]
PREDICTORS: Registry[Predictor] = Registry("measurement kind", "kind")
"""How a measurement of each kind is predicted; a kind registered twice is an error."""
GRAPH_CACHE_SIZE = 512
HARNESSED_KINDS = ("gemm", "attention_prefill", "attention_decode")  # kernels the harness-aware formulas time


def register_predictor(kind: str) -> Callable[[Predictor], Predictor]:
    return PREDICTORS.register(kind)


# ---- hardware ---------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def system_for(device: str, gpus: int = 1) -> System:
    """The device preset as a system of ``gpus`` identical devices (a system preset is used as is)."""
    from cosim.hardware import load_system

    system = load_system(device)
    if gpus <= 1:
        return system
    name = _compute_device(system)
    slot = system.devices[name]
    if slot.count >= gpus:
        return system
    if len(system.devices) != 1:
        raise CosimInputError(f"{device!r} has {slot.count} compute devices, fewer than tp={gpus}", field="tp")
    return dataclasses.replace(system, name=f"{gpus}x {system.name}",
                               devices={name: dataclasses.replace(slot, count=gpus)})


def _compute_device(system: System) -> str:
    compute = system.compute_devices()
    return compute[0] if compute else next(iter(system.devices))


@lru_cache(maxsize=64)
def _gpu_kernel_view(device: str, cost_model: str | None) -> GpuView | None:
    """The GpuView of ``device`` when it is timed by the "gpu-kernel" model, else None (harness not applicable)."""
    system = system_for(device)
    slot = system.devices[_compute_device(system)]
    caps = _caps(device)
    if not isinstance(cost_model_for(caps.kind, cost_model or slot.cost_model), GpuKernelModel):
        return None
    if getattr(slot.spec, "sm_count", None) is None:
        return None
    return gpu_view(caps, slot.spec)


def _harnessed_kernel_s(m: Measurement, harness: Harness, cost_model: str | None) -> float | None:
    """A kernel record timed as its benchmark ran it, or None when the device's model cannot (then: public API)."""
    if harness.is_cold or m.kind not in HARNESSED_KINDS:
        return None
    gpu = _gpu_kernel_view(m.device, cost_model)
    if gpu is None:
        return None
    return kernel_time(gpu, harness, m.kind, m.params)


def op_latency_s(device: str, op: Operator, cost_model: str | None = None) -> float:
    """One operator on one device of ``device`` with the cost model cosim would pick for it."""
    system = system_for(device)
    name = _compute_device(system)
    slot = system.devices[name]
    caps = _caps(device)
    model = cost_model_for(caps.kind, cost_model or slot.cost_model)
    return model.op_timing(op, caps, slot.spec).latency_s


@lru_cache(maxsize=64)
def _caps(device: str):
    system = system_for(device)
    return system.caps(_compute_device(system))


# ---- single kernels --------------------------------------------------------------------------------


def _dtype(p: Mapping[str, Any]) -> DType:
    return DType.parse(p.get("dtype", "bf16"), field="dtype")


@register_predictor("gemm")
def _gemm(m: Measurement, cost_model: str | None) -> float:
    p = m.params
    op = gemm_operator(int(p["m"]), int(p["n"]), int(p["k"]), _dtype(p))
    return op_latency_s(m.device, op, cost_model)


def _attention(m: Measurement, cost_model: str | None, phase: Phase) -> float:
    p = m.params
    op = attention_operator(phase, int(p["batch"]), int(p["heads"]), int(p["kv_heads"]), int(p["head_dim"]),
                            int(p["context"]), _dtype(p))
    return op_latency_s(m.device, op, cost_model)


@register_predictor("attention_prefill")
def _attention_prefill(m: Measurement, cost_model: str | None) -> float:
    if int(m.params.get("q_len", m.params["context"])) != int(m.params["context"]):
        raise CosimInputError("standalone prefill attention needs q_len == context; give ops/model for a chunk "
                              "on a cached prefix", field="q_len")
    return _attention(m, cost_model, Phase.PREFILL)


@register_predictor("attention_decode")
def _attention_decode(m: Measurement, cost_model: str | None) -> float:
    return _attention(m, cost_model, Phase.DECODE)


@register_predictor("elementwise")
def _elementwise(m: Measurement, cost_model: str | None) -> float:
    p = m.params
    head_dim = int(p["head_dim"]) if "head_dim" in p else None
    op = kernel_operator(str(p["op"]), int(p["tokens"]), int(p["hidden"]), _dtype(p), head_dim=head_dim)
    seconds = op_latency_s(m.device, op, cost_model)
    harness = harness_of(m.dataset)
    gpu = None if harness.is_cold else _gpu_kernel_view(m.device, cost_model)
    return seconds if gpu is None else without_launch_gaps(gpu, harness, seconds, 1)


@register_predictor("allreduce")
def _allreduce(m: Measurement, cost_model: str | None) -> float:
    p = m.params
    gpus, nbytes, dt = int(p["gpus"]), float(p["bytes"]), _dtype(p)
    elements = max(1, int(nbytes / dt.bytes))
    buf = TensorAccess("buffer", TensorClass.ACTIVATION, dt, (elements,), nbytes)
    op = Operator(name="all_reduce", kind=OpKind.ALL_REDUCE, dtype=dt, flops=0.0, reads=(buf,), writes=(buf,),
                  shape={"elements": elements, "ranks": gpus}, instances=gpus)
    system = system_for(m.device, gpus)
    graph = single_op_graph(op, Phase.DECODE, 1, 0)
    graph.graph["tp"] = gpus
    name = _compute_device(system)
    mapping = OpMapping(name=f"all-on-{name}", op_rules=(OpRule(device=name),))
    result = predict_graph(graph, system, mapping=mapping, cost_model=cost_model)
    return sum(r.total_s for r in result.ops)


# ---- layers, steps and operators inside a model -----------------------------------------------------



def _step_phase(m: Measurement) -> str:
    if "phase" in m.params:
        return str(m.params["phase"])
    return m.kind.rsplit("_", 1)[-1] if m.kind.rsplit("_", 1)[-1] in ("prefill", "decode") else "prefill"


def graph_key(m: Measurement) -> tuple:
    """What ``build_graph`` needs for a record's model step (records of one step share the graph)."""
    p = m.params
    context = p.get("prefix", p["context"])  # a chunk on a cached prefix: the graph's context is the prefix
    context = tuple(context) if isinstance(context, list | tuple) else int(context)
    return (str(p["model"]), _step_phase(m), int(p.get("batch", 1)), context,
            int(p["chunk"]) if p.get("chunk") is not None else None, int(p.get("tp", 1)),
            str(p.get("fusion", "fused")), str(p.get("attention", "flash")), str(p.get("dtype", "bf16")))


@lru_cache(maxsize=GRAPH_CACHE_SIZE)
def model_graph(key: tuple) -> nx.DiGraph:
    from cosim.workload import build_graph

    model, phase, batch, context, chunk, tp, fusion, attention, dtype = key
    ctx = list(context) if isinstance(context, tuple) else context
    return build_graph(model, phase, batch, ctx, chunk=chunk, dtype=dtype, fusion=fusion, attention=attention,
                       tp=tp)


@lru_cache(maxsize=GRAPH_CACHE_SIZE)
def step_result(device: str, key: tuple, cost_model: str | None) -> StepResult:
    """The whole step through ``predict_graph`` on a tp-GPU system (cached)."""
    tp = key[5]
    return predict_graph(model_graph(key), system_for(device, tp), cost_model=cost_model)


def _globs(patterns: str) -> list[str]:
    return [g.strip() for g in patterns.split(",") if g.strip()]


@lru_cache(maxsize=GRAPH_CACHE_SIZE)
def graph_operators(key: tuple) -> tuple[Operator, ...]:
    return tuple(data["op"] for _, data in model_graph(key).nodes(data=True))


@lru_cache(maxsize=GRAPH_CACHE_SIZE * 8)
def matching_operators(key: tuple, patterns: str) -> tuple[Operator, ...]:
    """Operators of the graph for ``key`` whose names match any of the comma-separated globs."""
    globs = _globs(patterns)
    every = graph_operators(key)
    ops = tuple(op for op in every if any(fnmatchcase(op.name, g) for g in globs))
    if not ops:
        raise CosimInputError(f"no operator of the {key[0]} graph matches {patterns!r}", field="ops",
                              allowed=sorted(op.name for op in every))
    return ops


def _graph_ops(m: Measurement, cost_model: str | None) -> float:
    """Sum over the matching operators of one copy each (a per-layer op counts once, not per layer).

    Compute operators are scored directly by the device's cost model, which is what the sequential
    schedule does for a GPU-only system (tests check the two agree); collectives need the system's
    links, so a record touching one goes through ``predict_graph``.
    """
    key = graph_key(m)
    ops = matching_operators(key, str(m.params["ops"]))
    ops = _with_harness_attention(ops, harness_of(m.dataset))
    if any(op.unit is ComputeUnit.NETWORK for op in ops):
        names = {op.name for op in ops}
        return sum(r.latency_s for r in step_result(m.device, key, cost_model).ops if r.name in names)
    return sum(op_latency_s(m.device, op, cost_model) for op in ops)


def _with_harness_attention(ops: tuple[Operator, ...], harness: Harness) -> tuple[Operator, ...]:
    """The benchmark's attention kernel (e.g. FlashAttention-2 in a Vidur-style profiler) on fused attention ops."""
    if harness.attention_kernel is None:
        return ops
    return tuple(dataclasses.replace(op, attrs={**op.attrs, ATTENTION_KERNEL_ATTR: harness.attention_kernel})
                 if op.kind is OpKind.FUSED_ATTENTION else op for op in ops)


def _layer(m: Measurement, cost_model: str | None) -> float:
    """One decoder layer: the decoder block's total (its ops, all-reduces included) over the layer count."""
    key = graph_key(m)
    layers = int(model_graph(key).graph["num_layers"])
    return sum(r.total_s for r in step_result(m.device, key, cost_model).ops if r.block == "decoder") / layers


def _step(m: Measurement, cost_model: str | None) -> float:
    """The step's kernels plus what the dataset's serving engine adds per iteration (none for kernel datasets)."""
    kernels = step_result(m.device, graph_key(m), cost_model).latency_s
    overhead = engine_overhead_of(m.dataset)
    if overhead is None:
        return kernels
    return kernels + engine_overhead_s(m, overhead)


def engine_overhead_of(dataset: str) -> EngineOverhead | None:
    """The serving-engine overhead a dataset of end-to-end steps declared (None: kernels only)."""
    return ENGINE_OVERHEADS.get(dataset)


def engine_overhead_s(m: Measurement, overhead: EngineOverhead) -> float:
    """What ``overhead`` adds to the step ``m``: one iteration of ``batch`` sequences on the step's deployment
    (layers, tp), of ``batch * q_len`` tokens in prefill and ``batch`` tokens in decode."""
    p = m.params
    layers = int(model_graph(graph_key(m)).graph["num_layers"])
    batch = int(p.get("batch", 1))
    tokens = batch if _step_phase(m) == "decode" else batch * int(p.get("q_len", p["context"]))
    return overhead.for_deployment(layers, int(p.get("tp", 1))).iteration_s(batch, tokens)


for _phase in ("prefill", "decode"):
    register_predictor(f"layer_{_phase}")(_layer)
    register_predictor(f"step_{_phase}")(_step)


# ---- entry points ---------------------------------------------------------------------------------


def predict_measurement(m: Measurement, cost_model: str | None = None) -> float:
    """Predicted seconds for ``m`` with the device's default cost model (or ``cost_model``)."""
    if "ops" in m.params:
        return _graph_ops(m, cost_model)
    harnessed = _harnessed_kernel_s(m, harness_of(m.dataset), cost_model)
    if harnessed is not None:
        return harnessed
    return PREDICTORS.get(m.kind)(m, cost_model)


def predict_many(measurements: Iterable[Measurement], cost_model: str | None = None) -> np.ndarray:
    """Predictions for many records (NaN where cosim cannot predict a record; see ``predict_errors``)."""
    out, _ = predict_with_errors(measurements, cost_model)
    return out


def predict_with_errors(measurements: Iterable[Measurement], cost_model: str | None = None
                        ) -> tuple[np.ndarray, list[str | None]]:
    """Predictions and, per record, None or the one-line reason it could not be predicted.

    Records are evaluated grouped by model step, so each graph is built once however the input is
    ordered; results come back in input order.
    """
    items = list(measurements)
    preds = np.full(len(items), np.nan)
    errors: list[str | None] = [None] * len(items)
    for i in sorted(range(len(items)), key=lambda j: _order_key(items[j])):
        try:
            preds[i] = float(predict_measurement(items[i], cost_model))
        except CosimInputError as exc:
            if exc.field == "cost_model":
                raise
            errors[i] = str(exc)
    return preds, errors


def _order_key(m: Measurement) -> str:
    return repr(graph_key(m)) if "model" in m.params else ""
