"""Throughput of the roofline paths: model x hardware points per second, single-threaded.

Workload: llama2-7b decode, batch 16, context 4096, on h100-sxm (32 layers). Measures
(a) the vectorized sweep (cosim.engine.vectorized) over 1e4, 1e5, 1e6 random hardware variants,
(b) the scalar path, one point per call: predict() end to end, and predict_graph() on a prebuilt graph,
(c) GenZ (pip install genz-llm) decode modelling of the same model per point, when it is installed.
Run: python benchmarks/bench_roofline.py [--quick]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from cosim.engine import predict  # noqa: E402
from cosim.engine.predict import predict_graph  # noqa: E402
from cosim.engine.vectorized import VectorizedStep  # noqa: E402
from cosim.hardware import load_system  # noqa: E402
from cosim.hardware.variants import system_with_overrides  # noqa: E402
from cosim.workload import build_graph  # noqa: E402

MODEL, HW, BATCH, CONTEXT = "llama2-7b", "h100-sxm", 16, 4096
TARGET_POINTS_PER_S = 100_000


def random_variants(n: int, base_bw: float, rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    return {
        "gpu": {
            "mem_bw_bytes_per_s": base_bw * rng.uniform(0.25, 4.0, n),
            "flops_scale": rng.uniform(0.25, 4.0, n),
            "mem_capacity_bytes": rng.uniform(16e9, 256e9, n),
            "op_overhead_s": rng.uniform(0.0, 1e-5, n),
        }
    }


def best_rate(fn: Callable[[], int], repeats: int, min_time_s: float = 0.2) -> float:
    """Points per second of the fastest of ``repeats`` runs (each run at least ``min_time_s``)."""
    best = 0.0
    for _ in range(repeats):
        points, start = 0, time.perf_counter()
        while True:
            points += fn()
            elapsed = time.perf_counter() - start
            if elapsed >= min_time_s:
                break
        best = max(best, points / elapsed)
    return best


def genz_rate(caps) -> tuple[float | None, str]:
    try:
        from GenZ import decode_moddeling  # type: ignore[import-not-found]
    except ImportError as exc:
        if exc.name == "GenZ":
            return None, "GenZ not installed (pip install genz-llm); skipped"
        return None, f"GenZ present but cannot be imported (missing {exc.name}); skipped"
    # GenZ's own system description (TFLOPS, GB, GB/s), taken from the same preset we model.
    from cosim.workload.dtypes import DType

    system = {
        "Flops": caps.matrix_flops_per_s[DType.BF16] / 1e12,
        "Memory_size": caps.mem_capacity_bytes / 1e9,
        "Memory_BW": caps.mem_bw_bytes_per_s / 1e9,
        "ICN": 450,
        "real_values": True,
    }

    def one() -> int:
        decode_moddeling(
            model="meta-llama/Llama-2-7B",
            batch_size=BATCH,
            input_tokens=CONTEXT,
            output_tokens=1,
            system_name=system,
            bits="bf16",
            tensor_parallel=1,
            pipeline_parallel=1,
            debug=False,
        )
        return 1

    try:
        one()  # warm up (model lookup, caches)
        return best_rate(one, 3), "GenZ decode_moddeling, one point per call"
    except Exception as exc:  # a peer's API drift must not break our benchmark
        return None, f"GenZ call failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (for CI smoke runs)")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]

    system = load_system(HW)
    graph = build_graph(MODEL, "decode", BATCH, CONTEXT)
    gpu = system.compute_devices()[0]
    base_bw = system.caps(gpu).mem_bw_bytes_per_s
    rng = np.random.default_rng(0)

    t0 = time.perf_counter()
    step = VectorizedStep.build(graph, system)
    build_s = time.perf_counter() - t0

    rows: list[tuple[str, float, str]] = []
    for n in sizes:
        variants = random_variants(n, base_bw, rng)
        variants = {gpu: variants["gpu"]}
        rate = best_rate(lambda v=variants, n=n: (step.evaluate(v), n)[1], 3, min_time_s=0.0)
        rows.append(
            (f"vectorized sweep, {n:.0e} variants", rate, f"{len(step.op_dev)} op rows, bound included")
        )

    point = {gpu: {"mem_bw_bytes_per_s": base_bw * 1.5, "flops_scale": 1.2}}
    varied = system_with_overrides(system, point)
    rows.append(
        (
            "scalar predict_graph (prebuilt graph)",
            best_rate(lambda: (predict_graph(graph, varied), 1)[1], 3),
            "place + schedule per point",
        )
    )
    rows.append(
        (
            "scalar predict (end to end)",
            best_rate(lambda: (predict(MODEL, varied, "decode", BATCH, CONTEXT), 1)[1], 3),
            "graph build + place + schedule per point",
        )
    )
    genz, note = genz_rate(system.caps(gpu))

    vec_best = max(r[1] for r in rows if r[0].startswith("vectorized"))
    print(
        f"workload: {MODEL} decode, batch {BATCH}, context {CONTEXT}, on {HW}; single thread; "
        f"vectorized build {build_s * 1e3:.2f} ms (once)"
    )
    print(f"{'path':44s} {'points/s':>14s} {'ours(best vec)/this':>20s}  note")
    for name, rate, note_row in rows:
        print(f"{name:44s} {rate:14,.0f} {vec_best / rate:20,.1f}  {note_row}")
    if genz is not None:
        print(f"{'GenZ (peer)':44s} {genz:14,.0f} {vec_best / genz:20,.1f}  {note}")
    else:
        print(f"{'GenZ (peer)':44s} {'-':>14s} {'-':>20s}  {note}")
    status = "meets" if vec_best >= TARGET_POINTS_PER_S else "MISSES"
    print(f"vectorized best {vec_best:,.0f} points/s/core {status} the {TARGET_POINTS_PER_S:,} target")


if __name__ == "__main__":
    main()
