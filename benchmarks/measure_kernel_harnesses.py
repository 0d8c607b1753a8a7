"""Time single bf16 GEMMs and SDPA decode calls on a GPU under three harnesses (run on the GPU machine).

* ``do_bench``: ``triton.testing.do_bench`` (L2 flushed before every call, CUDA events, median), as a user
  times one kernel;
* ``event``: one call between two CUDA events after warm-up (L2 warm from the warm-up, launch included);
* ``graph``: the call captured 20 times in a CUDA graph and replayed, per call (what a serving engine's
  CUDA-graph replay sees: no launch gap on the host).

Writes one CSV row per (kernel, shape, harness) to ``$OUT/kernel_harnesses.csv`` (or the path given), with
the device name, torch, triton and CUDA versions. Usage: ``python benchmarks/measure_kernel_harnesses.py [OUT]``.
"""

from __future__ import annotations

import csv
import os
import statistics
import sys

import torch
import triton
from torch.nn.attention import SDPBackend, sdpa_kernel

GEMM_M = (1, 16, 64, 128, 256, 512, 1024, 4096)
GEMM_NK = ((256, 256), (1024, 1024), (4096, 4096), (12288, 4096), (4096, 11008), (8192, 8192))
DECODE = [(heads, kv_heads, batch, kv_len) for heads, kv_heads in ((32, 32), (32, 8), (64, 8))
          for batch in (1, 4, 16, 64, 256) for kv_len in (128, 512, 2048, 8192) if batch * kv_len <= 256 * 8192]
HEAD_DIM = 128
GRAPH_REPEATS = 20


def time_event(fn, repeats: int = 50) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e-3)
    return statistics.median(times)


def time_graph(fn, repeats: int = 20) -> float:
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(GRAPH_REPEATS):
            fn()
    for _ in range(3):
        graph.replay()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e-3 / GRAPH_REPEATS)
    return statistics.median(times)


def time_do_bench(fn) -> float:
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median") * 1e-3


def rows():
    dev = torch.device("cuda")
    for n, k in GEMM_NK:
        for m in GEMM_M:
            a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
            b = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
            out = torch.empty(m, n, device=dev, dtype=torch.bfloat16)

            def fn(a=a, b=b, out=out):
                torch.mm(a, b, out=out)

            shape = {"m": m, "n": n, "k": k}
            for harness, timer in (("do_bench", time_do_bench), ("event", time_event), ("graph", time_graph)):
                yield {"kernel": "gemm", "harness": harness, **shape, "seconds": timer(fn)}
    for heads, kv_heads, batch, kv_len in DECODE:
        q = torch.randn(batch, heads, 1, HEAD_DIM, device=dev, dtype=torch.bfloat16)
        k = torch.randn(batch, kv_heads, kv_len, HEAD_DIM, device=dev, dtype=torch.bfloat16)
        v = torch.randn_like(k)

        def attn(q=q, k=k, v=v, gqa=heads != kv_heads):
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=gqa)

        shape = {"batch": batch, "heads": heads, "kv_heads": kv_heads, "head_dim": HEAD_DIM, "kv_len": kv_len}
        for harness, timer in (("do_bench", time_do_bench), ("event", time_event), ("graph", time_graph)):
            yield {"kernel": "sdpa_decode", "harness": harness, **shape, "seconds": timer(attn)}


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("OUT", "."), "kernel_harnesses.csv")
    fields = ["device", "torch", "triton", "cuda", "kernel", "harness", "m", "n", "k", "batch", "heads", "kv_heads",
              "head_dim", "kv_len", "seconds"]
    meta = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "triton": triton.__version__,
            "cuda": torch.version.cuda}
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in rows():
            w.writerow({**meta, **row})
            f.flush()
    print("wrote", path)


if __name__ == "__main__":
    main()
