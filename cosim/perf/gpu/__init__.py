"""Detailed GPU kernel cost model ("gpu-kernel") and its calibration.

Importing the package registers the model; ``cosim.validate.calibrate_gpu`` fits its parameters on
measured kernels (``cosim calibrate gpu``).
"""

from cosim.perf.gpu import model  # noqa: F401  (registers "gpu-kernel")
from cosim.perf.gpu.attention import AttentionKernel
from cosim.perf.gpu.device import GpuView, gpu_view

__all__ = ["AttentionKernel", "GpuView", "gpu_view"]
