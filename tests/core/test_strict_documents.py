"""Documents that used to load silently wrong: duplicate keys, alias bombs (issue 14, strict inputs)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from cosim.config import load_document
from cosim.errors import CosimInputError


def _bomb(levels: int = 9) -> str:
    parts = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in itertools.pairwise("abcdefghijklmnop"[:levels]):
        parts.append(f"&{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "[" + ", ".join(parts) + "]"


def test_duplicate_yaml_key_names_file_line_and_key(tmp_path: Path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nkind: gpu\nmemory:\n  capacity: 80 GiB\n  capacity: 40 GiB\n")
    with pytest.raises(CosimInputError) as exc:
        load_document(path)
    message = str(exc.value)
    assert str(path) in message and "line 5" in message and "duplicate key 'capacity'" in message
    assert "\n" not in message


def test_yaml_merge_keys_still_override(tmp_path: Path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  x: 3\n")
    assert load_document(path)["child"] == {"x": 3, "y": 2}


def test_duplicate_json_key_is_refused(tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text('{"hidden_size": 4096, "hidden_size": 5120}')
    with pytest.raises(CosimInputError, match="duplicate key 'hidden_size'"):
        load_document(path)


@pytest.mark.parametrize("where", ["description: {bomb}\n", "lol: {bomb}\n"])
def test_alias_bomb_is_refused_before_it_is_expanded(tmp_path: Path, where: str):
    # used to take ~60 s and GBs when the bomb sat in a string field (the error message repr'd it)
    path = tmp_path / "bomb.yaml"
    path.write_text("name: x\n" + where.format(bomb=_bomb()))
    start = time.perf_counter()
    with pytest.raises(CosimInputError, match="aliases"):
        load_document(path)
    assert time.perf_counter() - start < 10.0  # a loose bound: the expansion itself took ~60 s


def test_small_aliases_still_load(tmp_path: Path):
    path = tmp_path / "ok.yaml"
    path.write_text("a: &a [1, 2, 3]\nb: *a\n")
    assert load_document(path) == {"a": [1, 2, 3], "b": [1, 2, 3]}


def test_recursive_alias_is_refused(tmp_path: Path):
    path = tmp_path / "rec.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(CosimInputError, match="recursive alias"):
        load_document(path)


def test_alias_bomb_in_a_hardware_preset_is_a_quick_one_line_error(tmp_path: Path):
    from cosim.hardware import load_device

    base = (Path(__file__).resolve().parents[2] / "hw" / "h100-sxm.yaml").read_text()
    path = tmp_path / "gpu.yaml"
    path.write_text(base.replace("description: NVIDIA H100 SXM5 80 GB (Hopper GH100)",
                                 "description: " + _bomb(), 1))
    start = time.perf_counter()
    with pytest.raises(CosimInputError) as exc:
        load_device(path)
    assert time.perf_counter() - start < 10.0 and "\n" not in str(exc.value)  # expansion took ~60 s


def test_misspelled_field_is_named_with_the_closest_allowed_one(tmp_path: Path):
    # used to say "memory.bandwidth: required field is missing (and 1 more error)", hiding the typo
    from cosim.hardware import load_device

    base = (Path(__file__).resolve().parents[2] / "hw" / "h100-sxm.yaml").read_text()
    path = tmp_path / "gpu.yaml"
    path.write_text(base.replace("  bandwidth: 3.35 TB/s", "  bandwith: 3.35 TB/s", 1))
    with pytest.raises(CosimInputError) as exc:
        load_device(path)
    message = str(exc.value)
    assert "memory.bandwith" in message and "did you mean 'bandwidth'" in message
    assert "capacity" in (exc.value.allowed or "")


def test_unknown_field_of_a_nested_schema_lists_that_schemas_fields():
    from pydantic import BaseModel

    from cosim.config import StrictModel, validate

    class Inner(StrictModel):
        capacity: int
        bandwidth: float

    class Outer(StrictModel):
        name: str
        memory: list[Inner] | None = None

    assert issubclass(Outer, BaseModel)
    with pytest.raises(CosimInputError) as exc:
        validate(Outer, {"name": "x", "memory": [{"capacity": 1, "bandwidth": 2.0, "capacitty": 3}]})
    assert exc.value.field == "memory[0].capacitty" and "did you mean 'capacity'" in exc.value.message
    assert exc.value.allowed == "bandwidth, capacity"
