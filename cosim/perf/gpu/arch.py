"""Kernel shapes per GPU architecture: the tiles and blocks the vendor libraries pick from.

These are facts about the libraries, not fitted numbers: cuBLAS/CUTLASS GEMM CTA tiles (Ampere
mma.sync kernels; Hopper warpgroup-MMA kernels, whose M tile is a multiple of 64), the split-K
factors cuBLAS uses to fill the GPU when M x N is small, and FlashAttention-2's block sizes and
split-KV limits (what torch SDPA's flash backend and vLLM run on Ampere). A GPU without an
``architecture:`` gets the generic (Ampere-like) table.
"""

from __future__ import annotations

import dataclasses
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

# Ada (sm_89): no warpgroup MMA (wgmma is sm_90a only), so cuBLAS runs the Ampere-style mma.sync kernels and their
# tiles. FlashAttention-2 prefill uses 64-row blocks there on both paths cosim models: torch SDPA's plain kernel picks
# 64 x 64 on sm8x parts other than sm80 (flash_fwd_launch_template.h run_mha_fwd_hdim128, is_sm8x = cc_major == 8 &&
# cc_minor > 0: "For sm86 or sm89, 64 x 64 is the fastest for causal"), and vLLM's paged-KV varlen call always runs
# the split-KV kernel (vllm-project/flash-attention flash_api.cpp mha_varlen_fwd: run_mha_fwd(params, stream,
# paged_KV) forces run_mha_fwd_splitkv_dispatch, kBlockM 64, kBlockN 128 for head_dim 128). vLLM serves sm_89 with
# FlashAttention-2 (vllm/v1/attention/backends/fa_utils.py get_flash_attn_version: FA3 only for major 9, FA4 only
# for major 10), GQA decode split as on Ampere.
_ADA = dataclasses.replace(_AMPERE, attn_block_m=64, attn_block_n=64)
# RTX Blackwell (sm_120): its tensor cores are driven by warp-level mma.sync (extended with FP4/FP6), not the
# tcgen05/TMEM instructions of datacenter Blackwell (sm_100), so the Ampere tile set is used (cuBLAS's sm_120
# heuristics are not published). vLLM serves it with FlashAttention-2 (fa_utils.py: major 12 falls to the FA2
# default; vllm/platforms/cuda.py _get_backend_priorities puts FLASH_ATTN first for every major but 10), whose
# paged-KV prefill runs the split-KV kernel's 64-row blocks (as on Ada, above); torch SDPA's plain FlashAttention-2
# kernel would use 128 x 64 here (is_sm8x false), so SDPA prefill on this table is timed with vLLM's block.
_RTX_BLACKWELL = dataclasses.replace(_AMPERE, attn_block_m=64, attn_block_n=128)

ARCH_TABLES: dict[GpuArchitecture | None, ArchTable] = {
    None: _AMPERE,
    GpuArchitecture.AMPERE: _AMPERE,
    GpuArchitecture.HOPPER: _HOPPER,
    GpuArchitecture.ADA: _ADA,
    GpuArchitecture.RTX_BLACKWELL: _RTX_BLACKWELL,
}


def arch_table(arch: GpuArchitecture | None) -> ArchTable:
    return ARCH_TABLES[arch]
