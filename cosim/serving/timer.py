"""The contract between the serving loop and the hardware: how long one iteration of a batch takes.

An iteration is a list of request slices, given as two arrays of equal length: ``q_lens`` (new tokens of
each request in this iteration: 1 for a decode, the chunk for a prefill chunk) and ``kv_lens`` (keys the
request's last new token sees: already cached tokens + ``q_lens``). The serving engine's own overhead
(scheduling, sampling, launches) is not part of it: see ``cosim.serving.engine_overhead``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class IterationTimer(Protocol):
    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        """Device time of one iteration of these request slices."""
        ...

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        """Device times of ``steps`` consecutive decode-only iterations of the same requests: iteration ``i``
        (0-based) has ``q_lens = 1`` and ``kv_lens + i``. Must equal calling ``iteration_s`` step by step."""
        ...

    def kv_capacity_tokens(self) -> int:
        """KV-cache entries (tokens, all layers) the mapping's KV memory holds for this model."""
        ...


def decode_run_by_steps(timer: IterationTimer, kv_lens: np.ndarray, steps: int) -> np.ndarray:
    """``decode_run_s`` by calling ``iteration_s`` once per step (the reference the fast paths are tested on)."""
    ones = np.ones(len(kv_lens), dtype=np.int64)
    return np.array([timer.iteration_s(ones, kv_lens + i) for i in range(steps)], dtype=float)


class AffineTimer:
    """``a + b * sum(q_lens) + c * sum(kv_lens)`` seconds, with an exact vectorized ``decode_run_s``: a what-if
    device for quick policy studies, and the closed form the simulator's tests check against.

    Integer sums are formed first and converted once, in the same order on both paths, so
    ``decode_run_s`` equals ``iteration_s`` step by step bit for bit.
    """

    def __init__(self, a: float = 1e-3, b: float = 1e-5, c: float = 1e-8, capacity_tokens: int = 1 << 20) -> None:
        self.a, self.b, self.c, self.capacity_tokens = a, b, c, capacity_tokens

    def iteration_s(self, q_lens: np.ndarray, kv_lens: np.ndarray) -> float:
        return self.a + self.b * float(int(np.sum(q_lens))) + self.c * float(int(np.sum(kv_lens)))

    def decode_run_s(self, kv_lens: np.ndarray, steps: int) -> np.ndarray:
        n = len(kv_lens)
        kv_sums = int(np.sum(kv_lens)) + n * np.arange(steps, dtype=np.int64)
        return self.a + self.b * float(n) + self.c * kv_sums.astype(np.float64)

    def kv_capacity_tokens(self) -> int:
        return self.capacity_tokens
