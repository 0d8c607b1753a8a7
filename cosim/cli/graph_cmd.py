"""`cosim graph`: inspect the workload graph of a step as a table, JSON or Graphviz DOT."""

from __future__ import annotations

import argparse
import json
from typing import Any

import networkx as nx

from cosim.cli.common import add_step_options, step_kwargs
from cosim.cli.format import fmt_bytes, render_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("graph", help="show the operator graph of a step (table, JSON or DOT)",
                       description="Build and print the workload graph of one inference step.")
    add_step_options(p, need_hw=False)
    p.add_argument("--format", choices=("table", "json", "dot"), default="table")
    p.add_argument("--expand", action="store_true", help="unroll repeated decoder layers")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cosim.workload import build_graph, expand_layers, operators

    kwargs = step_kwargs(args)
    graph = build_graph(args.model, args.phase, args.batch, args.context, **kwargs)
    if args.expand:
        graph = expand_layers(graph)
    if args.format == "json":
        print(json.dumps(graph_to_json(graph), indent=2))
    elif args.format == "dot":
        print(graph_to_dot(graph))
    else:
        rows = []
        for op in operators(graph):
            by_cls = op.bytes_by_class()
            rows.append({
                "name": op.name, "kind": op.kind.value, "repeat": op.repeat,
                "shape": " ".join(f"{k}={v}" for k, v in op.shape.items()),
                "GFLOP": op.flops / 1e9,
                "weights": fmt_bytes(by_cls[_cls("weight")]), "activations": fmt_bytes(by_cls[_cls("activation")]),
                "kv_cache": fmt_bytes(by_cls[_cls("kv_cache")]),
            })
        print(render_table(rows))
    return 0


def _cls(name: str):
    from cosim.workload.ops import TensorClass

    return TensorClass(name)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "value") and not isinstance(value, int | float | str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def graph_to_json(graph: nx.DiGraph) -> dict[str, Any]:
    from cosim.workload import operators

    nodes = []
    for op in operators(graph):
        nodes.append({
            "name": op.name, "kind": op.kind.value, "dtype": op.dtype.value, "repeat": op.repeat,
            "instances": op.instances, "block": op.block, "shape": dict(op.shape), "flops": op.flops,
            "reads": [_tensor(t) for t in op.reads], "writes": [_tensor(t) for t in op.writes],
            "attrs": _jsonable(dict(op.attrs)),
        })
    edges = [{"from": u, "to": v, **_jsonable(dict(d))} for u, v, d in graph.edges(data=True)]
    skip = {"model_config", "tensors"}
    attrs = {k: _jsonable(v) for k, v in graph.graph.items() if k not in skip}
    return {"graph": attrs, "nodes": nodes, "edges": edges}


def _tensor(t) -> dict[str, Any]:
    return {"name": t.name, "class": t.cls.value, "dtype": t.dtype.value, "shape": list(t.shape), "bytes": t.bytes}


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_to_dot(graph: nx.DiGraph) -> str:
    from cosim.workload import operators

    lines = ["digraph cosim {", "  rankdir=TB;", "  node [shape=box, fontname=Helvetica];"]
    for op in operators(graph):
        label = f"{op.name}\\n{op.kind.value}" + (f" x{op.repeat}" if op.repeat > 1 else "")
        lines.append(f"  {_quote(op.name)} [label={_quote(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}];")
    for u, v, data in graph.edges(data=True):
        nbytes = data.get("bytes")
        label = f" [label={_quote(fmt_bytes(nbytes))}]" if nbytes else ""
        lines.append(f"  {_quote(u)} -> {_quote(v)}{label};")
    lines.append("}")
    return "\n".join(lines)
