"""User CSV: the documented schema loads; every class of bad input is one line naming file, row, column."""

from __future__ import annotations

import pytest

from cosim.errors import CosimInputError
from cosim.validate.datasets.user_csv import load_csv
from cosim.validate.predict import predict_many

GOOD = """\
# my H100 measurements
dataset,device,kind,measured_us,m,n,k,dtype,batch,context,heads,kv_heads,head_dim,op,tokens,hidden,model,tp,fusion
mine,h100-sxm,gemm,120.5,4096,4096,4096,bf16,,,,,,,,,,,
mine,h100-sxm,attention_decode,35,,,,,32,4096,32,8,128,,,,,,
mine,h100-sxm,attention_prefill,900,,,,,2,2048,32,8,128,,,,,,

mine,a100-80g,elementwise,12.5,,,,fp16,,,,,,rmsnorm,4096,4096,,,
mine,h100-sxm,step_decode,9500,,,,,16,2048,,,,,,,llama3-8b,1,unfused
"""


def test_good_file_loads_every_kind(write_csv):
    path = write_csv(GOOD)
    loaded = load_csv(path)
    assert [m.kind for m in loaded] == ["gemm", "attention_decode", "attention_prefill", "elementwise", "step_decode"]
    gemm, decode, prefill, norm, step = loaded
    assert gemm.measured_s == pytest.approx(120.5e-6)
    assert dict(gemm.params) == {"m": 4096, "n": 4096, "k": 4096, "dtype": "bf16"}
    assert decode.params["q_len"] == 1 and prefill.params["q_len"] == 2048
    assert norm.params["op"] == "rmsnorm" and norm.device == "a100-80g"
    assert step.params["fusion"] == "unfused" and step.params["tp"] == 1
    assert gemm.source == f"{path}:3"  # line numbers count the comment line
    assert all(m.dataset == "mine" for m in loaded)
    assert all(p > 0 for p in predict_many(loaded))


def test_dataset_column_is_optional_and_units_scale(write_csv):
    loaded = load_csv(write_csv("device,kind,measured_ms,m,n,k\nh100-sxm,gemm,2,8,8,8\n", name="x.csv"))
    assert loaded[0].dataset == "csv:x.csv"
    assert loaded[0].measured_s == pytest.approx(2e-3)


BAD = [
    # (file text, expected row, expected column or header marker, words in the message)
    ("kind,measured_s,m,n,k\ngemm,1,8,8,8\n", "row 1", None, "missing column 'device'"),
    ("device,kind,m,n,k\nh100-sxm,gemm,8,8,8\n", "row 1", None, "no time column"),
    ("device,kind,measured_min,m,n,k\nh100-sxm,gemm,1,8,8,8\n", "row 1", "measured_min", "unknown time unit"),
    ("device,kind,measured,m,n,k\nh100-sxm,gemm,1,8,8,8\n", "row 1", "measured", "unknown time unit"),
    ("device,kind,measured_s,measured_ms,m,n,k\nh100-sxm,gemm,1,1,8,8,8\n", "row 1", None, "2 time columns"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,0,8,8,8\n", "row 2", "measured_s", "must be > 0"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,-3,8,8,8\n", "row 2", "measured_s", "must be > 0"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,1.2ms,8,8,8\n", "row 2", "measured_s", "unit in the header"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,nan,8,8,8\n", "row 2", "measured_s", "must be > 0"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,,8,8,8\n", "row 2", "measured_s", "empty"),
    ("device,kind,measured_s,m,n,k\nh999,gemm,1,8,8,8\n", "row 2", "device", "unknown device"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,matmul,1,8,8,8\n", "row 2", "kind", "unknown kind"),
    ("device,kind,measured_s,m,n\nh100-sxm,gemm,1,8,8\n", "row 2", "k", "missing column 'k'"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,1,8,8.5,8\n", "row 2", "n", "whole number"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,1,8,0,8\n", "row 2", "n", "whole number"),
    ("device,kind,measured_s,m,n,k,dtype\nh100-sxm,gemm,1,8,8,8,fp7\n", "row 2", "dtype", "unknown dtype"),
    ("device,kind,measured_s,m,n,k\nh100-sxm,gemm,1,8,8,8,9\n", "row 2", None, "7 cells"),
    ("device,kind,measured_s,batch,context,heads,kv_heads,head_dim\nh100-sxm,attention_decode,1,1,8,32,5,128\n",
     "row 2", "kv_heads", "multiple"),
    ("device,kind,measured_s,op,tokens,hidden\nh100-sxm,elementwise,1,swish,8,8\n", "row 2", "op", "unknown value"),
    ("device,kind,measured_s,model,batch,context\nh100-sxm,step_decode,1,llama9,1,8\n", "row 2", "model",
     "unknown model"),
    ("device,kind,measured_s,model,batch,context,fusion\nh100-sxm,step_decode,1,llama3-8b,1,8,partly\n", "row 2",
     "fusion", "unknown value"),
    ("", "row 1", None, "empty file"),
]


@pytest.mark.parametrize(("text", "row", "column", "words"), BAD, ids=[b[3] for b in BAD])
def test_bad_input_is_one_line_naming_file_row_and_column(write_csv, text, row, column, words):
    path = write_csv(text)
    with pytest.raises(CosimInputError) as info:
        load_csv(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert row in message
    if column is not None:
        assert f"column {column}" in message
    assert words in message


def test_a_bad_row_after_good_ones_loads_nothing(write_csv):
    text = "device,kind,measured_s,m,n,k\nh100-sxm,gemm,1,8,8,8\nh100-sxm,gemm,1,8,8,8\nh100-sxm,gemm,-1,8,8,8\n"
    with pytest.raises(CosimInputError, match="row 4"):
        load_csv(write_csv(text))


def test_missing_file(tmp_path):
    with pytest.raises(CosimInputError, match="cannot read"):
        load_csv(tmp_path / "absent.csv")
