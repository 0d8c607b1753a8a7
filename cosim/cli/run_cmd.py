"""`cosim run [STUDY]`: run a what-if study and write its HTML report under reports/."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from cosim.cli.format import render_table

DEFAULT_STUDY = "long-context-decode"
DEFAULT_MAX_POINTS = 1_000_000  # cosim.dse.study.DEFAULT_MAX_POINTS, not imported: `cosim --help` stays light


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a what-if study and write an HTML report",
                       description="Run a study (default: long-context decode of a 70B model on gpu-only, "
                                   "gpu+hbm-pim and gpu+l3) and write reports/<study>.html.")
    p.add_argument("study", nargs="?", default=DEFAULT_STUDY, help=f"study preset or YAML (default {DEFAULT_STUDY})")
    p.add_argument("--out", type=Path, default=None, help="report path (default ./reports/<study>.html)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    p.add_argument("--max-points", type=int, default=DEFAULT_MAX_POINTS, metavar="N",
                   help=f"refuse a grid of more than N points (default {DEFAULT_MAX_POINTS:,}); every point is "
                        "also streamed to <report>.points.jsonl as it is computed")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cosim.cli.study_progress import StudyProgress
    from cosim.dse.study import check_grid_size, load_study, run_study
    from cosim.errors import CosimInputError
    from cosim.report.output import output_path
    from cosim.report.points import PointsFile, points_path_for
    from cosim.report.study import write_study_report

    if args.max_points < 1:
        raise CosimInputError(f"--max-points must be a positive number of points, not {args.max_points}",
                              field="--max-points")
    spec = load_study(args.study)
    check_grid_size(spec, args.max_points)  # refused before anything is computed or written
    out = output_path(args.out, f"{spec.name}.html", inputs=[args.study])  # refused before any point is computed
    points = PointsFile(points_path_for(out), inputs=(args.study, out))
    print(f"study {spec.name}: {spec.grid_text()}; every point is written to {points.path} as it is computed",
          file=sys.stderr)
    try:
        with points, StudyProgress(spec.grid_points) as progress:
            def on_point(row: dict) -> None:
                points.write(row)
                progress(row)

            study = run_study(spec, progress=on_point, max_points=args.max_points)
    except KeyboardInterrupt:
        print(f"cosim: interrupted after {points.count:,} of {spec.grid_points:,} points; they are in {points.path}",
              file=sys.stderr)
        return 130
    if study.rows and all(r.get("error") for r in study.rows):  # a report of nothing but nan is no answer
        raise CosimInputError(f"every point of study {spec.name!r} failed ({len(study.rows)} points); "
                              f"the first: {study.errors[0]}")
    path = write_study_report(study, out)
    summary = study.summary()
    if args.json:
        print(json.dumps({"report": str(path), "points": str(points.path), "summary": [_clean(r) for r in summary],
                          "errors": study.errors}, indent=2))
    else:
        print(f"{spec.title}")
        print(f"model {spec.model}, {spec.phase}, tp {spec.tp}, dtype {spec.dtype}; "
              f"{len(study.rows)} points on {len(spec.systems)} systems")
        print(render_table(summary))
        for err in study.errors[:10]:
            print(f"note: {err}")
        print(f"report: {path}")
        print(f"points: {points.path}")
    return 0


def _clean(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
