"""PIM energy per bit moved and per MAC, from the FGDRAM (MICRO'17) per-bit table as AttAcc uses it.

A bit read for a PU pays every stage between the cell and that PU (AttAcc simulator src/config.py
ENERGY_TABLE, pim-systems.md 2.3): bank PU = cell ACT/PRE + cell RD; bank-group PU adds the column
decoder -> BG mux wire; buffer-die PU adds BG mux -> global I/O and the TSV; a GPU adds the interposer.

DIMM-PIM: the table is for HBM; the DDR4 path from a chip to the DIMM buffer chip (an off-chip DQ
trace instead of a TSV) has no figure in the reference, so data reaching the rank PU is charged the
buffer-die path (an assumption, stated in every result that uses it). PCIe/NVLink traffic is charged
AttAcc's 10.4 pJ/B "comm" figure (1.3 pJ/b).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

# FGDRAM per-bit energies, pJ/bit (AttAcc src/config.py comments; pim-systems.md 2.3).
PJ_PER_BIT = {
    "cell_act_pre": 0.11,  # FGDRAM: cell activate/precharge
    "cell_rd_wr": 0.44,  # FGDRAM: cell read/write
    "column_to_bg_mux": 1.01,  # FGDRAM: column decoder -> bank-group mux
    "bg_mux_to_gio": 1.23,  # FGDRAM: bank-group mux -> global I/O mux
    "tsv": 0.5,  # FGDRAM: through-silicon via
    "interposer": 0.3,  # FGDRAM: silicon interposer I/O
}
PJ_PER_MAC = 0.32  # AttAcc ENERGY_TABLE['PIM'][*]['alu'] = 0.32 pJ per 2 FLOPs (one fp16 MAC)
PJ_PER_LINK_BYTE = 10.4  # AttAcc ENERGY_TABLE['PIM'][*]['comm'] = 1.3 pJ/b x 8 (GPU <-> PIM interface)


class DataPath(StrEnum):
    BANK = "bank"
    BANK_GROUP = "bank_group"
    BUFFER = "buffer"  # HBM buffer die; DIMM buffer chip (assumption, see module docstring)
    HOST = "host"  # off the memory device to a GPU/CPU (adds the interposer stage)


_STAGES = {
    DataPath.BANK: ("cell_act_pre", "cell_rd_wr"),
    DataPath.BANK_GROUP: ("cell_act_pre", "cell_rd_wr", "column_to_bg_mux"),
    DataPath.BUFFER: ("cell_act_pre", "cell_rd_wr", "column_to_bg_mux", "bg_mux_to_gio", "tsv"),
    DataPath.HOST: ("cell_act_pre", "cell_rd_wr", "column_to_bg_mux", "bg_mux_to_gio", "tsv", "interposer"),
}


def pj_per_byte(path: DataPath) -> float:
    """Energy of one byte from the cells to a PU on ``path`` (bank: 4.4, bank group: 12.48, buffer: 26.32)."""
    return 8.0 * sum(PJ_PER_BIT[s] for s in _STAGES[path])


@dataclass(frozen=True)
class EnergyBreakdown:
    """Joules of one kernel, by where they go."""

    dram_j: float  # cells -> PUs (KV streamed, including GQA re-reads)
    bus_j: float  # chip <-> rank PU traffic (partial scores, probabilities, q, results): the wire stages only
    alu_j: float  # MACs
    link_j: float  # GPU <-> PIM link (PCIe)

    @property
    def total_j(self) -> float:
        return self.dram_j + self.bus_j + self.alu_j + self.link_j

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "total_j": self.total_j}


def kernel_energy(*, dram_bytes: float, path: DataPath, bus_bytes: float, macs: float,
                  link_bytes: float) -> EnergyBreakdown:
    pj = 1e-12
    return EnergyBreakdown(
        dram_j=dram_bytes * pj_per_byte(path) * pj,
        bus_j=bus_bytes * (pj_per_byte(DataPath.BUFFER) - pj_per_byte(DataPath.BANK)) * pj,
        alu_j=macs * PJ_PER_MAC * pj,
        link_j=link_bytes * PJ_PER_LINK_BYTE * pj,
    )
