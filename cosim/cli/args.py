"""argparse value types that fail with one clear line (argparse exits 2 on them)."""

from __future__ import annotations

import argparse
from typing import NoReturn

MAX_INT = 2**53
"""Largest integer an option takes: every count and size in cosim is a float somewhere (2^53 is where floats stop
holding every integer) and numpy's int64 overflows not far above; beyond it argparse names the option instead
of a traceback from deep inside a model."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if not 0 < value <= MAX_INT:
        raise argparse.ArgumentTypeError(f"expected a positive integer up to 2**53, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if not 0 <= value <= MAX_INT:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**53, got {value}")
    return value


def int_list(text: str) -> list[int]:
    """'1,2,4' or '1 2 4' -> [1, 2, 4], all positive."""
    items = [t for t in text.replace(",", " ").split() if t]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of positive integers")
    return [positive_int(t) for t in items]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``cosim: error: <subcommand>: <message>``, with where to look.

    argparse's own error() prints the whole usage (5-8 lines for `cosim predict`) before the line that matters.
    Subparsers inherit the class (argparse's add_subparsers defaults parser_class to the parent's type)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        """Also record which (sub)parser ran last: arguments left over are that subcommand's, not cosim's."""
        namespace, extras = super().parse_known_args(args, namespace)
        if not hasattr(namespace, _PROG):  # the innermost subparser returns first; its name is copied outwards
            setattr(namespace, _PROG, self.prog)
        return namespace, extras

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = OneLineParser(prog=getattr(namespace, _PROG, self.prog))
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace

    def error(self, message: str) -> NoReturn:
        words = self.prog.split()
        command = " ".join(words[1:])  # "cosim dram simulate" -> "dram simulate"; the top-level parser has none
        where = f"{command}: " if command else ""
        self.exit(2, f"cosim: error: {where}{' '.join(message.split())} (see '{self.prog} --help')\n")


_PROG = "cosim_parser_prog"  # namespace attribute naming the innermost parser (for 'unrecognized arguments')
