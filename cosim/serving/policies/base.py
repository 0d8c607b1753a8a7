"""The batching-policy interface, its config base and the policy registry.

A policy is called once per iteration of a replica and returns the iteration's slices (request, new
tokens), after allocating their KV blocks, admitting waiting requests and preempting running ones through
the :class:`ReplicaState` helpers. It also says which requests it can never serve (rejected at arrival,
not looped on) and whether its decision is *steady*: the simulator's skip-ahead may repeat a decode-only
decision until the next event only if the policy would make the same decision at every one of those steps.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cosim.errors import CosimInputError
from cosim.registry import Registry
from cosim.serving.kv_cache import KVCache
from cosim.serving.options import config_from_dict
from cosim.serving.state import ReplicaState


@dataclass
class Batch:
    """One iteration's slices plus what the scheduling step changed (for skip-ahead and the log)."""

    requests: list[int] = field(default_factory=list)
    q_lens: list[int] = field(default_factory=list)
    num_preempted: int = 0
    num_admitted: int = 0

    def add(self, i: int, q_len: int) -> None:
        self.requests.append(i)
        self.q_lens.append(q_len)

    def __len__(self) -> int:
        return len(self.requests)


@dataclass(frozen=True)
class PolicyConfig:
    """Base of every policy's options: a plain frozen dataclass, built from a dict with unknown keys rejected."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None, *, policy: str, file: str | None = None) -> PolicyConfig:
        return config_from_dict(cls, options, kind=f"{policy} policy", file=file)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Policy(ABC):
    """One replica's scheduler. Subclasses set ``name`` and ``config_cls`` and register in :data:`POLICIES`."""

    name: ClassVar[str]
    config_cls: ClassVar[type[PolicyConfig]]

    def __init__(self, config: PolicyConfig | None = None) -> None:
        self.config = config if config is not None else self.config_cls()
        if not isinstance(self.config, self.config_cls):
            raise TypeError(f"{self.name} policy takes a {self.config_cls.__name__}")

    def fresh(self) -> Policy:
        """A new instance with the same config (one per data-parallel replica)."""
        return type(self)(self.config)

    @abstractmethod
    def schedule(self, state: ReplicaState) -> Batch:
        """Slices of the next iteration at ``state.now_s``; KV blocks for them are allocated on return."""

    @property
    def token_budget(self) -> int | None:
        """Tokens an iteration may hold (for the budget-use metric); None when the policy has no budget."""
        return None

    def reject_reason(self, prompt_tokens: int, output_tokens: int, kv: KVCache) -> str | None:
        """Why a request can never finish here, or None. A request caches at most ``prompt + output - 1``
        tokens (the last sampled token is never computed); if those exceed the whole cache it would preempt
        itself forever (vLLM refuses to start with a KV cache smaller than ``max_model_len``)."""
        tokens = prompt_tokens + output_tokens - 1
        need = kv.blocks_for(tokens)
        if need > kv.num_blocks:
            return f"needs {need} KV blocks for {tokens} tokens (prompt + output - 1), the cache has {kv.num_blocks}"
        return None

    def is_steady(self, state: ReplicaState, batch: Batch) -> bool:
        """Whether ``batch`` is a pure decode step of every running request that the policy would repeat,
        unchanged, until a request finishes, a request arrives or a KV allocation would fail. True for the
        policies whose waiting-queue checks only get harder while decodes run (fewer free blocks, the same
        running count and token use)."""
        if batch.num_preempted or batch.num_admitted or len(batch) != len(state.running) or not batch.requests:
            return False
        t = state.table
        idx = np.asarray(batch.requests, dtype=np.int64)
        remaining = t.prompt[idx] + t.generated[idx] - t.computed[idx]
        return bool(np.all(np.asarray(batch.q_lens) == 1) and np.all(remaining == 1) and np.all(t.generated[idx] >= 1))


POLICIES: Registry[type[Policy]] = Registry("serving policy", "policy")


def make_policy(policy: str | Policy, options: Mapping[str, Any] | None = None, *, file: str | None = None) -> Policy:
    """A policy instance from a registered name and its options dict, or an instance as given."""
    if isinstance(policy, Policy):
        if options:
            raise CosimInputError("policy options are given with a policy instance; put them in its config",
                                  file=file, field="policy_options")
        return policy
    cls = POLICIES.get(policy, file=file)
    return cls(cls.config_cls.from_options(options, policy=policy, file=file))
