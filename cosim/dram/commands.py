"""The DRAM command set, plain and PIM, with the properties the controller and the tables need.

Codes are small integers so the simulator kernels (numba) can index timing tables by them. PIM commands
follow CHIME (PIM_LD_SB bank -> shared buffer, PIM_WR_SB rank unit -> shared buffer, MACAB = PIM_MAC the
all-bank MAC, PIM_RD_RB result buffers -> rank unit) and AttAcc (ACTAB all-bank activate, MACAB).
"""

from __future__ import annotations

from enum import IntEnum


class Cmd(IntEnum):
    RD = 0
    RDA = 1
    WR = 2
    WRA = 3
    ACT = 4
    PRE = 5
    REFB = 6  # per-bank refresh (REFpb / REFsb)
    REF = 7  # all-bank refresh (REFab)
    PREA = 8  # precharge all banks of a rank
    ACTAB = 9  # PIM: activate the same row in every bank of a rank
    MACAB = 10  # PIM: all-bank MAC on one column of every open row (CHIME PIM_MAC, AttAcc MACAB)
    PIM_LD_SB = 11  # PIM: one bank's column -> shared buffer
    PIM_WR_SB = 12  # PIM: rank unit / host -> shared buffer (a write burst on the bus)
    PIM_RD_RB = 13  # PIM: all result buffers -> rank unit (a read burst on the bus)


N_CMDS = len(Cmd)
ALIASES = {"REFAB": Cmd.REF, "REFPB": Cmd.REFB, "REFSB": Cmd.REFB, "PIM_MAC": Cmd.MACAB, "MAC": Cmd.MACAB,
           "PIM_ACTAB": Cmd.ACTAB, "PIM_PREA": Cmd.PREA, "PIM_MACAB": Cmd.MACAB}

# Commands that address a whole rank (timing rows at level same_rank apply to every bank of it).
RANK_LEVEL = frozenset({Cmd.REF, Cmd.PREA, Cmd.ACTAB, Cmd.MACAB, Cmd.PIM_WR_SB, Cmd.PIM_RD_RB})
READS = frozenset({Cmd.RD, Cmd.RDA})
WRITES = frozenset({Cmd.WR, Cmd.WRA})
OPENS_ROW = frozenset({Cmd.ACT, Cmd.ACTAB})
CLOSES_ROW = frozenset({Cmd.PRE, Cmd.PREA, Cmd.RDA, Cmd.WRA})
NEEDS_OPEN_ROW = frozenset({Cmd.RD, Cmd.RDA, Cmd.WR, Cmd.WRA, Cmd.MACAB, Cmd.PIM_LD_SB})


def parse_cmd(name: str) -> Cmd:
    """A command by name (case-insensitive; REFab/REFpb/PIM_MAC aliases accepted); KeyError if unknown."""
    key = name.strip().upper()
    if key in ALIASES:
        return ALIASES[key]
    return Cmd[key]
