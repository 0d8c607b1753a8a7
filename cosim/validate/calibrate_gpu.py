"""Fit the GPU kernel model's physical parameters on measured kernels (training split only).

``cosim calibrate gpu --device h100-sxm`` (or ``python -m cosim.validate.calibrate_gpu --device h100-sxm``)
loads the device's measured GEMM and attention datasets (``cosim.validate.datasets``), keeps the
records with ``is_holdout(m) == False``, and fits in stages with ``scipy.optimize.least_squares`` on
the log of predicted / measured time (a soft-L1 loss, so a handful of library heuristic misfires
do not drag the physics):

1. bf16 GEMMs: achievable tensor and HBM fractions, kernel gap, DRAM latency, compute/memory overlap,
   L2 bandwidth;
2. each other GEMM dtype (fp8): its achievable share of the tensor peak;
3. attention (decode and prefill): the flash main loop's share of the tensor peak and each dataset's
   host-side floor (see ``cosim.perf.gpu.harness``);
4. memory-bound kernels (norms, rotary, activations, adds, embedding gathers), one operator kind at a time:
   the bytes an SM keeps in flight (``kernel_model.stream_inflight``), on Vidur's per-kernel CUDA timings.

When every GEMM of stage 1 is a sum of kernel durations (a profiler's record, e.g. LLMServingSim's vLLM
layerwise profiles), no CUDA-graph gap is in the data, so the gap is not fitted; and since a GEMM's fixed cost
then trades off against its streaming rate, the memory-bound kernels too small to stream (at most one 4 KiB CTA
per SM, whose time is that fixed cost) join stage 1 as latency probes.

It prints the values and the YAML to paste into the preset; nothing is written.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cosim.errors import CosimInputError
from cosim.perf.gpu.device import GpuView, gpu_view
from cosim.perf.gpu.harness_times import attention_time, gemm_times, kernels_launched, without_launch_gaps
from cosim.perf.gpu.memory_bound import BYTES_PER_CTA
from cosim.perf.gpu.model import streaming_kernel
from cosim.validate.datasets.registry import harness_of
from cosim.validate.kernels import kernel_operator
from cosim.workload.dtypes import DType
from cosim.workload.ops import Operator

ROBUST_SCALE = 0.05  # soft-L1 switches from quadratic to linear beyond ~5 % log error
DEFAULT_MAX_POINTS = 4000  # training points per stage (deterministic subsample) to keep a fit under a minute
FLOOR_PREFIX = "floor:"


@dataclass(frozen=True)
class FitParam:
    """One fitted quantity: the GpuView field it sets, where it lives in the preset, bounds in SI units."""

    yaml_key: str
    unit: str
    unit_scale: float
    lower: float
    upper: float


FIT_PARAMS: dict[str, FitParam] = {
    "compute_efficiency": FitParam("efficiency.compute", "", 1.0, 0.3, 1.0),
    "memory_efficiency": FitParam("efficiency.memory", "", 1.0, 0.3, 1.0),
    "kernel_gap_s": FitParam("kernel_launch", "us", 1e-6, 0.0, 1e-5),
    "dram_latency_s": FitParam("kernel_model.dram_latency", "us", 1e-6, 0.0, 1e-5),
    "overlap": FitParam("kernel_model.overlap", "", 1.0, 1.0, 30.0),
    "l2_bw": FitParam("kernel_model.l2_bandwidth", "TB/s", 1e12, 1e12, 3e13),
    "sm_bw": FitParam("kernel_model.sm_bandwidth", "GB/s", 1e9, 5e9, 1e12),
    "attention_efficiency": FitParam("kernel_model.attention_efficiency", "", 1.0, 0.05, 1.0),
    "attention_overlap": FitParam("kernel_model.attention_overlap", "", 1.0, 1.0, 30.0),
}
DTYPE_SCALE_PREFIX = "dtype_compute_scale."
FLOOR_PARAM = FitParam("", "us", 1e-6, 0.0, 5e-5)
DTYPE_SCALE_PARAM = FitParam("kernel_model.dtype_compute_scale", "", 1.0, 0.2, 1.0)
INFLIGHT_PREFIX = "stream_inflight."
INFLIGHT_PARAM = FitParam("kernel_model.stream_inflight", "KiB", 1024.0, 256.0, 1024.0 * 1024.0)


@dataclass(frozen=True)
class Point:
    """One training measurement in the form the kernel formulas take."""

    dataset: str
    kind: str
    params: dict
    measured_s: float


@dataclass
class StageResult:
    name: str
    values: dict[str, float]
    n_points: int
    median_abs_err: float
    datasets: list[str] = field(default_factory=list)


# ---- applying parameters ---------------------------------------------------------------------------------


def apply(gpu: GpuView, values: dict[str, float]) -> GpuView:
    """A GpuView with fitted values substituted (dtype scales and host floors handled separately)."""
    plain: dict[str, object] = {k: v for k, v in values.items() if k in FIT_PARAMS}
    inflight = {k[len(INFLIGHT_PREFIX):]: v for k, v in values.items() if k.startswith(INFLIGHT_PREFIX)}
    if inflight:
        plain["stream_inflight"] = tuple(sorted((dict(gpu.stream_inflight) | inflight).items()))
    scales = {DType(k[len(DTYPE_SCALE_PREFIX):]): v for k, v in values.items() if k.startswith(DTYPE_SCALE_PREFIX)}
    if scales:
        merged = dict(gpu.dtype_compute_scale) | scales
        plain["dtype_compute_scale"] = tuple(sorted(merged.items()))
    return dataclasses.replace(gpu, **plain)


def predict_points(gpu: GpuView, points: Sequence[Point], values: dict[str, float]) -> np.ndarray:
    """Predicted seconds for every point under ``values`` (the fitted parameters of this stage)."""
    view = apply(gpu, values)
    out = np.empty(len(points))
    gemm_idx = [i for i, p in enumerate(points) if p.kind == "gemm"]
    if gemm_idx:
        out[gemm_idx] = _predict_gemms(view, [points[i] for i in gemm_idx])
    for i, p in enumerate(points):
        if p.kind == STREAM_KIND:
            out[i] = _predict_streaming(view, p)
        elif p.kind != "gemm":
            out[i] = _predict_attention(view, p)
    floors = np.array([values.get(FLOOR_PREFIX + p.dataset, harness_of(p.dataset).host_floor_s or 0.0)
                       for p in points])
    return out + floors


def _predict_gemms(gpu: GpuView, points: Sequence[Point]) -> np.ndarray:
    out = np.empty(len(points))
    by_dtype: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(points):
        by_dtype.setdefault((str(p.params.get("dtype", "bf16")), p.dataset), []).append(i)
    for (dtype_name, dataset), idx in by_dtype.items():
        m, n, k = (np.array([float(points[i].params[key]) for i in idx]) for key in ("m", "n", "k"))
        harness = harness_of(dataset)
        t = gemm_times(gpu, harness, m, n, k, DType.parse(dtype_name))
        out[idx] = [without_launch_gaps(gpu, harness, float(x), kernels_launched(harness, GEMM_KIND, points[i].params))
                    for x, i in zip(t, idx, strict=True)]
    return out


def _predict_attention(gpu: GpuView, p: Point) -> float:
    """As ``cosim validate`` times it (``harness_times.kernel_time``): a kernel-duration record has no gaps."""
    harness = harness_of(p.dataset)
    t = attention_time(gpu, harness, p.kind, p.params)
    return without_launch_gaps(gpu, harness, t, kernels_launched(harness, p.kind, p.params))


def stream_operator(p: Point) -> Operator:
    """The standalone kernel a measured ``elementwise`` record timed (as ``cosim validate`` builds it)."""
    q = p.params
    head_dim = int(q["head_dim"]) if "head_dim" in q else None
    return kernel_operator(str(q["op"]), int(q["tokens"]), int(q["hidden"]), q.get("dtype", "bf16"), head_dim=head_dim)


def _predict_streaming(gpu: GpuView, p: Point) -> float:
    t = float(streaming_kernel(stream_operator(p), gpu).latency_s)
    return without_launch_gaps(gpu, harness_of(p.dataset), t, 1)


# ---- fitting ---------------------------------------------------------------------------------------------


def _bounds(name: str) -> FitParam:
    if name.startswith(FLOOR_PREFIX):
        return FLOOR_PARAM
    if name.startswith(DTYPE_SCALE_PREFIX):
        return DTYPE_SCALE_PARAM
    if name.startswith(INFLIGHT_PREFIX):
        return INFLIGHT_PARAM
    return FIT_PARAMS[name]


def _lower(gpu: GpuView, name: str) -> float:
    """L2 is never slower than the HBM behind it; other bounds are fixed."""
    return max(_bounds(name).lower, gpu.hbm_bw) if name == "l2_bw" else _bounds(name).lower


def saturating_inflight(gpu: GpuView) -> float:
    """Bytes in flight per SM beyond which a streaming kernel is HBM-bound (more changes nothing)."""
    return gpu.achieved_bw * gpu.dram_latency_s / gpu.sm_count


def _upper(gpu: GpuView, name: str) -> float:
    """In-flight bytes stop at saturation (a flat residual would let the fit wander); other bounds are fixed."""
    if name.startswith(INFLIGHT_PREFIX):
        return max(min(_bounds(name).upper, saturating_inflight(gpu)), 2.0 * _bounds(name).lower)
    return _bounds(name).upper


def fit(gpu: GpuView, points: Sequence[Point], names: Sequence[str], start: dict[str, float],
        fixed: dict[str, float] | None = None) -> tuple[dict[str, float], float]:
    """Least squares on log(pred / measured) over ``points``; returns (values, median |error|)."""
    from scipy.optimize import least_squares

    fixed = dict(fixed or {})
    measured = np.array([p.measured_s for p in points])
    scales = np.array([_bounds(n).unit_scale for n in names])
    lower = np.array([_lower(gpu, n) for n in names]) / scales
    upper = np.array([_upper(gpu, n) for n in names]) / scales
    x0 = np.clip(np.array([start[n] for n in names]) / scales, lower, upper)

    def residual(x: np.ndarray) -> np.ndarray:
        values = fixed | dict(zip(names, x * scales, strict=True))
        return np.log(predict_points(gpu, points, values) / measured)

    result = least_squares(residual, x0, bounds=(lower, upper), loss="soft_l1", f_scale=ROBUST_SCALE,
                           x_scale="jac")
    values = dict(zip(names, result.x * scales, strict=True))
    err = np.abs(np.exp(residual(result.x)) - 1.0)
    return values, float(np.median(err))


def start_values(gpu: GpuView) -> dict[str, float]:
    values = {name: float(getattr(gpu, name)) for name in FIT_PARAMS if name != "attention_overlap"}
    return values | {"attention_overlap": gpu.attn_overlap}


# ---- data ------------------------------------------------------------------------------------------------

GEMM_KIND, DECODE_KIND, PREFILL_KIND, STREAM_KIND = "gemm", "attention_decode", "attention_prefill", "elementwise"
# Kernel tables the physics is fitted on: their collectors (and so their harnesses) are documented and they
# sweep shapes densely. Profiles of eager modules and serving engines are validated, never fitted on, except
# Vidur's per-kernel CUDA timings of standalone memory-bound kernels (aiconfigurator has none) and LLMServingSim's
# per-kernel vLLM profiles of the RTX GPUs (the only kernel tables for them; GEMMs, attention and latency probes).
PROFILE_PREFIX = "llmservingsim-rtx"
CALIBRATION_PREFIXES: dict[str, tuple[str, ...]] = {
    GEMM_KIND: ("aiconfigurator-", PROFILE_PREFIX), DECODE_KIND: ("aiconfigurator-", PROFILE_PREFIX),
    PREFILL_KIND: ("aiconfigurator-", PROFILE_PREFIX), STREAM_KIND: ("vidur-", PROFILE_PREFIX),
}
# Datasets whose memory-bound kernels only serve as latency probes: in an eager forward each kernel reads what the
# kernel before it wrote, so larger ones ran on L2-resident tensors (faster than HBM) and say nothing of in-flight bytes
LATENCY_PROBES_ONLY: tuple[str, ...] = (PROFILE_PREFIX,)


def training_points(device: str, kinds: Sequence[str], peer_root: Path | None = None, *,
                    holdout: bool = False) -> list[Point]:
    """Training-split measurements of ``device`` for ``kinds`` from the datasets whose harness is known.

    Only the kernel tables of ``CALIBRATION_PREFIXES`` are fitted on, through the harness each declares;
    layer, profile and step datasets (host-side hooks, eager launches) are left to ``cosim validate``.
    ``holdout=True`` returns the held-out records instead (for scoring, never for fitting).
    """
    from cosim.validate.datasets import DATASETS, load_dataset
    from cosim.validate.measurement import is_holdout

    out: list[Point] = []
    prefixes = tuple({prefix for kind in kinds for prefix in CALIBRATION_PREFIXES.get(kind, ())})
    for name in sorted(n for n in DATASETS if n.startswith(prefixes)):
        for m in load_dataset(name, peer_root):
            if (m.device == device and m.kind in kinds and name.startswith(CALIBRATION_PREFIXES[m.kind])
                    and is_holdout(m) == holdout):
                out.append(Point(m.dataset, m.kind, dict(m.params), m.measured_s))
    return out


def subsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """Every k-th point (deterministic), so a stage's fit stays fast on 50,000-row tables."""
    if len(points) <= max_points:
        return list(points)
    step = len(points) / max_points
    return [points[int(i * step)] for i in range(max_points)]


