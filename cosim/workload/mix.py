"""The ``--mix`` notation for one serving iteration: request slices written as short tokens.

``p<len>`` a fresh prefill of ``len`` tokens; ``c<chunk>@<cached>`` a prefill chunk over already cached
tokens; ``d<kv_len>`` one decode whose query sees ``kv_len`` keys (as ``--phase decode --context kv_len``);
each optionally ``x<count>``. ``p2048,d4096x32`` is one prompt and 32 decodes.
"""

from __future__ import annotations

import re

import numpy as np

from cosim.errors import CosimInputError
from cosim.workload.step import MAX_REQUESTS  # a serving iteration of more requests is a typo, not a what-if

_TOKEN = re.compile(r"^(?:p(?P<p>\d+)|c(?P<chunk>\d+)@(?P<cached>\d+)|d(?P<d>\d+))(?:x(?P<count>\d+))?$")
SYNTAX = "comma-separated p<len>, c<chunk>@<cached>, d<kv_len>, each optionally x<count> (e.g. p2048,d4096x32)"


def parse_mix(text: str, *, field: str = "mix") -> tuple[np.ndarray, np.ndarray]:
    """(q_lens, kv_lens) of the slices ``text`` describes, in the order given."""
    q: list[np.ndarray] = []
    kv: list[np.ndarray] = []
    total = 0
    for raw in str(text).split(","):
        token = raw.strip().lower()
        m = _TOKEN.match(token)
        if m is None:
            raise CosimInputError(f"cannot read slice {raw.strip()!r}", field=field, allowed=SYNTAX)
        count = int(m["count"]) if m["count"] is not None else 1
        if m["p"] is not None:
            new, keys = int(m["p"]), int(m["p"])
        elif m["chunk"] is not None:
            new, keys = int(m["chunk"]), int(m["cached"]) + int(m["chunk"])
        else:
            new, keys = 1, int(m["d"])
        if new < 1 or keys < 1 or count < 1:
            raise CosimInputError(f"slice {raw.strip()!r} has a zero length or count", field=field, allowed=SYNTAX)
        total += count
        if total > MAX_REQUESTS:
            raise CosimInputError(f"more than {MAX_REQUESTS} requests in one iteration", field=field,
                                  allowed=f"at most {MAX_REQUESTS} slices")
        q.append(np.full(count, new, dtype=np.int64))
        kv.append(np.full(count, keys, dtype=np.int64))
    return np.concatenate(q), np.concatenate(kv)
