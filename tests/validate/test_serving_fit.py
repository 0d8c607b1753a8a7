"""The serving-engine fit recovers known overhead terms from steps generated with them (train split only)."""

from __future__ import annotations

import dataclasses

import pytest

from cosim.perf.gpu.harness import Harness
from cosim.serving.engine_overhead import EngineOverhead
from cosim.validate import serving_fit
from cosim.validate.datasets import DatasetInfo
from cosim.validate.datasets.registry import Loaded
from cosim.validate.measurement import Measurement, is_holdout
from cosim.validate.predict import engine_overhead_s, graph_key, step_result

TRUTH = EngineOverhead(per_iteration_s=3e-3, per_sequence_s=2e-4, per_token_s=5e-5, per_layer_s=4e-5)
NAME = "test-served-steps"


def _records() -> list[Measurement]:
    out = []
    for tp in (2, 4, 8):
        for batch in (1, 4, 16, 64):
            for phase, context in (("prefill", 128 * batch), ("decode", 1024 + 64 * batch)):
                ctx = 512 if phase == "prefill" else context
                params = {"model": "llama2-7b", "batch": batch, "context": ctx, "tp": tp, "fusion": "fused",
                          "dtype": "fp16"}
                probe = Measurement(NAME, "h100-sxm", f"step_{phase}", params, 1.0, f"t:{len(out)}")
                kernels = step_result(probe.device, graph_key(probe), None).latency_s
                out.append(dataclasses.replace(probe, measured_s=kernels + engine_overhead_s(probe, TRUTH)))
    return out


def test_fit_recovers_the_engine_terms_that_generated_the_steps(monkeypatch, scoped_dataset):
    records = _records()
    scoped_dataset(DatasetInfo(NAME, "test", lambda root: Loaded(records), Harness()))
    monkeypatch.setattr(serving_fit, "load_dataset", lambda name, root=None: Loaded(records))
    fitted, n, err = serving_fit.fit_engine(NAME)
    assert isinstance(fitted, EngineOverhead)
    assert n == sum(not is_holdout(m) for m in records) and 0 < n < len(records)
    assert err < 1e-3
    for term in serving_fit.ENGINE_TERMS:
        assert getattr(fitted, term) == pytest.approx(getattr(TRUTH, term), rel=0.05), term
