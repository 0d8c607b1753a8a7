"""Figures: expected traces, values that follow from the inputs, labels escaped for plotly."""

from __future__ import annotations

import dataclasses
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fakes import XSS, gpu_caps, make_drm, make_step, pim_caps

from cosim.errors import CosimInputError
from cosim.perf.result import OpResult, StepResult
from cosim.report.figures import (
    NOT_FIT_SYMBOL,
    breakdown_figure,
    config_labels,
    drm_figure,
    roofline_figure,
    sweep_figure,
    time_scale,
    timeline_figure,
)
from cosim.workload.dtypes import DType
from cosim.workload.ops import ComputeUnit


def _role(fig, role):
    return [t for t in fig.data if t.meta and t.meta.get("role") == role]


# --- roofline -------------------------------------------------------------------------------------------

def test_roofline_has_one_ceiling_per_device_following_min_peak_bw(steps, caps):
    fig = roofline_figure(steps, caps)
    ceilings = _role(fig, "ceiling")
    assert [t.meta["device"] for t in ceilings] == list(caps)
    for trace in ceilings:
        c = caps[trace.meta["device"]]
        peak = c.matrix_flops_per_s[DType.BF16] * c.compute_efficiency
        bw = c.mem_bw_bytes_per_s * c.memory_efficiency
        assert peak / bw in trace.x  # the ridge point is drawn exactly
        for x, y in zip(trace.x, trace.y, strict=True):
            assert y == pytest.approx(min(peak, bw * x))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"


def test_roofline_points_are_the_ops_with_arithmetic(steps, caps):
    fig = roofline_figure(steps, caps)
    points = _role(fig, "operators")
    plotted = sum(len(t.x) for t in points)
    expected = [op for s in steps for op in s.ops if op.flops > 0 and op.kind != "all_reduce"]
    assert plotted == len(expected)
    skipped = sum(len(s.ops) for s in steps) - len(expected)
    assert f"{skipped} operators not shown" in fig.layout.title.text
    # each point is (flops/bytes, flops/latency) of one copy, and no point is above its device ceiling
    by_device = {t.meta["group"]: t for t in points}
    op = next(o for o in steps[0].ops if o.name == "qkv_proj")
    trace = by_device[op.device]
    assert any(math.isclose(x, op.flops / op.bytes) and math.isclose(y, op.flops / op.latency_s)
               for x, y in zip(trace.x, trace.y, strict=True))
    for trace in points:
        c = caps[trace.meta["group"]]
        for x, y in zip(trace.x, trace.y, strict=True):
            ceiling = min(c.achieved_flops(ComputeUnit.MATRIX, DType.BF16), c.achieved_bw_bytes_per_s * x)
            assert y <= ceiling * (1 + 1e-9)


def test_roofline_marker_size_grows_with_total_time(caps):
    step = make_step()
    fig = roofline_figure(step, caps)
    gpu = next(t for t in _role(fig, "operators") if t.meta["group"] == "gpu")
    totals = [op.total_s for op in step.ops
              if op.device == "gpu" and op.flops > 0 and op.kind != "all_reduce"]
    order = np.argsort(totals)
    assert list(np.array(gpu.marker.size)[order]) == sorted(gpu.marker.size)


def test_roofline_color_by_kind_and_errors(caps):
    step = make_step()
    fig = roofline_figure(step, caps, color_by="kind")
    groups = {t.meta["group"] for t in _role(fig, "operators")}
    assert groups == {"norm", "gemm", "fused_attention", "lm_head"}
    with pytest.raises(CosimInputError, match="color_by"):
        roofline_figure(step, caps, color_by="phase")
    with pytest.raises(CosimInputError, match="fp8"):  # the device has no fp8 matrix unit
        roofline_figure(step, caps, dtype="fp8")


def test_roofline_without_caps_still_plots_points():
    fig = roofline_figure(make_step(), {})
    assert not _role(fig, "ceiling") and _role(fig, "operators")


# --- breakdown ------------------------------------------------------------------------------------------

