"""One measured kernel, layer or step time, in cosim terms, and the fixed held-out split.

Every peer dataset (and a user's CSV) loads into :class:`Measurement` records so that calibration
and validation treat them alike. The split is a pure function of the record's identity (dataset and
parameters), so the same point is held out on every machine and in every run: a calibrated model
can never be scored on a point it was fitted on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# What a measurement times. Kind-specific ``params`` (see docs/validate.md):
#   gemm: m, n, k, dtype
#   attention_prefill / attention_decode: batch, q_len, context, heads, kv_heads, head_dim, dtype, causal
#   elementwise: op, tokens, hidden, dtype
#   allreduce: bytes, gpus
#   layer_* / step_*: model, batch, context, tokens, tp, fusion, dtype
MEASUREMENT_KINDS: tuple[str, ...] = (
    "gemm",
    "attention_prefill",
    "attention_decode",
    "elementwise",
    "allreduce",
    "layer_prefill",
    "layer_decode",
    "step_prefill",
    "step_decode",
)

HOLDOUT_FRACTION = 0.30  # share of every dataset kept away from calibration
_HASH_BUCKETS = 10_000  # resolution of the split; 0.01 % steps


@dataclass(frozen=True)
class Measurement:
    """A measured time in seconds with everything needed to predict it."""

    dataset: str
    device: str  # cosim hw preset name (a system preset for multi-GPU data)
    kind: str  # one of MEASUREMENT_KINDS
    params: Mapping[str, Any] = field(hash=False)
    measured_s: float
    source: str  # "<file relative to peer_data>:<row>"
    calibratable: bool = True  # False: never fitted on (a user's CSV), so every record is held out

    def __post_init__(self) -> None:
        # Freeze params so a record cannot change its split after creation.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


def identity_key(m: Measurement) -> str:
    """The canonical text the split hashes: dataset plus sorted params (device and time excluded)."""
    params = json.dumps(dict(m.params), sort_keys=True, default=str, separators=(",", ":"))
    return f"{m.dataset}|{params}"


def holdout_bucket(m: Measurement) -> float:
    """A stable number in [0, 1) derived from the record's identity."""
    digest = hashlib.sha256(identity_key(m).encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") % _HASH_BUCKETS) / _HASH_BUCKETS


def is_holdout(m: Measurement) -> bool:
    """Deterministic held-out split: about 30 % of every dataset, never used for fitting.

    Calibration fits only on records with ``is_holdout(m)`` False; validation reports error on the
    held-out records (and, labelled separately, on the fitted ones).
    """
    return not m.calibratable or holdout_bucket(m) < HOLDOUT_FRACTION


def from_model_graph(m: Measurement) -> bool:
    """True when the record is predicted from a model's graph (``ops`` globs), not from standalone shapes.

    Such records (an eager RMSNorm chain inside Llama, GPT-3's attention-score matmul) may lack the
    standalone parameters of their kind (m, n, k for a GEMM); fit kernel models on the others.
    """
    return "ops" in m.params


SPLITS = ("holdout", "train", "all")


def in_split(m: Measurement, split: str) -> bool:
    """Whether ``m`` belongs to a split name: "holdout", "train" (fitted part) or "all"."""
    if split == "all":
        return True
    return is_holdout(m) == (split == "holdout")
