"""The system contract: ``SystemView`` is what mapping, cost models, schedules and the engine ask of a system."""

from __future__ import annotations

import pickle

import pytest
from cosim_fakes import decoder_graph, gpu_pim_system, gpu_system

from cosim.engine import predict_graph, resolve_system
from cosim.hardware import SlotView, System, SystemView, load_system
from cosim.hardware.variants import system_with_overrides


@pytest.fixture(scope="module")
def l3() -> System:
    return load_system("gpu+l3")


def test_systems_variants_and_fakes_are_system_views(l3):
    variant = system_with_overrides(l3, {"gpu": {"mem_bw_bytes_per_s": 1e12}})
    fakes = [gpu_system(), gpu_pim_system(hbm=True)]
    for system in (l3, variant, *fakes):
        assert isinstance(system, SystemView)
        assert all(isinstance(slot, SlotView) for slot in system.devices.values())
        assert resolve_system(system) is system  # objects pass through; only names and paths are loaded
    for not_a_system in ("gpu+l3", 3, None, l3.devices["gpu"]):
        assert not isinstance(not_a_system, SystemView)


def test_a_name_resolves_to_the_preset(l3):
    system = resolve_system("gpu+l3")
    assert isinstance(system, System) and system == l3


def test_fakes_and_variants_predict_like_systems(l3):
    graph = decoder_graph("decode", batch=4, context=512)
    fake = predict_graph(graph, gpu_pim_system(), cost_model="roofline")
    assert fake.system == "fake-gpu-pim" and fake.latency_s > 0
    base = predict_graph(decoder_graph("decode", batch=4, context=512), l3, cost_model="roofline")
    same = predict_graph(decoder_graph("decode", batch=4, context=512), system_with_overrides(l3, {}),
                         cost_model="roofline")
    assert same.latency_s == base.latency_s and same.system == base.system == l3.name


def test_a_variant_pickles(l3):
    variant = system_with_overrides(l3, {"gpu": {"flops_scale": 2.0}, "host PCIe": {"bw_bytes_per_s": 1e9}})
    back = pickle.loads(pickle.dumps(variant))
    assert back.name == variant.name and back.description == l3.description
    assert back.caps("gpu") == variant.caps("gpu")
    assert back.link_between("gpu", "pim").bw_bytes_per_s == 1e9
