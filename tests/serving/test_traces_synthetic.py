"""Synthetic traces and arrival processes: reproducible, matched to the published statistics; load_trace's
choice of arrival process for files and distributions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cosim.errors import CosimInputError
from cosim.serving.traces import DISTRIBUTIONS, gamma, load_trace, poisson, rescale, synthetic_trace

DATA = Path(__file__).parent / "data"
LOGNORMAL = [name for name in DISTRIBUTIONS if DISTRIBUTIONS.get(name).family == "lognormal"]
N = 200_000


def test_table_numbers_are_the_papers():
    # CHIME Table III and NeuPIMs' averages, as ../shared/reference/pim-systems.md §1.8 and §3.1 give them
    expected = {"openr1": (96.0, 75.1, 12684.1, 8464.6), "dolphin": (201.9, 563.0, 3926.2, 4216.0),
                "dolphin-short": (20.19, 56.3, 392.62, 421.6), "openthoughts": (89.4, 66.7, 6366.7, 4662.9),
                "sharegpt": (80, None, 296, None), "alpaca": (12, None, 56, None)}
    for name, (in_mean, in_std, out_mean, out_std) in expected.items():
        d = DISTRIBUTIONS.get(name)
        assert (d.input_mean, d.output_mean) == pytest.approx((in_mean, out_mean))
        assert d.input_std == (None if in_std is None else pytest.approx(in_std))
        assert d.output_std == (None if out_std is None else pytest.approx(out_std))
        assert "pim-systems.md §" in d.source


def test_same_seed_same_trace():
    a = load_trace("openr1", requests=500, rate=3.0, seed=4)
    assert a == load_trace("openr1", requests=500, rate=3.0, seed=4)
    assert a != load_trace("openr1", requests=500, rate=3.0, seed=5)


@pytest.mark.parametrize("name", LOGNORMAL)
def test_lognormal_parameters_reproduce_mean_and_std_exactly(name):
    d = DISTRIBUTIONS.get(name)
    for mean, std in ((d.input_mean, d.input_std), (d.output_mean, d.output_std)):
        mu, sigma = d.lognormal_params(mean, std)
        assert math.exp(mu + sigma**2 / 2) == pytest.approx(mean, rel=1e-12)
        assert math.exp(mu + sigma**2 / 2) * math.sqrt(math.expm1(sigma**2)) == pytest.approx(std, rel=1e-12)


@pytest.mark.parametrize("name", LOGNORMAL)
def test_large_samples_match_the_table(name):
    d = DISTRIBUTIONS.get(name)
    trace = synthetic_trace(name, N, seed=1)
    for values, mean, std in ((trace.prompt_tokens, d.input_mean, d.input_std),
                              (trace.output_tokens, d.output_mean, d.output_std)):
        assert values.min() >= 1
        cv = std / mean
        # the standard error of a lognormal's sample std grows fast with its CV (kurtosis ~ (1+cv²)^4):
        # <1% at cv 0.7, ~10% at Dolphin-r1's prompt cv 2.8 for N = 2e5
        assert values.mean() == pytest.approx(mean, rel=0.03)
        assert values.std() == pytest.approx(std, rel=0.05 if cv < 1.5 else 0.2)


@pytest.mark.parametrize("name", ["sharegpt", "alpaca"])
def test_geometric_lengths_have_the_published_means(name):
    d = DISTRIBUTIONS.get(name)
    trace = synthetic_trace(name, N, seed=2)
    assert trace.prompt_tokens.min() >= 1 and trace.output_tokens.min() >= 1
    assert trace.prompt_tokens.mean() == pytest.approx(d.input_mean, rel=0.02)
    assert trace.output_tokens.mean() == pytest.approx(d.output_mean, rel=0.02)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_max_context_caps_every_request(name):
    trace = synthetic_trace(name, 5000, max_context=512)
    total = trace.prompt_tokens + trace.output_tokens
    assert total.max() <= 512 and trace.prompt_tokens.min() >= 1 and trace.output_tokens.min() >= 1


def test_default_synthetic_trace_is_offline_with_chimes_thousand_requests():
    trace = load_trace("dolphin")
    assert len(trace) == 1000 and not trace.arrival_s.any()
    assert trace.name == "dolphin"


def test_poisson_mean_gap_is_one_over_rate():
    times = poisson(20_001, 4.0, np.random.default_rng(0))
    assert times[0] == 0.0 and np.all(np.diff(times) >= 0)
    assert np.diff(times).mean() == pytest.approx(0.25, rel=0.03)


def test_gamma_gaps_have_the_rate_and_cv():
    gaps = np.diff(gamma(50_001, 2.0, 3.0, np.random.default_rng(0)))
    assert gaps.mean() == pytest.approx(0.5, rel=0.05)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.05)


def test_load_trace_picks_the_arrival_process():
    assert np.diff(load_trace("alpaca", requests=4000, rate=10.0).arrival_s).mean() == pytest.approx(0.1, rel=0.06)
    bursty = np.diff(load_trace("alpaca", requests=4000, rate=10.0, cv=2.0).arrival_s)
    assert bursty.std() / bursty.mean() == pytest.approx(2.0, rel=0.15)


def test_file_replays_its_timestamps_and_rescales_to_a_rate():
    path = DATA / "vidur_conv_head.csv"
    replay = load_trace(path)
    assert replay.arrival_s.tolist() == pytest.approx([0.0, 4.314579, 4.541877, 4.710427, 5.892655])
    fast = load_trace(path, rate=2.0)  # 5 requests, 4 gaps at 2 req/s: a 2 s span, same shape
    assert fast.arrival_s[-1] == pytest.approx(2.0)
    assert fast.arrival_s / fast.arrival_s[-1] == pytest.approx(replay.arrival_s / replay.arrival_s[-1])
    assert fast.prompt_tokens.tolist() == replay.prompt_tokens.tolist()


def test_file_retimed_as_poisson_keeps_lengths_and_order():
    path = DATA / "plain.csv"
    original = load_trace(path)
    drawn = load_trace(path, arrival="poisson", rate=1.0, seed=3)
    assert [r.id for r in drawn] == [r.id for r in original]
    assert drawn.prompt_tokens.tolist() == original.prompt_tokens.tolist()
    assert drawn == load_trace(path, arrival="poisson", rate=1.0, seed=3)
    assert not load_trace(path, arrival="offline").arrival_s.any()


def test_file_requests_and_max_context():
    trace = load_trace(DATA / "splitwise_test_trace.csv", requests=2, max_context=3000)
    assert [(r.prompt_tokens, r.output_tokens) for r in trace] == [(2999, 1), (2048, 8)]


def test_rescale_needs_a_time_span():
    with pytest.raises(CosimInputError, match="poisson"):
        rescale(np.zeros(5), 1.0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"arrival": "weibull"}, "arrival"),
    ({"arrival": "replay"}, "arrival"),
    ({"arrival": "poisson"}, "rate"),
    ({"arrival": "gamma", "rate": 1.0}, "cv"),
    ({"rate": -1.0}, "rate"),
    ({"rate": math.inf}, "rate"),
    ({"cv": 0.0, "rate": 1.0}, "cv"),
    ({"arrival": "offline", "rate": 2.0}, "rate"),
    ({"requests": 0}, "requests"),
    ({"requests": True}, "requests"),
    ({"max_context": 1}, "max_context"),
    ({"seed": -1}, "seed"),
])
def test_bad_arguments_name_their_field(kwargs, field):
    with pytest.raises(CosimInputError) as info:
        load_trace("openr1", **kwargs)
    assert info.value.field == field and "\n" not in str(info.value)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"arrival": "offline", "rate": 1.0}, "rate"),
    ({"arrival": "poisson"}, "rate"),
    ({"arrival": "poisson", "rate": 1.0, "cv": 2.0}, "cv"),
    ({"arrival": "replay", "rate": 0}, "rate"),
])
def test_bad_arguments_for_a_file_name_the_file(kwargs, field):
    with pytest.raises(CosimInputError) as info:
        load_trace(DATA / "plain.csv", **kwargs)
    assert info.value.field == field
