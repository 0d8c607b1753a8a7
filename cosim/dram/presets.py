"""Find and load DRAM specs: shipped presets (`hw/dram/*.yaml`), DRAMsim3 `.ini` files, or YAML files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cosim.config import load_document, preset_dir
from cosim.dram.ini import load_ini
from cosim.dram.spec import DramSpec, spec_from_sections
from cosim.errors import CosimInputError, UnknownPresetError
from cosim.preset_path import listing

SECTIONS = ("dram_structure", "timing", "power", "system")
_META = ("name", "description", "source")
DRAM_KIND = "hw/dram"


def dram_preset_dir() -> Path:
    """The shipped DRAM presets (user folders on the preset search path add ``DIR/hw/dram/*.yaml``)."""
    return preset_dir(DRAM_KIND)


def list_dram_presets() -> list[str]:
    return [name for name, where in listing(DRAM_KIND).items() if where.path.suffix == ".yaml"]


def load_yaml_spec(path: str | Path) -> DramSpec:
    path = Path(path)
    data = load_document(path)
    if not isinstance(data, Mapping):
        raise CosimInputError("expected a mapping with sections " + ", ".join(SECTIONS), file=path)
    unknown = [k for k in data if k not in SECTIONS and k not in _META]
    if unknown:
        raise CosimInputError(f"unknown field {unknown[0]!r}", file=path, field=str(unknown[0]),
                              allowed=[*_META, *SECTIONS])
    sections = {k: data[k] for k in SECTIONS if k in data}
    for key, body in sections.items():
        if not isinstance(body, Mapping):
            raise CosimInputError("expected a mapping", file=path, field=key)
    return spec_from_sections(sections, name=str(data.get("name") or path.stem), file=path,
                              source=str(data.get("source") or path.name))


def load_dram_spec(name_or_path: str | Path | DramSpec) -> DramSpec:
    """A preset name (`ddr4-3200-x8`), a DRAMsim3 `.ini` path, or a YAML path -> `DramSpec`."""
    if isinstance(name_or_path, DramSpec):
        return name_or_path
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() == ".ini":
        return load_ini(path)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or "/" in text:
        if not path.exists():
            raise CosimInputError("DRAM spec file not found", file=path)
        return load_yaml_spec(path)
    found = listing(DRAM_KIND).get(text)
    if found is not None and found.path.suffix == ".yaml":
        return load_yaml_spec(found.path)
    raise UnknownPresetError(f"unknown DRAM preset {text!r}", field="spec",
                             allowed=[*list_dram_presets(), "FILE.ini", "FILE.yaml"])
