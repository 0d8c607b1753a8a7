"""What-if studies: one model, several systems, a grid of batch sizes and context lengths.

A study file (``studies/*.yaml``) names the model, the systems to compare and the grid; running it
predicts every point with the configured cost models, keeps going when a point is invalid (the
error is recorded on that row, nothing already computed is lost), and summarizes per system and
context: the largest batch that fits and the best throughput reached.

A grid may have millions of points, so a run keeps one summary row per point (a few hundred bytes:
the numbers the report tables and sweeps show) and the full :class:`StepResult`, with its operator
rows, only for the points the report looks into (the detailed point of each system and the first
point of each system that succeeded); ``keep_all_results=True`` keeps every one. Each row is handed
to ``progress`` as soon as it is computed, so a caller can stream it to disk.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from cosim.config import StrictModel, load_with_extends, resolve_preset, validate
from cosim.dse.drm import disaggregated_roofline
from cosim.engine.predict import predict, resolve_model, resolve_system
from cosim.errors import CosimError, CosimInputError
from cosim.hardware.system import SystemView
from cosim.perf.result import StepResult

DEFAULT_MAX_POINTS = 1_000_000
"""Grids larger than this are refused unless the caller raises the limit (``cosim run --max-points``)."""


class StudySpec(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$")
    title: str
    description: str = ""
    model: str
    phase: Literal["prefill", "decode", "chunked_prefill"] = "decode"
    systems: list[str] = Field(min_length=1)
    batch: list[int] = Field(min_length=1)
    context: list[int] = Field(min_length=1)
    chunk: int | None = Field(default=None, gt=0)
    tp: int = Field(default=1, gt=0)
    dtype: str = "bf16"
    weight_dtype: str | None = None
    kv_dtype: str | None = None
    fusion: Literal["fused", "unfused"] = "fused"
    attention: Literal["flash", "eager"] = "flash"
    mappings: dict[str, str] = Field(default_factory=dict)
    drm_batch: list[int] | None = None
    detail_batch: int | None = Field(default=None, gt=0)

    @property
    def grid_points(self) -> int:
        """Points of the grid: systems x contexts x batches."""
        return len(self.systems) * len(self.context) * len(self.batch)

    def grid_text(self) -> str:
        """The grid's size in words, e.g. ``108 points (3 systems x 4 contexts x 9 batch sizes)``."""
        return (f"{self.grid_points:,} points ({len(self.systems)} systems x {len(self.context)} contexts x "
                f"{len(self.batch)} batch sizes)")

    @field_validator("batch")
    @classmethod
    def _positive_batches(cls, values: list[int]) -> list[int]:
        if any(v <= 0 for v in values):
            raise ValueError("batch sizes must be positive integers")
        return sorted(set(values))

    @field_validator("context")
    @classmethod
    def _non_negative_contexts(cls, values: list[int]) -> list[int]:
        if any(v < 0 for v in values):
            raise ValueError("context lengths must be integers >= 0")
        return sorted(set(values))


def load_study(name_or_path: str | Path) -> StudySpec:
    path = resolve_preset(name_or_path, "studies", what="study")
    data = load_with_extends(path, "studies", what="study")
    return validate(StudySpec, data, file=path)


