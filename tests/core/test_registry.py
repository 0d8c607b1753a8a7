"""One registry type: a name registered twice is a programming error, an unknown name a one-line user error.

Every plug-in registry of cosim is a ``cosim.registry.Registry``; each is checked here through its own
registration function, so a hand-rolled dict that silently overwrites cannot come back.
"""

from __future__ import annotations

import pytest

from cosim.errors import CosimInputError
from cosim.registry import Registry


def test_registry_policy():
    reg: Registry[int] = Registry("widget", "widget")
    assert reg.add("b", 2) == 2
    reg.register("a")(1)
    assert reg.names() == ["a", "b"] and list(reg) == ["a", "b"] and len(reg) == 2
    assert reg["a"] == 1 and reg.get("b") == 2 and "a" in reg and "c" not in reg
    assert reg.items() == [("a", 1), ("b", 2)] and reg.values() == [1, 2]
    with pytest.raises(ValueError, match="widget 'a' registered twice"):
        reg.add("a", 3)
    assert reg["a"] == 1  # the first registration stands
    with pytest.raises(CosimInputError) as err:
        reg.get("c", file="x.yaml")
    message = str(err.value)
    assert "\n" not in message and "unknown widget 'c'" in message and "x.yaml" in message
    assert err.value.field == "widget" and err.value.allowed == "a, b"
    with pytest.raises(CosimInputError):
        reg["c"]
    with pytest.raises(CosimInputError):
        reg.get(["unhashable"])  # type: ignore[arg-type]


def test_scoped_registration_is_undone_and_refuses_duplicates():
    reg: Registry[int] = Registry("widget", "widget")
    reg.add("a", 1)
    with reg.scoped("t", 5) as entry:
        assert entry == 5 and reg["t"] == 5
    assert "t" not in reg
    with pytest.raises(ValueError), reg.scoped("a", 2):
        pass  # pragma: no cover
    assert reg["a"] == 1
    with pytest.raises(RuntimeError), reg.scoped("t", 6):
        raise RuntimeError
    assert "t" not in reg


def test_cost_model_registry_refuses_duplicates():
    import cosim.perf  # noqa: F401  (registers the shipped models)
    from cosim.perf.base import COST_MODELS, CostModel, available_cost_models, get_cost_model, register_cost_model
    from cosim.perf.roofline import RooflineModel

    assert {"roofline", "gpu-kernel", "systolic", "pim"} <= set(available_cost_models())
    assert isinstance(get_cost_model("roofline"), RooflineModel)
    with pytest.raises(ValueError, match="cost model 'roofline' registered twice"):

        @register_cost_model("roofline")
        class Again(CostModel):  # pragma: no cover - never registered
            def op_timing(self, op, caps, spec=None):
                raise NotImplementedError

    assert COST_MODELS.get("roofline") is RooflineModel and RooflineModel.name == "roofline"
    with pytest.raises(CosimInputError, match="unknown cost model 'nope'") as err:
        get_cost_model("nope")
    assert err.value.field == "cost_model" and "roofline" in err.value.allowed


def test_layout_registry_refuses_duplicates():
    from cosim.perf.pim.layout import LAYOUTS, get_layout, register_layout

    with pytest.raises(ValueError, match="layout 'hybrid' registered twice"):
        register_layout(get_layout("host").__class__("hybrid", get_layout("host").element))
    assert get_layout("hybrid").description.startswith("CHIME")
    with pytest.raises(CosimInputError, match="unknown layout 'nope'"):
        get_layout("nope")
    assert "host" in LAYOUTS and "hybrid-nhc8" in LAYOUTS.names()


def test_dataset_registry_refuses_duplicates():
    from cosim.validate.datasets import dataset_names, get_dataset, register_dataset

    name = dataset_names()[0]
    with pytest.raises(ValueError, match=f"dataset '{name}' registered twice"):
        register_dataset(name, "again", get_dataset(name).loader)
    with pytest.raises(CosimInputError, match="unknown dataset 'nope'"):
        get_dataset("nope")


def test_predictor_registry_refuses_duplicates():
    from cosim.validate.predict import PREDICTORS, register_predictor

    with pytest.raises(ValueError, match="measurement kind 'gemm' registered twice"):
        register_predictor("gemm")(lambda m, cost_model: 0.0)
    assert {"gemm", "attention_decode", "layer_prefill", "step_decode"} <= set(PREDICTORS)


def test_npu_converter_registry_refuses_duplicates():
    from cosim.perf.npu import shapes
    from cosim.workload.ops import OpKind

    with pytest.raises(ValueError, match="registered twice"):
        shapes._converts(OpKind.GEMM)(lambda op: None)
