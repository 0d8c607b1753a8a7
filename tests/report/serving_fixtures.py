"""Small serving runs shared by the serving report and trace-export tests."""

from __future__ import annotations

import functools

from cosim.serving.request import Trace
from cosim.serving.result import SimulationResult
from cosim.serving.simulator import simulate
from cosim.serving.timer import AffineTimer
from cosim.serving.traces import load_trace


def small_timer(capacity_tokens: int = 40_000) -> AffineTimer:
    """A small KV cache, so the runs queue."""
    return AffineTimer(a=2e-3, b=2e-5, c=2e-8, capacity_tokens=capacity_tokens)


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
    return simulate(small_trace(rate=rate), small_timer(capacity_tokens), policy=policy, dp=dp,
                    skip_ahead=skip_ahead)