# ---- stages ----------------------------------------------------------------------------------------------

# Dtypes whose GEMM efficiency is fitted separately. aiconfigurator's fp8 rows run vLLM's Fp8 linear (a quantize
# kernel, then a CUTLASS GEMM picked by a fixed M/N dispatch without split-K); ``cosim.perf.gpu.harness_times`` times
# both, so the remaining scale is the share of the doubled fp8 peak those kernels reach.
FITTED_DTYPE_SCALES: tuple[DType, ...] = (DType.FP8,)
GEMM_PARAMS = ("compute_efficiency", "memory_efficiency", "kernel_gap_s", "dram_latency_s", "overlap", "l2_bw")
ATTENTION_PARAMS = ("attention_efficiency", "attention_overlap")


def kernel_durations_only(points: Sequence[Point]) -> bool:
    """Whether every point is a profiler's sum of kernel durations (no CUDA-graph gap in the data)."""
    return bool(points) and all(harness_of(p.dataset).kernel_durations_only for p in points)


def latency_probes(gpu: GpuView, points: Sequence[Point]) -> list[Point]:
    """Memory-bound kernels too small to stream (at most one 4 KiB CTA per SM): their time is the fixed cost."""
    limit = BYTES_PER_CTA * gpu.sm_count
    return [p for p in points if p.kind == STREAM_KIND and stream_operator(p).bytes <= limit]


