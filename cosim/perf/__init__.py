"""Cost models and step prediction.

Importing this package registers the built-in cost models. The prediction entry points are loaded
lazily so that ``cosim.mapping`` (which uses ``cosim.perf.result``) can be imported first.
"""

from typing import Any

from cosim.perf import gpu, npu, roofline  # noqa: F401  (register "gpu-kernel", "systolic", "roofline")
from cosim.perf.pim import cost_model as _pim_cost_model  # noqa: F401  (registers "pim")

_LAZY = {
    "predict": "cosim.perf.predictor",
    "predict_graph": "cosim.perf.predictor",
    "predict_op_gemm": "cosim.perf.single_op",
    "predict_op_attention": "cosim.perf.single_op",
    "disaggregated_roofline": "cosim.perf.drm",
    "DRMCurves": "cosim.perf.drm",
    "VectorizedStep": "cosim.perf.vectorized",
    "evaluate_variants": "cosim.perf.vectorized",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cosim.perf' has no attribute {name!r}")
