"""What ``cosim serve`` assumes of the serving engine unless told otherwise: its per-iteration host overhead,
and the batch limits vLLM picks for the device.

Fitted on the training split of the shared measured vLLM 0.19 runs (``cosim validate --serving`` refits and
prints it; ``cosim.validate.serving_runs.TRAIN_RUNS`` names the runs the fit sees). On that run the device
time alone already makes the median TPOT longer than measured, so the fit adds no overhead: all three
coefficients stay 0.0 until the device model is faster there (see the closing note of the serving issue).
"""

from __future__ import annotations

from typing import Any

from cosim.serving.engine_overhead import EngineOverhead

VLLM_V1_OVERHEAD = EngineOverhead(per_iteration_s=0.0, per_sequence_s=0.0, per_token_s=0.0)


def engine_overhead_for(system: Any) -> EngineOverhead:
    """The overhead of the engine a system is served with (vLLM V1 for every shipped system)."""
    return VLLM_V1_OVERHEAD


def policy_defaults_for(policy: str, system: Any) -> dict[str, Any]:
    """vLLM picks max_num_seqs / max_num_batched_tokens by device (``EngineArgs.get_batch_defaults``): the same
    here for the ``vllm`` policy (other policies keep their own defaults)."""
    if policy != "vllm":
        return {}
    from cosim.serving.policies import VllmConfig

    gpus = list(system.compute_devices())
    if not gpus:
        return {}
    caps = system.caps(gpus[0])
    config = VllmConfig.for_gpu(caps.mem_capacity_bytes / 2**30, caps.name)
    return {"max_num_batched_tokens": config.max_num_batched_tokens, "max_num_seqs": config.max_num_seqs}
