"""Kernel shapes per GPU architecture: the tiles and blocks the vendor libraries pick from.

These are facts about the libraries, not fitted numbers: cuBLAS/CUTLASS GEMM CTA tiles (Ampere
mma.sync kernels; Hopper warpgroup-MMA kernels, whose M tile is a multiple of 64), the split-K
factors cuBLAS uses to fill the GPU when M x N is small, and FlashAttention-2's block sizes and
split-KV limits (what torch SDPA's flash backend and vLLM run on Ampere). A GPU without an
``architecture:`` gets the generic (Ampere-like) table.
"""

from __future__ import annotations

from dataclasses import dataclass

from cosim.hardware.gpu_kernel import GpuArchitecture


@dataclass(frozen=True)
class ArchTable:
    gemm_tiles: tuple[tuple[int, int], ...]  # (tile_m, tile_n) CTA tiles
    split_k: tuple[int, ...]  # K-split factors the GEMM heuristics consider
    min_k_per_split: int  # never split K below this many elements per CTA
    attn_block_m: int  # query rows per flash-attention CTA (prefill)
    attn_block_n: int  # keys per inner iteration (prefill)
    decode_block_m: int  # query rows one decode CTA holds (GQA groups are packed into them)
    max_kv_splits: int  # FlashAttention-2 num_splits upper bound
    # vLLM's serving kernel is FlashAttention-2's varlen API (Ampere; Hopper runs FlashAttention-3), which splits
    # the keys only for decode with GQA heads packed into rows ("Only apply split-k for decoding", under
    # seqlenq_ngroups_swapped = q_len 1 and heads > kv_heads, flash_api.cpp mha_varlen_fwd): MHA decode never splits
    serving_splits_only_gqa: bool = False


def decode_block_n(head_dim: int) -> int:
    """FlashAttention-2 split-KV kernel key block: 256 keys for head_dim <= 64, 128 up to 128, else 64."""
    if head_dim <= 64:
        return 256
    return 128 if head_dim <= 128 else 64


_AMPERE = ArchTable(
    gemm_tiles=((32, 32), (32, 64), (64, 32), (64, 64), (64, 128), (128, 64), (128, 128), (128, 256), (256, 128)),
    split_k=(1, 2, 3, 4, 6, 8, 12, 16),
    min_k_per_split=128,
    attn_block_m=128,
    attn_block_n=64,
    decode_block_m=64,
    max_kv_splits=128,
    serving_splits_only_gqa=True,
)
_HOPPER = ArchTable(
    gemm_tiles=((64, 64), (64, 128), (64, 256), (128, 64), (128, 128), (128, 256),
                (256, 128)),
    split_k=(1, 2, 3, 4, 6, 8, 12, 16),
    min_k_per_split=128,
    attn_block_m=128,
    attn_block_n=128,
    decode_block_m=64,
    max_kv_splits=128,
)

ARCH_TABLES: dict[GpuArchitecture | None, ArchTable] = {
    None: _AMPERE,
    GpuArchitecture.AMPERE: _AMPERE,
    GpuArchitecture.HOPPER: _HOPPER,
}


def arch_table(arch: GpuArchitecture | None) -> ArchTable:
    return ARCH_TABLES[arch]
