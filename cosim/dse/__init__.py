"""Design-space exploration: studies, sweeps of hardware parameters over the vectorized roofline, the DRM."""

from cosim.dse.drm import DRMCurves, disaggregated_roofline
from cosim.dse.sweep import grid, sweep, to_dataframe, to_records

__all__ = ["DRMCurves", "disaggregated_roofline", "grid", "sweep", "to_dataframe", "to_records"]