def test_breakdown_stacks_sum_to_each_step(steps):
    fig = breakdown_figure(steps)
    stacks = _role(fig, "stack")
    kinds = {op.kind for s in steps for op in s.ops}
    assert {t.meta["key"] for t in stacks} == kinds
    assert fig.layout.barmode == "stack"
    scale, unit = time_scale(max(s.latency_s for s in steps))
    assert f"({unit})" in fig.layout.yaxis.title.text
    for i, step in enumerate(steps):
        stacked = sum(t.y[i] for t in stacks) * scale
        assert stacked == pytest.approx(sum(op.total_s for op in step.ops))
        assert _role(fig, "step_latency")[0].y[i] * scale == pytest.approx(step.latency_s)
    assert len(set(stacks[0].x)) == len(steps)  # one bar per configuration


def test_breakdown_labels_name_what_differs(steps):
    labels = config_labels(steps)
    assert labels == ["gpu+pim · B=8 · ctx=2048", "gpu+pim · B=64 · ctx=8192", "gpu-only · B=8 · ctx=2048"]
    twins = config_labels([make_step(), make_step()])
    assert len(set(twins)) == 2


def test_breakdown_by_device_and_bad_key(steps):
    fig = breakdown_figure(steps, by="device")
    assert {t.meta["key"] for t in _role(fig, "stack")} == {"gpu", "pim"}
    with pytest.raises(CosimInputError, match="breakdown"):
        breakdown_figure(steps, by="color")
    with pytest.raises(CosimInputError, match="labels"):
        breakdown_figure(steps, labels=["only one"])