@dataclass
class StudyResult:
    spec: StudySpec
    rows: list[dict[str, Any]] = field(default_factory=list)
    results: dict[tuple[str, int, int], StepResult] = field(default_factory=dict)
    drm: dict[tuple[str, int], Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    systems: dict[str, SystemView] = field(default_factory=dict)  # preset name -> loaded System
    notes: dict[str, None] = field(default_factory=dict)  # every distinct note of the computed points, in order

    def summary(self) -> list[dict[str, Any]]:
        """Per system and context: largest batch that fits and the best throughput among fitting points."""
        out = []
        groups: dict[tuple[str, int], list[dict[str, Any]]] = {}  # one pass: linear in the points, not x contexts
        for r in self.rows:
            if not r.get("error"):
                groups.setdefault((r["system"], r["context"]), []).append(r)
        for system in self.spec.systems:
            for context in self.spec.context:
                fitting = [r for r in groups.get((system, context), ()) if r["fits"]]
                best = max(fitting, key=lambda r: r["tokens_per_s"], default=None)
                out.append({
                    "system": system,
                    "context": context,
                    "max_batch_fit": max((r["batch"] for r in fitting), default=0),
                    "best_tokens_per_s": best["tokens_per_s"] if best else float("nan"),
                    "at_batch": best["batch"] if best else 0,
                    "step_latency_ms": best["latency_s"] * 1e3 if best else float("nan"),
                    "bound": best["bound"] if best else "-",
                })
        baseline = {r["context"]: r["best_tokens_per_s"] for r in out if r["system"] == self.spec.systems[0]}
        for r in out:
            base = baseline.get(r["context"])
            r[f"x_vs_{self.spec.systems[0]}"] = (r["best_tokens_per_s"] / base) if base else float("nan")
        return out


def check_grid_size(spec: StudySpec, max_points: int | None = DEFAULT_MAX_POINTS) -> None:
    """Refuse a grid larger than ``max_points`` before anything is computed (``None``: no limit)."""
    if max_points is not None and spec.grid_points > max_points:
        raise CosimInputError(f"study {spec.name!r} has {spec.grid_text()}, more than the limit of "
                              f"{max_points:,}; pass --max-points {spec.grid_points} to run it anyway",
                              field="--max-points")


def detail_point(spec: StudySpec) -> tuple[int, int]:
    """(context, batch) the report shows in detail: the longest context at the detail batch (default: smallest)."""
    return max(spec.context), spec.detail_batch or min(spec.batch)


def run_study(spec: StudySpec, *, progress: Callable[[dict[str, Any]], None] | None = None,
              max_points: int | None = DEFAULT_MAX_POINTS, keep_all_results: bool = False) -> StudyResult:
    """Predict every (system, context, batch) point; a bad point is recorded, not fatal.

    ``progress(row)`` is called after each point with its summary row. Memory per point is one row;
    full results are kept for the report's detailed points only, unless ``keep_all_results``.
    """
    check_grid_size(spec, max_points)
    study = StudyResult(spec)
    detail = detail_point(spec)
    model = resolve_model(spec.model)
    for system_name in spec.systems:
        system = resolve_system(system_name)
        study.systems[system_name] = system
        mapping = spec.mappings.get(system_name)
        kept_first = False
        for context in spec.context:
            for batch in spec.batch:
                row: dict[str, Any] = {"system": system_name, "context": context, "batch": batch}
                try:
                    result = predict(model, system, spec.phase, batch, context, chunk=spec.chunk, dtype=spec.dtype,
                                     weight_dtype=spec.weight_dtype, kv_dtype=spec.kv_dtype, fusion=spec.fusion,
                                     attention=spec.attention, tp=spec.tp, mapping=mapping)
                except CosimError as exc:
                    row |= {"error": str(exc), "fits": False, "tokens_per_s": float("nan"),
                            "latency_s": float("nan"), "bound": "-"}
                    study.errors.append(f"{system_name} context={context} batch={batch}: {exc}")
                else:
                    if keep_all_results or not kept_first or (context, batch) == detail:
                        study.results[(system_name, context, batch)] = result
                        kept_first = True
                    study.notes.update(dict.fromkeys(result.notes))
                    row |= {
                        "latency_s": result.latency_s,
                        "tokens_per_s": result.tokens_per_s,
                        "fits": result.fits,
                        "bound": result.bound,
                        "memory_bytes": result.memory_bytes,
                        "attention_share": _attention_share(result),
                        "cost_model": result.cost_model,
                        **{sys.intern(f"memory_per_{m.device}_bytes"): m.total_bytes for m in result.memory},
                    }
                study.rows.append(row)
                if progress:
                    progress(row)
            if spec.phase == "decode":
                study.drm[(system_name, context)] = _drm(spec, model, system, context, mapping, study)
    return study


def _drm(spec: StudySpec, model, system, context: int, mapping, study: StudyResult):
    batches = spec.drm_batch or spec.batch
    try:
        return disaggregated_roofline(model, system, context, batches, tp=spec.tp, dtype=spec.dtype,
                                      weight_dtype=spec.weight_dtype, kv_dtype=spec.kv_dtype, fusion=spec.fusion,
                                      attention=spec.attention, mapping=mapping)
    except CosimError as exc:
        study.errors.append(f"{system.name} DRM context={context}: {exc}")
        return None


def _attention_share(result: StepResult) -> float:
    attention = sum(o.total_s for o in result.ops if "attention" in o.kind or o.kind == "softmax")
    return attention / result.latency_s if result.latency_s > 0 else 0.0
