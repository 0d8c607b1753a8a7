"""Build and run a DRAMsim3 checkout on a trace; read its JSON statistics into one flat dict.

Shared by `bench_dram.py` (speed side by side) and `make_dramsim3_reference.py` (the measured reference data
in tests/dram/data). Nothing here is imported by cosim itself: DRAMsim3 is a peer tool, used only as a yardstick.

Statistic definitions are DRAMsim3's (simple_stats.cc): per channel `average_bandwidth` is
(reads done + writes done) x request bytes / (cycles x tCK) in bytes/ns = GB/s, so the system bandwidth is the
sum over channels; `average_read_latency` is the mean over that channel's reads (weighted here by reads done);
`total_energy` is in pJ.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BINARY_NAME = "dramsim3main"
COUNTER_KEYS = ("num_reads_done", "num_writes_done", "num_act_cmds", "num_read_row_hits", "num_write_row_hits",
                "num_read_cmds", "num_write_cmds", "num_pre_cmds", "num_ref_cmds")
SOURCE_SUFFIXES = (".cc", ".h", ".c", ".hpp", ".hxx", ".txt")


class DRAMsim3Error(RuntimeError):
    """DRAMsim3 could not be built or did not produce its statistics."""


def source_digest(checkout: Path) -> str:
    """sha256 over the checkout's build inputs (CMakeLists + sources), so a rebuild happens when they change."""
    h = hashlib.sha256()
    files = [checkout / "CMakeLists.txt", *sorted(p for d in ("src", "driver") if (checkout / d).is_dir()
                                                  for p in (checkout / d).rglob("*") if p.suffix in SOURCE_SUFFIXES)]
    for path in files:
        if path.is_file():
            h.update(str(path.relative_to(checkout)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def build_dramsim3(checkout: str | Path, build_root: str | Path | None = None, jobs: int = 2) -> Path:
    """cmake + make `dramsim3main` into a build dir outside the checkout, once per source digest; return it."""
    checkout = Path(checkout).resolve()
    if not (checkout / "CMakeLists.txt").is_file():
        raise DRAMsim3Error(f"{checkout} has no CMakeLists.txt (not a DRAMsim3 checkout)")
    if shutil.which("cmake") is None:
        raise DRAMsim3Error("cmake not found on PATH")
    digest = source_digest(checkout)[:16]
    root = Path(build_root) if build_root else Path(tempfile.gettempdir()) / "cosim-dramsim3-build"
    build = root / digest
    binary = build / BINARY_NAME
    if binary.is_file():
        return binary
    build.mkdir(parents=True, exist_ok=True)
    steps = (["cmake", "-S", str(checkout), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
             ["cmake", "--build", str(build), "--target", BINARY_NAME, "-j", str(jobs)])
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise DRAMsim3Error(f"{' '.join(cmd)} failed: " + " | ".join(tail))
    if not binary.is_file():
        raise DRAMsim3Error(f"build finished but {binary} is missing")
    return binary


@dataclass(frozen=True)
class DRAMsim3Run:
    """One DRAMsim3 run: the summed statistics, the command line and the wall-clock time."""

    stats: dict[str, float]
    command: list[str]
    wall_s: float


def run_dramsim3(binary: str | Path, config: str | Path, trace: str | Path, cycles: int,
                 out_dir: str | Path | None = None) -> DRAMsim3Run:
    """`dramsim3main CONFIG -c CYCLES -t TRACE -o OUTDIR`, timed; statistics summed over channels."""
    own_dir = out_dir is None
    out = Path(tempfile.mkdtemp(prefix="dramsim3-out-")) if own_dir else Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), str(config), "-c", str(int(cycles)), "-t", str(trace), "-o", str(out)]
    try:
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise DRAMsim3Error(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-300:]}")
        stats = read_stats(out)
    finally:
        if own_dir:
            shutil.rmtree(out, ignore_errors=True)
    return DRAMsim3Run(stats=stats, command=cmd, wall_s=wall)


def read_stats(out_dir: Path) -> dict[str, float]:
    """Parse DRAMsim3's final `<prefix>.json` (one object per channel) into channel-summed statistics."""
    candidates = [p for p in Path(out_dir).glob("*.json") if not p.name.endswith("epoch.json")]
    if len(candidates) != 1:
        raise DRAMsim3Error(f"expected one stats JSON in {out_dir}, found {[p.name for p in candidates]}")
    channels = json.loads(candidates[0].read_text(encoding="utf-8"))
    per_ch = [channels[k] for k in sorted(channels, key=int)]
    summed: dict[str, float] = {k: int(sum(ch[k] for ch in per_ch)) for k in COUNTER_KEYS}
    reads = summed["num_reads_done"]
    summed["cycles"] = int(per_ch[0]["num_cycles"])
    summed["channels"] = len(per_ch)
    summed["bandwidth_GBps"] = float(sum(ch["average_bandwidth"] for ch in per_ch))
    summed["avg_read_latency_cycles"] = (
        float(sum(ch["average_read_latency"] * ch["num_reads_done"] for ch in per_ch) / reads) if reads else 0.0)
    summed["total_energy_pJ"] = float(sum(ch["total_energy"] for ch in per_ch))
    return summed


def default_checkout() -> Path | None:
    """The DRAMsim3 checkout named by $DRAMSIM3_DIR, if set."""
    env = os.environ.get("DRAMSIM3_DIR")
    return Path(env) if env else None