_op_times = st.lists(st.tuples(st.sampled_from(["gemm", "norm", "softmax"]),
                               st.floats(1e-9, 1.0), st.integers(1, 96)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(_op_times, min_size=1, max_size=4))
def test_breakdown_bars_preserve_time_for_any_steps(per_step_ops):
    steps = []
    for i, ops in enumerate(per_step_ops):
        rows = [OpResult(name=f"op{j}", kind=kind, device="gpu", repeat=rep, flops=1.0, bytes=1.0,
                         compute_s=t, memory_s=0.0, overhead_s=0.0, latency_s=t, bound="compute")
                for j, (kind, t, rep) in enumerate(ops)]
        steps.append(StepResult(model="m", system=f"s{i}", phase="decode", batch=1, context=1, tokens=1,
                                cost_model="roofline", ops=rows, memory=[],
                                latency_s=sum(r.total_s for r in rows), flops=0.0, bytes=0.0))
    fig = breakdown_figure(steps)
    scale, _ = time_scale(max(s.latency_s for s in steps))
    for i, step in enumerate(steps):
        assert sum(t.y[i] for t in _role(fig, "stack")) * scale == pytest.approx(step.latency_s, rel=1e-9)


@given(st.floats(1e-12, 1e6))
def test_time_scale_gives_readable_numbers(seconds):
    scale, unit = time_scale(seconds)
    assert unit in ("s", "ms", "µs", "ns")
    if seconds >= 1e-9:
        assert 1 <= seconds / scale < 1000 or unit == "s"


# --- DRM ------------------------------------------------------------------------------------------------

def test_drm_has_the_four_lines_from_a_dict():
    curves = make_drm(4096, name="toy-7b", device="DIMM-PIM")
    fig = drm_figure(curves)
    assert [t.meta["role"] for t in fig.data] == ["line_fc", "line_attn", "system", "line_cap"]
    cap = _role(fig, "line_cap")[0]
    assert list(cap.x) == [curves["capacity_batch"]] * 2
    assert max(cap.y) >= np.nanmax(curves["fc_tokens_per_s"])
    np.testing.assert_allclose(_role(fig, "line_fc")[0].y, curves["fc_tokens_per_s"])
    assert fig.layout.xaxis.type == "log"
    assert "toy-7b" in fig.layout.title.text and "context 4096" in fig.layout.title.text


def test_drm_accepts_objects_and_derives_the_achievable_line():
    data = make_drm(8192)
    data.pop("system_tokens_per_s")
    obj = SimpleNamespace(**data)
    fig = drm_figure(obj, device="pim")
    system = np.array(_role(fig, "system")[0].y, dtype=float)
    expected = np.minimum(data["fc_tokens_per_s"], data["attn_tokens_per_s"])
    beyond = data["batch"] > data["capacity_batch"]
    assert beyond.any() and np.isnan(system[beyond]).all()
    np.testing.assert_allclose(system[~beyond], expected[~beyond])

    @dataclasses.dataclass
    class Curves:
        batch: np.ndarray
        fc_tokens_per_s: np.ndarray
        attn_tokens_per_s: np.ndarray
        capacity_batch: float
        system_tokens_per_s: np.ndarray

    d = make_drm(2048)
    fig2 = drm_figure(Curves(d["batch"], d["fc_tokens_per_s"], d["attn_tokens_per_s"], d["capacity_batch"],
                             d["system_tokens_per_s"]))
    assert len(fig2.data) == 4


def test_drm_many_contexts_one_color_each():
    fig = drm_figure([make_drm(c) for c in (2048, 8192, 32768)])
    assert len(fig.data) == 12
    caps = [t.x[0] for t in _role(fig, "line_cap")]
    assert caps == sorted(caps, reverse=True)  # Line-Cap moves left as context grows
    assert len({t.line.color for t in _role(fig, "line_attn")}) == 3


def test_drm_rejects_inconsistent_curves():
    bad = make_drm(4096)
    bad["attn_tokens_per_s"] = bad["attn_tokens_per_s"][:-1]
    with pytest.raises(CosimInputError, match="attn_tokens_per_s"):
        drm_figure(bad)
    zero = make_drm(4096)
    zero["batch"] = zero["batch"] - 1
    with pytest.raises(CosimInputError, match="batch"):
        drm_figure(zero)
    with pytest.raises(CosimInputError, match="fc_tokens_per_s"):
        drm_figure({"batch": [1, 2], "attn_tokens_per_s": [1, 1]})


# --- sweep ----------------------------------------------------------------------------------------------

def _sweep_rows():
    rows = []
    for system, cap_batch in (("gpu", 16), ("gpu+pim", 128)):
        for context in (2048, 8192):
            for batch in (1, 4, 16, 64, 256):
                fits = batch * context <= cap_batch * 2048
                rows.append({"system": system, "context": context, "batch": batch, "fits": fits,
                             "tokens_per_s": batch * 100.0 / (1 + context / 4096)})
    return rows


def test_sweep_draws_points_that_do_not_fit_hollow_and_off_the_line():
    rows = _sweep_rows()
    fig = sweep_figure(rows, "batch", "tokens_per_s", "system", dash="context", log_x=True)
    lines, hollow = _role(fig, "fits"), _role(fig, "not_fit")
    assert len(lines) == 4
    assert sum(len(t.x) for t in lines) == sum(r["fits"] for r in rows)
    assert sum(len(t.x) for t in hollow) == sum(not r["fits"] for r in rows)
    assert all(t.marker.symbol == NOT_FIT_SYMBOL and t.mode == "markers" for t in hollow)
    assert _role(fig, "legend_key")
    assert {t.line.dash for t in lines} == {"solid", "dash"}
    for t in lines:
        assert list(t.x) == sorted(t.x)
    assert fig.layout.xaxis.type == "log"


def test_sweep_facets_and_omitted_points():
    rows = _sweep_rows()
    for r in rows:
        if not r["fits"]:
            r["tokens_per_s"] = None
    fig = sweep_figure(rows, "batch", "tokens_per_s", "system", facet="context")
    assert fig.layout.xaxis2 is not None and len(fig.layout.annotations) >= 2
    missing = sum(not r["fits"] for r in rows)
    assert f"{missing} points omitted" in fig.layout.title.text
    assert not _role(fig, "not_fit")


def test_sweep_names_missing_columns():
    with pytest.raises(CosimInputError, match="tokens_per_s") as info:
        sweep_figure([{"batch": 1, "tok_s": 2.0, "system": "a"}], "batch", "tokens_per_s", "system")
    assert "tok_s" in str(info.value) and "\n" not in str(info.value)


# --- timeline -------------------------------------------------------------------------------------------

def test_timeline_is_a_running_sum_of_one_decoder_layer():
    step = make_step()
    fig = timeline_figure(step)
    decoder = [op for op in step.ops if op.block == "decoder"]
    spans = sorted((b, b + w) for t in fig.data for b, w in zip(t.base, t.x, strict=True))
    assert len(spans) == len(decoder)
    assert spans[0][0] == 0
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start == pytest.approx(end)  # sequential: no gap, no overlap
    scale, unit = time_scale(sum(op.latency_s for op in decoder))
    assert spans[-1][1] * scale == pytest.approx(sum(op.latency_s for op in decoder))
    assert unit in fig.layout.xaxis.title.text
    assert set(fig.data[0].y) <= {"gpu", "pim"}
    assert "one decoder layer" in fig.layout.title.text


def test_timeline_without_blocks_draws_everything():
    step = make_step()
    step.ops = [dataclasses.replace(op, block="") for op in step.ops]
    fig = timeline_figure(step)
    assert sum(len(t.x) for t in fig.data) == len(step.ops)
    assert "all operators" in fig.layout.title.text


# --- escaping of labels for plotly's pseudo-HTML ---------------------------------------------------------

def test_user_strings_are_escaped_in_figures():
    gpu = gpu_caps(XSS)
    step = make_step(system=XSS, model=XSS, gpu=gpu, pim=pim_caps())
    figs = [roofline_figure(step, {XSS: gpu}), breakdown_figure(step, by="device"), timeline_figure(step),
            sweep_figure([{"s": XSS, "x": 1, "y": 2.0}], "x", "y", "s"), drm_figure(make_drm(name=XSS))]
    for fig in figs:
        assert XSS not in fig.to_json()  # plotly escapes '<' in JSON too, so check the decoded traces
        texts = [str(t.name) for t in fig.data] + [str(fig.layout.title.text)]
        texts += [str(v) for t in fig.data for v in (t.y if t.type == "bar" and t.orientation == "h" else [])]
        texts += [str(v) for t in fig.data for v in (t.x if t.type == "bar" and t.orientation != "h" else [])]
        assert not any(XSS in t for t in texts)
        assert any("&lt;script&gt;" in t for t in texts)


def test_drm_accepts_json_style_dicts_with_gaps():
    data = make_drm(4096)
    data = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in data.items()}
    data["system_tokens_per_s"] = [None if math.isnan(x) else x for x in data["system_tokens_per_s"]]
    assert None in data["system_tokens_per_s"]
    fig = drm_figure(data)
    system = np.array(_role(fig, "system")[0].y, dtype=float)
    assert np.isnan(system).sum() == data["system_tokens_per_s"].count(None)


def test_drm_reads_the_perf_stage_curves_class():
    drm = pytest.importorskip("cosim.dse.drm", reason="cosim.dse.drm not available")
    d = make_drm(8192)
    curves = drm.DRMCurves(model="toy-7b", system="gpu+dimm", context=8192, tp=1, batch=d["batch"],
                           fc_tokens_per_s=d["fc_tokens_per_s"], attn_tokens_per_s=d["attn_tokens_per_s"],
                           attn_transfer_s=np.zeros_like(d["batch"]), capacity_batch=int(d["capacity_batch"]),
                           system_tokens_per_s=d["system_tokens_per_s"], fc_device="gpu", attn_device="dimm",
                           kv_device="dimm")
    fig = drm_figure(curves)
    assert [t.meta["role"] for t in fig.data] == ["line_fc", "line_attn", "system", "line_cap"]
    assert "gpu+dimm" in fig.layout.title.text and "dimm" in fig.layout.title.text
    assert "context 8192" in fig.layout.title.text
    assert len(drm_figure(curves.to_dict()).data) == 4
