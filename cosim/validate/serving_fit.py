"""Fit a serving engine's per-iteration overhead on the training split of an end-to-end step dataset.

End-to-end serving times (splitwise-sim's vLLM prompt and token times) hold the kernels cosim models plus
the engine's host work. Rather than bending the kernel model, the difference is the serving engine's
overhead (``cosim.serving.engine_overhead.EngineOverhead``), four non-negative terms: a fixed time per
iteration, a time per scheduled sequence, a time per scheduled token, and a per-layer time per log2(tp)
(eager launches and collective latency); a prefill step of ``batch`` prompts is one iteration of
``batch`` sequences and ``batch * q_len`` tokens, a decode step one of ``batch`` sequences and tokens.
They are fitted by least squares on log(predicted / measured) over the records with
``is_holdout(m) == False`` only, with a soft-L1 loss so a few odd repeats do not dominate.

``python -m cosim.validate.serving_fit splitwise-h100-llama2-70b`` prints the values to paste into
``cosim.serving.defaults.SPLITWISE_VLLM_OVERHEADS`` (which the splitwise datasets declare).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.engine_overhead import EngineOverhead
from cosim.validate.datasets.registry import load_dataset
from cosim.validate.measurement import is_holdout
from cosim.validate.predict import engine_overhead_s, graph_key, step_result

ENGINE_TERMS = ("per_iteration_s", "per_sequence_s", "per_token_s", "per_layer_s")
TERM_SCALES = (1e-3, 1e-4, 1e-5, 1e-5)  # typical magnitudes (s), so the solver steps are well conditioned
ROBUST_SCALE = 0.05  # soft-L1 switches from quadratic to linear beyond ~5 % log error
STEP_KINDS = ("step_prefill", "step_decode")


def fit_engine(dataset: str, peer_root: Path | None = None) -> tuple[EngineOverhead, int, float]:
    """(the fitted engine overhead, training records used, their median |error| after the fit)."""
    from scipy.optimize import least_squares

    records = [m for m in load_dataset(dataset, peer_root) if m.kind in STEP_KINDS and not is_holdout(m)]
    if not records:
        raise CosimInputError(f"no training step records in {dataset!r} (is ../shared/peer_data there?)",
                              field="dataset")
    kernels = np.array([step_result(m.device, graph_key(m), None).latency_s for m in records])
    measured = np.array([m.measured_s for m in records])
    # the overhead is linear in the terms: one column per term (its overhead with that term = 1 s, others 0)
    columns = np.array([[engine_overhead_s(m, EngineOverhead(**{t: 1.0})) for t in ENGINE_TERMS]
                        for m in records])
    scales = np.array(TERM_SCALES)

    def residual(x: np.ndarray) -> np.ndarray:
        return np.log((kernels + columns @ (x * scales)) / measured)

    result = least_squares(residual, np.ones(len(ENGINE_TERMS)), bounds=(0.0, np.inf), loss="soft_l1",
                           f_scale=ROBUST_SCALE)
    fitted = EngineOverhead(**dict(zip(ENGINE_TERMS, (result.x * scales).tolist(), strict=True)))
    return fitted, len(records), float(np.median(np.abs(np.exp(residual(result.x)) - 1.0)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.validate.serving_fit", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="+", help="step datasets, e.g. splitwise-h100-llama2-70b")
    parser.add_argument("--peer-data", type=Path, default=None, help="peer_data root (default: ../shared/peer_data)")
    args = parser.parse_args(argv)
    for name in args.dataset:
        overhead, n, err = fit_engine(name, args.peer_data)
        terms = ", ".join(f"{t}={getattr(overhead, t):.3g}" for t in ENGINE_TERMS)
        print(f"{name}: {n} training steps, median |error| {100 * err:.1f} % after the fit\n  {terms}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
