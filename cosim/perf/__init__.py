"""Cost models: each scores one operator on one device (``cosim.perf.base.CostModel``), picked by name.

Importing this package registers the built-in cost models ("roofline", "gpu-kernel", "systolic", "pim").
Step prediction, which strings graph, mapping, cost models and schedule together, lives one layer up in
``cosim.engine``.
"""

from cosim.perf import gpu, npu, roofline  # noqa: F401  (register "gpu-kernel", "systolic", "roofline")
from cosim.perf.pim import cost_model as _pim_cost_model  # noqa: F401  (registers "pim")
