"""argparse value types that fail with one clear line (argparse exits 2 on them)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def int_list(text: str) -> list[int]:
    """'1,2,4' or '1 2 4' -> [1, 2, 4], all positive."""
    items = [t for t in text.replace(",", " ").split() if t]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of positive integers")
    return [positive_int(t) for t in items]
