"""Synthetic request lengths from the published statistics of the datasets PIM papers evaluate on.

Family. Where a paper gives a mean and a standard deviation (CHIME's Table III), lengths are a **lognormal
matched to both**: σ² = ln(1 + (std/mean)²), μ = ln(mean) − σ²/2. Token counts are positive and
right-skewed (CV 0.7–2.8 here): a normal with those moments would put up to 36% of its mass below zero
(Dolphin-r1's prompts), while a lognormal is positive, skewed, and fixed in closed form by exactly the two
published numbers. Where only a
mean is published (NeuPIMs' ShareGPT / Alpaca), lengths are **geometric on {1, 2, ...}** with that mean:
the maximum-entropy law given only a positive mean, so it assumes nothing the paper did not state
(its std, sqrt(mean² − mean), is a consequence, not a source number).

Samples are rounded to whole tokens and clipped to >= 1; with ``max_context`` the output (then the prompt)
is cut so prompt + output fits (:func:`cosim.serving.traces.build.clip_to_context`). The same seed gives the
same trace; input and output lengths are drawn independently (the papers give no correlation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cosim.errors import CosimInputError
from cosim.registry import Registry
from cosim.serving.request import Trace
from cosim.serving.traces import arrivals
from cosim.serving.traces.build import clip_to_context, make_trace
from cosim.serving.traces.fields import MAX_TOKENS

Family = Literal["lognormal", "geometric"]


@dataclass(frozen=True)
class LengthDistribution:
    """Prompt and output lengths (tokens) of one dataset, as a paper reports them."""

    name: str
    family: Family
    input_mean: float
    output_mean: float
    input_std: float | None  # None for the geometric family (no std published)
    output_std: float | None
    source: str

    def lognormal_params(self, mean: float, std: float) -> tuple[float, float]:
        """(μ, σ) of the lognormal whose mean and std are the given ones."""
        sigma2 = math.log1p((std / mean) ** 2)
        return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)

    def _draw(self, mean: float, std: float | None, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.family == "geometric":
            return rng.geometric(1.0 / mean, n).astype(np.int64)
        mu, sigma = self.lognormal_params(mean, float(std))
        values = np.rint(rng.lognormal(mu, sigma, n))
        return np.clip(values, 1, MAX_TOKENS).astype(np.int64)

    def sample(self, requests: int, rng: np.random.Generator, max_context: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(prompt_tokens, output_tokens) of ``requests`` requests; prompts are drawn before outputs."""
        prompt = self._draw(self.input_mean, self.input_std, requests, rng)
        output = self._draw(self.output_mean, self.output_std, requests, rng)
        if max_context is not None:
            prompt, output = clip_to_context(prompt, output, max_context)
        return prompt, output


DISTRIBUTIONS: Registry[LengthDistribution] = Registry("length distribution", "source")

_CHIME = "CHIME (ISCA 2026) Table III, ../shared/reference/pim-systems.md §1.8"
_NEUPIMS = "NeuPIMs (ASPLOS 2024) datasets, ../shared/reference/pim-systems.md §3.1"
# CHIME Table III (pim-systems.md §1.8): avg L_in, std L_in, avg L_out, std L_out
DISTRIBUTIONS.add("openr1", LengthDistribution(
    "openr1", "lognormal", 96.0, 12684.1, 75.1, 8464.6, f"OpenR1-Math-220k, {_CHIME}"))
DISTRIBUTIONS.add("dolphin", LengthDistribution(
    "dolphin", "lognormal", 201.9, 3926.2, 563.0, 4216.0, f"Dolphin-r1, {_CHIME}"))
# "Dolphin-short cuts each Dolphin-r1 entry to 1/10 of its length" (pim-systems.md §1.8): prompt and output
# lengths both scaled by 1/10, so means and stds are Dolphin-r1's / 10 (a scaled lognormal is lognormal)
DISTRIBUTIONS.add("dolphin-short", LengthDistribution(
    "dolphin-short", "lognormal", 201.9 / 10, 3926.2 / 10, 563.0 / 10, 4216.0 / 10,
    f"Dolphin-r1 cut to 1/10 of its length, {_CHIME}"))
DISTRIBUTIONS.add("openthoughts", LengthDistribution(
    "openthoughts", "lognormal", 89.4, 6366.7, 66.7, 4662.9, f"OpenThoughts-114k-math, {_CHIME}"))
# NeuPIMs: "ShareGPT averages 80 input / 296 output tokens; Alpaca 12 / 56" (pim-systems.md §3.1); no stds
DISTRIBUTIONS.add("sharegpt", LengthDistribution(
    "sharegpt", "geometric", 80.0, 296.0, None, None, f"ShareGPT averages, {_NEUPIMS}"))
DISTRIBUTIONS.add("alpaca", LengthDistribution(
    "alpaca", "geometric", 12.0, 56.0, None, None, f"Alpaca averages, {_NEUPIMS}"))

DEFAULT_REQUESTS = 1000  # CHIME's protocol: 1,000 requests sampled at random per run (pim-systems.md §1.8)


def check_requests(requests: object) -> int:
    if isinstance(requests, bool) or not isinstance(requests, int | np.integer) or requests < 1:
        raise CosimInputError(f"must be a whole number of requests >= 1, got {requests!r}", field="requests")
    return int(requests)


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise CosimInputError(f"must be a whole number >= 0, got {seed!r}", field="seed")
    return int(seed)


def synthetic_trace(distribution: str, requests: int = DEFAULT_REQUESTS, *, arrival: str = "offline",
                    rate: float | None = None, cv: float | None = None, seed: int = 0,
                    max_context: int | None = None) -> Trace:
    """``requests`` requests with lengths from a named distribution and arrivals from a named process.

    One generator seeded with ``seed`` draws the prompts, then the outputs, then the arrival gaps, so a
    trace is reproducible from its arguments alone.
    """
    dist = DISTRIBUTIONS.get(distribution)
    n = check_requests(requests)
    rng = np.random.default_rng(check_seed(seed))
    prompt, output = dist.sample(n, rng, max_context)
    if arrival == "offline":
        if rate is not None or cv is not None:
            raise CosimInputError("has no meaning when every request arrives at 0 s; ask for arrival='poisson' "
                                  "or 'gamma'", field="rate" if rate is not None else "cv")
        times = arrivals.offline(n)
    elif arrival == "poisson":
        if cv is not None:
            raise CosimInputError("cv is only for arrival='gamma'", field="cv")
        times = arrivals.poisson(n, _need_rate(rate, arrival), rng)
    elif arrival == "gamma":
        if cv is None:
            raise CosimInputError("arrival='gamma' needs cv (its coefficient of variation)", field="cv")
        times = arrivals.gamma(n, _need_rate(rate, arrival), cv, rng)
    else:
        raise CosimInputError(f"unknown arrival process {arrival!r} for a synthetic trace (replay needs a file)",
                              field="arrival", allowed=("offline", "poisson", "gamma"))
    return make_trace(dist.name, times, prompt, output)


def _need_rate(rate: float | None, arrival: str) -> float:
    if rate is None:
        raise CosimInputError(f"arrival={arrival!r} needs rate (requests per second)", field="rate")
    return arrivals.check_rate(rate)
