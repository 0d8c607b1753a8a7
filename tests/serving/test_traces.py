"""Trace readers: every layout on tiny fixtures, auto-detection, and the real peer traces when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cosim.errors import CosimInputError
from cosim.serving.request import Trace
from cosim.serving.traces import FORMATS, detect_format, load_trace, read_trace

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
PEER_DATA = REPO.parent / "shared" / "peer_data"  # ../shared next to the repository, as tests/validate uses


def peer(relative: str) -> Path:
    path = PEER_DATA / relative
    if not path.is_file():
        pytest.skip(f"shared peer data not found at {path}")
    return path


def rows(trace: Trace) -> list[tuple[int, float, int, int]]:
    return [(r.id, round(r.arrival_s, 6), r.prompt_tokens, r.output_tokens) for r in trace]


def test_vllm_log_is_relative_to_the_first_request():
    trace = read_trace(DATA / "vllm_requests_head.jsonl", "vllm")
    assert [r.prompt_tokens for r in trace] == [2358, 1034, 1320]
    assert [r.output_tokens for r in trace] == [531, 769, 769]
    assert trace.arrival_s[0] == 0.0
    assert trace.arrival_s[1] == pytest.approx(1787267980.3478317 - 1787267980.0827403, abs=1e-6)


def test_azure_datetimes_give_the_same_trace_as_vidurs_conversion():
    azure = read_trace(DATA / "azure_conv_head.csv", "azure")
    vidur = read_trace(DATA / "vidur_conv_head.csv", "vidur")
    assert rows(azure) == rows(vidur)
    assert azure.arrival_s[1] == pytest.approx(4.314579, abs=1e-9)


def test_mooncake_timestamps_are_milliseconds():
    trace = read_trace(DATA / "mooncake_head.jsonl", "mooncake")
    assert trace.arrival_s.tolist() == [0.0, 0.0, 3.0, 5.999]
    assert trace.prompt_tokens.tolist() == [6758, 2290, 915, 1053]
    assert trace.output_tokens.tolist() == [500, 316, 355, 26]


def test_splitwise_sim_trace_keeps_its_clock():
    trace = read_trace(DATA / "splitwise_test_trace.csv", "splitwise")
    assert rows(trace) == [(0, 1.0, 4096, 32), (1, 3.0, 2048, 8), (2, 4.0, 2048, 16)]


def test_plain_csv_keeps_ids_and_plain_jsonl_numbers_them():
    csv_trace = read_trace(DATA / "plain.csv", "csv")
    assert rows(csv_trace) == [(10, 0.0, 128, 16), (11, 0.5, 256, 32), (12, 0.5, 64, 1), (13, 2.25, 1024, 128)]
    jsonl_trace = read_trace(DATA / "plain.jsonl", "jsonl")
    assert rows(jsonl_trace) == [(0, 0.0, 128, 16), (1, 0.5, 256, 32), (2, 1.5, 64, 1)]


@pytest.mark.parametrize(("name", "fmt"), [
    ("vllm_requests_head.jsonl", "vllm"), ("azure_conv_head.csv", "azure"), ("vidur_conv_head.csv", "vidur"),
    ("mooncake_head.jsonl", "mooncake"), ("splitwise_test_trace.csv", "splitwise"), ("plain.csv", "csv"),
    ("plain.jsonl", "jsonl"),
])
def test_auto_detects_every_fixture(name, fmt):
    assert detect_format(DATA / name).name == fmt
    assert rows(read_trace(DATA / name)) == rows(read_trace(DATA / name, fmt))


def test_detection_without_a_known_extension_sniffs_the_first_character(tmp_path):
    (tmp_path / "log.txt").write_text((DATA / "mooncake_head.jsonl").read_text())
    (tmp_path / "table.dat").write_text((DATA / "splitwise_test_trace.csv").read_text())
    assert detect_format(tmp_path / "log.txt").name == "mooncake"
    assert detect_format(tmp_path / "table.dat").name == "splitwise"


def test_undetectable_file_lists_the_formats(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CosimInputError) as info:
        read_trace(path)
    message = str(info.value)
    assert "\n" not in message and "mystery.csv" in message and "format" in message
    for name in FORMATS.names():
        assert name in message


def test_limit_takes_the_first_requests_of_the_file():
    trace = read_trace(DATA / "plain.csv", limit=2)
    assert [r.id for r in trace] == [10, 11]


def test_lengths_only_vidur_file_arrives_at_zero(tmp_path):
    path = tmp_path / "lengths.csv"
    path.write_text("num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n3772,54,3826,69.8\n2015,156,2171,12.9\n")
    trace = read_trace(path)
    assert rows(trace) == [(0, 0.0, 3772, 54), (1, 0.0, 2015, 156)]


def test_whole_valued_floats_are_token_counts(tmp_path):
    path = tmp_path / "floats.csv"
    path.write_text("arrival_s,prompt_tokens,output_tokens\n0,12.0,3.0\n")
    assert rows(read_trace(path)) == [(0, 0.0, 12, 3)]


# --- the real peer traces (skipped without ../shared) ---

VIDUR = "vidur/data/processed_traces"


@pytest.mark.parametrize(("name", "count", "prompt_mean", "output_mean"), [
    ("splitwise_conv.csv", 19366, 1154.697, 211.126),  # counts: ../shared/peer_data/README.md
    ("splitwise_code.csv", 8819, 2047.848, 27.883),
])
def test_vidur_azure_conversions(name, count, prompt_mean, output_mean):
    trace = load_trace(peer(f"{VIDUR}/{name}"))
    assert len(trace) == count and trace.arrival_s[0] == 0.0
    assert np.all(np.diff(trace.arrival_s) >= 0)
    assert trace.prompt_tokens.mean() == pytest.approx(prompt_mean, abs=1e-3)
    assert trace.output_tokens.mean() == pytest.approx(output_mean, abs=1e-3)
    assert [r.id for r in trace] == list(range(count))


def test_twenty_thousand_lines_read_whole():
    """Reading speed is a benchmark figure, not a unit test (about 0.13 s for these 19,366 lines)."""
    trace = read_trace(peer(f"{VIDUR}/splitwise_conv.csv"))
    assert len(trace) == 19366


def test_vidur_lengths_only_file():
    trace = load_trace(peer(f"{VIDUR}/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv"))
    assert len(trace) == 28257 and not trace.arrival_s.any()
    assert trace.prompt_tokens.min() >= 1 and trace.output_tokens.min() >= 1


@pytest.mark.parametrize("gpu", ["RTX4090", "RTXPRO6000"])
def test_vllm_benchmark_logs(gpu):
    path = peer(f"LLMServingSim/bench/examples/{gpu}/Llama-3.1-8B/vllm/requests.jsonl")
    trace = load_trace(path)
    assert detect_format(path).name == "vllm"
    assert len(trace) == 300 and trace.arrival_s[0] == 0.0
    assert 29.0 < trace.arrival_s[-1] < 29.2  # the span of arrival_time in both logs
    assert trace.prompt_tokens.sum() == 257239 and trace.output_tokens.min() == 512
