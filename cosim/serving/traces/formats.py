"""The trace file layouts cosim reads, each declared once: which columns hold what, in which units.

A format is a column map, not code: the one reader in :mod:`cosim.serving.traces.readers` applies it. Times
on an absolute clock (POSIX seconds, datetimes) are shifted so the first request arrives at 0 s; times on a
relative clock (seconds or ms since the trace start) are kept as written and must not be negative.
Columns a format does not name are ignored, except in the two documented plain formats, where an unknown
column is an error (a typo such as ``prompt_token`` must not silently drop a field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cosim.registry import Registry
from cosim.serving.traces.fields import field_error, parse_int
from cosim.serving.traces.records import Container, Record

Clock = Literal["s", "ms", "epoch_s", "datetime"]
RecordCheck = Callable[[Record, str, int], None]  # (record, file, line) -> raises CosimInputError


@dataclass(frozen=True)
class TraceFormat:
    """Where a layout keeps the arrival time, the prompt length and the output length."""

    name: str
    container: Container
    arrival: str | None  # None: a lengths-only file, every request arrives at 0 s
    prompt: str
    output: str
    clock: Clock
    description: str
    source: str  # where the layout is defined, for the docs and --help
    arrival_optional: bool = False  # the column may be absent (then lengths only)
    id_column: str | None = None  # optional column with the request ids
    strict: bool = False  # unknown columns are errors
    check: RecordCheck | None = None

    @property
    def required(self) -> tuple[str, ...]:
        names = (self.prompt, self.output)
        return names if self.arrival is None or self.arrival_optional else (self.arrival, *names)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the format names (the allowed set of a strict format)."""
        optional = tuple(c for c in (self.id_column,) if c)
        return (*(c for c in (self.arrival,) if c), self.prompt, self.output, *optional)

    @property
    def absolute(self) -> bool:
        return self.clock in ("epoch_s", "datetime")

    def matches(self, keys: set[str]) -> bool:
        return set(self.required) <= keys


FORMATS: Registry[TraceFormat] = Registry("trace format", "format")

FORMATS.add("vllm", TraceFormat(
    "vllm", "jsonl", "arrival_time", "input_toks", "output_toks", "epoch_s",
    "vLLM benchmark request log (JSON lines): arrival_time POSIX s, input_toks, output_toks",
    # LLMServingSim bench/examples/<gpu>/Llama-3.1-8B/vllm/requests.jsonl (casys-kaist/LLMServingSim 5daddb2,
    # ../shared/peer_data/README.md); the *_ts columns there are engine timings, not inputs
    "casys-kaist/LLMServingSim bench/examples/*/vllm/requests.jsonl"))

FORMATS.add("azure", TraceFormat(
    "azure", "csv", "TIMESTAMP", "ContextTokens", "GeneratedTokens", "datetime",
    "Azure LLM inference trace (CSV): TIMESTAMP datetime, ContextTokens, GeneratedTokens",
    # Azure/AzurePublicDataset data/AzureLLMInferenceTrace_{conv,code}.csv, header
    # "TIMESTAMP,ContextTokens,GeneratedTokens", rows like "2023-11-16 18:15:46.6805900,374,44" (2023 trace);
    # the 2024 week-long traces keep the columns (../shared/reference/serving-and-search.md §A.4)
    "Azure/AzurePublicDataset data/AzureLLMInferenceTrace_*.csv"))

FORMATS.add("vidur", TraceFormat(
    "vidur", "csv", "arrived_at", "num_prefill_tokens", "num_decode_tokens", "s",
    "Vidur processed trace (CSV): arrived_at s, num_prefill_tokens, num_decode_tokens (arrived_at optional)",
    # microsoft/vidur data/processed_traces/splitwise_{conv,code}.csv (header
    # "arrived_at,num_prefill_tokens,num_decode_tokens"); arxiv_summarization_stats_*.csv has lengths only
    "microsoft/vidur data/processed_traces/*.csv",
    arrival_optional=True))

FORMATS.add("mooncake", TraceFormat(
    "mooncake", "jsonl", "timestamp", "input_length", "output_length", "ms",
    "Mooncake trace (JSON lines): timestamp ms, input_length, output_length (hash_ids ignored)",
    # kvcache-ai/Mooncake FAST25-release/traces/*.jsonl and FAST25-release/README.md: "timestamp" is the arrival
    # in ms from the trace start; hash_ids (512-token prefix blocks) are not part of a cosim Request
    "kvcache-ai/Mooncake FAST25-release/traces/*.jsonl"))


def _splitwise_check(record: Record, file: str, line: int) -> None:
    # splitwise-sim request.py: only RequestType.GENERATIVE_LLM (2) is implemented (COMPUTE 0 and DNN 1 are
    # "Not implemented"); batch_size > 1 would be several sequences in one request, which a cosim Request
    # is not (generate_trace.py always writes 1)
    if "request_type" in record and parse_int(record["request_type"], file, line, "request_type") != 2:
        raise field_error(file, line, "request_type", f"unsupported request type {record['request_type']!r}",
                          allowed="2 (GENERATIVE_LLM)")
    if "batch_size" in record and parse_int(record["batch_size"], file, line, "batch_size") != 1:
        raise field_error(file, line, "batch_size", f"a request of batch {record['batch_size']!r} is several "
                          "sequences; cosim requests are one", allowed="1")


FORMATS.add("splitwise", TraceFormat(
    "splitwise", "csv", "arrival_timestamp", "prompt_size", "token_size", "s",
    "splitwise-sim trace (CSV): request_id, request_type, application_id, arrival_timestamp s, batch_size, "
    "prompt_size, token_size",
    # Mutinifni/splitwise-sim traces/test_trace.csv and generate_trace.py (arrival_timestamp = cumsum of
    # exponential gaps of scale 1/request_rate in s; token_size counts the first token, made by the prompt task)
    "Mutinifni/splitwise-sim traces/*.csv (generate_trace.py)",
    check=_splitwise_check))

_PLAIN = ("arrival_s", "prompt_tokens", "output_tokens")
FORMATS.add("csv", TraceFormat(
    "csv", "csv", *_PLAIN, "s",
    "cosim plain CSV: arrival_s (s from the trace start), prompt_tokens, output_tokens, optional id",
    "cosim (this package)", id_column="id", strict=True))
FORMATS.add("jsonl", TraceFormat(
    "jsonl", "jsonl", *_PLAIN, "s",
    "cosim plain JSON lines: arrival_s (s from the trace start), prompt_tokens, output_tokens, optional id",
    "cosim (this package)", id_column="id", strict=True))

# the order auto-detection tries: specific layouts first, then the plain ones
DETECTION_ORDER = ("vllm", "mooncake", "azure", "splitwise", "vidur", "jsonl", "csv")
