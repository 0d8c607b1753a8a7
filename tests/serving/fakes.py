"""Fake IterationTimers for the serving-simulator tests: closed forms, call counting, no fast path."""

from __future__ import annotations

import numpy as np

from cosim.serving.request import Trace
from cosim.serving.timer import AffineTimer, decode_run_by_steps

__all__ = ["AffineTimer"]  # re-exported: the serving tests import every fake from here


class CountingTimer:
    """Wraps a timer and counts calls (and decode steps asked for)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.iteration_calls = 0
        self.decode_run_calls = 0
        self.decode_run_steps = 0

    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        self.iteration_calls += 1
        return self.inner.iteration_s(q_lens, kv_lens)

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        self.decode_run_calls += 1
        self.decode_run_steps += steps
        return self.inner.decode_run_s(kv_lens, steps)

    def kv_capacity_tokens(self) -> int:
        return self.inner.kv_capacity_tokens()


class QuadraticTimer:
    """Attention-like cost ``a + b * tokens + c * sum(q * kv)``; ``decode_run_s`` is the step-by-step
    reference, so skip-ahead is tested against a timer without a closed-form fast path."""

    def __init__(self, a: float = 2e-3, b: float = 3e-6, c: float = 1e-9, capacity_tokens: int = 1 << 20) -> None:
        self.a, self.b, self.c, self.capacity_tokens = a, b, c, capacity_tokens

    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        q, kv = np.asarray(q_lens, dtype=np.int64), np.asarray(kv_lens, dtype=np.int64)
        return self.a + self.b * float(q.sum()) + self.c * float((q * kv).sum())

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        return decode_run_by_steps(self, np.asarray(kv_lens, dtype=np.int64), steps)

    def kv_capacity_tokens(self) -> int:
        return self.capacity_tokens


def make_trace(prompts, outputs, arrivals=None, name: str = "test") -> Trace:
    prompts = list(prompts)
    arrivals = [0.0] * len(prompts) if arrivals is None else list(arrivals)
    return Trace.from_arrays(name, arrivals, prompts, list(outputs))


def poisson_trace(n: int, rate_per_s: float, *, prompt=(64, 512), output=(16, 256), seed: int = 0) -> Trace:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate_per_s, n))
    return Trace.from_arrays(f"poisson-{rate_per_s}", arrivals, rng.integers(*prompt, n), rng.integers(*output, n))


def assert_conserved(result, trace) -> None:
    """Every request completes exactly once with exactly its output tokens, unless it was rejected."""
    req = result.requests
    for r in trace:
        k = int(np.flatnonzero(req["id"] == r.id)[0])
        if req["status"][k] == 4:  # rejected
            assert r.id in result.rejected_reasons
            assert len(result.token_times_s(r.id)) == 0
            continue
        times = result.token_times_s(r.id)
        assert len(times) == r.output_tokens  # every token exactly once
        assert np.all(np.diff(times) > 0)
        assert times[0] == req["first_token_s"][k] and times[-1] == req["last_token_s"][k]
        assert req["arrival_s"][k] <= req["first_scheduled_s"][k] < req["first_token_s"][k]
    s = result.summary()
    assert s["completed"] + s["rejected"] == len(trace)
