"""`cosim run` on large grids (issue 14, item 5): size and estimate first, a bar, points streamed to disk so
an interruption keeps them, a refusal above --max-points, bounded memory per point."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pytest

import cosim.dse.study as study_module
from cosim.cli.main import main
from cosim.cli.study_progress import ESTIMATE_POINTS, StudyProgress
from cosim.dse.study import StudySpec, run_study

STUDY = """\
name: scale
title: Scale test
model: llama2-7b
systems: [gpu-only, gpu+l3]
dtype: fp16
batch: [1, 2, 4, 8, 16]
context: [1024, 2048, 4096]
detail_batch: 4
"""
POINTS = 2 * 5 * 3


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "scale.yaml"
    path.write_text(STUDY)
    return path


def test_a_grid_over_max_points_is_refused_in_one_line_before_any_work(study_file, tmp_path, capsys, monkeypatch):
    def no_prediction(*args, **kwargs):
        raise AssertionError("a refused grid computed a point")

    monkeypatch.setattr(study_module, "predict", no_prediction)
    out = tmp_path / "r" / "scale.html"
    assert main(["run", str(study_file), "--out", str(out), "--max-points", str(POINTS - 1)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{POINTS} points (2 systems x 3 contexts x 5 batch sizes)" in err and "--max-points" in err
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_default_limit_refuses_ten_million_points_without_computing(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    path.write_text(STUDY.replace("batch: [1, 2, 4, 8, 16]", f"batch: {list(range(1, 10_001))}")
                         .replace("context: [1024, 2048, 4096]", f"context: {list(range(1, 501))}"))
    assert main(["run", str(path), "--out", str(tmp_path / "huge.html")]) == 2
    assert "10,000,000 points" in capsys.readouterr().err


def test_run_prints_the_grid_size_and_streams_every_point_to_disk(study_file, tmp_path, capsys):
    out = tmp_path / "scale.html"
    assert main(["run", str(study_file), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    points = tmp_path / "scale.points.jsonl"
    assert f"{POINTS} points (2 systems x 3 contexts x 5 batch sizes)" in captured.err
    assert str(points) in captured.err and f"points: {points}" in captured.out
    assert "estimate: about" in captured.err
    rows = [json.loads(line) for line in points.read_text().splitlines()]
    assert len(rows) == POINTS
    assert {(r["system"], r["context"], r["batch"]) for r in rows} == {
        (s, c, b) for s in ("gpu-only", "gpu+l3") for c in (1024, 2048, 4096) for b in (1, 2, 4, 8, 16)}
    assert all(r["tokens_per_s"] > 0 for r in rows)


def test_ctrl_c_keeps_the_points_computed_so_far(study_file, tmp_path, capsys, monkeypatch):
    real_predict, calls = study_module.predict, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(study_module, "predict", interrupted)
    out = tmp_path / "scale.html"
    assert main(["run", str(study_file), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    points = tmp_path / "scale.points.jsonl"
    assert f"interrupted after 6 of {POINTS} points; they are in {points}" in err
    rows = [json.loads(line) for line in points.read_text().splitlines()]
    assert [(r["context"], r["batch"]) for r in rows] == [(1024, b) for b in (1, 2, 4, 8, 16)] + [(2048, 1)]
    assert not out.exists()


def test_estimate_is_timed_over_the_first_points_and_printed_once():
    stream, now = io.StringIO(), [0.0]
    progress = StudyProgress(10_000, stream=stream, clock=lambda: now[0], bar_delay_s=1e9)
    now[0] = 5.0  # the first point pays for loading; the rate is taken over the points after it
    progress({})
    for _ in range(ESTIMATE_POINTS):
        now[0] += 0.001
        progress({})
    progress({})
    assert stream.getvalue().count("estimate:") == 1
    assert "%|" not in stream.getvalue()  # no bar before its delay
    assert "about 10 s for 10,000 points (1,000 points/s" in stream.getvalue()
    assert progress.estimate_s == pytest.approx(10.0)


def test_progress_bar_for_runs_past_the_delay():
    stream = io.StringIO()
    with StudyProgress(50, stream=stream, bar_delay_s=0.0) as progress:
        for _ in range(50):
            progress({})
    assert "50/50" in stream.getvalue() or "point/s" in stream.getvalue()


def _spec(**kw) -> StudySpec:
    base = dict(name="mem", title="mem", model="llama2-7b", systems=["gpu-only", "gpu+l3"], dtype="fp16",
                batch=[1, 2, 4, 8, 16, 32], context=[1024, 2048, 4096, 8192], drm_batch=[1])
    return StudySpec(**(base | kw))


def test_memory_per_point_is_one_summary_row_not_every_step_result():
    study = run_study(_spec())
    n = len(study.rows)
    assert n == 48
    # full results only for what the report looks into: the detailed point and the first point per system
    assert set(study.results) == {("gpu-only", 1024, 1), ("gpu-only", 8192, 1), ("gpu+l3", 1024, 1),
                                  ("gpu+l3", 8192, 1)}
    held = len(pickle.dumps((study.rows, study.results, study.notes))) / n
    assert held < 2_000, f"{held:.0f} bytes per point"  # every StepResult with its operator rows: ~5,000
    assert all("memory_per_gpu_bytes" in r for r in study.rows)  # what the report's table needs, on every row
    everything = run_study(_spec(), keep_all_results=True)
    assert len(everything.results) == n
    assert len(pickle.dumps((everything.rows, everything.results))) / n > 2 * held


def test_summary_is_linear_in_the_points():
    """Grouping once: 120,000 rows over 1,000 contexts took ~20 s when every (system, context) scanned all rows."""
    import time

    from cosim.dse.study import StudyResult

    spec = _spec(systems=["a", "b", "c"], context=list(range(1, 1001)), batch=list(range(1, 41)))
    study = StudyResult(spec)
    study.rows = [{"system": s, "context": c, "batch": b, "fits": b < 20, "tokens_per_s": float(b), "latency_s": 1.0,
                   "bound": "memory"} for s in spec.systems for c in spec.context for b in spec.batch]
    start = time.perf_counter()
    summary = study.summary()
    assert time.perf_counter() - start < 3.0
    assert len(summary) == 3000 and {r["max_batch_fit"] for r in summary} == {19}
