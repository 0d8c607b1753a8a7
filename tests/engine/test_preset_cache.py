"""Presets named by name or path are loaded once per process, reloaded when a file they came from changes,
and handed out so that no caller can change what another one gets."""

from __future__ import annotations

import os

import pytest

from cosim.config import recording_reads
from cosim.engine import clear_caches, predict, resolve_mapping, resolve_model, resolve_system
from cosim.engine.predict import MAPPINGS, SYSTEMS
from cosim.errors import CosimInputError
from cosim.hardware import load_system
from cosim.workload import load_model


@pytest.fixture(autouse=True)
def fresh_caches():
    clear_caches()
    yield
    clear_caches()


def test_a_second_predict_reads_no_file():
    first = predict("llama2-7b", "gpu+l3", "decode", 8, 2048, mapping="attention-on-pim")
    with recording_reads() as reads:
        again = predict("llama2-7b", "gpu+l3", "decode", 8, 2048, mapping="attention-on-pim")
        resolve_model("llama2-7b")
    assert reads == []
    assert again.to_dict() == first.to_dict()
    assert SYSTEMS.loads == 1 and SYSTEMS.hits == 1 and MAPPINGS.loads == 1 and MAPPINGS.hits == 1


def test_cached_objects_equal_fresh_loads_and_predict_the_same():
    system = resolve_system("gpu+l3")
    assert system == load_system("gpu+l3") and resolve_system("gpu+l3") == system
    assert resolve_model("llama3-70b") == load_model("llama3-70b")
    by_name = predict("llama3-70b", "gpu+l3", "decode", 16, 4096, tp=8)
    by_object = predict(load_model("llama3-70b"), load_system("gpu+l3"), "decode", 16, 4096, tp=8)
    assert by_name.to_dict() == by_object.to_dict()


def test_callers_cannot_change_what_the_cache_hands_out():
    mine = resolve_system("gpu+l3")
    mine.devices.pop("pim")
    mine.devices["gpu"].spec.efficiency.__dict__["compute"] = 0.01  # even a deep, frozen-bypassing edit
    theirs = resolve_system("gpu+l3")
    assert "pim" in theirs.devices and theirs == load_system("gpu+l3")
    assert theirs is not resolve_system("gpu+l3")
    mapping = resolve_mapping("all-on-gpu", theirs, "decode")
    assert mapping is not resolve_mapping("all-on-gpu", theirs, "decode")
    assert mapping == resolve_mapping("all-on-gpu", theirs, "decode")
    model = resolve_model("llama2-7b")
    with pytest.raises(Exception, match="frozen"):
        model.num_layers = 1  # models are immutable, so they are shared
    assert resolve_model("llama2-7b") is model


def _bump(path, text):
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a visibly later mtime on any filesystem


def test_editing_any_file_a_preset_was_read_from_reloads_it(tmp_path):
    gpu = tmp_path / "my-gpu.yaml"
    gpu.write_text("extends: h100-sxm\nname: my-gpu\nmemory:\n  bandwidth: 3 TB/s\n")
    system_file = tmp_path / "my-system.yaml"
    system_file.write_text(f"name: mine\ndevices:\n  gpu:\n    preset: {gpu}\n")
    first = resolve_system(system_file)
    assert first.caps("gpu").mem_bw_bytes_per_s == pytest.approx(3e12)
    assert resolve_system(str(system_file)) == first and SYSTEMS.loads == 1  # a path and its str: one entry
    _bump(gpu, "extends: h100-sxm\nname: my-gpu\nmemory:\n  bandwidth: 5 TB/s\n")  # the device it names
    assert resolve_system(system_file).caps("gpu").mem_bw_bytes_per_s == pytest.approx(5e12)
    _bump(system_file, f"name: mine\ndevices:\n  gpu:\n    preset: {gpu}\n    count: 2\n")  # the file itself
    assert resolve_system(system_file).devices["gpu"].count == 2
    assert SYSTEMS.loads == 3

    model = tmp_path / "tiny.yaml"
    model.write_text("extends: llama2-7b\nname: tiny\nnum_layers: 2\n")
    assert resolve_model(model).num_layers == 2
    _bump(model, "extends: llama2-7b\nname: tiny\nnum_layers: 3\n")
    assert resolve_model(model).num_layers == 3


def test_errors_are_the_loaders_and_are_not_cached(tmp_path):
    for bad in ("no-such-system", tmp_path / "missing.yaml"):
        with pytest.raises(CosimInputError) as cached:
            resolve_system(bad)
        with pytest.raises(CosimInputError) as direct:
            load_system(bad)
        assert str(cached.value) == str(direct.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(CosimInputError):
        resolve_system(broken)
    _bump(broken, "name: fixed\ndevices:\n  gpu:\n    preset: h100-sxm\n")
    assert resolve_system(broken).name == "fixed"
    with pytest.raises(CosimInputError, match="unknown model preset"):
        resolve_model("no-such-model")
    with pytest.raises(CosimInputError) as err:  # the step is checked before the model, as before
        predict("no-such-model", "h100-sxm", "decode", 0, 128)
    assert "batch" in str(err.value)
