"""End-to-end tests of the `cosim` command line (in-process, plus one real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cosim.cli.main import main
from cosim.workload import load_model


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def predict_json(capsys, *argv: str) -> dict:
    code, out, err = run_cli(capsys, "predict", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_predict_json_has_documented_keys(capsys):
    data = predict_json(capsys, "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "decode", "--batch", "8",
                        "--context", "2048")
    for key in ("latency_s", "tokens_per_s", "flops", "bytes", "memory_bytes", "fits", "breakdown", "bound"):
        assert key in data
    assert data["fits"] is True
    assert data["latency_s"] > 0
    assert data["tokens_per_s"] == pytest.approx(8 / data["latency_s"])
    assert sum(data["breakdown"].values()) == pytest.approx(data["latency_s"])
    assert data["bound"] in ("compute", "memory", "overhead", "network")


def test_predict_prefill_flops_match_closed_form(capsys):
    """2 x matmul parameters x tokens + causal attention, plus a small elementwise remainder."""
    m = load_model("llama2-7b")
    tokens = 2048
    data = predict_json(capsys, "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "prefill", "--batch", "1",
                        "--context", str(tokens), "--fusion", "unfused")  # unfused: lm_head on every token
    d, f, v, L = m.hidden_size, m.intermediate_size, m.vocab_size, m.num_layers
    per_layer_matmul = d * d * 4 + 3 * d * f  # q, k, v, o (MHA) + gate, up, down
    matmul_params = L * per_layer_matmul + d * v  # + lm_head
    attention = 4 * L * m.num_heads * m.head_dim * tokens * (tokens + 1) / 2
    closed_form = 2 * matmul_params * tokens + attention
    assert data["flops"] == pytest.approx(closed_form, rel=0.01)
    assert data["flops"] >= closed_form  # the remainder (norms, rotary, softmax) only adds


def test_predict_decode_bytes_include_weights_and_kv(capsys):
    m = load_model("llama2-7b")
    batch, context = 4, 4096
    data = predict_json(capsys, "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "decode", "--batch",
                        str(batch), "--context", str(context))
    weights = m.weight_bytes("bf16")
    kv = batch * context * m.num_layers * 2 * m.num_kv_heads * m.head_dim * 2
    assert data["bytes"] >= weights - 2 * m.vocab_size * m.hidden_size + kv  # embedding is gathered, not read
    assert data["bytes"] < (weights + kv) * 1.05


def test_op_gemm_and_attention_json(capsys):
    code, out, err = run_cli(capsys, "op", "gemm", "--m", "4096", "--n", "4096", "--k", "4096", "--hw", "h100-sxm",
                             "--json")
    assert code == 0, err
    gemm = json.loads(out)
    assert gemm["latency_s"] > 0 and gemm["flops"] == 2 * 4096**3
    code, out, err = run_cli(capsys, "op", "attention", "--phase", "decode", "--batch", "16", "--heads", "32",
                             "--kv-heads", "8", "--head-dim", "128", "--context", "8192", "--hw", "h100-sxm",
                             "--json")
    assert code == 0, err
    attention = json.loads(out)
    assert attention["latency_s"] > 0 and attention["bound"] == "memory"


@pytest.mark.parametrize("fmt", ["table", "json", "dot"])
def test_graph_formats(capsys, fmt):
    code, out, err = run_cli(capsys, "graph", "--model", "llama3-8b", "--phase", "decode", "--batch", "2",
                             "--context", "128", "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        data = json.loads(out)
        assert data["nodes"] and data["edges"]
    elif fmt == "dot":
        assert out.startswith("digraph") and "->" in out
    else:
        assert "qkv" in out


@pytest.mark.parametrize("what", ["models", "hw", "mappings", "studies", "cost-models"])
def test_list(capsys, what):
    code, out, err = run_cli(capsys, "list", what)
    assert code == 0, err
    assert len(out.splitlines()) >= 3


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["predict", "--model", "llama9-1t", "--hw", "h100-sxm", "--phase", "decode", "--batch", "1",
          "--context", "1"], "llama2-7b"),  # unknown preset lists the available names
        (["predict", "--model", "llama2-7b", "--hw", "tpu-v9", "--phase", "decode", "--batch", "1",
          "--context", "1"], "h100-sxm"),
        (["op", "gemm", "--m", "8", "--n", "8", "--k", "8", "--dtype", "fp8", "--hw", "a100-80g"], "fp8"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, _out, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.startswith("cosim: error:")
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert "Traceback" not in err


def test_bad_model_file_names_file_and_field(capsys, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfamily: llama\nnum_layers: 2\nhidden_size: 100\nnum_heads: 3\n"
                   "intermediate_size: 256\nvocab_size: 1000\n")
    code, _out, err = run_cli(capsys, "predict", "--model", str(bad), "--hw", "h100-sxm", "--phase", "decode",
                             "--batch", "1", "--context", "8")
    assert code == 2
    assert str(bad) in err and "num_heads" in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_rejects_non_positive_batch(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--model", "llama2-7b", "--hw", "h100-sxm", "--phase", "decode", "--batch", "0",
              "--context", "8"])
    assert exc.value.code == 2


def test_console_script_subprocess_no_traceback(tmp_path: Path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: gpu\nname: [unclosed\n")
    proc = subprocess.run([sys.executable, "-m", "cosim", "predict", "--model", "llama2-7b", "--hw", str(bad),
                           "--phase", "decode", "--batch", "1", "--context", "8"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr and "line" in proc.stderr
