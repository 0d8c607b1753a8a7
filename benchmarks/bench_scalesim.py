"""cosim's systolic model against SCALE-Sim v3: compute cycles of LLM GEMMs on one array, side by side.

Shapes are a few odd sizes with partial edge folds (simulated whole), then the GEMMs of the cosim
workload graphs (QKV, output projection, gate+up, down, lm_head) of Llama-2-7B and Llama-2-70B,
for decode batches (M = 1..64 rows) and prefill prompts (M = 512..4096).
For each shape and dataflow (ws, is, os) it prints the compute cycles of cosim's ``systolic`` cost
model (the NeuPIMs NPU preset cut down to ONE array of the given size, folds not pipelined as in
SCALE-Sim) and SCALE-Sim's stall-free compute cycles for the same array and dataflow
(``cosim.perf.npu.scalesim_bridge``: SCALE-Sim's own demand matrices; large GEMMs simulated on a
one-fold slice and scaled, marked ``xF``), and the difference. SCALE-Sim's memory stalls are not
compared (cosim models DRAM traffic differently, and SCALE-Sim's memory simulator fails under numpy
>= 2). Target: |difference| <= 5 % on every row.

Run: python benchmarks/bench_scalesim.py [--quick] [--rows 128 --cols 128] [--dataflows ws,is,os]
Needs ``pip install -r benchmarks/requirements-peers.txt`` for the SCALE-Sim column (skipped otherwise).
Exit status 1 when a row misses the target.
"""

from __future__ import annotations

import argparse
import sys
import time

from cosim.hardware import load_device
from cosim.hardware.npu import Dataflow, NpuSpec
from cosim.perf.npu.model import SystolicModel
from cosim.perf.npu.scalesim_bridge import scalesim_available, scalesim_compute_cycles
from cosim.perf.single_op import gemm_operator
from cosim.workload import build_graph
from cosim.workload.graph import operators
from cosim.workload.ops import OpKind

NPU_PRESET = "neupims-npu"
MODELS = ("llama2-7b", "llama2-70b")
DECODE_ROWS = (1, 16, 64)
PREFILL_ROWS = (512, 2048, 4096)
QUICK_DECODE_ROWS, QUICK_PREFILL_ROWS = (1, 64), (512,)
TARGET_PCT = 5.0
GEMM_KINDS = (OpKind.GEMM, OpKind.LM_HEAD)
# Odd sizes with partial edge folds, small enough for SCALE-Sim to simulate whole (no slicing).
EDGE_SHAPES = (("odd edge folds", 1, 1000, 1100), ("odd edge folds", 64, 1000, 1100),
               ("odd edge folds", 300, 777, 1000), ("odd edge folds", 512, 1024, 1024))
FULL_SIMULATION_BUDGET_BYTES = 512 * 2**20


def llm_gemm_shapes(models: tuple[str, ...], decode: tuple[int, ...], prefill: tuple[int, ...]):
    """Unique (label, m, n, k) of the GEMMs in cosim's graphs for those models and row counts."""
    seen: dict[tuple[int, int, int], str] = {}
    steps = [("decode", b, 1024) for b in decode] + [("prefill", 1, ctx) for ctx in prefill]
    for model in models:
        for phase, batch, context in steps:
            graph = build_graph(model, phase, batch, context, dtype="fp16")
            for op in operators(graph):
                if op.kind in GEMM_KINDS:
                    key = (int(op.shape["m"]), int(op.shape["n"]), int(op.shape["k"]))
                    seen.setdefault(key, f"{model} {phase} {op.name}")
    return [(label, *shape) for shape, label in seen.items()]


def one_array_spec(base: NpuSpec, rows: int, cols: int, dataflow: Dataflow) -> NpuSpec:
    """One array of the preset, folds not pipelined (SCALE-Sim pays the wavefront skew on every fold)."""
    update = {"count": 1, "rows": rows, "cols": cols, "dataflow": dataflow, "pipelined_folds": False}
    arrays = base.systolic_arrays.model_copy(update=update)
    return base.model_copy(update={"systolic_arrays": arrays})


def cosim_cycles(spec: NpuSpec, m: int, n: int, k: int) -> int:
    timing = SystolicModel().op_timing(gemm_operator(m, n, k, "fp16"), spec.caps(), spec)
    return round(timing.compute_s * spec.systolic_arrays.clock)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer row counts")
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--cols", type=int, default=128)
    parser.add_argument("--dataflows", default="ws,is,os")
    args = parser.parse_args(argv)

    dataflows = [Dataflow(d.strip()) for d in args.dataflows.split(",")]
    decode, prefill = (QUICK_DECODE_ROWS, QUICK_PREFILL_ROWS) if args.quick else (DECODE_ROWS, PREFILL_ROWS)
    shapes = [*EDGE_SHAPES, *llm_gemm_shapes(MODELS, decode, prefill)]
    base = load_device(NPU_PRESET)
    have_scalesim = scalesim_available()
    if not have_scalesim:
        print("SCALE-Sim is not installed (pip install -r benchmarks/requirements-peers.txt): "
              "printing cosim's cycles only")

    print(f"one {args.rows}x{args.cols} array; compute cycles (no memory stalls)")
    header = f"{'dataflow':8} {'gemm':40} {'M':>6} {'N':>6} {'K':>6} {'cosim':>12} {'scalesim':>12} {'diff %':>7}  sim"
    print(header)
    print("-" * len(header))
    worst, t_cosim, t_scalesim = 0.0, 0.0, 0.0
    for dataflow in dataflows:
        spec = one_array_spec(base, args.rows, args.cols, dataflow)
        for label, m, n, k in shapes:
            start = time.perf_counter()
            ours = cosim_cycles(spec, m, n, k)
            t_cosim += time.perf_counter() - start
            theirs_text, diff_text, how = "-", "-", ""
            if have_scalesim:
                start = time.perf_counter()
                ref = scalesim_compute_cycles(m, n, k, dataflow, args.rows, args.cols,
                                              memory_budget_bytes=FULL_SIMULATION_BUDGET_BYTES)
                t_scalesim += time.perf_counter() - start
                diff = 100.0 * (ours - ref.cycles) / ref.cycles
                worst = max(worst, abs(diff))
                theirs_text, diff_text = f"{ref.cycles:12d}", f"{diff:7.2f}"
                how = "full" if ref.scale == 1 else f"x{ref.scale} of {ref.simulated}"
            print(f"{dataflow.value:8} {label[:40]:40} {m:6d} {n:6d} {k:6d} {ours:12d} {theirs_text:>12} "
                  f"{diff_text:>7}  {how}")
    rows = len(shapes) * len(dataflows)
    print(f"\n{rows} GEMMs; cosim {t_cosim:.2f} s", end="")
    if not have_scalesim:
        print()
        return 0
    verdict = "PASS" if worst <= TARGET_PCT else "FAIL"
    print(f", SCALE-Sim {t_scalesim:.2f} s; max |difference| {worst:.2f} % (target {TARGET_PCT} %): {verdict}")
    return 0 if worst <= TARGET_PCT else 1


if __name__ == "__main__":
    sys.exit(main())
