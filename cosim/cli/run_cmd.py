"""`cosim run [STUDY]`: run a what-if study and write its HTML report under reports/."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from cosim.cli.format import render_table

DEFAULT_STUDY = "long-context-decode"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a what-if study and write an HTML report",
                       description="Run a study (default: long-context decode of a 70B model on gpu-only, "
                                   "gpu+hbm-pim and gpu+l3) and write reports/<study>.html.")
    p.add_argument("study", nargs="?", default=DEFAULT_STUDY, help=f"study preset or YAML (default {DEFAULT_STUDY})")
    p.add_argument("--out", type=Path, default=None, help="report path (default ./reports/<study>.html)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cosim.dse.study import load_study, run_study
    from cosim.report.output import output_path
    from cosim.report.study import write_study_report

    spec = load_study(args.study)
    out = output_path(args.out, f"{spec.name}.html", inputs=[args.study])  # refused before any point is computed
    study = run_study(spec)
    if study.rows and all(r.get("error") for r in study.rows):  # a report of nothing but nan is no answer
        from cosim.errors import CosimInputError

        raise CosimInputError(f"every point of study {spec.name!r} failed ({len(study.rows)} points); "
                              f"the first: {study.errors[0]}")
    path = write_study_report(study, out)
    summary = study.summary()
    if args.json:
        print(json.dumps({"report": str(path), "summary": [_clean(r) for r in summary],
                          "errors": study.errors}, indent=2))
    else:
        print(f"{spec.title}")
        print(f"model {spec.model}, {spec.phase}, tp {spec.tp}, dtype {spec.dtype}; "
              f"{len(study.rows)} points on {len(spec.systems)} systems")
        print(render_table(summary))
        for err in study.errors[:10]:
            print(f"note: {err}")
        print(f"report: {path}")
    return 0


def _clean(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
