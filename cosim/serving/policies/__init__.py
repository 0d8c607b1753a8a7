"""Batching policies behind one registry: ``vllm`` (V1 default), ``sarathi``, ``fairbatching``, ``orca``, ``static``."""

from cosim.serving.policies.base import POLICIES, Batch, Policy, PolicyConfig, make_policy
from cosim.serving.policies.fairbatching import FairBatchingConfig, FairBatchingPolicy
from cosim.serving.policies.orca import OrcaConfig, OrcaPolicy
from cosim.serving.policies.sarathi import SarathiConfig, SarathiPolicy
from cosim.serving.policies.static import StaticConfig, StaticPolicy
from cosim.serving.policies.vllm import VllmConfig, VllmPolicy

__all__ = [
    "POLICIES",
    "Batch",
    "FairBatchingConfig",
    "FairBatchingPolicy",
    "OrcaConfig",
    "OrcaPolicy",
    "Policy",
    "PolicyConfig",
    "SarathiConfig",
    "SarathiPolicy",
    "StaticConfig",
    "StaticPolicy",
    "VllmConfig",
    "VllmPolicy",
    "make_policy",
]
