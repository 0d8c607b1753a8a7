"""Timing-constraint tables: a family YAML (rows of level, preceding, following, latency) -> dense arrays.

`timing_table(spec)` evaluates each row's latency expression against the spec's timings and returns a
`TimingTable` whose `delay[level, prev, next]` is the minimum distance in nCK from a `prev` command to a
`next` command at that level (0 = unconstrained), plus activation windows (at most N ACTs per span).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cosim.dram.commands import N_CMDS, Cmd, parse_cmd
from cosim.dram.spec import DramSpec
from cosim.errors import CosimInputError

FAMILY_DIR = Path(__file__).with_name("families")
LEVELS = ("same_bank", "other_banks_same_bankgroup", "other_bankgroups_same_rank", "other_ranks", "same_rank")
SAME_BANK, SAME_BG, OTHER_BG, OTHER_RANK, SAME_RANK = range(len(LEVELS))

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
           ast.Div: operator.truediv}
_FUNCS = {"max": max, "min": min, "ceil": math.ceil}


def evaluate(expr: str, names: dict[str, float], *, file: Any = None) -> int:
    """Evaluate a latency expression (names, integers, + - * / //, max/min/ceil) to whole nCK."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise CosimInputError(f"unknown timing {node.id!r} in {expr!r}", file=file, field="rows",
                                      allowed=", ".join(sorted(names)))
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))
        raise CosimInputError(f"unsupported expression {expr!r}", file=file, field="rows")

    try:
        tree = ast.parse(str(expr), mode="eval")
    except SyntaxError:
        raise CosimInputError(f"cannot parse expression {expr!r}", file=file, field="rows") from None
    return math.ceil(ev(tree))


@dataclass(frozen=True)
class FamilyRow:
    level: int
    prev: Cmd
    nexts: tuple[Cmd, ...]
    expr: str


@dataclass(frozen=True)
class Family:
    name: str
    rows: tuple[FamilyRow, ...]
    windows: tuple[tuple[int, Cmd, int, str], ...]


def _level(name: Any, file: Path) -> int:
    if name not in LEVELS:
        raise CosimInputError(f"unknown level {name!r}", file=file, field="rows", allowed=LEVELS)
    return LEVELS.index(name)


def _cmd(name: Any, file: Path) -> Cmd:
    try:
        return parse_cmd(str(name))
    except KeyError:
        raise CosimInputError(f"unknown command {name!r}", file=file, field="rows",
                              allowed=[c.name for c in Cmd]) from None


@cache
def load_family(name: str) -> Family:
    """Load `families/<name>.yaml`, applying `extends` (a child row replaces the parent's same level/prev/next)."""
    path = FAMILY_DIR / f"{name}.yaml"
    if not path.is_file():
        raise CosimInputError(f"unknown timing family {name!r}", field="family",
                              allowed=sorted(p.stem for p in FAMILY_DIR.glob("*.yaml")))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows: dict[tuple[int, Cmd, Cmd], str] = {}
    windows: dict[tuple[int, Cmd, int], str] = {}
    if data.get("extends"):
        base = load_family(data["extends"])
        for r in base.rows:
            for n in r.nexts:
                rows[(r.level, r.prev, n)] = r.expr
        windows.update({(w[0], w[1], w[2]): w[3] for w in base.windows})
    for i, row in enumerate(data.get("rows") or []):
        if not isinstance(row, list) or len(row) != 4:
            raise CosimInputError(f"row {i} must be [level, prev, next(s), latency]", file=path, field="rows")
        level, prev = _level(row[0], path), _cmd(row[1], path)
        nexts = row[2] if isinstance(row[2], list) else [row[2]]
        for n in nexts:
            rows[(level, prev, _cmd(n, path))] = str(row[3])
    for w in data.get("windows") or []:
        windows[(_level(w[0], path), _cmd(w[1], path), int(w[2]))] = str(w[3])
    grouped: dict[tuple[int, Cmd, str], list[Cmd]] = {}
    for (level, prev, nxt), expr in rows.items():
        grouped.setdefault((level, prev, expr), []).append(nxt)
    return Family(
        name=name,
        rows=tuple(FamilyRow(lv, p, tuple(ns), e) for (lv, p, e), ns in grouped.items()),
        windows=tuple((lv, c, n, e) for (lv, c, n), e in windows.items()),
    )


@dataclass(frozen=True)
class TimingTable:
    """delay[level, prev, next] in nCK; windows: (level, command, max count, span nCK)."""

    delay: np.ndarray
    windows: tuple[tuple[int, int, int, int], ...]

    def get(self, level: str, prev: str, nxt: str) -> int:
        return int(self.delay[LEVELS.index(level), parse_cmd(prev), parse_cmd(nxt)])

    def window(self, cmd: str = "ACT", count: int = 4) -> int | None:
        for _lv, c, n, span in self.windows:
            if c == parse_cmd(cmd) and n == count:
                return span
        return None


def timing_table(spec: DramSpec, family: str | None = None) -> TimingTable:
    """The spec's timing table (cached: specs with the same family and timings share one)."""
    names = spec.derived_timing()
    return _timing_table(family or spec.family, tuple(sorted(names.items())))


@cache
def _timing_table(family: str, items: tuple[tuple[str, int], ...]) -> TimingTable:
    names = dict(items)
    fam = load_family(family)
    src = FAMILY_DIR / f"{fam.name}.yaml"
    delay = np.zeros((len(LEVELS), N_CMDS, N_CMDS), dtype=np.int64)
    for row in fam.rows:
        value = max(0, evaluate(row.expr, names, file=src))
        for n in row.nexts:
            delay[row.level, row.prev, n] = max(delay[row.level, row.prev, n], value)
    windows = tuple((lv, int(c), n, evaluate(e, names, file=src)) for lv, c, n, e in fam.windows)
    return TimingTable(delay=delay, windows=windows)
