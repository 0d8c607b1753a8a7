"""The cached affine map of attention-part operators gives exactly the builder's operators."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.engine.part_ops import PartOperators
from cosim.workload.attention import attention_parts
from cosim.workload.fusion import PROFILES, Fusion
from cosim.workload.graph import part_operators
from cosim.workload.step import Step, slice_phase


def _same(a, b) -> None:
    assert [o.name for o in a] == [o.name for o in b]
    for x, y in zip(a, b, strict=True):
        assert (x.flops, dict(x.shape), x.reads, x.writes) == (y.flops, dict(y.shape), y.reads, y.writes)
        keys = set(x.attrs) | set(y.attrs)
        for k in keys:
            vx, vy = x.attrs[k], y.attrs[k]
            assert (np.asarray(vx) == np.asarray(vy)).all(), k


@pytest.mark.parametrize(("model", "fusion", "attention", "tp"), [
    ("llama2-7b", "fused", "flash", 1), ("llama3-70b", "fused", "flash", 8), ("llama2-7b", "unfused", "flash", 1),
    ("llama3-8b", "unfused", "eager", 2), ("mixtral-8x7b", "fused", "flash", 2)])
def test_rescaled_part_operators_equal_the_builders(model, fusion, attention, tp):
    options = dict(fusion=fusion, attention=attention, tp=tp)
    cache = PartOperators(lambda part, name: part_operators(model, part, name, **options))
    rng = np.random.default_rng(7)
    for _ in range(12):
        n = int(rng.integers(1, 12))
        q = np.ones(n, dtype=np.int64)
        kv = rng.integers(1, 9000, n)
        for i in range(int(rng.integers(0, 3))):
            if i < n:
                q[i] = rng.integers(2, 900)
                kv[i] = q[i] + (rng.integers(0, 5000) if rng.random() < 0.5 else 0)
        step = Step(slice_phase(q, kv), q, kv)
        for name, part in attention_parts(step, PROFILES[Fusion.parse(fusion)]):
            _same(cache.ops(name, part), part_operators(model, part, name, **options))
