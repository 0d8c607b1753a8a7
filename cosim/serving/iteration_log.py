"""Per-iteration records of one replica, kept as numpy chunks so a million-step run builds no row objects.

Single steps are buffered as Python scalars and flushed into arrays; a skip-ahead block of ``k`` steps is
one chunk whose per-step columns (times, KV use) are arrays and whose constant columns (batch size,
tokens) are zero-stride broadcasts, expanded only when the log is finalized.
"""

from __future__ import annotations

import numpy as np

FLOAT_COLUMNS = ("start_s", "end_s", "device_s", "overhead_s")
INT_COLUMNS = ("num_seqs", "num_decodes", "num_tokens", "num_prefill_tokens", "num_running", "num_waiting",
               "kv_blocks_used", "num_preempted")
COLUMNS = FLOAT_COLUMNS + INT_COLUMNS


def _dtype(column: str) -> type:
    return np.float64 if column in FLOAT_COLUMNS else np.int64


class IterationLog:
    def __init__(self) -> None:
        self._rows: dict[str, list] = {c: [] for c in COLUMNS}
        self._chunks: dict[str, list[np.ndarray]] = {c: [] for c in COLUMNS}
        self.count = 0

    def append(self, **values: float | int) -> None:
        for c in COLUMNS:
            self._rows[c].append(values[c])
        self.count += 1

    def append_block(self, k: int, **values: float | int | np.ndarray) -> None:
        """``k`` iterations at once; a scalar value holds for all of them."""
        self._flush()
        for c in COLUMNS:
            v = np.asarray(values[c], dtype=_dtype(c))
            self._chunks[c].append(v if v.ndim else np.broadcast_to(v, (k,)))
        self.count += k

    def _flush(self) -> None:
        if self._rows["end_s"]:
            for c in COLUMNS:
                self._chunks[c].append(np.asarray(self._rows[c], dtype=_dtype(c)))
                self._rows[c] = []

    def finalize(self) -> dict[str, np.ndarray]:
        self._flush()
        return {c: (np.concatenate(self._chunks[c]) if self._chunks[c] else np.zeros(0, dtype=_dtype(c)))
                for c in COLUMNS}
