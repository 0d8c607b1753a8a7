"""The fast iteration path agrees with the full predictor, and decode runs agree with single steps."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.engine.iteration import IterationModel

CASES = [("dgx-a100", "gpt3-175b", 8), ("a100-80g", "llama2-7b", 1), ("gpu+l3", "llama3-70b", 8),
         ("gpu+hbm-pim", "llama3-70b", 8), ("h100-sxm", "mixtral-8x7b", 1)]


def _random_batch(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(1, 24))
    q = np.ones(n, dtype=np.int64)
    kv = rng.integers(1, 6000, n)
    for i in range(int(rng.integers(0, 3))):  # a few prefill chunks over cached tokens or fresh prompts
        if i < n:
            q[i] = rng.integers(2, 700)
            kv[i] = q[i] + (rng.integers(0, 4000) if rng.random() < 0.5 else 0)
    return q, kv


@pytest.mark.parametrize(("hw", "model", "tp"), CASES)
def test_fast_iteration_matches_the_full_predictor(hw, model, tp):
    timer = IterationModel(model, hw, tp=tp)
    rng = np.random.default_rng(len(hw) + tp)
    for _ in range(8):
        q, kv = _random_batch(rng)
        assert timer.iteration_s(q, kv) == pytest.approx(timer.predict_s(q, kv), rel=5e-3)


RUNS = [("dgx-a100", "gpt3-175b", 8, 4), ("a100-80g", "llama2-7b", 1, 40), ("h100-sxm", "llama2-7b", 1, 3),
        ("gpu+l3", "llama3-70b", 8, 3)]


@pytest.mark.parametrize(("hw", "model", "tp", "batch"), RUNS)
def test_decode_run_equals_single_steps(hw, model, tp, batch):
    timer = IterationModel(model, hw, tp=tp)
    kv = np.random.default_rng(batch).integers(1, 5000, batch)
    steps = 40
    run = timer.decode_run_s(kv, steps)
    ones = np.ones(batch, dtype=np.int64)
    single = np.array([timer.iteration_s(ones, kv + i) for i in range(steps)])
    np.testing.assert_allclose(run, single, rtol=1e-12)


def test_kv_capacity_follows_the_memory_the_kv_cache_lives_in():
    gpu = IterationModel("llama3-70b", "gpu-only", tp=8)
    pim = IterationModel("llama3-70b", "gpu+l3", tp=8)
    tight = IterationModel("llama3-70b", "gpu-only", tp=8, gpu_memory_utilization=0.5)
    assert pim.kv_capacity_tokens() > 3 * gpu.kv_capacity_tokens()  # 2 TB of DIMMs vs what HBM has left
    assert 0 < tight.kv_capacity_tokens() < gpu.kv_capacity_tokens()
