"""Fuzz the command line: random argv over the real subcommands and options exits 0 or 2, never a traceback.

The options and their choices are read from the real parser, values come from a pool of valid, edge and junk
strings. Kept cheap by default (a 2-layer model file, a few requests, a few dozen examples):
COSIM_FUZZ_EXAMPLES raises the count for a longer session.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.cli.main import build_parser, main

EXAMPLES = int(os.environ.get("COSIM_FUZZ_EXAMPLES", "40"))
TMP = Path(tempfile.mkdtemp(prefix="cosim-cli-fuzz-"))
TINY = TMP / "tiny.yaml"
TINY.write_text("name: tiny\nfamily: llama\nnum_layers: 2\nhidden_size: 256\nnum_heads: 4\nnum_kv_heads: 2\n"
                "intermediate_size: 512\nvocab_size: 1000\nmax_position_embeddings: 4096\n")
TRACE = TMP / "requests.csv"
TRACE.write_text("arrival_time_s,prompt_tokens,output_tokens\n0,16,4\n0.1,32,2\n")
DRAM_TRACE = TMP / "dram.trace"
DRAM_TRACE.write_text("0x40 READ 0\n0x80 WRITE 3\n")

COMMANDS = [("predict",), ("serve",), ("op", "gemm"), ("op", "attention"), ("graph",), ("list",),
            ("dram", "show"), ("dram", "list"), ("dram", "simulate"), ("pim", "attention")]
# a valid step for each command, so that the random options are often reached; dropped at random too
BASE = {
    ("predict",): ["--model", str(TINY), "--hw", "h100-sxm", "--phase", "decode", "--batch", "2", "--context", "16"],
    ("serve",): ["--model", str(TINY), "--hw", "a100-80g", "--trace", "sharegpt", "--requests", "3", "--no-progress"],
    ("op", "gemm"): ["--m", "8", "--n", "16", "--k", "32", "--hw", "h100-sxm"],
    ("op", "attention"): ["--phase", "decode", "--batch", "2", "--heads", "4", "--kv-heads", "2", "--head-dim",
                          "64", "--context", "128", "--hw", "h100-sxm"],
    ("graph",): ["--model", str(TINY), "--phase", "decode", "--batch", "2", "--context", "16"],
    ("list",): ["models"],
    ("dram", "show"): ["ddr4-3200-x8"],
    ("dram", "list"): [],
    ("dram", "simulate"): ["--spec", "ddr4-3200-x8", "--trace", str(DRAM_TRACE)],
    ("pim", "attention"): ["--hw", "gpu+l3", "--batch", "2", "--context", "128", "--heads", "8", "--kv-heads", "2",
                           "--head-dim", "64", "--layers", "2"],
}
SKIP = {"-h", "--help", "--out", "--version", "--list-layouts"}  # --out: item of output safety, writes files
VALUES = ["0", "1", "2", "3", "8", "-1", "1.5", "x", "", "nan", "inf", "1e9", "99999999999999999999", "1000000000000",
          "100000000000000", str(TINY), str(TRACE), str(DRAM_TRACE), str(TMP), "h100-sxm", "gpu+l3", "neupims",
          "llama2-7b", "sharegpt", "decode", "prefill", "int8", "fp8", "bf16", "d8x2,p16", "c4@8", "d0", "vllm",
          "static", "roofline", "pim"]


def _subparser(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> argparse.ArgumentParser:
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


PARSER = build_parser()
OPTIONS = {
    words: [a for a in _subparser(PARSER, words)._actions if a.option_strings and not SKIP & set(a.option_strings)]
    for words in COMMANDS
}


@st.composite
def argvs(draw) -> list[str]:
    words = draw(st.sampled_from(COMMANDS))
    base = list(BASE[words])
    if base and draw(st.booleans()):  # drop a few tokens of the valid step
        for _ in range(min(len(base), draw(st.integers(1, 3)))):
            del base[draw(st.integers(0, len(base) - 1))]
    extra: list[str] = []
    for action in draw(st.lists(st.sampled_from(OPTIONS[words]), max_size=4)) if OPTIONS[words] else []:
        extra.append(action.option_strings[-1])
        if action.nargs != 0:
            pool = [str(c) for c in action.choices or []] + VALUES
            extra.append(draw(st.sampled_from(pool)))
    junk = draw(st.lists(st.sampled_from(["--bogus", "-x", "--", "7", "--batch"]), max_size=1))
    return [*words, *base, *extra, *junk]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=argvs())
def test_random_argv_exits_0_or_2_without_a_traceback(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(TMP):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse (errors, --help)
            code = exc.code
    text = err.getvalue()
    assert code in (0, 2, None), (argv, code, text)
    assert "Traceback" not in text, (argv, text)
    assert len(text.strip().splitlines()) <= 3, (argv, text)  # an error line, at most a warning or two


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300)),
       suffix=st.sampled_from([".csv", ".jsonl", ".json", ".txt", ""]))
def test_serve_trace_file_of_random_content_is_one_line(content, suffix):
    path = TMP / f"random{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["serve", "--model", str(TINY), "--hw", "a100-80g", "--trace", str(path), "--requests", "3",
                     "--no-progress"])
    text = err.getvalue()
    assert code in (0, 2) and "Traceback" not in text, text
    if code == 2:
        assert len(text.strip().splitlines()) == 1 and text.startswith("cosim: error:"), text
