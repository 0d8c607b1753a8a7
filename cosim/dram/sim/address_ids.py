"""Dense ids for trace addresses (numba hash table): the controller's pending-read/write tables index by them.

`np.unique(..., return_inverse=True)` sorts (O(n log n)) and was a tenth of a short simulation's wall time;
the ids only need to be equal for equal addresses, so an open-addressing table in first-seen order does it
in one pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # no stored address can be this: capacities are far below 2**64 bytes
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier (2**64 / golden ratio)


@njit(cache=True)
def dense_address_ids(addrs):
    """(ids, count): ids[i] == ids[j] iff addrs[i] == addrs[j], ids in 0..count-1 by first appearance."""
    n = addrs.shape[0]
    bits = 1
    while (1 << bits) < 2 * n + 2:
        bits += 1
    mask = np.uint64((1 << bits) - 1)
    shift = np.uint64(64 - bits)
    # key and id side by side (slot s at 2s, 2s+1): a probe touches one cache line, not two
    table = np.full(2 << bits, _EMPTY, np.uint64)
    ids = np.empty(n, np.int64)
    count = 0
    for i in range(n):
        a = addrs[i]
        slot = (a * _MIX) >> shift
        while True:
            k = table[2 * slot]
            if k == a:
                ids[i] = np.int64(table[2 * slot + 1])
                break
            if k == _EMPTY:
                table[2 * slot] = a
                table[2 * slot + 1] = np.uint64(count)
                ids[i] = count
                count += 1
                break
            slot = (slot + np.uint64(1)) & mask
    return ids, count
