"""Serving simulation: request traces through continuous-batching policies, a paged KV cache and an engine.

The pipeline stage above the step predictor: a discrete-event loop asks an :class:`IterationTimer` how long
each iteration (a list of request slices) takes and turns the answers into TTFT / TPOT / SLO metrics.
"""

from cosim.serving.capacity import CapacityResult, CapacitySLO, capacity_search, poisson_arrivals
from cosim.serving.engine_overhead import EngineOverhead
from cosim.serving.policies import POLICIES, Policy, PolicyConfig, make_policy
from cosim.serving.replica import SimulationStuckError
from cosim.serving.request import Request, Trace
from cosim.serving.result import RunConfig, SimulationResult
from cosim.serving.router import ROUTERS, Router
from cosim.serving.simulator import simulate
from cosim.serving.timer import IterationTimer, decode_run_by_steps

__all__ = [
    "POLICIES",
    "ROUTERS",
    "CapacityResult",
    "CapacitySLO",
    "EngineOverhead",
    "IterationTimer",
    "Policy",
    "PolicyConfig",
    "Request",
    "Router",
    "RunConfig",
    "SimulationResult",
    "SimulationStuckError",
    "Trace",
    "capacity_search",
    "decode_run_by_steps",
    "make_policy",
    "poisson_arrivals",
    "simulate",
]
