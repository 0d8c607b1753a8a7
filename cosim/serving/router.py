"""Data parallelism: ``dp`` replicas (own KV cache, own policy instance) behind a router, on one clock.

A request is routed once, when it arrives, and stays on its replica (vLLM's DP front end does not move
running requests). Routers:

* ``round-robin``: replica ``k mod dp`` for the k-th accepted request;
* ``least-loaded``: vLLM's internal DP load balancer (``DPLBAsyncMPClient.get_core_engine_for_request``):
  the lowest ``4 * waiting + running`` request count, ties to the lowest index. vLLM sees these counts
  through the coordinator's ~100 ms snapshots; here they are exact at the arrival time;
* ``least-tokens``: the fewest outstanding tokens, ``prompt + output - 1 - computed`` summed over the
  replica's waiting and running requests (uses the trace's output lengths, which a real router cannot
  know: an upper bound on what length-aware routing can gain).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from cosim.errors import CosimInputError
from cosim.registry import Registry
from cosim.serving.state import ReplicaState


class Router(ABC):
    name: ClassVar[str]

    def __init__(self, dp: int) -> None:
        self.dp = dp

    @abstractmethod
    def route(self, i: int, replicas: Sequence[ReplicaState]) -> int:
        """Replica index for request ``i`` (its position in the trace) at its arrival."""


ROUTERS: Registry[type[Router]] = Registry("router", "router")


@ROUTERS.register("round-robin")
class RoundRobinRouter(Router):
    name = "round-robin"

    def __init__(self, dp: int) -> None:
        super().__init__(dp)
        self._next = 0

    def route(self, i: int, replicas: Sequence[ReplicaState]) -> int:
        r = self._next
        self._next = (r + 1) % self.dp
        return r


@ROUTERS.register("least-loaded")
class LeastLoadedRouter(Router):
    name = "least-loaded"

    def route(self, i: int, replicas: Sequence[ReplicaState]) -> int:
        scores = [4 * len(r.waiting) + len(r.running) for r in replicas]
        return scores.index(min(scores))


@ROUTERS.register("least-tokens")
class LeastTokensRouter(Router):
    name = "least-tokens"

    def route(self, i: int, replicas: Sequence[ReplicaState]) -> int:
        loads = [r.outstanding_tokens() for r in replicas]
        return loads.index(min(loads))


def make_router(router: str | Router, dp: int) -> Router:
    if isinstance(router, Router):
        return router
    if not isinstance(router, str):
        raise CosimInputError(f"router must be a name, got {type(router).__name__}", field="router",
                              allowed=ROUTERS.names())
    return ROUTERS.get(router)(dp)