def calibrate(gpu: GpuView, points: Sequence[Point], *, max_points: int = DEFAULT_MAX_POINTS) -> list[StageResult]:
    """Run the stages on ``points``; a stage without data keeps the preset's values."""
    values = start_values(gpu)
    stages: list[StageResult] = []
    gemms = [p for p in points if p.kind == GEMM_KIND]
    bf16 = subsample([p for p in gemms if DType.parse(p.params.get("dtype", "bf16")) is DType.BF16], max_points)
    if bf16:
        names, chosen = GEMM_PARAMS, bf16
        if kernel_durations_only(bf16):  # no gap to fit; small memory-bound kernels pin the fixed cost
            names = tuple(n for n in GEMM_PARAMS if n != "kernel_gap_s")
            chosen = bf16 + latency_probes(gpu, points)
        fitted, err = fit(gpu, chosen, names, values)
        values |= fitted
        stages.append(StageResult("gemm bf16", fitted, len(chosen), err, sorted({p.dataset for p in chosen})))
    for dtype in sorted({DType.parse(p.params.get("dtype", "bf16")) for p in gemms} & set(FITTED_DTYPE_SCALES)):
        chosen = subsample([p for p in gemms if DType.parse(p.params.get("dtype", "bf16")) is dtype], max_points)
        name = DTYPE_SCALE_PREFIX + dtype.value
        fitted, err = fit(gpu, chosen, [name], values | {name: 0.8}, fixed=values)
        values |= fitted
        stages.append(StageResult(f"gemm {dtype.value}", fitted, len(chosen), err,
                                  sorted({p.dataset for p in chosen})))
    attn = subsample([p for p in points if p.kind in (DECODE_KIND, PREFILL_KIND)], max_points)
    if attn:
        floors = [FLOOR_PREFIX + d for d in sorted({p.dataset for p in attn}) if harness_of(d).host_floor_s is not None]
        names = [*ATTENTION_PARAMS, *floors]
        fitted, err = fit(gpu, attn, names, values | dict.fromkeys(floors, 5e-6), fixed=values)
        values |= fitted
        stages.append(StageResult("attention", fitted, len(attn), err, sorted({p.dataset for p in attn})))
    streams = [p for p in points if p.kind == STREAM_KIND and not p.dataset.startswith(LATENCY_PROBES_ONLY)]
    for kind in sorted({stream_operator(p).kind.value for p in streams}):
        chosen = subsample([p for p in streams if stream_operator(p).kind.value == kind], max_points)
        name = INFLIGHT_PREFIX + kind
        fitted, err = fit(apply(gpu, values), chosen, [name], values | {name: 0.5 * saturating_inflight(
            apply(gpu, values))}, fixed=values)
        values |= fitted
        stages.append(StageResult(f"streaming {kind}", fitted, len(chosen), err, sorted({p.dataset for p in chosen})))
    return stages


