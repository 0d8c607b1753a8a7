"""DRAMsim3 `.ini` reader: sections of `key = value` lines, `;` / `#` comments, into a `DramSpec`.

The parser is a small INI reader of our own (DRAMsim3 uses inih): values stay strings until
`spec_from_sections` validates them, so an error names the file, the section.key and, for syntax
errors, the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from cosim.dram.spec import DramSpec, spec_from_sections
from cosim.errors import CosimInputError

# inih reads numbers with strtod/strtol: a leading number followed by text ("0.666 (1/1.5)") is that number.
_LEADING_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s+\S")


def parse_ini(path: str | Path) -> dict[str, dict[str, str]]:
    """Sections -> {key: raw string}; inline comments after `;` or `#` are dropped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CosimInputError("file not found", file=path) from None
    except OSError as exc:
        raise CosimInputError(f"cannot read file: {exc}", file=path) from None
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].split("#", 1)[0].strip()  # a comment starts at the first ';' or '#'
        if not line:
            continue
        if line[0] == "[" and line[-1] == "]":
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, eq, value = line.partition("=")
        if not eq or current is None:
            raise CosimInputError(f"line {lineno}: expected '[section]' or 'key = value', got {raw.strip()!r}",
                                  file=path)
        key, value = key.strip(), value.strip()
        if not value:
            continue  # inih: an empty value reads as absent, so DRAMsim3's default applies
        if len(value.split(None, 1)) > 1:  # only a value with inner whitespace can carry trailing text
            number = _LEADING_NUMBER.match(value)
            if number:
                value = number.group(1)
        if not key:
            raise CosimInputError(f"line {lineno}: empty key", file=path)
        current[key] = value
    return sections


def load_ini(path: str | Path) -> DramSpec:
    """Load a DRAMsim3 configuration file (any of DRAMsim3's `configs/*.ini`)."""
    path = Path(path)
    return spec_from_sections(parse_ini(path), name=path.stem, file=path, source=f"DRAMsim3 ini {path.name}")
