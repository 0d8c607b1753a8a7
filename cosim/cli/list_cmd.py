"""`cosim list models|hw|mappings|studies|cost-models|datasets`: what ships with cosim."""

from __future__ import annotations

import argparse

from cosim.cli.format import render_table
from cosim.config import list_presets

WHAT = ("models", "hw", "mappings", "studies", "cost-models", "datasets", "dram")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list shipped presets", description="List shipped presets.")
    p.add_argument("what", choices=WHAT)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = {
        "models": _models,
        "hw": _hardware,
        "mappings": _mappings,
        "studies": _studies,
        "cost-models": _cost_models,
        "datasets": _datasets,
        "dram": _dram,
    }[args.what]()
    print(render_table(_with_origin(args.what, rows)))
    return 0


PRESET_KINDS = {"models": "workloads", "hw": "hw", "mappings": "mappings", "studies": "studies"}


def _with_origin(what: str, rows: list[dict]) -> list[dict]:
    """Add where each preset comes from when a $COSIM_PATH folder supplies or shadows any of them."""
    kind = PRESET_KINDS.get(what)
    if kind is None:
        return rows
    from cosim.preset_path import SHIPPED, listing

    found = listing(kind)
    if all(root.origin == SHIPPED for root in found.values()):
        return rows
    def origin(name: str) -> str:
        root = found.get(name)
        return "" if root is None else "shipped" if root.origin == SHIPPED else str(root.path)

    return [{**row, "from": origin(row.get("name", ""))} for row in rows]


def _models() -> list[dict]:
    from cosim.workload import load_model

    rows = []
    for name in list_presets("workloads"):
        m = load_model(name)
        rows.append({"name": name, "family": m.family, "layers": m.num_layers, "hidden": m.hidden_size,
                     "heads": m.num_heads, "kv_heads": m.num_kv_heads,
                     "params_B": round(m.total_parameters() / 1e9, 2),
                     "moe": f"{m.moe.num_experts}x top-{m.moe.top_k}" if m.moe else "-"})
    return rows


def _hardware() -> list[dict]:
    from cosim.hardware import load_system

    rows = []
    for name in list_presets("hw"):
        system = load_system(name)
        devices = ", ".join(f"{slot.count}x {slot.spec.name}" for slot in system.devices.values())
        rows.append({"name": name, "devices": devices, "description": system.description or ""})
    return rows


def _mappings() -> list[dict]:
    from cosim.mapping import load_mapping

    return [{"name": n, "description": load_mapping(n).description or ""} for n in list_presets("mappings")]


def _studies() -> list[dict]:
    from cosim.dse.study import load_study

    return [{"name": n, "title": load_study(n).title} for n in list_presets("studies")]


def _dram() -> list[dict]:
    from cosim.cli.dram_cmd import preset_rows

    return preset_rows()


def _cost_models() -> list[dict]:
    import cosim.perf  # noqa: F401  (registers the shipped cost models)
    from cosim.perf.base import DEFAULT_BY_KIND, available_cost_models

    return [{"name": n, "default_for": ", ".join(k.value for k, v in DEFAULT_BY_KIND.items() if v == n) or "-"}
            for n in available_cost_models()]


def _datasets() -> list[dict]:
    from cosim.validate.datasets import DATASETS, dataset_names

    return [{"name": n, "description": DATASETS[n].description} for n in dataset_names()]
