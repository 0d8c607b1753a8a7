"""cosim's DRAM trace simulator against measured DRAMsim3 runs (tests/dram/data/dramsim3_reference.json).

Each reference run names a DRAMsim3 .ini (../shared/peer_data/DRAMsim3/configs), a trace kind, its length, seed
and run window, and the sha256 of the trace file cosim's generator wrote when DRAMsim3 was measured. The test
regenerates the trace (a changed sha256 means the generator drifted and the reference must be re-measured with
benchmarks/make_dramsim3_reference.py), runs `simulate_trace` for the same number of cycles and compares:

- bandwidth (GB/s) on every run,
- row hits (read + write) on every run; the error is relative to DRAMsim3's count, with the denominator floored
  at 1 % of the column commands so that 0-vs-1 hits on a random trace is not an infinite error,
- average read latency on the low-load trace only (the unloaded latency; loaded latencies are queueing).

Issue #3 bound: 10 % (asserted); goal: 5 % (reported in the printed table, `pytest -s`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
from pathlib import Path

import pytest

from cosim.dram import load_dram_spec, simulate_trace, write_trace
from cosim.dram.stats import DramStats

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(__file__).resolve().parent / "data" / "dramsim3_reference.json"
# The six .ini files the reference runs used are vendored next to the reference data (MIT, DRAMsim3's LICENSE
# kept with them), so the fidelity check runs on a clone without ../shared; the shared copy is the fallback.
VENDORED_CONFIG_DIR = Path(__file__).resolve().parent / "data" / "dramsim3_configs"
SHARED_CONFIG_DIR = REPO.parent / "shared" / "peer_data" / "DRAMsim3" / "configs"
CONFIG_DIR = VENDORED_CONFIG_DIR if VENDORED_CONFIG_DIR.is_dir() else SHARED_CONFIG_DIR
BOUND = 0.10  # issue #3: "10 % at worst"
GOAL = 0.05  # issue #3: "within 5 % of DRAMsim3 (goal)"
ROW_HIT_FLOOR = 0.01  # fraction of column commands used as the smallest row-hit denominator
UNLOADED_KIND = "low_load_random"
EXPECTED_CONFIGS = {"DDR4_8Gb_x8_3200.ini", "DDR4_8Gb_x16_3200.ini", "HBM2_8Gb_x128.ini", "GDDR6_8Gb_x16.ini",
                    "LPDDR4_8Gb_x16_2400.ini", "DDR3_8Gb_x8_1600.ini"}
EXPECTED_KINDS = {"seq_read", "random_read", "seq_mix", "random_mix", "low_load_random"}


def _load_runs() -> list[dict]:
    if not REFERENCE.is_file():
        return []
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["runs"]


RUNS = _load_runs()
pytestmark = [
    pytest.mark.skipif(not RUNS, reason=f"DRAMsim3 reference data missing: {REFERENCE}"),
    pytest.mark.skipif(not CONFIG_DIR.is_dir(), reason=f"DRAMsim3 configs not found at {CONFIG_DIR}"),
]


def _run_id(run: dict) -> str:
    return f"{Path(run['config']).stem}-{run['kind']}"


@functools.cache
def _simulate(config: str, kind: str) -> tuple[str, DramStats]:
    """(sha256 of the regenerated trace, cosim statistics) for one reference run; cached across metrics."""
    run = next(r for r in RUNS if r["config"] == config and r["kind"] == kind)
    spec = load_dram_spec(CONFIG_DIR / config)
    with tempfile.TemporaryDirectory(prefix="cosim-fidelity-") as tmp:
        trace = write_trace(Path(tmp) / "trace.txt", kind, spec, run["n_requests"], seed=run["seed"])
        digest = hashlib.sha256(trace.read_bytes()).hexdigest()
        stats = simulate_trace(spec, trace, cycles=run["cycles"])
    return digest, stats


def _metrics(run: dict, stats: DramStats) -> dict[str, tuple[float, float, float]]:
    """metric -> (cosim, DRAMsim3, relative error) for the metrics this run is judged on."""
    ref = run["dramsim3"]
    out = {"bandwidth_GBps": (stats.bandwidth_GBps, ref["bandwidth_GBps"],
                              abs(stats.bandwidth_GBps - ref["bandwidth_GBps"]) / ref["bandwidth_GBps"])}
    hits_ref = ref["num_read_row_hits"] + ref["num_write_row_hits"]
    hits = stats.read_row_hits + stats.write_row_hits
    floor = ROW_HIT_FLOOR * (ref["num_read_cmds"] + ref["num_write_cmds"])
    out["row_hits"] = (hits, hits_ref, abs(hits - hits_ref) / max(hits_ref, floor, 1.0))
    if run["kind"] == UNLOADED_KIND:
        lat, lat_ref = stats.avg_read_latency_cycles, ref["avg_read_latency_cycles"]
        out["unloaded_read_latency_cycles"] = (lat, lat_ref, abs(lat - lat_ref) / lat_ref)
    return out


@pytest.mark.parametrize("run", RUNS, ids=[_run_id(r) for r in RUNS])
def test_trace_matches_reference(run: dict) -> None:
    digest, _ = _simulate(run["config"], run["kind"])
    assert digest == run["trace_sha256"], (
        f"cosim's trace generator changed for {run['kind']} (n={run['n_requests']}, seed={run['seed']}): "
        "re-measure with benchmarks/make_dramsim3_reference.py")


@pytest.mark.parametrize("run", RUNS, ids=[_run_id(r) for r in RUNS])
def test_within_bound_of_dramsim3(run: dict) -> None:
    _, stats = _simulate(run["config"], run["kind"])
    assert stats.cycles == run["cycles"] == run["dramsim3"]["cycles"]
    for metric, (ours, theirs, err) in _metrics(run, stats).items():
        assert err <= BOUND, f"{_run_id(run)} {metric}: cosim {ours:.4g} vs DRAMsim3 {theirs:.4g} ({err:.1%})"


@pytest.mark.parametrize("run", RUNS, ids=[_run_id(r) for r in RUNS])
def test_reference_obeys_dramsim3_bandwidth_definition(run: dict) -> None:
    """DRAMsim3's bandwidth = requests done x request bytes / (cycles x tCK): checks cosim's .ini reading too."""
    spec = load_dram_spec(CONFIG_DIR / run["config"])
    ref = run["dramsim3"]
    done = ref["num_reads_done"] + ref["num_writes_done"]
    expected = done * spec.request_size_bytes / (ref["cycles"] * spec.tCK_ns)
    assert ref["bandwidth_GBps"] == pytest.approx(expected, rel=1e-9)


def test_reference_covers_required_configs_and_kinds() -> None:
    """The reference must hold every required config x trace kind; prints the fidelity table (pytest -s)."""
    pairs = {(r["config"], r["kind"]) for r in RUNS}
    missing = {(c, k) for c in EXPECTED_CONFIGS for k in EXPECTED_KINDS} - pairs
    assert not missing, f"reference lacks {sorted(missing)}"
    lines = [f"{'config':24s} {'trace':16s} {'metric':30s} {'cosim':>12s} {'DRAMsim3':>12s} {'error':>8s} goal5%"]
    worst = 0.0
    for run in RUNS:
        _, stats = _simulate(run["config"], run["kind"])
        for metric, (ours, theirs, err) in _metrics(run, stats).items():
            worst = max(worst, err)
            lines.append(f"{Path(run['config']).stem:24s} {run['kind']:16s} {metric:30s} {ours:12.4f} "
                         f"{theirs:12.4f} {err:8.2%} {'met' if err <= GOAL else 'MISSED'}")
    lines.append(f"worst error {worst:.2%} (bound {BOUND:.0%}, goal {GOAL:.0%})")
    print("\n" + "\n".join(lines))