# ---- output ----------------------------------------------------------------------------------------------


def _display(name: str, value: float) -> str:
    bounds = _bounds(name)
    shown = value / bounds.unit_scale
    return f"{shown:.4g} {bounds.unit}".strip()


def yaml_snippet(stages: Sequence[StageResult], architecture: str | None, device: str) -> str:
    """The preset lines to paste, each with a comment naming the data and the fit."""
    lines: dict[str, list[str]] = {"": [], "efficiency": [], "kernel_model": []}
    scales: list[str] = []
    inflight: list[str] = []
    for stage in stages:
        note = f"# fitted: {', '.join(stage.datasets)}, 70 % train split, cosim calibrate gpu --device {device}"
        for name, value in stage.values.items():
            if name.startswith(FLOOR_PREFIX):
                continue
            if name.startswith(DTYPE_SCALE_PREFIX):
                scales.append(f"    {name[len(DTYPE_SCALE_PREFIX):]}: {value:.3f}  {note}")
                continue
            if name.startswith(INFLIGHT_PREFIX):
                inflight.append(f"    {name[len(INFLIGHT_PREFIX):]}: {_display(name, value)}  {note}")
                continue
            section, _, key = FIT_PARAMS[name].yaml_key.rpartition(".")
            lines[section].append(f"{'  ' if section else ''}{key}: {_display(name, value)}  {note}")
    out = []
    if architecture:
        out.append(f"architecture: {architecture}  # kernel shapes (cosim.perf.gpu.arch)")
    out += lines[""]
    if lines["efficiency"]:
        out += ["efficiency:", *lines["efficiency"]]
    if lines["kernel_model"] or scales or inflight:
        out += ["kernel_model:", *lines["kernel_model"]]
        if scales:
            out += ["  dtype_compute_scale:", *scales]
        if inflight:
            out += ["  stream_inflight:  # bytes in flight per SM", *inflight]
        datasets = sorted({d for s in stages for d in s.datasets})
        out.append(f"  calibrated_on: {', '.join(datasets)} (70 % train split)  # provenance of the values above")
    return "\n".join(out)


