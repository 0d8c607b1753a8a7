"""`cosim` command line: run studies, predict steps and single operators, inspect graphs, list presets.

User-input errors print one line (``cosim: error: ...``) and exit with status 2; nothing is
half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from importlib import import_module

from cosim.cli.args import OneLineParser
from cosim.errors import CosimError

# Subcommand -> its one-line help, in `cosim --help` order. Each subcommand's module (cosim.cli.<name>_cmd) is
# imported only when that subcommand runs: importing them all pulled networkx, pydantic and plotly into every
# process (0.8 s of a 2.3 s `cosim dram simulate`), and DSE scripts call cosim as a process. The strings must
# match each module's own `help=` (tests/cli/test_lazy_commands.py checks).
COMMANDS: dict[str, str] = {
    "run": "run a what-if study and write an HTML report",
    "predict": "predict one prefill/decode step of a model on a system",
    "serve": "simulate serving a request trace (TTFT, TPOT, throughput, SLOs)",
    "op": "predict a single GEMM or attention kernel",
    "graph": "show the operator graph of a step (table, JSON or DOT)",
    "list": "list shipped presets",
    "dram": "simulate DRAM traces; list and show DRAM standards",
    "pim": "PIM device models (decode attention on DIMM-PIM / HBM-PIM)",
    "validate": "compare predictions with measured kernel, layer and step times",
    "calibrate": "fit cost-model parameters on measured data",
}

EXIT_USER_ERROR = 2


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The `cosim` parser; `load`: the subcommands whose modules are imported and whose options are parsed
    (None: all of them). The others are help-only placeholders, enough for `cosim --help`."""
    parser = OneLineParser(  # its errors, and its subcommands' (which inherit the class), are one line
        prog="cosim",
        description="Hardware/software co-design of LLM inference: GPUs, NPUs, DIMM-PIM and HBM-PIM.",
    )
    parser.add_argument("--version", action=_VersionAction)  # looked up only when asked: importlib.metadata
    # costs ~20 ms, a third of `cosim --help`
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_line in COMMANDS.items():
        if load is None or name in load:
            import_module(f"cosim.cli.{name}_cmd").add_parser(sub)
        else:
            sub.add_parser(name, help=help_line)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names (its first word not starting with '-'; cosim's own options take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


class _VersionAction(argparse.Action):
    """`--version`: argparse's own action needs the string when the parser is built."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"cosim {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cosim")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(load=[c for c in [command_of(argv)] if c in COMMANDS])
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
