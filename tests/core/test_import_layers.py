"""The packages of cosim form a DAG in pipeline order: no stage imports a stage above it.

Every ``import`` / ``from ... import`` in every module counts, including the ones inside functions (lazy
imports hide a cycle from the interpreter, not from the design). A new top-level package must be given a
place in ``STAGES`` before this test passes.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "cosim"

STAGES = (
    "core",  # cosim.errors, .units, .config, .registry, .numba_target
    "workload",
    "dram",
    "hardware",
    "mapping",
    "perf",  # cost models
    "schedule",
    "engine",  # the step predictor
    "serving",
    "dse",
    "report",
    "validate",
    "cli",
)
"""Lowest first: a module may import its own stage and the stages before it, nothing after."""

CORE_MODULES = {"errors", "units", "config", "registry", "numba_target", "preset_path"}


def module_name(path: Path, root: Path = PACKAGE_ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "cosim":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in CORE_MODULES:
        return "core"
    if parts[1] == "__main__":
        return "cli"
    return parts[1]


def imported_modules(path: Path, root: Path = PACKAGE_ROOT) -> list[tuple[int, str]]:
    """(line, module) of every cosim import in the file, at any depth; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "cosim"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] == "cosim":
                # ``from cosim import engine`` imports the submodule cosim.engine
                names = [f"{target}.{a.name}" for a in node.names] if target == "cosim" else [target]
                out += [(node.lineno, n) for n in names]
    return out


def all_module_files() -> list[Path]:
    return sorted(p for p in PACKAGE_ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_has_a_stage():
    stages = {stage_of(module_name(p)) for p in all_module_files()}
    assert stages <= set(STAGES), f"give these packages a place in STAGES: {sorted(stages - set(STAGES))}"


def test_no_stage_imports_a_later_stage():
    rank = {s: i for i, s in enumerate(STAGES)}
    violations = []
    for path in all_module_files():
        importer = module_name(path)
        own = stage_of(importer)
        for line, target in imported_modules(path):
            other = stage_of(target)
            if rank[other] > rank[own]:
                violations.append(f"{path.relative_to(PACKAGE_ROOT.parent)}:{line}: {own} imports {target} ({other})")
    assert not violations, "imports against the pipeline order:\n" + "\n".join(violations)


def test_import_scanner_sees_lazy_and_relative_imports(tmp_path):
    probe = tmp_path / "cosim" / "perf" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("import numpy\n\ndef f():\n    from cosim.engine import predict\n    from ..dse import drm\n"
                     "    from . import base\n    import cosim.cli.main\n", encoding="utf-8")
    found = [m for _, m in imported_modules(probe, tmp_path / "cosim")]
    assert found == ["cosim.engine", "cosim.dse", "cosim.perf", "cosim.cli.main"]
    assert [stage_of(m) for m in found] == ["engine", "dse", "perf", "cli"]


@pytest.mark.parametrize("module", sorted(module_name(p) for p in all_module_files() if p.name != "__main__.py"))
def test_every_module_imports(module):
    importlib.import_module(module)


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "core"])
def test_each_stage_imports_first_in_a_fresh_interpreter(stage):
    """Importing a stage before anything else works (a cycle through a later stage would fail here)."""
    code = (f"import cosim.{stage}, sys; "
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('cosim.')}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = set(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))
    rank = {s: i for i, s in enumerate(STAGES)}
    later = sorted(s for s in loaded if stage_of(f"cosim.{s}") != "core" and rank[stage_of(f"cosim.{s}")] > rank[stage])
    assert not later, f"importing cosim.{stage} loads later stages {later}"
