"""Small serving runs shared by the serving report and trace-export tests."""

from __future__ import annotations

import functools

import numpy as np

from cosim.serving.request import Trace
from cosim.serving.result import SimulationResult
from cosim.serving.simulator import simulate
from cosim.serving.traces import load_trace


class LinearTimer:
    """``a + b * tokens + c * kv`` seconds per iteration (no fast path), a small KV cache so runs queue."""

    def __init__(self, a: float = 2e-3, b: float = 2e-5, c: float = 2e-8, capacity_tokens: int = 40_000) -> None:
        self.a, self.b, self.c, self.capacity_tokens = a, b, c, capacity_tokens

    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        return self.a + self.b * float(int(np.sum(q_lens))) + self.c * float(int(np.sum(kv_lens)))

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        n = len(kv_lens)
        kv_sums = int(np.sum(kv_lens)) + n * np.arange(steps, dtype=np.int64)
        return self.a + self.b * float(n) + self.c * kv_sums.astype(np.float64)

    def kv_capacity_tokens(self) -> int:
        return self.capacity_tokens


@functools.cache
def small_trace(requests: int = 60, rate: float = 20.0, seed: int = 1) -> Trace:
    return load_trace("sharegpt", requests=requests, rate=rate, seed=seed)


@functools.cache
def hardware_run() -> SimulationResult:
    """llama2-7b on an A100-80G, 60 ShareGPT requests at 20/s (about a second)."""
    from cosim.engine.iteration import IterationModel

    return simulate(small_trace(), IterationModel("llama2-7b", "a100-80g"))


def fake_run(*, dp: int = 1, skip_ahead: bool = True, policy: str = "vllm", rate: float = 20.0,
             capacity_tokens: int = 40_000) -> SimulationResult:
    return simulate(small_trace(rate=rate), LinearTimer(capacity_tokens=capacity_tokens), policy=policy, dp=dp,
                    skip_ahead=skip_ahead)
