"""A wheel of cosim works without the checkout: build it, install it into a fresh venv, run the README tour.

How the fresh venv gets cosim's dependencies: a ``.pth`` file naming this interpreter's site-packages. Entries
of a ``.pth`` file are appended to ``sys.path`` after the venv's own site-packages, and the ``.pth`` files inside
them are not run, so the editable install of the checkout (a ``.pth`` import hook) stays inactive and only the
wheel's ``cosim`` is importable; the commands run with the current directory outside the checkout. This needs
no network and no second copy of numpy/numba/plotly (installing them from PyPI would take minutes). The wheel
itself is built as a user's ``pip wheel .`` builds it (isolated build environment), from a copy of the files
git would put in a fresh clone, so nothing left over in the checkout (build/, egg-info) can leak into it.

Skip locally with ``COSIM_SKIP_PACKAGING=1``; ``make test`` and CI run it.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRESET_KINDS = ("hw", "workloads", "mappings", "studies")

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(os.environ.get("COSIM_SKIP_PACKAGING") == "1", reason="COSIM_SKIP_PACKAGING=1"),
]


def _clone_files(dst: Path) -> None:
    """Copy what a fresh clone holds (tracked files plus new, not ignored ones), symlinks as symlinks."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True).stdout.decode()
    for rel in dict.fromkeys(f for f in listed.split("\0") if f):
        src, target = REPO / rel, dst / rel
        if not src.is_symlink() and not src.is_file():
            continue  # deleted in the working tree, or a directory symlink git lists as one entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)


def _preset_files() -> set[str]:
    """Every preset file of the checkout, as the wheel must name it (cosim/presets/<kind>/...)."""
    names = set()
    for kind in PRESET_KINDS:
        for path in (REPO / kind).rglob("*"):
            if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
                names.add(f"cosim/presets/{path.relative_to(REPO).as_posix()}")
    return names


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(wheel, venv, a user's working directory outside the checkout)."""
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv, user = base / "src", base / "dist", base / "venv", base / "user"
    _clone_files(src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."], cwd=src,
                   check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("cosim-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    venv_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(venv_site) / "_cosim_test_dependencies.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    user.mkdir()
    return wheel, venv, user


def _cosim(installed, *argv: str) -> str:
    _, venv, user = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COSIM_PATH", "COSIM_PEER_DATA")}
    done = subprocess.run([str(venv / "bin" / "cosim"), *argv], cwd=user, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"cosim {' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}"
    return done.stdout


def test_wheel_ships_every_preset(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert _preset_files() <= names, sorted(_preset_files() - names)
    assert {"cosim/dram/families/ddr.yaml", "cosim/report/templates/report.html.j2"} <= names


def test_cosim_is_imported_from_the_wheel(installed):
    _, venv, user = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import cosim; print(cosim.__file__)"], cwd=user,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where


def test_readme_tour_runs_from_the_wheel(installed):
    _, _, user = installed
    models = _cosim(installed, "list", "models")
    assert "llama2-7b" in models and "(no rows)" not in models
    assert "h100-sxm" in _cosim(installed, "list", "hw")
    assert "long-context-decode" in _cosim(installed, "list", "studies")
    assert "ddr4-3200-x8" in _cosim(installed, "list", "dram")  # the DRAM families load too
    step = json.loads(_cosim(installed, "predict", "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "prefill",
                             "--batch", "1", "--context", "2048", "--json"))
    assert step["latency_s"] > 0
    assert "gemm" in _cosim(installed, "op", "gemm", "--m", "16", "--n", "12288", "--k", "4096", "--hw", "a100-80g")
    study = user / "small.yaml"
    study.write_text("extends: long-context-decode\nname: small\nbatch: [1, 32]\ncontext: [4096]\n"
                     "drm_batch: [1, 32]\n")
    _cosim(installed, "run", str(study), "--out", str(user / "small.html"))
    assert (user / "small.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
