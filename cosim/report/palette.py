"""One fixed colour per operator kind (and per device name), shared by every figure of every report.

A reader compares a breakdown bar with a timeline segment or a roofline point by its colour, so a
kind must keep its colour whatever else a figure shows and in whatever order kinds appear; a
colour handed out by first appearance (as plotly's default cycle does) changes between charts.
Related kinds share a hue family: attention in reds, GEMM-like in blues, collectives in greys.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from cosim.perf.result import TRANSFER_KIND
from cosim.workload.ops import OpKind

KIND_COLORS: dict[str, str] = {
    OpKind.GEMM.value: "#1f77b4",
    OpKind.LM_HEAD.value: "#6baed6",
    OpKind.MOE_EXPERTS.value: "#17becf",
    OpKind.MOE_ROUTER.value: "#9edae5",
    OpKind.FUSED_ATTENTION.value: "#d62728",
    OpKind.ATTENTION_SCORE.value: "#ff7f0e",
    OpKind.SOFTMAX.value: "#e377c2",
    OpKind.ATTENTION_CONTEXT.value: "#8c564b",
    OpKind.KV_CACHE_WRITE.value: "#9467bd",
    OpKind.NORM.value: "#2ca02c",
    OpKind.ROTARY.value: "#bcbd22",
    OpKind.ELEMENTWISE.value: "#98df8a",
    OpKind.RESIDUAL_ADD.value: "#dbdb8d",
    OpKind.EMBEDDING.value: "#c5b0d5",
    OpKind.ALL_REDUCE.value: "#7f7f7f",
    OpKind.ALL_GATHER.value: "#a5a5a5",
    OpKind.ALL_TO_ALL.value: "#525252",
    TRANSFER_KIND: "#000000",
}
"""Colour of each ``OpResult.kind`` (every ``OpKind`` value and the transfer row)."""

_OTHER_COLORS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354")


def kind_color(kind: object) -> str:
    """The fixed colour of an operator kind; a kind outside :data:`KIND_COLORS` gets one chosen by its name
    (a checksum, not Python's salted ``hash``), so it too is the same in every figure and every run."""
    key = str(getattr(kind, "value", kind))
    color = KIND_COLORS.get(key)
    if color is not None:
        return color
    return _OTHER_COLORS[zlib.crc32(key.encode()) % len(_OTHER_COLORS)]


DEVICE_COLORS: dict[str, str] = {"gpu": "#4c78a8", "pim": "#e45756", "npu": "#54a24b", "cpu": "#b279a2",
                                 "host": "#9d755d"}
"""Colour of the device names the system presets use (roofline ceilings and points, breakdown by device)."""

_OTHER_DEVICE_COLORS = ("#72b7b2", "#eeca3b", "#ff9da6", "#bab0ac", "#f58518", "#79706e")


def device_color(device: object) -> str:
    """The fixed colour of a device name, the same in the roofline and the breakdown by device."""
    key = str(device)
    color = DEVICE_COLORS.get(key)
    if color is not None:
        return color
    return _OTHER_DEVICE_COLORS[zlib.crc32(key.encode()) % len(_OTHER_DEVICE_COLORS)]


def device_colors(devices: Iterable[object]) -> dict[object, str]:
    """:func:`device_color` for each device; an unknown name whose colour another device of the same figure
    already has moves to the next free one, in name order (so a device set is coloured the same in every figure)."""
    unique = list(dict.fromkeys(devices))
    out: dict[object, str] = {}
    # known names first, then the others by name: the result does not depend on the order given
    for device in sorted(unique, key=lambda d: (str(d) not in DEVICE_COLORS, str(d))):
        if device in out:
            continue
        color = device_color(device)
        if str(device) not in DEVICE_COLORS and color in out.values():
            start = _OTHER_DEVICE_COLORS.index(color)
            for step in range(1, len(_OTHER_DEVICE_COLORS)):
                candidate = _OTHER_DEVICE_COLORS[(start + step) % len(_OTHER_DEVICE_COLORS)]
                if candidate not in out.values():
                    color = candidate
                    break
        out[device] = color
    return {device: out[device] for device in unique}
