"""What ``cosim serve`` assumes of the serving engine unless told otherwise: its per-iteration host overhead,
and the batch limits vLLM picks for the device.

The overhead is picked by engine (``cosim serve --engine-overhead``), since a host-side cost is a property of
the engine release, not of the GPU model:

* ``vllm-v1`` (default; the engine the ``vllm`` policy reproduces): the shared measured vLLM 0.19 runs
  (``cosim validate --serving`` refits and prints it; ``cosim.validate.serving_runs.TRAIN_RUNS`` names the
  runs the fit sees: RTX 4090). On that run the device time alone already makes the median TPOT longer than
  measured, so the fit adds no overhead: all coefficients stay 0.0 until the device model is faster there.
* ``vllm-2023`` (A100 and H100 systems only): splitwise-sim's measured vLLM prompt and token times of
  Llama-2-70B on DGX-A100 / DGX-H100 at tp 2/4/8 (``data/perf_model.csv``; the vLLM of the Splitwise paper,
  late 2023, pre-V1: neither splitwise-sim nor ``shared/reference/peer-tools.md`` names the exact release,
  the snapshot is splitwise-sim 8f99e7dc9b40 of 2024-04-25). Fitted on each dataset's train split by
  ``python -m cosim.validate.serving_fit splitwise-a100-llama2-70b splitwise-h100-llama2-70b``; the
  per-layer term needs the deployment (layers, tp), which ``engine_overhead_for`` folds in. That engine ran
  eagerly (no CUDA graphs), so its per-layer launch cost is large (about 15 ms an iteration for Llama-2-70B at
  tp 4 on A100): use it to reproduce splitwise-era numbers, not V1 serving.
* ``none``: device time only.
"""

from __future__ import annotations

from typing import Any

from cosim.errors import CosimInputError
from cosim.serving.engine_overhead import EngineOverhead

VLLM_V1_OVERHEAD = EngineOverhead(per_iteration_s=0.0, per_sequence_s=0.0, per_token_s=0.0)  # vLLM 0.19, RTX 4090

# splitwise-sim's vLLM (2023) on A100 / H100, train split of splitwise-<gpu>-llama2-70b (63 / 60 steps, median
# |error| 3.6 % / 3.2 % after the fit):
#   python -m cosim.validate.serving_fit splitwise-a100-llama2-70b splitwise-h100-llama2-70b
SPLITWISE_VLLM_OVERHEADS: dict[str, EngineOverhead] = {
    "a100": EngineOverhead(per_iteration_s=0.316e-3, per_sequence_s=217e-6, per_token_s=53.4e-6, per_layer_s=91.8e-6),
    "h100": EngineOverhead(per_iteration_s=6.46e-3, per_sequence_s=239e-6, per_token_s=41.4e-6, per_layer_s=34.9e-6),
}


ENGINES = ("vllm-v1", "vllm-2023", "none")


def engine_overhead_for(system: Any, layers: int, tp: int, engine: str = "vllm-v1") -> EngineOverhead:
    """The per-iteration overhead of ``engine`` (see the module docstring for where each fit comes from) for
    ``layers`` decoder layers on ``tp`` ranks of ``system``."""
    if engine == "none":
        return EngineOverhead()
    if engine == "vllm-v1":
        return VLLM_V1_OVERHEAD.for_deployment(layers, tp)
    if engine != "vllm-2023":
        raise CosimInputError(f"unknown serving engine {engine!r}", field="engine_overhead", allowed=ENGINES)
    gpus = list(system.compute_devices())
    name = system.caps(gpus[0]).name.lower() if gpus else ""
    fitted = next((o for gpu, o in SPLITWISE_VLLM_OVERHEADS.items() if gpu in name), None)
    if fitted is None:
        raise CosimInputError(f"vllm-2023 was measured on A100 and H100 only, not on {name or 'this system'!r}",
                              field="engine_overhead", allowed=["vllm-v1", "none"])
    return fitted.for_deployment(layers, tp)


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
