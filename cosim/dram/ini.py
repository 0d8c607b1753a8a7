"""DRAMsim3 `.ini` reader: sections of `key = value` lines, `;` / `#` comments, into a `DramSpec`.

The parser is a small INI reader of our own (DRAMsim3 uses inih): values stay strings until
`spec_from_sections` validates them, so an error names the file, the section.key and, for syntax
errors, the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from cosim.config import closest_name
from cosim.dram.spec import POWER_DEFAULTS, SYSTEM_DEFAULTS, TIMING_DEFAULTS, DramSpec, spec_from_sections
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


# Every key DRAMsim3's Config reads (configuration.cc, with the thermal build and its forks' extras, e.g. the PIM
# fork LLMServingSim ships: pim_type, peak_power, idle_power, data_rate) or one of its shipped configs/*.ini
# spells: anything else is a typo that inih, and so DRAMsim3, would silently ignore.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "dram_structure": frozenset({"protocol", "bankgroups", "banks_per_group", "bankgroup_enable", "rows", "columns",
                                 "device_width", "BL", "num_dies", "hbm_dual_cmd", "pim_type"}),
    "timing": frozenset({*TIMING_DEFAULTS, "tCK", "CL", "CWL", "tRP", "tRAS", "tFAW", "tWR", "tRC", "tCCD_AB",
                         "REFI", "REFRESH_PERIOD", "activation_window_depth", "tCAS", "tCKSRE", "tCMD", "tCWD",
                         "tRFC2", "tRFC4", "tRREFD", "tRTP_L", "tRTP_S", "tWR2", "tREFSBRD", "tRFCsb", "tREFIsb",
                         "ideal_memory_latency"}),
    "power": frozenset({*POWER_DEFAULTS, "IDD1", "IDD2Q", "IDD3Pf", "IDD3Ps", "IDD5", "IDD6", "IDD6L", "IDD7",
                        "IPP0"}),
    "system": frozenset({*SYSTEM_DEFAULTS, "channel_size", "channels", "bus_width", "address_mapping", "mop_size",
                         "write_buf_size", "enable_self_refresh", "sref_threshold",
                         "aggressive_precharging_enabled", "refresh_strategy", "queue_size",
                         "idle_cycles_for_self_refresh"}),
    "other": frozenset({"epoch_period", "output_level", "output_prefix", "validation_output", "peak_power",
                        "idle_power", "data_rate"}),
    "thermal": frozenset({"amb_temp", "bank_layer_order", "bank_order", "chip_dim_x", "chip_dim_y", "loc_mapping",
                          "logic_bg_power", "logic_max_power", "mat_dim_x", "mat_dim_y", "power_epoch_period",
                          "const_logic_power"}),
    "hmc": frozenset({"block_size", "link_speed", "link_width", "num_links", "xbar_queue_depth"}),
}


def check_known_keys(sections: dict[str, dict[str, str]], path: Path) -> None:
    """Refuse a section or key DRAMsim3 does not read, naming the closest one it does."""
    for section, body in sections.items():
        if section not in KNOWN_KEYS:
            close = closest_name(section, KNOWN_KEYS)
            hint = f"; did you mean [{close}]?" if close else ""
            raise CosimInputError(f"unknown section [{section}]{hint}", file=path, field=section,
                                  allowed=", ".join(KNOWN_KEYS))
        for key in body:
            if key not in KNOWN_KEYS[section]:
                close = closest_name(key, KNOWN_KEYS[section])
                hint = f"; did you mean {close!r}?" if close else ""
                raise CosimInputError(f"unknown key{hint} (DRAMsim3 would ignore it)", file=path,
                                      field=f"{section}.{key}")


def load_ini(path: str | Path) -> DramSpec:
    """Load a DRAMsim3 configuration file (any of DRAMsim3's `configs/*.ini`).

    Unknown sections and keys are refused (a misspelled ``tRCDD`` would leave tRCD at a default); timings
    DRAMsim3 defaults may be left out (``cosim.dram.spec.TIMING_DEFAULTS``), except the activate-to-column
    delay (see ``spec_from_sections``)."""
    path = Path(path)
    sections = parse_ini(path)
    check_known_keys(sections, path)
    return spec_from_sections(sections, name=path.stem, file=path, source=f"DRAMsim3 ini {path.name}")
