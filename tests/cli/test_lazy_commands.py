"""The CLI imports only the subcommand that runs (issue 14, item 7: start-up is part of a simulator's speed).

Each check runs in a fresh interpreter and reads its `sys.modules`: what a DSE script calling `cosim` as a
process pays. Timings are in benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from cosim.cli.main import COMMANDS, build_parser

HEAVY = ("plotly", "networkx", "numba", "pydantic", "pandas", "scipy")


def loaded_after(argv: list[str]) -> set[str]:
    """Which of HEAVY a fresh `cosim <argv>` process has imported by the time it exits."""
    code = (
        "import json, sys\n"
        "from cosim.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"sys.stderr.write('\\nMODULES ' + json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    line = done.stderr.rsplit("MODULES ", 1)[-1]
    return set(json.loads(line))


def test_help_imports_no_subcommand_dependencies():
    assert loaded_after(["--help"]) == set()


def test_version_is_looked_up_only_when_asked(capsys):
    done = subprocess.run([sys.executable, "-c", "import sys; from cosim.cli.main import main\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                           "sys.stderr.write(str('importlib.metadata' in sys.modules))"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.stderr.strip().endswith("False")
    code = subprocess.run([sys.executable, "-m", "cosim", "--version"], capture_output=True, text=True, timeout=120)
    assert code.returncode == 0 and code.stdout.startswith("cosim ")


def test_dram_simulate_imports_no_plotting_or_graph_libraries(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n0x40 WRITE 3\n", encoding="utf-8")
    loaded = loaded_after(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", str(trace)])
    assert "numba" in loaded  # it did simulate
    assert not loaded & {"plotly", "networkx", "pandas"}


def test_help_lists_every_command_with_its_modules_help():
    lazy = build_parser(load=())
    full = build_parser()

    def helps(parser: argparse.ArgumentParser) -> dict[str, str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {c.dest: c.help for c in sub._choices_actions}

    assert helps(lazy) == helps(full) == COMMANDS


def test_a_lazily_loaded_command_parses_its_options():
    args = build_parser(load=["dram"]).parse_args(["dram", "show", "ddr4-3200-x8", "--json"])
    assert args.spec == "ddr4-3200-x8" and args.json
