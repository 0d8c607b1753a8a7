"""The one entry point: a trace file or a distribution name, N requests, an arrival process.

Semantics (what ``cosim serve`` exposes):

* ``source`` is a file path, or the name of a length distribution (``openr1``, ``sharegpt``, ...) when no
  file of that name exists. A :class:`~pathlib.Path` is always a file.
* ``requests``: a file gives its first N requests (file order, all by default); a distribution generates N
  (default 1,000, CHIME's protocol).
* ``arrival`` (``offline`` | ``poisson`` | ``gamma`` | ``replay``), when not given: ``gamma`` if ``cv`` is
  given; else for a file ``replay`` (its own timestamps; with ``rate`` they are stretched to that mean
  rate, keeping the trace's burst pattern); else for a distribution ``poisson`` if ``rate`` is given,
  otherwise ``offline`` (all at 0 s, as CHIME measures). ``poisson``/``gamma`` on a file keep the file's
  lengths and draw new arrivals, in the file's arrival order.
* ``seed`` drives every random draw; ``max_context`` caps prompt + output (output cut first).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosim.errors import CosimInputError
from cosim.serving.request import Trace
from cosim.serving.traces import arrivals
from cosim.serving.traces.build import clip_trace, retime
from cosim.serving.traces.readers import read_trace
from cosim.serving.traces.synthetic import (
    DEFAULT_REQUESTS,
    DISTRIBUTIONS,
    check_requests,
    check_seed,
    synthetic_trace,
)


def load_trace(source: str | Path, *, format: str = "auto", requests: int | None = None,
               rate: float | None = None, arrival: str | None = None, cv: float | None = None, seed: int = 0,
               max_context: int | None = None) -> Trace:
    """A :class:`Trace` from a file or a named length distribution (see the module docstring)."""
    if requests is not None:
        requests = check_requests(requests)
    seed = check_seed(seed)
    if arrival is not None and arrival not in arrivals.ARRIVALS:
        raise CosimInputError(f"unknown arrival process {arrival!r}", field="arrival", allowed=arrivals.ARRIVALS)
    if is_distribution(source, format):
        chosen = arrival or ("gamma" if cv is not None else "poisson" if rate is not None else "offline")
        return synthetic_trace(str(source), requests or DEFAULT_REQUESTS, arrival=chosen, rate=rate, cv=cv,
                               seed=seed, max_context=max_context)
    path = Path(source)
    if not path.exists():
        looks_like_name = isinstance(source, str) and not path.suffix and len(path.parts) == 1
        if looks_like_name:  # e.g. a misspelt distribution
            raise CosimInputError("trace file not found, nor a length distribution of that name", file=path,
                                  field="source", allowed=DISTRIBUTIONS.names())
        raise CosimInputError("trace file not found", file=path)
    return _load_file(path, format, requests, rate, arrival, cv, seed, max_context)


def is_distribution(source: str | Path, format: str = "auto") -> bool:
    """A string naming a registered distribution, with no file of that name and no file format asked for."""
    return (isinstance(source, str) and format == "auto" and source in DISTRIBUTIONS
            and not Path(source).exists())


def _load_file(path: Path, format: str, requests: int | None, rate: float | None, arrival: str | None,
               cv: float | None, seed: int, max_context: int | None) -> Trace:
    chosen = arrival or ("gamma" if cv is not None else "replay")
    if cv is not None and chosen != "gamma":
        raise CosimInputError("cv is only for arrival='gamma'", file=path, field="cv")
    trace = read_trace(path, format, limit=requests, require_sorted=chosen == "replay")
    n = len(trace)
    rng = np.random.default_rng(seed)
    if chosen == "replay":
        if rate is not None:
            trace = retime(trace, arrivals.rescale(trace.arrival_s, rate, file=str(path)))
    elif chosen == "offline":
        if rate is not None:
            raise CosimInputError("rate has no meaning when every request arrives at 0 s", file=path, field="rate")
        trace = retime(trace, arrivals.offline(n))
    else:
        if rate is None:
            raise CosimInputError(f"arrival={chosen!r} needs rate (requests per second)", file=path, field="rate")
        times = arrivals.poisson(n, rate, rng) if chosen == "poisson" else arrivals.gamma(n, rate, cv, rng)
        trace = retime(trace, times)
    return clip_trace(trace, max_context) if max_context is not None else trace
