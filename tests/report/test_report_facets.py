"""Faceted sweep charts lay out any number of panels (issue 14, item 5: >26 contexts crashed plotly)."""

from __future__ import annotations

import pytest

from cosim.report.facets import GRID_COLUMNS, MAX_GRID_PANELS
from cosim.report.figures import sweep_figure


def _rows(contexts: int, systems=("gpu", "gpu+pim"), batches=(1, 4, 16)) -> list[dict]:
    return [{"system": s, "context": 1024 * (c + 1), "batch": b, "fits": b < 16 or s == "gpu+pim",
             "tokens_per_s": b * 100.0 / (c + 1)}
            for s in systems for c in range(contexts) for b in batches]


def _axes(fig) -> list[str]:
    return [k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]


@pytest.mark.parametrize("contexts", [1, 2, 5, MAX_GRID_PANELS, 26, 27, 30, 200])
def test_sweep_figure_lays_out_any_number_of_facets(contexts: int):
    fig = sweep_figure(_rows(contexts), "batch", "tokens_per_s", "system", facet="context", log_x=True, log_y=True)
    panels = len(_axes(fig))
    if contexts <= MAX_GRID_PANELS:
        assert contexts <= panels < contexts + GRID_COLUMNS and not fig.layout.sliders
        assert len(fig.layout.annotations) == contexts  # one title per panel
    else:
        assert panels == 1
        (slider,) = fig.layout.sliders
        assert [s.label for s in slider.steps] == [str(1024 * (c + 1)) for c in range(contexts)]
        assert slider.currentvalue.prefix == "context="
    assert fig.to_json()  # serialises


def test_grid_wraps_at_the_column_limit_and_labels_every_row():
    fig = sweep_figure(_rows(GRID_COLUMNS + 1), "batch", "tokens_per_s", "system", facet="context")
    assert fig.layout.height > 450  # two rows of panels get room
    assert fig.get_subplot(1, 1).yaxis.title.text == "throughput (tokens/s)"  # axis_title: the unit named
    assert fig.get_subplot(2, 1).yaxis.title.text == "throughput (tokens/s)"


def test_slider_steps_carry_each_facets_data_and_traces_stay_linear_in_points():
    contexts = 40
    rows = _rows(contexts)
    fig = sweep_figure(rows, "batch", "tokens_per_s", "system", facet="context")
    lines = [t for t in fig.data if t.meta and t.meta.get("role") in ("fits", "not_fit")]
    assert len(lines) == 3  # gpu fits, gpu not fit, gpu+pim fits: one trace per line, not per facet
    (slider,) = fig.layout.sliders
    for step_index, step in enumerate(slider.steps):
        update, indices = step.args
        assert [fig.data[i].name for i in indices] == [t.name for t in lines]
        context = 1024 * (step_index + 1)
        expected = {(r["system"], r["batch"], r["tokens_per_s"]) for r in rows if r["context"] == context}
        got = {(fig.data[i].meta["color"], x, y) for i, xs, ys in zip(indices, update["x"], update["y"], strict=True)
               for x, y in zip(xs, ys, strict=True)}
        assert got == expected
    first = {(t.meta["color"], x) for t in lines for x in t.x}
    assert first == {(r["system"], r["batch"]) for r in rows if r["context"] == 1024}
    assert sum(t.showlegend is not False for t in lines) == 2  # one legend entry per system
