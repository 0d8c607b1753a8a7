"""Attention-part operators for a serving iteration without running the graph builder each time.

The workload builder makes a part's KV-write and attention operators from the part's totals only: request
count ``n``, query tokens ``T``, keys ``KV``, unmasked pairs ``P`` and materialized scores ``M`` (every shape,
byte count and FLOP count is a product of one of them with constants of the model), plus the per-request
lengths carried as attributes. So each number of each operator is an affine function of ``(n, T, KV, P, M)`` for
a given part name and phase: fitted here once from a few builder runs on perturbed lengths, checked on
two more (exact to rounding, else the builder is used for that key), then evaluated per iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cosim.workload.ops import Operator, Phase, TensorAccess
from cosim.workload.step import Step, slice_phase

FIT_PARTS = 10  # perturbed builds the affine map is fitted on
CHECK_PARTS = 2  # further builds it must reproduce
TOLERANCE = 1e-9  # relative; the builder's numbers are integers or exact products, so a true fit is ~1e-15
NUMERIC_ATTRS = ("vector_flops", "group")


def totals(part: Step) -> np.ndarray:
    q, kv = part.q_lens.astype(np.float64), part.kv_lens.astype(np.float64)
    return np.array([1.0, float(q.size), q.sum(), kv.sum(), float(part.attention_pairs), float((q * kv).sum())])


def _leaves(op: Operator) -> list[float]:
    """Every number of an operator that may depend on the part's lengths, in a fixed order."""
    out = [op.flops, *map(float, op.shape.values())]
    for t in (*op.reads, *op.writes):
        out += [float(x) for x in t.shape]
        out.append(t.bytes)
    out += [float(op.attrs[k]) for k in NUMERIC_ATTRS if k in op.attrs]
    return out


def _snap(values: np.ndarray) -> np.ndarray:
    """Back onto the eighths every builder number is a multiple of (bytes of sub-byte dtypes included), so a
    cost model's integer arithmetic (``ceil(bytes / block)``) sees exactly what the builder would give it."""
    eighths = np.round(values * 8.0) / 8.0
    return np.where(np.abs(eighths - values) <= TOLERANCE * np.maximum(1.0, np.abs(values)), eighths, values)


def _rebuild(template: Operator, leaves: np.ndarray, part: Step) -> Operator:
    it = iter(_snap(leaves).tolist())
    flops = next(it)
    shape = {k: round(next(it)) for k in template.shape}

    def access(t: TensorAccess) -> TensorAccess:
        dims = tuple(round(next(it)) for _ in t.shape)
        return TensorAccess(t.name, t.cls, t.dtype, dims, next(it))

    reads = tuple(access(t) for t in template.reads)
    writes = tuple(access(t) for t in template.writes)
    attrs = dict(template.attrs)
    for k in NUMERIC_ATTRS:
        if k in attrs:
            value = next(it)
            attrs[k] = round(value) if isinstance(template.attrs[k], int) else value
    attrs["q_lens"], attrs["kv_lens"] = part.q_lens, part.kv_lens
    return Operator(template.name, template.kind, template.dtype, flops, reads, writes, shape, template.repeat,
                    template.instances, template.block, attrs)


def _perturbed(part: Step, rng: np.random.Generator) -> Step | None:
    """The part with small random changes of its lengths that keep its phase (None if one did not)."""
    q, kv = part.q_lens.copy(), part.kv_lens.copy()
    if q.size > 1 and rng.random() < 0.3:  # one request fewer
        keep = np.arange(q.size) != rng.integers(q.size)
        q, kv = q[keep], kv[keep]
    elif rng.random() < 0.3:  # one request more, a copy of another
        j = int(rng.integers(q.size))
        q, kv = np.append(q, q[j]), np.append(kv, kv[j])
    n = q.size
    if part.phase is Phase.DECODE:
        kv = kv + rng.integers(0, 64, n)
    elif part.phase is Phase.PREFILL:
        q = q + rng.integers(0, 64, n)
        kv = q.copy()
    elif part.phase is Phase.CHUNKED_PREFILL:
        grow = int(rng.integers(0, 64))
        q, kv = q + grow, kv + grow + rng.integers(0, 64, n)
    else:
        grow = rng.integers(0, 64, n)
        q, kv = q + grow, kv + grow + rng.integers(0, 64, n) * (kv > q)
    step = Step(slice_phase(q, kv), q, kv)
    return step if step.phase is part.phase else None


@dataclass
class _Fit:
    templates: list[Operator]
    weights: list[np.ndarray]  # per operator: (leaves x features)


class PartOperators:
    """``ops(name, part)``: the builder's operators of one attention part, from a cached affine map (one per
    part name and phase)."""

    def __init__(self, build: Callable[[Step, str], list[Operator]], seed: int = 0) -> None:
        self._build = build
        self._fits: dict[tuple, _Fit | None] = {}
        self._rng = np.random.default_rng(seed)

    def ops(self, name: str, part: Step) -> list[Operator]:
        key = (name, part.phase)
        if key not in self._fits:
            self._fits[key] = self._fit(name, part)
        fit = self._fits[key]
        if fit is None:
            return self._build(part, name)
        x = totals(part)
        return [_rebuild(t, w @ x, part) for t, w in zip(fit.templates, fit.weights, strict=True)]

    def _fit(self, name: str, part: Step) -> _Fit | None:
        parts = [part]
        for _ in range(8 * (FIT_PARTS + CHECK_PARTS)):
            if len(parts) == 1 + FIT_PARTS + CHECK_PARTS:
                break
            p = _perturbed(part, self._rng)
            if p is not None:
                parts.append(p)
        if len(parts) < 1 + FIT_PARTS + CHECK_PARTS:
            return None
        built = [self._build(p, name) for p in parts]
        if len({len(b) for b in built}) != 1 or any(
                [o.name for o in b] != [o.name for o in built[0]] for b in built):
            return None
        features = np.array([totals(p) for p in parts])
        fit = slice(0, 1 + FIT_PARTS)  # the remaining CHECK_PARTS builds only check the fit
        scale = np.abs(features[fit]).max(axis=0)
        scale[scale == 0] = 1.0
        weights = []
        for k in range(len(built[0])):
            try:
                leaves = np.array([_leaves(b[k]) for b in built])
            except (TypeError, ValueError):
                return None
            if leaves.ndim != 2:
                return None
            w, *_ = np.linalg.lstsq(features[fit] / scale, leaves[fit], rcond=None)
            w = (w / scale[:, None]).T
            predicted = features @ w.T
            if not np.allclose(predicted, leaves, rtol=TOLERANCE, atol=TOLERANCE):
                return None
            weights.append(w)
        return _Fit(built[0], weights)
