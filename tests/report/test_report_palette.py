"""One colour per operator kind in every figure: breakdown bars, timeline segments and roofline points agree."""

from __future__ import annotations

import dataclasses

from report_fakes import gpu_caps, make_step, pim_caps

from cosim.perf.result import TRANSFER_KIND
from cosim.report.figures import breakdown_figure, roofline_figure, timeline_figure
from cosim.report.palette import KIND_COLORS, device_colors, kind_color
from cosim.workload.ops import OpKind


def _kind_colours(fig, role: str, key: str) -> dict[str, str]:
    return {t.meta[key]: t.marker.color for t in fig.data if t.meta and t.meta.get("role") == role}


def test_every_kind_has_its_own_fixed_colour():
    assert set(KIND_COLORS) == {k.value for k in OpKind} | {TRANSFER_KIND}
    assert len(set(KIND_COLORS.values())) == len(KIND_COLORS)
    assert kind_color(OpKind.GEMM) == kind_color("gemm") == KIND_COLORS["gemm"]
    assert kind_color("made_up_kind") == kind_color("made_up_kind")  # stable for kinds outside the table


def test_a_kind_keeps_its_colour_across_figures_whatever_else_they_show():
    gpu, pim = gpu_caps(), pim_caps()
    full = make_step("gpu+pim", 8, 2048)
    # a step where attention dominates and some kinds are missing: a first-seen palette would recolour them
    few = dataclasses.replace(make_step("gpu+pim", 512, 32768),
                              ops=[op for op in make_step("gpu+pim", 512, 32768).ops
                                   if op.kind in ("fused_attention", "gemm")][::-1])
    seen: dict[str, set[str]] = {}
    figures = [(breakdown_figure([full]), "stack", "key"), (breakdown_figure([few]), "stack", "key"),
               (breakdown_figure([few, full]), "stack", "key"), (timeline_figure(full), "ops", "kind"),
               (timeline_figure(few), "ops", "kind"),
               (roofline_figure(few, {"gpu": gpu, "pim": pim}, color_by="kind"), "operators", "group")]
    for fig, role, key in figures:
        for kind, colour in _kind_colours(fig, role, key).items():
            seen.setdefault(kind, set()).add(colour)
    assert {"gemm", "fused_attention", "norm"} <= set(seen)
    assert {kind: colours for kind, colours in seen.items() if len(colours) > 1} == {}
    assert {kind: next(iter(c)) for kind, c in seen.items()} == {kind: KIND_COLORS[kind] for kind in seen}


def test_a_device_keeps_its_colour_between_the_roofline_and_the_breakdown():
    gpu, pim = gpu_caps(), pim_caps()
    step = make_step("gpu+pim", 512, 32768)  # attention on pim dominates: the breakdown lists pim first
    assert next(iter(step.breakdown("device"))) == "pim"
    roofline = roofline_figure(step, {"gpu": gpu, "pim": pim})
    ceilings = {t.meta["device"]: t.line.color for t in roofline.data if t.meta.get("role") == "ceiling"}
    points = _kind_colours(roofline, "operators", "group")
    bars = _kind_colours(breakdown_figure(step, by="device"), "stack", "key")
    assert ceilings == {d: points[d] for d in ceilings} == {d: bars[d] for d in ceilings}
    assert len(set(ceilings.values())) == 2
    assert device_colors(["x", "y", "z"]) == device_colors(["z", "y", "x"])  # not first-seen
    assert len(set(device_colors([f"dev{i}" for i in range(5)]).values())) == 5  # no clash inside a figure
