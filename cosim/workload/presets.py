"""Find and load a model: a preset name (``workloads/<name>.yaml``), a project YAML file, or an HF config."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cosim.config import list_presets, load_document, load_with_extends, resolve_preset, validate
from cosim.errors import CosimInputError
from cosim.workload.hf import is_hf_config, model_from_hf
from cosim.workload.model import ModelConfig

PRESET_KIND = "workloads"


def list_models() -> list[str]:
    """Names of the shipped model presets."""
    return list_presets(PRESET_KIND)


def load_model(name_or_path: str | Path | ModelConfig) -> ModelConfig:
    """A preset name, a project YAML file or an HF ``config.json``; a ModelConfig passes through."""
    if isinstance(name_or_path, ModelConfig):
        return name_or_path
    if not isinstance(name_or_path, str | Path):
        raise CosimInputError(f"expected a model name or file path, got {type(name_or_path).__name__}",
                              field="model", allowed=list_models())
    path = resolve_preset(name_or_path, PRESET_KIND, what="model")
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _load_file(path.resolve(), mtime)


@lru_cache(maxsize=128)
def _load_file(path: Path, mtime_ns: int) -> ModelConfig:
    """Cached on (path, mtime): sweeps build thousands of graphs from the same few files."""
    data = load_document(path)
    if is_hf_config(data):
        return model_from_hf(data, path)
    data = load_with_extends(path, PRESET_KIND, what="model")
    data.setdefault("name", path.stem)
    return validate(ModelConfig, data, file=path)
