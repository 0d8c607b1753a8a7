"""Cost models refuse device kinds they cannot time (issue 14: ``--cost-model pim`` on a GPU gave the roofline)."""

from __future__ import annotations

import pytest

from cosim.engine import predict
from cosim.errors import CosimInputError
from cosim.hardware.caps import DeviceKind
from cosim.perf.base import COST_MODELS, cost_model_for


@pytest.mark.parametrize(("model", "hw"), [("pim", "h100-sxm"), ("systolic", "h100-sxm"),
                                           ("gpu-kernel", "gpu+l3")])
def test_a_cost_model_on_a_device_it_cannot_time_is_refused(model, hw):
    with pytest.raises(CosimInputError) as exc:
        predict("llama2-7b", hw, "decode", batch=1, context=512, cost_model=model)
    assert exc.value.field == "cost_model" and "roofline" in (exc.value.allowed or "")
    assert "\n" not in str(exc.value)


def test_the_defaults_and_the_roofline_time_every_kind():
    for kind in DeviceKind:
        assert cost_model_for(kind).kinds is None or kind in cost_model_for(kind).kinds
        assert cost_model_for(kind, "roofline").name == "roofline"
    assert all(COST_MODELS.get(n).kinds is None or COST_MODELS.get(n).kinds for n in COST_MODELS.names())


def test_pim_cost_model_still_times_pim_devices():
    step = predict("llama2-7b", "gpu+l3", "decode", batch=1, context=512)
    assert step.cost_model == "gpu-kernel+pim" and step.latency_s > 0
