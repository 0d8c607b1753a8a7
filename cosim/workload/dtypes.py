"""Numeric formats, with their storage size in bits (sub-byte formats allowed)."""

from __future__ import annotations

from enum import StrEnum

from cosim.errors import CosimInputError


class DType(StrEnum):
    FP64 = "fp64"
    FP32 = "fp32"
    TF32 = "tf32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    FP4 = "fp4"
    INT4 = "int4"

    @property
    def bits(self) -> int:
        return _BITS[self]

    @property
    def bytes(self) -> float:
        """Storage bytes per element (0.5 for 4-bit formats)."""
        return _BITS[self] / 8

    @classmethod
    def parse(cls, value: str | DType, *, field: str | None = None) -> DType:
        if isinstance(value, DType):
            return value
        text = str(value).strip().lower()
        text = _ALIASES.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise CosimInputError(f"unknown dtype {value!r}", field=field,
                                  allowed=[d.value for d in cls]) from None


_BITS = {
    DType.FP64: 64, DType.FP32: 32, DType.TF32: 32, DType.BF16: 16, DType.FP16: 16,
    DType.FP8: 8, DType.INT8: 8, DType.FP4: 4, DType.INT4: 4,
}
# HF configs write torch names ("bfloat16", "float16").
_ALIASES = {
    "float64": "fp64", "double": "fp64", "float32": "fp32", "float": "fp32", "bfloat16": "bf16",
    "float16": "fp16", "half": "fp16", "e4m3": "fp8", "e5m2": "fp8", "fp8_e4m3": "fp8", "float8": "fp8",
    "nf4": "int4", "uint8": "int8",
}
