"""Mapping rules, presets, the default mapper and one-line errors."""

from __future__ import annotations

import pytest
from cosim_fakes import decoder_graph, gpu_pim_system, gpu_system

from cosim.config import REPO_ROOT
from cosim.errors import CosimInputError
from cosim.mapping import default_mapping, load_mapping, place
from cosim.workload.ops import OpKind, Phase, TensorClass


def _devices(graph, system, mapping):
    placement = place(graph, system, mapping)
    return placement.op_device, placement.tensor_home


@pytest.mark.parametrize("name", ["attention-on-pim", "all-on-gpu", "kv-on-pim-attention-on-gpu"])
def test_presets_load_and_bind(name):
    mapping = load_mapping(name)
    assert mapping.name == name
    ops, tensors = _devices(decoder_graph(), gpu_pim_system(), mapping)
    assert set(ops.values()) <= {"gpu", "pim"} and set(tensors.values()) <= {"gpu", "pim"}


def test_attention_on_pim_preset_matches_default_mapper():
    system = gpu_pim_system()
    for phase in (Phase.DECODE, Phase.PREFILL):
        graph = decoder_graph(phase, batch=2, context=64)
        assert _devices(graph, system, load_mapping("attention-on-pim")) == _devices(
            graph, system, default_mapping(system, phase)
        )


def test_default_mapper_decode_attention_and_kv_on_pim():
    system = gpu_pim_system()
    ops, tensors = _devices(decoder_graph(Phase.DECODE), system, default_mapping(system, "decode"))
    assert ops["attn"] == "pim" and ops["kv_write"] == "pim"
    assert all(d == "gpu" for n, d in ops.items() if n not in ("attn", "kv_write"))
    assert tensors["kv_cache"] == "pim" and tensors["layers.w"] == "gpu"


def test_default_mapper_prefill_attention_on_gpu_but_kv_on_pim():
    system = gpu_pim_system()
    ops, tensors = _devices(
        decoder_graph(Phase.PREFILL, context=128), system, default_mapping(system, "prefill")
    )
    assert set(ops.values()) == {"gpu"}
    assert tensors["kv_cache"] == "pim"


def test_default_mapper_without_pim_puts_everything_on_gpu():
    system = gpu_system()
    ops, tensors = _devices(decoder_graph(), system, default_mapping(system, "decode"))
    assert set(ops.values()) == {"gpu"} and set(tensors.values()) == {"gpu"}


def test_default_mapper_skips_pim_that_cannot_run_attention():
    system = gpu_pim_system(pim_kw={"kinds": frozenset({OpKind.GEMM})})
    ops, _ = _devices(decoder_graph(), system, default_mapping(system, "decode"))
    assert set(ops.values()) == {"gpu"}


def test_all_on_gpu_ignores_pim():
    ops, tensors = _devices(decoder_graph(), gpu_pim_system(), load_mapping("all-on-gpu"))
    assert set(ops.values()) == {"gpu"} and set(tensors.values()) == {"gpu"}


def test_kv_on_pim_attention_on_gpu():
    ops, tensors = _devices(decoder_graph(), gpu_pim_system(), load_mapping("kv-on-pim-attention-on-gpu"))
    assert ops["attn"] == "gpu" and tensors["kv_cache"] == "pim"


def test_first_matching_rule_wins_and_globs(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: t\nops:\n  - match: {name: 'mlp_*'}\n    device: pim\n"
        "  - match: {kind: gemm}\n    device: gpu\n  - device: pim\n"
    )
    mapping = load_mapping(path)
    op = decoder_graph().nodes["mlp_up"]["op"]
    assert mapping.device_of(op, "decode") == "pim"
    assert mapping.device_of(decoder_graph().nodes["qkv"]["op"], "decode") == "gpu"
    assert mapping.device_of(decoder_graph().nodes["norm1"]["op"], "decode") == "pim"
    # unmatched tensors live on the catch-all device
    assert mapping.home_of("anything", TensorClass.WEIGHT) == "pim"


def test_unknown_device_lists_system_devices(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nops:\n  - device: tpu7\n")
    with pytest.raises(CosimInputError) as info:
        place(decoder_graph(), gpu_pim_system(), load_mapping(path))
    msg = str(info.value)
    assert "tpu7" in msg and "gpu" in msg and "pim" in msg and str(path) in msg and "\n" not in msg


def test_pim_role_on_gpu_only_system_is_an_error():
    with pytest.raises(CosimInputError, match="'pim'"):
        place(decoder_graph(), gpu_system(), load_mapping("attention-on-pim"))


@pytest.mark.parametrize(
    "text, field",
    [
        ("name: x\nops:\n  - device: gpu\n    colour: red\n", "ops[0].colour"),
        ("name: x\nops:\n  - match: {kind: matmul}\n    device: gpu\n", "ops[0].match.kind"),
        ("name: x\nops: []\n", "ops"),
        ("name: x\nops:\n  - match: {phase: training}\n    device: gpu\n", "ops[0].match.phase"),
    ],
)
def test_bad_yaml_is_one_line_error_naming_file_and_field(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CosimInputError) as info:
        load_mapping(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and field in msg


def test_unknown_preset_lists_shipped_ones():
    with pytest.raises(CosimInputError, match="all-on-gpu"):
        load_mapping("no-such-mapping")


def test_shipped_presets_are_all_loadable():
    for path in sorted((REPO_ROOT / "mappings").glob("*.yaml")):
        assert load_mapping(path).op_rules
