"""The shape of one inference step: per-request query and KV lengths.

* prefill: ``q_len = kv_len = context`` (causal);
* decode: ``q_len = 1``, ``kv_len = context`` (the new token's K/V is written to the cache first);
* chunked prefill: ``q_len = chunk``, ``kv_len = context + chunk`` (causal within the chunk);
* a serving iteration (:func:`step_from_slices`): any mix of the above, one slice per request, as vLLM and
  Sarathi-Serve batch them; a batch with both decodes and prefill slices has phase ``mixed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cosim.errors import CosimInputError
from cosim.workload.ops import Phase

MAX_REQUESTS = 1_000_000
"""Most requests one step may hold (``--batch``, ``--mix``, ``step_from_slices``). Every step keeps per-request
query and KV lengths (mixed iterations need them; equal-length steps share the code path), and the cost models
and notes make a few passes over them: ~50 bytes and ~1 us per request, so 10^6 requests take ~50 MB and a few
seconds, while 10^9 (a typo) was killed for memory. No serving system batches anywhere near 10^6 requests."""

MAX_CONTEXT = 2**24
"""Most tokens one request may attend (16.8 M; the longest model contexts are ~10 M). Per-request attention pairs
then stay below 2^48, so int64 holds them exactly (a context of 10^14 overflowed them into silently wrong FLOPs)."""


def _exact_sum(values: np.ndarray) -> int:
    """Sum of non-negative int64 values, exact even where an int64 accumulator would overflow."""
    if len(values) and float(values.max()) * len(values) >= 2.0**62:
        return sum(int(v) for v in values)
    return int(values.sum())


@dataclass(frozen=True)
class Step:
    phase: Phase
    q_lens: np.ndarray  # new tokens per request
    kv_lens: np.ndarray  # keys each request's last query sees (cached + new)

    @property
    def batch(self) -> int:
        return len(self.q_lens)

    @property
    def tokens(self) -> int:
        """New tokens processed in the step (rows of every token-parallel GEMM)."""
        return int(self.q_lens.sum())

    @property
    def kv_tokens(self) -> int:
        """KV-cache entries resident after the step (all requests)."""
        return int(self.kv_lens.sum())

    @property
    def attention_pairs(self) -> int:
        """Unmasked (query, key) pairs over all requests, for one head.

        A request with ``q`` new tokens on top of ``p = kv - q`` cached ones: each new token sees the
        ``p`` cached keys and the new keys up to itself, i.e. ``q*p + q(q+1)/2`` pairs.
        """
        q = self.q_lens.astype(np.int64)
        p = self.kv_lens.astype(np.int64) - q
        return _exact_sum(q * p + q * (q + 1) // 2)

    @property
    def decodes(self) -> np.ndarray:
        """Mask of the decode slices (one new token per request)."""
        return self.q_lens == 1

    @property
    def is_mixed(self) -> bool:
        return self.phase is Phase.MIXED

    @property
    def uniform(self) -> bool:
        """Every request has the same query and KV length (the case the aggregate formulas are exact for)."""
        return bool((self.q_lens == self.q_lens[0]).all() and (self.kv_lens == self.kv_lens[0]).all())

    def select(self, mask: np.ndarray) -> Step:
        """The sub-batch of the masked requests, with the phase its slices have on their own."""
        q, kv = self.q_lens[mask], self.kv_lens[mask]
        return Step(slice_phase(q, kv), q, kv)

    @property
    def materialized_scores(self) -> int:
        """Entries of the score matrices an eager implementation writes (``q x kv`` per request, per head)."""
        return _exact_sum(self.q_lens.astype(np.int64) * self.kv_lens.astype(np.int64))


def _as_int(value: object, field: str, *, minimum: int) -> int:
    allowed = f"integers >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise CosimInputError(f"expected an integer, got {value!r}", field=field, allowed=allowed)
    if value < minimum:
        raise CosimInputError(f"must be >= {minimum}, got {value}", field=field, allowed=allowed)
    return int(value)


def _check_requests(count: int, field: str) -> int:
    if count > MAX_REQUESTS:
        raise CosimInputError(f"{count} requests in one step is more than the {MAX_REQUESTS} supported",
                              field=field, allowed=f"1..{MAX_REQUESTS} requests")
    return count


def slice_phase(q_lens: np.ndarray, kv_lens: np.ndarray) -> Phase:
    """The phase a set of request slices forms: all decodes, all fresh prefills, all chunks of one size
    over cached tokens, or mixed (decodes together with prefill slices, or prefills of several kinds)."""
    if (q_lens == 1).all():
        return Phase.DECODE
    if (q_lens == kv_lens).all():
        return Phase.PREFILL
    if (q_lens == q_lens[0]).all() and (q_lens > 1).all():
        return Phase.CHUNKED_PREFILL
    return Phase.MIXED


def step_from_slices(q_lens: Sequence[int] | np.ndarray, kv_lens: Sequence[int] | np.ndarray) -> Step:
    """A serving iteration: request ``i`` adds ``q_lens[i]`` tokens on top of ``kv_lens[i] - q_lens[i]`` cached ones."""
    for name, lens in (("q_lens", q_lens), ("kv_lens", kv_lens)):
        _check_requests(len(lens), name)
    q = np.asarray([_as_int(v, f"q_lens[{i}]", minimum=1) for i, v in enumerate(q_lens)], dtype=np.int64) \
        if not isinstance(q_lens, np.ndarray) or q_lens.dtype.kind not in "iu" else q_lens.astype(np.int64)
    kv = np.asarray([_as_int(v, f"kv_lens[{i}]", minimum=1) for i, v in enumerate(kv_lens)], dtype=np.int64) \
        if not isinstance(kv_lens, np.ndarray) or kv_lens.dtype.kind not in "iu" else kv_lens.astype(np.int64)
    if q.ndim != 1 or q.size == 0 or q.shape != kv.shape:
        raise CosimInputError(f"{q.size} query lengths for {kv.size} KV lengths", field="slices",
                              allowed="one (q_len, kv_len) pair per request, at least one request")
    bad = np.flatnonzero((q < 1) | (kv < q) | (kv > MAX_CONTEXT))
    if bad.size:
        i = int(bad[0])
        raise CosimInputError(f"request {i} has q_len {int(q[i])} and kv_len {int(kv[i])}", field="slices",
                              allowed=f"1 <= q_len <= kv_len <= {MAX_CONTEXT} (kv_len counts the cached tokens "
                                      "plus the new ones)")
    return Step(slice_phase(q, kv), q, kv)


def make_step(phase: Phase | str, batch: int, context: int | Sequence[int], chunk: int | None = None) -> Step:
    """Validate the step arguments and derive per-request lengths."""
    phase = Phase.parse(phase)
    if phase is Phase.MIXED:
        raise CosimInputError("a mixed iteration is given by its request slices (--mix, step_from_slices)",
                              field="phase", allowed=[p.value for p in Phase if p is not Phase.MIXED])
    batch = _check_requests(_as_int(batch, "batch", minimum=1), "batch")  # refused before any array is made
    min_context = 0 if phase is Phase.CHUNKED_PREFILL else 1
    if isinstance(context, int | np.integer) and not isinstance(context, bool):
        contexts = np.full(batch, _as_int(context, "context", minimum=min_context), dtype=np.int64)
    elif isinstance(context, Sequence | np.ndarray) and not isinstance(context, str):
        values = [_as_int(c, f"context[{i}]", minimum=min_context) for i, c in enumerate(context)]
        if len(values) != batch:
            raise CosimInputError(f"{len(values)} per-request contexts given for batch {batch}",
                                  field="context", allowed="an int, or one int per request")
        contexts = np.asarray(values, dtype=np.int64)
    else:
        raise CosimInputError(f"expected an int or a list of ints, got {context!r}", field="context")

    extra = int(chunk) if phase is Phase.CHUNKED_PREFILL and isinstance(chunk, int | np.integer) else 0
    if int(contexts.max()) + extra > MAX_CONTEXT:
        raise CosimInputError(f"{int(contexts.max()) + extra} tokens per request{' (context + chunk)' if extra else ''}"
                              f" is more than the {MAX_CONTEXT} supported", field="context",
                              allowed=f"0..{MAX_CONTEXT} tokens")
    if phase is Phase.CHUNKED_PREFILL:
        if chunk is None:
            raise CosimInputError("chunked_prefill needs a chunk size", field="chunk",
                                  allowed="integers >= 1")
        size = _as_int(chunk, "chunk", minimum=1)
        q_lens = np.full(batch, size, dtype=np.int64)
        return Step(phase, q_lens, contexts + size)
    if chunk is not None:
        raise CosimInputError(f"chunk is only meaningful for chunked_prefill, not {phase.value}",
                              field="chunk")
    if phase is Phase.PREFILL:
        return Step(phase, contexts.copy(), contexts)
    return Step(phase, np.ones(batch, dtype=np.int64), contexts)
