"""Schedules: how the timed rows of a step combine into a step latency."""

from cosim.schedule.plan import PlannedRow, RowKind, StepPlan, plan_step
from cosim.schedule.sequential import run_sequential, time_rows

__all__ = ["PlannedRow", "RowKind", "StepPlan", "plan_step", "run_sequential", "time_rows"]
