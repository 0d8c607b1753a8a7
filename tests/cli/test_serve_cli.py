"""`cosim serve` and `cosim predict --mix` from the command line: the JSON contract and one-line errors."""

from __future__ import annotations

import json

import pytest

from cosim.cli.main import main

SERVE = ["serve", "--model", "llama2-7b", "--hw", "a100-80g", "--trace", "sharegpt", "--requests", "40",
         "--rate", "20", "--no-progress"]
STATS = ("mean", "p50", "p90", "p95", "p99")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_serve_json_has_the_contract_keys(capsys):
    code, out, _ = run_cli(capsys, *SERVE, "--json", "--slo-ttft", "1", "--slo-tpot", "0.1")
    assert code == 0
    data = json.loads(out)
    for key in ("requests", "completed", "rejected", "preemptions", "makespan_s", "output_tokens_per_s"):
        assert key in data
    for key in ("ttft_s", "tpot_s", "e2e_s"):
        assert set(STATS) <= set(data[key])
        assert data[key]["p50"] <= data[key]["p99"]
    assert data["requests"] == data["completed"] + data["rejected"] == 40


@pytest.mark.parametrize(("policy", "field"), [("vllm", "max_num_seqs"), ("orca", "max_batch_size"),
                                               ("static", "batch_size")])
def test_engine_flags_set_the_policy_field_of_that_name(capsys, policy, field):
    code, out, _ = run_cli(capsys, *SERVE, "--policy", policy, "--max-num-seqs", "7", "--json")
    assert code == 0
    assert json.loads(out)["config"]["policy_options"][field] == 7


def test_serve_text_summary(capsys):
    code, out, _ = run_cli(capsys, *SERVE)
    assert code == 0 and "tokens/s" in out and "ttft" in out


@pytest.mark.parametrize(("extra", "needle"), [
    (["--policy", "nosuch"], "policy"),
    (["--policy", "static", "--max-batched-tokens", "64"], "max_batched_tokens"),
    (["--trace", "no-such-distribution"], "source"),
    (["--rate", "-1"], "rate"),
])
def test_serve_bad_input_is_one_line_exit_2(capsys, extra, needle):
    argv = list(SERVE)
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1  # argparse's errors too: no usage lines before the one that matters
    assert needle in err and err.startswith("cosim: error:")


def test_predict_mix_equals_the_uniform_step(capsys):
    code, out, _ = run_cli(capsys, "predict", "--model", "llama2-7b", "--hw", "a100-80g", "--mix", "d4096x8", "--json")
    assert code == 0
    mix = json.loads(out)
    code, out, _ = run_cli(capsys, "predict", "--model", "llama2-7b", "--hw", "a100-80g", "--phase", "decode",
                           "--batch", "8", "--context", "4096", "--json")
    assert mix["latency_s"] == json.loads(out)["latency_s"]


def test_predict_mix_mixed_iteration(capsys):
    code, out, _ = run_cli(capsys, "predict", "--model", "llama2-7b", "--hw", "gpu+l3", "--mix",
                           "c512@8192,d1024x64", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["phase"] == "mixed" and data["batch"] == 65


def test_a_bad_output_is_refused_before_the_run(capsys, tmp_path, monkeypatch):
    import cosim.serving.simulator as simulator

    def never(*args, **kwargs):
        raise AssertionError("the run started although its output cannot be written")

    monkeypatch.setattr(simulator, "simulate", never)
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main([*SERVE, "--out", str(tmp_path)]))
    assert exit_info.value.code == 2
    assert "not a regular file" in capsys.readouterr().err
