"""`cosim validate`: cosim's predictions against measured data, as a table and an HTML report."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from pathlib import Path

from cosim.cli.format import render_table

DEFAULT_REPORT = "validate.html"
"""Under ./reports unless --report names a path (cosim.report.output decides)."""
TABLE_COLUMNS = ("dataset", "device", "operator", "split", "n", "median_abs_pct", "p90_abs_pct", "max_abs_pct",
                 "bias_pct", "failed")


def add_parser(sub: argparse._SubParsersAction) -> None:
    from cosim.validate.measurement import SPLITS

    p = sub.add_parser(
        "validate", help="compare predictions with measured kernel, layer and step times",
        description="Predict every measured point of the shared peer datasets (or your CSV, see docs/validate.md) "
                    "and report the error: a table on stdout and an HTML report with predicted-vs-measured and "
                    "error-vs-size plots. `cosim list datasets` names the datasets.")
    p.add_argument("--dataset", action="append", default=None, metavar="NAME",
                   help="a dataset to validate against (repeatable; default: all, or none when --csv is given)")
    p.add_argument("--csv", action="append", default=[], metavar="FILE", help="your measurements (repeatable)")
    p.add_argument("--split", choices=SPLITS, default="holdout",
                   help="held-out points (default), the fitted (train) points, or all (listed separately)")
    p.add_argument("--cost-model", default=None, help="score every device with this cost model")
    p.add_argument("--peer-data", type=Path, default=None,
                   help="peer data root (default: $COSIM_PEER_DATA or <checkout>/../shared/peer_data)")
    p.add_argument("--report", type=Path, default=None, help=f"HTML report path (default ./reports/{DEFAULT_REPORT})")
    p.add_argument("--no-report", action="store_true", help="print the table only")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    p.add_argument("--serving", action="store_true",
                   help="score serving runs instead: the shared measured vLLM runs replayed through `cosim serve` "
                        "(TTFT, TPOT, end-to-end), the engine overhead fitted on the training run only")
    p.set_defaults(handler=run)


def run_serving(args: argparse.Namespace) -> int:
    from cosim.errors import CosimInputError
    from cosim.validate.datasets.registry import default_peer_root
    from cosim.validate.serving_runs import RUNS, TRAIN_RUNS, serving_errors

    root = args.peer_data or default_peer_root()
    overhead, rows = serving_errors(root)
    if not rows:
        raise CosimInputError("no measured serving run found", file=root, field="peer_data",
                              allowed=", ".join(v[0] for v in RUNS.values()))
    if args.json:
        print(json.dumps({"engine_overhead": overhead.to_dict(), "train_runs": list(TRAIN_RUNS),
                          "rows": [r.as_dict() for r in rows]}, indent=2))
        return 0
    print(f"engine overhead fitted on {', '.join(TRAIN_RUNS)} (median TPOT): {overhead.to_dict()}")
    print(render_table([{"run": r.run, "split": r.split, "metric": r.metric, "measured_s": round(r.measured, 4),
                         "predicted_s": round(r.predicted, 4), "error_pct": round(r.error_pct, 1)} for r in rows]))
    return 0


def _table_rows(rows) -> list[dict]:
    out = []
    for r in rows:
        d = r.as_dict()
        for key in ("median_abs_pct", "p90_abs_pct", "max_abs_pct", "bias_pct"):
            d[key] = round(d[key], 1) if math.isfinite(d[key]) else d[key]
        out.append({c: d[c] for c in TABLE_COLUMNS})
    return out


def run(args: argparse.Namespace) -> int:
    if args.serving:
        return run_serving(args)
    from cosim.report.output import output_path
    from cosim.validate.report import write_validation_report
    from cosim.validate.run import run_validation

    out = None if args.no_report else output_path(args.report, DEFAULT_REPORT, inputs=args.csv)  # before any work
    result = run_validation(args.dataset, args.csv, split=args.split, cost_model=args.cost_model,
                            peer_root=args.peer_data)
    report = None
    if not args.no_report:
        command = "cosim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else ""
        report = write_validation_report(result, out, command=command)
    if args.json:
        print(json.dumps(result.to_json() | {"report": str(report) if report else None}, indent=2, default=str))
        return 0
    print(f"cost model: {result.cost_model}; split: {result.split}; {len(result.measurements)} points "
          f"in {result.seconds:.1f} s")
    print(render_table(_table_rows(result.rows)))
    print()
    print("summary by category:")
    print(render_table(_table_rows(result.summary)))
    print()
    print("summary by category and device:")
    print(render_table(_table_rows(result.by_device)))
    print()
    for d in result.datasets:
        status = d.missing and f"not loaded: {d.missing}"
        skipped = "; ".join(f"{n} {why}" for why, n in d.skipped.items())
        failed = "; ".join(f"{n} not predicted: {why}" for why, n in d.failed.items())
        line = status or f"{d.loaded} records, {d.in_split} in split" + (f"; skipped {skipped}" if skipped else "")
        print(f"{d.name}: {line}" + (f"; {failed}" if failed else ""))
    if report:
        print(f"report: {report}")
    return 0
