"""Paged KV cache of one replica: ``num_blocks`` blocks of ``block_size`` tokens, counted, not placed.

Semantics of vLLM V1's ``KVCacheManager.allocate_slots`` (vllm/v1/core/kv_cache_manager.py) without prefix
caching: a request holds ``ceil(tokens_in_cache / block_size)`` blocks; before an iteration the scheduler
asks for the blocks covering ``num_computed_tokens + num_new_tokens`` and gets them only if the free pool
has them all (``num_blocks_to_allocate > free`` -> None, nothing partial); freeing returns all of a
request's blocks. vLLM's block pool keeps one null block out of ``num_gpu_blocks``: pass
``num_gpu_blocks - 1`` here to mirror a measured engine.
"""

from __future__ import annotations

import numpy as np


class KVCache:
    """Free-block count of one replica; the blocks each request holds live in ``held`` (shared per-request array)."""

    def __init__(self, num_blocks: int, block_size: int, held: np.ndarray) -> None:
        self.num_blocks = int(num_blocks)
        self.block_size = int(block_size)
        self.free = self.num_blocks
        self.held = held

    def blocks_for(self, tokens: int) -> int:
        return -(-int(tokens) // self.block_size)

    @property
    def used(self) -> int:
        return self.num_blocks - self.free

    def can_fit(self, i: int, tokens: int) -> bool:
        """Whether request ``i`` could hold ``tokens`` tokens now (vLLM's ``full_sequence_must_fit`` check)."""
        return self.blocks_for(tokens) - int(self.held[i]) <= self.free

    def try_allocate(self, i: int, tokens: int) -> bool:
        """Grow request ``i`` to cover ``tokens`` cached tokens; all or nothing."""
        need = self.blocks_for(tokens) - int(self.held[i])
        if need <= 0:
            return True
        if need > self.free:
            return False
        self.held[i] += need
        self.free -= need
        return True

    def free_request(self, i: int) -> None:
        self.free += int(self.held[i])
        self.held[i] = 0

    def decode_run(self, idx: np.ndarray, cached: np.ndarray, k_max: int) -> tuple[int, np.ndarray]:
        """How many decode steps of requests ``idx`` fit before an allocation fails, and blocks used after each.

        Step ``s`` (0-based) caches ``cached + s + 1`` tokens per request; step 0 is already allocated by the
        scheduler. A request needs a new block at steps ``s0, s0 + block_size, ...`` with
        ``s0 = held * block_size - cached``. Returns ``k <= k_max`` and ``used[:k]``.
        """
        bs = self.block_size
        s0 = self.held[idx] * bs - cached
        delta = np.zeros(k_max, dtype=np.int64)
        for start in s0[s0 < k_max].tolist():
            delta[start::bs] += 1
        new_blocks = np.cumsum(delta)
        k = int(np.searchsorted(new_blocks, self.free, side="right"))
        return k, self.used + new_blocks[:k]

    def commit_decode_run(self, idx: np.ndarray, cached_after: np.ndarray) -> None:
        """Grow every request of a finished decode run to cover ``cached_after`` tokens (known to fit)."""
        target = -(-cached_after // self.block_size)
        grow = np.maximum(target - self.held[idx], 0)
        self.held[idx] += grow
        self.free -= int(grow.sum())
        if self.free < 0:
            raise AssertionError("decode run over-allocated the KV cache")
