"""Request traces for the serving simulator: peer trace files, synthetic lengths, arrival processes.

``load_trace`` is the entry point; ``FORMATS`` and ``DISTRIBUTIONS`` are the registries behind its
``format=`` and ``source=`` names.
"""

from cosim.serving.traces.arrivals import ARRIVALS, gamma, offline, poisson, rescale
from cosim.serving.traces.build import clip_to_context, make_trace
from cosim.serving.traces.formats import FORMATS, TraceFormat
from cosim.serving.traces.load import is_distribution, load_trace
from cosim.serving.traces.readers import detect_format, read_trace
from cosim.serving.traces.synthetic import DEFAULT_REQUESTS, DISTRIBUTIONS, LengthDistribution, synthetic_trace

__all__ = [
    "ARRIVALS",
    "DEFAULT_REQUESTS",
    "DISTRIBUTIONS",
    "FORMATS",
    "LengthDistribution",
    "TraceFormat",
    "clip_to_context",
    "detect_format",
    "gamma",
    "is_distribution",
    "load_trace",
    "make_trace",
    "offline",
    "poisson",
    "read_trace",
    "rescale",
    "synthetic_trace",
]
