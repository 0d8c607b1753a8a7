"""The fast iteration-time path a serving run calls 10^5-10^6 times: the step predictor, taken apart.

One iteration's time is the sum of its schedule rows (sequential schedule). The rows fall in two groups:

* **dense rows** (GEMMs, norms, the lm_head, collectives and the transfers between them) depend only on the
  iteration's token count, its request count and its phase: cached per ``(tokens, requests, phase)``,
  computed once from the full ``predict`` of the first iteration with that key;
* **attention rows** (each part's KV writes and attention, see ``cosim.workload.attention.attention_parts``)
  depend on every request's length. Their operators are rebuilt for each iteration by the workload builder
  itself and scored by the placed device's cost model; their transfers (queries to a PIM device, outputs
  back, prefix K/V from its home) are affine in the part's query and key totals, so their time is cached
  per part as that affine function, fitted exactly on three reference predicts.

Decode-only runs (``decode_run_s``) add one key per request per step. Where the attention is a flash kernel
on a GPU that does not split the keys (batches that fill the SMs, or MHA on vLLM's Ampere path), its time
is affine in the step number within waves of fixed composition, so a run of steps is evaluated in one
vectorized expression; elsewhere (split-KV decode, PIM attention) the steps are evaluated one by one with
the same per-iteration path. Both equal :meth:`IterationModel.iteration_s` step by step (tested), which
equals the full ``predict`` of the same batch (tested on random batches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cosim.engine.kv_sizing import vllm_kv_budget
from cosim.engine.part_ops import PartOperators
from cosim.engine.predict import place_and_validate, resolve_mapping, resolve_system
from cosim.hardware.caps import DeviceKind
from cosim.mapping.mapping import Mapping
from cosim.mapping.placement import place, share_factor, slot_count
from cosim.perf.base import cost_model_for
from cosim.perf.gpu.device import GpuView, gpu_view, overlap_sum
from cosim.perf.gpu.model import decode_splits_keys, varlen_decode_run_s
from cosim.schedule.plan import RowKind, plan_step
from cosim.schedule.sequential import TimedRow, time_rows
from cosim.workload.attention import attention_parts
from cosim.workload.dtypes import DType
from cosim.workload.fusion import PROFILES, Fusion, Logits
from cosim.workload.graph import build_step_graph, part_operators
from cosim.workload.model import ModelConfig
from cosim.workload.ops import Operator, OpKind, Phase
from cosim.workload.presets import load_model
from cosim.workload.step import Step, slice_phase


def _is_part_op(op: Operator | None) -> bool:
    return op is not None and "q_lens" in op.attrs


def _is_logit_op(op: Operator | None) -> bool:
    """The lm_head and what gathers its output: one row per logit row (per request in a serving iteration)."""
    return op is not None and (op.kind is OpKind.LM_HEAD or op.name == "logits_all_gather")


def _split_dense(dense: list[TimedRow]) -> tuple[float, float]:
    """(seconds of token-parallel rows, seconds of logit rows and their transfers)."""
    logit_ops = {t.plan.name for t in dense if t.plan.kind is not RowKind.TRANSFER and _is_logit_op(t.plan.op)}
    logits = [t for t in dense if t.plan.name in logit_ops or t.plan.src in logit_ops or t.plan.dst in logit_ops]
    return _total(dense) - _total(logits), _total(logits)


def _group_rows(timed: list[TimedRow]) -> tuple[list[TimedRow], list[TimedRow], list[TimedRow]]:
    """(dense rows, attention-part operator rows, attention-part transfer rows)."""
    part_ops = {t.plan.name for t in timed if t.plan.kind is RowKind.OPERATOR and _is_part_op(t.plan.op)}
    dense, ops, transfers = [], [], []
    for t in timed:
        if t.plan.name in part_ops:
            ops.append(t)
        elif t.plan.kind is RowKind.TRANSFER and (t.plan.src in part_ops or t.plan.dst in part_ops):
            transfers.append(t)
        else:
            dense.append(t)
    return dense, ops, transfers


def _total(rows: list[TimedRow]) -> float:
    return float(sum(t.result.total_s for t in rows))


@dataclass(frozen=True)
class _Placed:
    """Where one attention-part operator runs and how it is scored (from the reference predict)."""

    device: str
    caps: Any
    spec: Any
    model: Any
    share: float


class IterationModel:
    """Iteration times of one model on one system under one mapping (an ``IterationTimer``)."""

    def __init__(self, model: ModelConfig | str | Path, hw: Any, *, tp: int = 1,
                 mapping: Mapping | str | Path | None = None, cost_model: str | None = None, dtype: str = "bf16",
                 weight_dtype: str | None = None, kv_dtype: str | None = None, fusion: str = "fused",
                 attention: str = "flash",
                 gpu_memory_utilization: float = 0.9, max_batched_tokens: int = 8192,
                 max_num_seqs: int = 256, ep: int = 1) -> None:
        self.config = load_model(model)
        self.system = resolve_system(hw)
        self.mapping = mapping
        self.cost_model = cost_model
        self.options = dict(dtype=dtype, weight_dtype=weight_dtype, kv_dtype=kv_dtype, fusion=fusion,
                            attention=attention, tp=tp, ep=ep)
        self.gpu_memory_utilization = gpu_memory_utilization
        self.max_batched_tokens = max_batched_tokens
        self.max_num_seqs = max_num_seqs
        self._token_rows: dict[tuple[int, Phase], float] = {}  # dense rows by (tokens, phase)
        self._logit_rows: dict[tuple[int, Phase], float] = {}  # lm_head rows by (logit rows, phase)
        self._transfers: dict[tuple, tuple[float, float, float]] = {}
        self._placed: dict[tuple, _Placed] = {}
        self._slopes: dict[tuple, list[tuple[bool, float, float, float]] | None] = {}
        self._part_ops = PartOperators(lambda part, name: part_operators(self.config, part, name, **self.options))
        self._bound: dict[Phase, Mapping] = {}
        self._capacity: int | None = None

    # ----- the full path (the reference every cache is filled from) -----
    def step(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> Step:
        q, kv = np.asarray(q_lens, dtype=np.int64), np.asarray(kv_lens, dtype=np.int64)
        kv = self.config.attended_kv_lens(q, kv)  # sliding window: the part-operator maps see the keys read
        return Step(slice_phase(q, kv), q, kv)

    def _timed(self, step: Step) -> tuple[Any, list[TimedRow]]:
        graph = build_step_graph(self.config, step, **self.options)
        placement = place(graph, self.system, self._mapping_for(step.phase))  # times only: no capacity check
        timed = time_rows(plan_step(graph, self.system, placement), self.system, cost_model=self.cost_model)
        return graph, timed

    def predict_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        """The full predictor's time of this iteration (no caches): what :meth:`iteration_s` must equal."""
        return _total(self._timed(self.step(q_lens, kv_lens))[1])

    # ----- the fast path -----
    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        step = self.step(q_lens, kv_lens)
        total = self._dense_s(step)
        for name, part in attention_parts(step, self._profile()):
            total += self._part_s(name, part, step.phase)
        return total

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        kv_lens = np.asarray(kv_lens, dtype=np.int64)
        ones = np.ones(kv_lens.size, dtype=np.int64)
        if steps > 2 and self.config.sliding_window is None:  # a window stops the keys' growth: not affine
            closed = self._decode_run_closed_form(ones, kv_lens, steps)
            if closed is not None:
                return closed
        return np.array([self.iteration_s(ones, kv_lens + i) for i in range(steps)], dtype=float)

    def _decode_run_closed_form(self, ones: np.ndarray, kv_lens: np.ndarray, steps: int) -> np.ndarray | None:
        """Step times of a decode run in array passes, or None where an operator's time cannot be (PIM).

        A flash decode kernel that does not split its keys gives each CTA one request's keys, and adding a key
        to every request keeps the CTAs' order, so its compute and memory terms grow by the same amount each
        step; a split-KV decode over unequal requests is evaluated for all steps at once; every other row of a
        decode iteration is the same each step (dense rows, KV writes) or affine in the key count (transfers)."""
        step0 = self.step(ones, kv_lens)
        parts = attention_parts(step0, self._profile())
        if len(parts) != 1:
            return None
        name, part = parts[0]
        slopes = self._run_slopes(step0, name, part)
        if slopes is None:
            return None
        i = np.arange(steps, dtype=float)
        total = np.full(steps, self._dense_s(step0))
        for op, slope in zip(self._part_ops.ops(name, part), slopes, strict=True):
            placed = self._placement(step0.phase, op)
            scale = placed.share * op.repeat
            kind, p, d_compute, d_memory = slope
            if kind == "constant":
                total += placed.model.op_timing(op, placed.caps, placed.spec).latency_s * scale
            elif kind == "affine":
                t0 = placed.model.op_timing(op, placed.caps, placed.spec)
                compute, memory = t0.compute_s + d_compute * i, t0.memory_s + d_memory * i
                rest = t0.latency_s - float(overlap_sum(p, t0.compute_s, t0.memory_s))
                total += (overlap_sum(p, compute, memory) + rest) * scale
            else:  # "varlen": split-KV flash decode over unequal requests, every step in one array pass
                run = varlen_decode_run_s(op, gpu_view(placed.caps, placed.spec), steps, d_memory)
                if run is None:
                    return None
                total += run * scale
        a, b_q, b_kv = self._transfer_coefficients((step0.phase, "decode"), part)
        return total + a + b_q * part.tokens + b_kv * (part.kv_tokens + part.batch * i)

    def _run_slopes(self, step0: Step, name: str, part: Step) -> list[tuple[str, float, float, float]] | None:
        """Per part operator of a decode run, how its time evolves step by step: "constant", "affine" (a flash
        decode that does not split keys: overlap exponent and compute / memory growth per step) or "varlen"
        (split-KV flash decode over unequal requests, evaluated per step in one array pass; DRAM bytes per
        step); None when an operator fits none of these. Cached per (phase, requests, equal lengths): the
        growth depends on the request count only (waves and bytes per key)."""
        uniform = bool((part.kv_lens == part.kv_lens[0]).all())
        key = (step0.phase, part.batch, uniform)
        if key in self._slopes:
            return self._slopes[key]
        later = self.step(part.q_lens, part.kv_lens + 1)
        out: list[tuple[str, float, float, float]] | None = []
        for op0, op1 in zip(self._part_ops.ops(name, part), self._part_ops.ops(name, later), strict=True):
            placed = self._placement(step0.phase, op0)
            t0 = placed.model.op_timing(op0, placed.caps, placed.spec)
            t1 = placed.model.op_timing(op1, placed.caps, placed.spec)
            if t0.latency_s == t1.latency_s and op0.kind is not OpKind.FUSED_ATTENTION:
                out.append(("constant", 0.0, 0.0, 0.0))
                continue
            gpu = self._gpu_kernel_view(op0, placed)
            if gpu is not None and not decode_splits_keys(op0, gpu):
                out.append(("affine", gpu.attn_overlap, t1.compute_s - t0.compute_s, t1.memory_s - t0.memory_s))
            elif gpu is not None and not uniform:
                out.append(("varlen", 0.0, 0.0, op1.bytes - op0.bytes))
            else:
                out = None
                break
        self._slopes[key] = out
        return out

    @staticmethod
    def _gpu_kernel_view(op: Operator, placed: _Placed) -> GpuView | None:
        """The GPU view of a flash attention operator timed by the gpu-kernel model, else None."""
        if op.kind is not OpKind.FUSED_ATTENTION or placed.caps.kind is not DeviceKind.GPU:
            return None
        if placed.model.name != "gpu-kernel" or getattr(placed.spec, "sm_count", None) is None:
            return None
        return gpu_view(placed.caps, placed.spec)

    def _profile(self):
        return PROFILES[Fusion.parse(self.options["fusion"])]

    def _dense_s(self, step: Step) -> float:
        """Dense rows: token-parallel ones depend on the token count, the lm_head's on its row count."""
        rows = step.batch if step.is_mixed or self._profile().default_logits is Logits.LAST else step.tokens
        tkey, lkey = (step.tokens, step.phase), (rows, step.phase)
        tokens_s, logits_s = self._token_rows.get(tkey), self._logit_rows.get(lkey)
        if tokens_s is None or logits_s is None:
            tokens_s, logits_s = _split_dense(_group_rows(self._timed(step)[1])[0])
            self._token_rows[tkey], self._logit_rows[lkey] = tokens_s, logits_s
        return tokens_s + logits_s

    def _part_s(self, name: str, part: Step, phase: Phase) -> float:
        decode = part.phase is Phase.DECODE
        key = ("decode",) if decode else ("prefill", bool((part.kv_lens > part.q_lens).any()))
        total = 0.0
        for op in self._part_ops.ops(name, part):
            placed = self._placement(phase, op)
            t = placed.model.op_timing(op, placed.caps, placed.spec)
            total += t.latency_s * placed.share * op.repeat
        a, b_q, b_kv = self._transfer_coefficients((phase, *key), part)
        return total + a + b_q * part.tokens + b_kv * part.kv_tokens

    def _placement(self, phase: Phase, op: Operator) -> _Placed:
        """Device, caps and cost model of a part operator, by the mapping the iteration's phase uses."""
        pkey = (phase, op.name)
        hit = self._placed.get(pkey)
        if hit is None:
            device = self._mapping_for(phase).bind(self.system).device_of(op, phase)
            caps = self.system.caps(device)
            slot = self.system.devices[device]
            model = cost_model_for(caps.kind, self.cost_model or getattr(slot, "cost_model", None))
            share = share_factor(op.instances, slot_count(self.system, device))
            hit = self._placed[pkey] = _Placed(device, caps, getattr(slot, "spec", None), model, share)
        return hit

    def _mapping_for(self, phase: Phase) -> Mapping:
        hit = self._bound.get(phase)
        if hit is None:
            hit = self._bound[phase] = resolve_mapping(self.mapping, self.system, phase)
        return hit

    def _transfer_coefficients(self, key: tuple, part: Step) -> tuple[float, float, float]:
        """Transfers of a part: ``a + b_q * query tokens + b_kv * keys``, exact for the row set of ``key``.

        Fitted on the part alone as a whole iteration (its transfers are the same as inside a mixed one):
        once as it is, once with one more cached key per request, once with one more new token."""
        hit = self._transfers.get(key)
        if hit is not None:
            return hit
        q, kv = part.q_lens, part.kv_lens

        def transfers_s(q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
            return _total(_group_rows(self._timed(self.step(q_lens, kv_lens))[1])[2])

        t0 = transfers_s(q, kv)
        cached = bool((kv > q).any())
        b_kv = (transfers_s(q, kv + 1) - t0) / q.size if cached else 0.0
        grow = q > 1
        if grow.any():  # one more new token in each prefill slice
            b_q = (transfers_s(q + grow, kv + grow) - t0) / int(grow.sum()) - b_kv
        else:  # decodes: one more request (a query token and its key)
            b_q = transfers_s(np.append(q, 1), np.append(kv, kv[0])) - t0 - b_kv * kv[0]
        a = t0 - b_q * part.tokens - b_kv * part.kv_tokens
        hit = self._transfers[key] = (a, b_q, b_kv)
        return hit

    # ----- capacity -----
    def kv_capacity_tokens(self) -> int:
        """KV entries the KV cache's home holds: on a GPU/NPU home what vLLM 0.19's start-up profiling leaves
        (``cosim.engine.kv_sizing``: ``gpu_memory_utilization`` of the runtime-reported total, less weights and
        the torch peak of a ``max_batched_tokens`` forward or of the ``max_num_seqs``-request dummy sampler run),
        on a PIM device its whole capacity less what else it holds."""
        if self._capacity is None:
            tokens = max(1, self.max_batched_tokens)
            step = Step(Phase.PREFILL, np.array([tokens], dtype=np.int64), np.array([tokens], dtype=np.int64))
            graph = build_step_graph(self.config, step, **self.options)
            _, memory = place_and_validate(graph, self.system, self.mapping)
            act_bytes = DType.parse(self.options["dtype"]).bytes
            best = None
            for use in memory:
                if use.kv_cache_bytes <= 0:
                    continue
                per_token = use.kv_cache_bytes / tokens
                kind = self.system.caps(use.device).kind
                if kind in (DeviceKind.GPU, DeviceKind.NPU):
                    spec = getattr(self.system.devices.get(use.device), "spec", None)
                    mem = getattr(spec, "memory", None)
                    total = mem.visible_bytes if mem is not None else use.capacity_bytes
                    free = vllm_kv_budget(
                        total_bytes=total, gpu_memory_utilization=self.gpu_memory_utilization,
                        weights_bytes=use.weights_bytes, forward_peak_bytes=use.activation_bytes,
                        max_num_seqs=self.max_num_seqs, max_num_batched_tokens=tokens,
                        vocab_size=self.config.vocab_size, hidden_size=self.config.hidden_size,
                        act_dtype_bytes=act_bytes, sm_count=getattr(spec, "sm_count", None)).kv_cache_bytes
                else:
                    free = use.capacity_bytes - use.weights_bytes - use.activation_bytes
                fit = int(max(0.0, free) // per_token)
                best = fit if best is None else min(best, fit)
            self._capacity = best or 0
        return self._capacity
