"""Single bf16 GEMMs and torch SDPA decode calls on an H200, each timed under three harnesses.

Measured for cosim with ``benchmarks/measure_kernel_harnesses.py`` (torch 2.11 + CUDA 13.0, triton 3.6,
one H200 at 1980 MHz; the CSV ships in ``cosim/validate/data/``), so a prediction can be scored against the
harness a user times with:

* ``graph``: 20 calls captured in a CUDA graph and replayed, per call: what a serving engine's graph replay
  sees (no host launch gap) — cosim's default harness;
* ``do_bench``: ``triton.testing.do_bench`` (L2 flushed before every call, median): cold inputs plus the
  per-call launch and event cost;
* ``event``: one call between CUDA events after warm-up: warm L2 plus the launch cost of a lone call.

The launch costs are host floors fitted on each dataset's train split (``cosim calibrate gpu --device h200``
prints them as "host floor"); the graph datasets have none.
"""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources

from cosim.perf.gpu.harness import COLD, Harness
from cosim.validate.datasets.registry import Loaded, register_dataset
from cosim.validate.measurement import Measurement

DATA = "h200_kernel_harnesses.csv"
DEVICE = "h200"
# torch SDPA's flash backend (FlashAttention-2 kernels, split-KV decode); with the plain forward kernel's
# model (one CTA per request-head, no split: how LLMServingSim's profiler ran) these rows come out 2-7x slow
SDPA = {"attention_kernel": "sdpa"}
# Host floors fitted on the train split's small kernels by `python -m cosim.validate.harness_fit
# h200-torch-gemm-do_bench h200-torch-gemm-event h200-torch-sdpa-decode-do_bench h200-torch-sdpa-decode-event`
# (GEMM floors here, decode floors in DECODE_FLOORS: an SDPA call also pays torch's Python-side dispatch). They
# are this machine's (a virtualised H200: a lone launch costs more than on bare metal). A constant floor is a
# first-order model: under do_bench the GEMM residual also grows with the bytes moved (cold L2 and TLB after
# the flush), from 2 us to 9 us.
HARNESSES: dict[str, Harness] = {
    "graph": COLD,
    "do_bench": Harness(host_floor_s=4.34e-6),  # fitted: h200-torch-gemm-do_bench train split
    "event": Harness(warm_inputs=True, host_floor_s=17.42e-6),  # fitted: h200-torch-gemm-event train split
}
DECODE_FLOORS = {"graph": None, "do_bench": 10.12e-6, "event": 55.62e-6}  # fitted: h200-torch-sdpa-decode-*


def _rows() -> list[dict[str, str]]:
    with resources.files("cosim.validate").joinpath("data", DATA).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(kernel: str, harness: str) -> Loaded:
    dataset = f"h200-torch-{'gemm' if kernel == 'gemm' else 'sdpa-decode'}-{harness}"
    out = []
    for row, r in enumerate(_rows(), start=2):
        if r["kernel"] != kernel or r["harness"] != harness:
            continue
        if kernel == "gemm":
            kind = "gemm"
            params = {"m": int(r["m"]), "n": int(r["n"]), "k": int(r["k"]), "dtype": "bf16"}
        else:
            kind = "attention_decode"
            params = {"batch": int(r["batch"]), "q_len": 1, "context": int(r["kv_len"]), "heads": int(r["heads"]),
                      "kv_heads": int(r["kv_heads"]), "head_dim": int(r["head_dim"]), "dtype": "bf16", "causal": True}
        out.append(Measurement(dataset=dataset, device=DEVICE, kind=kind, params=params,
                               measured_s=float(r["seconds"]), source=f"cosim/validate/data/{DATA}:{row}"))
    return Loaded(out)


for _harness, _h in HARNESSES.items():
    register_dataset(f"h200-torch-gemm-{_harness}", f"H200: bf16 torch.mm, timed by {_harness} (cosim's own)",
                     lambda root, h=_harness: load("gemm", h), _h)
    register_dataset(f"h200-torch-sdpa-decode-{_harness}",
                     f"H200: torch SDPA flash decode (q_len 1), timed by {_harness} (cosim's own)",
                     lambda root, h=_harness: load("sdpa_decode", h),
                     dataclasses.replace(_h, host_floor_s=DECODE_FLOORS[_harness], **SDPA))
