"""`cosim` command line: run studies, predict steps and single operators, inspect graphs, list presets.

User-input errors print one line (``cosim: error: ...``) and exit with status 2; nothing is
half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cosim.cli import (
    calibrate_cmd,
    dram_cmd,
    graph_cmd,
    list_cmd,
    op_cmd,
    pim_cmd,
    predict_cmd,
    run_cmd,
    serve_cmd,
    validate_cmd,
)
from cosim.errors import CosimError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cosim",
        description="Hardware/software co-design of LLM inference: GPUs, NPUs, DIMM-PIM and HBM-PIM.",
    )
    parser.add_argument("--version", action="version", version=f"cosim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_cmd.add_parser(sub)
    predict_cmd.add_parser(sub)
    serve_cmd.add_parser(sub)
    op_cmd.add_parser(sub)
    graph_cmd.add_parser(sub)
    list_cmd.add_parser(sub)
    dram_cmd.add_parser(sub)
    pim_cmd.add_parser(sub)
    validate_cmd.add_parser(sub)
    calibrate_cmd.add_parser(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cosim")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CosimError as exc:
        print(f"cosim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `cosim ... | head`
        return 0
    except KeyboardInterrupt:
        print("cosim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
