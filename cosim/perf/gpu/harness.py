"""How a measured benchmark ran, where that changes a kernel's time: warm L2 and host-side floors.

cosim predicts the scored setup: L2 flushed, every kernel in a CUDA graph. Some peer data were taken
differently, and calibrating on them as if they were cold would bend the physical parameters:

* aiconfigurator's GEMM collector runs 6 linear layers (6 weight copies) on the same input inside one
  CUDA graph without flushing L2, so the input stays in L2 after the first layer and the weights do
  too when all 6 copies fit;
* its attention collector calls vLLM's attention wrapper repeatedly on the same KV cache (no flush)
  and outside a CUDA graph, so small cases sit on a host-side floor (about 10 us) the GPU model has
  no reason to contain. That floor is fitted per dataset, on the training split, and reported. In
  prefill the wrapper also copies the new K/V into the paged cache first (vLLM's reshape-and-cache).

``Harness`` describes such a setup; ``l2_hit`` turns it into the fraction of an input found in L2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

L2_USABLE_FRACTION = 0.7  # share of L2 that keeps data across kernels (the rest: set conflicts, other traffic)


@dataclass(frozen=True)
class Harness:
    warm_inputs: bool = False  # inputs re-used across timed runs without an L2 flush
    weight_copies: int = 1  # distinct weight tensors cycled by the benchmark
    host_floor_s: float | None = None  # host-side per-call floor in the measured time (None: none; fitted per dataset)
    paged_kv: bool = False  # the KV cache is paged (vLLM block tables), not one contiguous tensor
    writes_kv_cache: bool = False  # the timed call also copies the new K/V into the paged cache (one more kernel)


COLD = Harness()

HARNESSES: dict[str, Harness] = {
    "aiconfigurator-h100-gemm": Harness(warm_inputs=True, weight_copies=6),
    "aiconfigurator-a100-gemm": Harness(weight_copies=6),  # fits show no warm-input speed-up on this table
    # host floors: fitted on each dataset's 70 % train split by `cosim calibrate gpu` (printed as "host floor")
    "aiconfigurator-h100-attention-decode": Harness(warm_inputs=True, host_floor_s=6.28e-6, paged_kv=True),
    "aiconfigurator-a100-attention-decode": Harness(warm_inputs=True, host_floor_s=10.0e-6, paged_kv=True),
    "aiconfigurator-h100-attention-prefill": Harness(warm_inputs=True, host_floor_s=6.10e-6, paged_kv=True,
                                                        writes_kv_cache=True),
    "aiconfigurator-a100-attention-prefill": Harness(warm_inputs=True, host_floor_s=4.74e-6, paged_kv=True,
                                                        writes_kv_cache=True),
}


def harness_of(dataset: str) -> Harness:
    return HARNESSES.get(dataset, COLD)


def l2_hit(nbytes: np.ndarray | float, l2_capacity: float, copies: int = 1) -> np.ndarray:
    """Fraction of ``copies`` tensors of ``nbytes`` each that a warm L2 still holds."""
    total = np.maximum(np.asarray(nbytes, dtype=float) * copies, 1.0)
    return np.clip(L2_USABLE_FRACTION * l2_capacity / total, 0.0, 1.0)
