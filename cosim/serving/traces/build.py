"""Traces built from columns and changed as a whole: re-timed or cut to a context limit.

Traces are immutable; each helper returns a new one and keeps the request ids, so a request can be
followed from the file through re-timing to the simulator's metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.request import Request, Trace


def make_trace(name: str, arrival_s: Sequence[float] | np.ndarray, prompt_tokens: Sequence[int] | np.ndarray,
               output_tokens: Sequence[int] | np.ndarray, ids: Sequence[int] | np.ndarray | None = None) -> Trace:
    """Like :meth:`Trace.from_arrays` (stable sort by arrival) but with given ids (default 0.. in input order)."""
    arrival = np.asarray(arrival_s, dtype=float)
    prompt = np.asarray(prompt_tokens, dtype=np.int64)
    output = np.asarray(output_tokens, dtype=np.int64)
    index = np.arange(len(arrival), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    order = np.argsort(arrival, kind="stable")
    return Trace(name, tuple(Request(int(index[i]), float(arrival[i]), int(prompt[i]), int(output[i]))
                             for i in order.tolist()))


def ids(trace: Trace) -> np.ndarray:
    return np.array([r.id for r in trace.requests], dtype=np.int64)


def retime(trace: Trace, arrival_s: np.ndarray, name: str | None = None) -> Trace:
    """New arrival times, given in the trace's current (arrival) order."""
    return make_trace(name or trace.name, arrival_s, trace.prompt_tokens, trace.output_tokens, ids(trace))


def clip_to_context(prompt_tokens: np.ndarray, output_tokens: np.ndarray, max_context: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Make prompt + output <= ``max_context``, keeping both >= 1.

    The output is cut first, as vLLM stops a request that reaches max_model_len ("length" finish); a prompt
    that alone fills the context is cut to ``max_context - 1`` (vLLM would reject it; Vidur's trace reader
    cuts the prompt instead, which would empty the prompts of CHIME's output-heavy traces).
    """
    if isinstance(max_context, bool) or not isinstance(max_context, int | np.integer) or max_context < 2:
        raise CosimInputError(f"must be a whole number of tokens >= 2 (one prompt and one output token), "
                              f"got {max_context!r}", field="max_context")
    prompt = np.minimum(prompt_tokens, max_context - 1)
    output = np.clip(output_tokens, 1, max_context - prompt)
    return prompt, output


def clip_trace(trace: Trace, max_context: int) -> Trace:
    prompt, output = clip_to_context(trace.prompt_tokens, trace.output_tokens, max_context)
    return make_trace(trace.name, trace.arrival_s, prompt, output, ids(trace))
