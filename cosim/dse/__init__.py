"""Design-space exploration: sweeps of hardware parameters over the vectorized roofline."""

from cosim.dse.sweep import grid, sweep, to_dataframe, to_records

__all__ = ["grid", "sweep", "to_dataframe", "to_records"]
