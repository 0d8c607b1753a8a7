"""A request of a serving trace: when it arrives, how long its prompt is, how many tokens it generates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Request:
    """One request: ``prompt_tokens`` to prefill, then ``output_tokens`` generated (the first by the prefill)."""

    id: int
    arrival_s: float
    prompt_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Trace:
    """Requests sorted by arrival time, with the name of where they came from (a file or a generator)."""

    name: str
    requests: tuple[Request, ...]

    def __len__(self) -> int:
        return len(self.requests)

    def __iter__(self) -> Iterator[Request]:
        return iter(self.requests)

    @classmethod
    def from_arrays(cls, name: str, arrival_s: Sequence[float] | np.ndarray, prompt_tokens: Sequence[int] | np.ndarray,
                    output_tokens: Sequence[int] | np.ndarray) -> Trace:
        """Requests numbered 0.. in the given order, then sorted by arrival (stable)."""
        arrival = np.asarray(arrival_s, dtype=float)
        order = np.argsort(arrival, kind="stable")
        prompt = np.asarray(prompt_tokens, dtype=np.int64)
        output = np.asarray(output_tokens, dtype=np.int64)
        return cls(name, tuple(Request(int(i), float(arrival[i]), int(prompt[i]), int(output[i])) for i in order))

    @property
    def arrival_s(self) -> np.ndarray:
        return np.array([r.arrival_s for r in self.requests], dtype=float)

    @property
    def prompt_tokens(self) -> np.ndarray:
        return np.array([r.prompt_tokens for r in self.requests], dtype=np.int64)

    @property
    def output_tokens(self) -> np.ndarray:
        return np.array([r.output_tokens for r in self.requests], dtype=np.int64)
