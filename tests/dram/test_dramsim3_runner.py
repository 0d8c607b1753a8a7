"""benchmarks/dramsim3_runner.py: DRAMsim3's per-channel JSON is summed the way DRAMsim3 defines its statistics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from dramsim3_runner import DRAMsim3Error, read_stats, source_digest


def _channel(reads: int, writes: int, bw: float, lat: float, energy: float) -> dict:
    counters = {"num_act_cmds": 3, "num_read_row_hits": reads - 1, "num_write_row_hits": writes,
                "num_read_cmds": reads, "num_write_cmds": writes, "num_pre_cmds": 2, "num_ref_cmds": 1}
    return {"num_reads_done": reads, "num_writes_done": writes, "num_cycles": 1000, "average_bandwidth": bw,
            "average_read_latency": lat, "total_energy": energy, **counters}


def test_channels_are_summed_and_latency_weighted_by_reads(tmp_path: Path) -> None:
    data = {"0": _channel(10, 5, 2.0, 40.0, 100.0), "1": _channel(30, 0, 3.0, 80.0, 50.0)}
    (tmp_path / "dramsim3.json").write_text(json.dumps(data))
    (tmp_path / "dramsim3epoch.json").write_text("[]")
    stats = read_stats(tmp_path)
    assert stats["num_reads_done"] == 40 and stats["num_writes_done"] == 5
    assert stats["num_act_cmds"] == 6 and stats["num_read_row_hits"] == 38
    assert stats["bandwidth_GBps"] == pytest.approx(5.0)
    assert stats["avg_read_latency_cycles"] == pytest.approx((10 * 40.0 + 30 * 80.0) / 40)
    assert stats["total_energy_pJ"] == pytest.approx(150.0)
    assert stats["cycles"] == 1000 and stats["channels"] == 2


def test_missing_stats_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DRAMsim3Error, match="expected one stats JSON"):
        read_stats(tmp_path)


def test_source_digest_changes_with_sources(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "CMakeLists.txt").write_text("project(x)\n")
    (tmp_path / "src" / "a.cc").write_text("int a;\n")
    before = source_digest(tmp_path)
    (tmp_path / "src" / "a.cc").write_text("int b;\n")
    assert source_digest(tmp_path) != before
