"""What `cosim run` says while a study runs: the grid's size, a time estimate, a progress bar.

A grid can be millions of points at a few hundred points per second, so the size is printed before the
first point, an estimate once the first few points are timed (the first point pays for loading and
caches, so the rate is taken over the points after it), and a tqdm bar appears for runs that last longer
than :data:`BAR_DELAY_S`. Everything goes to stderr, so ``--json`` on stdout stays parseable, and
nothing asks a question: CI has no stdin.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

ESTIMATE_POINTS = 8
"""Points timed (after the first) before the estimate is printed."""
BAR_DELAY_S = 3.0
"""Runs shorter than this show no bar."""


def format_duration(seconds: float) -> str:
    """``42 s``, ``12 min``, ``3.5 h``, ``2.1 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class StudyProgress:
    """Called with each computed row; prints the estimate once and moves the bar. A context manager."""

    def __init__(self, total: int, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter, bar_delay_s: float = BAR_DELAY_S) -> None:
        self.total = total
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.estimate_s: float | None = None
        self._first_at: float | None = None
        self._bar = tqdm(total=total, unit="point", file=self.stream, delay=bar_delay_s, leave=False,
                         mininterval=0.5 if _isatty(self.stream) else 30.0, dynamic_ncols=True)

    def __call__(self, row: dict[str, Any]) -> None:
        self.count += 1
        now = self.clock()
        if self.count == 1:
            self._first_at = now
        elif self.count == ESTIMATE_POINTS + 1 and self.count < self.total and self._first_at is not None:
            rate = ESTIMATE_POINTS / max(now - self._first_at, 1e-9)
            self.estimate_s = self.total / rate
            self._print(f"estimate: about {format_duration(self.estimate_s)} for {self.total:,} points "
                        f"({rate:,.0f} points/s over the {ESTIMATE_POINTS} after the first)")
        self._bar.update(1)

    def _print(self, line: str) -> None:
        """A line above the bar (tqdm.write would also draw a bar that has not reached its delay yet)."""
        bar = self._bar
        if bar.last_print_t >= bar.start_t + bar.delay:  # the bar is on screen
            tqdm.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def __enter__(self) -> StudyProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._bar.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