def report(stages: Sequence[StageResult]) -> str:
    rows = []
    for stage in stages:
        rows.append(f"stage {stage.name}: {stage.n_points} training points, median |error| "
                    f"{100 * stage.median_abs_err:.1f} % ({', '.join(stage.datasets)})")
        for name, value in stage.values.items():
            label = f"host floor of {name[len(FLOOR_PREFIX):]} (not a GPU parameter)" if name.startswith(
                FLOOR_PREFIX) else name
            rows.append(f"  {label:<48} {_display(name, value)}")
    return "\n".join(rows)


def run(device: str, *, peer_root: Path | None = None, max_points: int = DEFAULT_MAX_POINTS) -> str:
    from cosim.hardware import load_device

    spec = load_device(device)
    if getattr(spec, "sm_count", None) is None:
        raise CosimInputError(f"{device!r} is not a GPU preset", field="device")
    gpu = gpu_view(spec.caps(), spec)
    points = training_points(device, (GEMM_KIND, DECODE_KIND, PREFILL_KIND, STREAM_KIND), peer_root)
    if not points:
        raise CosimInputError(f"no measured GEMM or attention data for {device!r} (is ../shared/peer_data there?)",
                              field="device")
    stages = calibrate(gpu, points, max_points=max_points)
    arch = spec.architecture.value if spec.architecture else None
    return report(stages) + "\n\n# paste into hw/" + device + ".yaml\n" + yaml_snippet(stages, arch, device)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", required=True,
                        help="GPU preset with measured data (h100-sxm, a100-80g, rtx4090, rtx-pro-6000)")
    parser.add_argument("--peer-data", type=Path, default=None, help="peer_data root (default: ../shared/peer_data)")
    parser.add_argument("--max-points", type=int, default=DEFAULT_MAX_POINTS,
                        help=f"training points per stage (default {DEFAULT_MAX_POINTS})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.validate.calibrate_gpu", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(run(args.device, peer_root=args.peer_data, max_points=args.max_points))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

