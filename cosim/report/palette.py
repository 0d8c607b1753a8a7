"""One fixed colour per operator kind, shared by every figure of every report.

A reader compares a breakdown bar with a timeline segment or a roofline point by its colour, so a
kind must keep its colour whatever else a figure shows and in whatever order kinds appear; a
colour handed out by first appearance (as plotly's default cycle does) changes between charts.
Related kinds share a hue family: attention in reds, GEMM-like in blues, collectives in greys.
"""

from __future__ import annotations

import zlib

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
