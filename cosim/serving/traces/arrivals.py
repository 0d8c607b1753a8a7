"""Arrival processes: when each of N requests arrives, in seconds from the start of the trace.

* ``offline``: all at 0 s, the batch-throughput setting CHIME measures (1,000 sampled requests, throughput =
  output tokens / total time, no arrival process; ../shared/reference/pim-systems.md §1.8).
* ``poisson``: exponential gaps of mean 1/rate (memoryless open-loop load, as vLLM's benchmark and
  splitwise-sim's generate_trace.py draw it).
* ``gamma``: gamma gaps of mean 1/rate and coefficient of variation ``cv`` (shape 1/cv²): cv > 1 is bursty,
  cv = 1 is Poisson, cv < 1 more regular; vLLM's benchmark calls 1/cv² its "burstiness".
* ``replay``: a file's own timestamps, optionally stretched or squeezed to a target mean rate.

Generated processes put the first request at 0 s, so N requests span N-1 gaps.
"""

from __future__ import annotations

import math

import numpy as np

from cosim.errors import CosimInputError

ARRIVALS = ("offline", "poisson", "gamma", "replay")


def check_rate(rate_per_s: object) -> float:
    if isinstance(rate_per_s, bool) or not isinstance(rate_per_s, int | float) or not (
            math.isfinite(rate_per_s) and rate_per_s > 0):
        raise CosimInputError(f"must be a finite number of requests per second > 0, got {rate_per_s!r}",
                              field="rate")
    return float(rate_per_s)


def check_cv(cv: object) -> float:
    if isinstance(cv, bool) or not isinstance(cv, int | float) or not (math.isfinite(cv) and cv > 0):
        raise CosimInputError(f"must be a finite coefficient of variation > 0, got {cv!r}", field="cv")
    return float(cv)


def offline(requests: int) -> np.ndarray:
    return np.zeros(requests)


def _from_gaps(gaps_s: np.ndarray) -> np.ndarray:
    return np.concatenate(([0.0], np.cumsum(gaps_s[1:]))) if len(gaps_s) else gaps_s


def poisson(requests: int, rate_per_s: float, rng: np.random.Generator) -> np.ndarray:
    rate = check_rate(rate_per_s)
    return _from_gaps(rng.exponential(1.0 / rate, requests))


def gamma(requests: int, rate_per_s: float, cv: float, rng: np.random.Generator) -> np.ndarray:
    rate, cv = check_rate(rate_per_s), check_cv(cv)
    shape = 1.0 / cv**2  # gamma(k, θ): mean kθ = 1/rate, cv = 1/sqrt(k)
    return _from_gaps(rng.gamma(shape, 1.0 / (rate * shape), requests))


def rescale(arrival_s: np.ndarray, rate_per_s: float, *, file: str | None = None) -> np.ndarray:
    """The same arrival pattern stretched so its mean rate, (N-1) / (last - first), is ``rate_per_s``."""
    rate = check_rate(rate_per_s)
    arrival = np.asarray(arrival_s, dtype=float)
    span_s = float(arrival.max() - arrival.min()) if len(arrival) else 0.0
    if len(arrival) < 2 or span_s <= 0:
        raise CosimInputError("cannot rescale the replayed timestamps to a rate: every request arrives at the "
                              "same time; ask for arrival='poisson' or 'gamma' instead", file=file, field="rate")
    factor = (len(arrival) - 1) / (rate * span_s)
    scaled = (arrival - arrival.min()) * factor
    if not np.isfinite(scaled).all():
        raise CosimInputError(f"rate {rate} req/s stretches the trace beyond a finite time", file=file, field="rate")
    return scaled
