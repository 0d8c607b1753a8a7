"""Bad trace input: every case is ONE-line CosimInputError naming the file and the line; a fuzz test checks
that random lines never raise anything else."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.serving.traces import FORMATS, load_trace, read_trace

VLLM_OK = '{"request_id": "bench-0", "input_toks": 10, "output_toks": 5, "arrival_time": 1787267980.08}'
AZURE_HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens"
PLAIN_HEADER = "arrival_s,prompt_tokens,output_tokens"

CASES = [  # (file name, text, format, line, column or None, words the message must have)
    ("missing.jsonl", f'{VLLM_OK}\n{{"input_toks": 10, "arrival_time": 1787267981.0}}\n', "vllm", 2,
     "output_toks", "missing"),
    ("negative.jsonl", f'{VLLM_OK}\n{VLLM_OK}\n{VLLM_OK.replace("10", "-3")}\n', "vllm", 3, "input_toks", ">= 1"),
    ("zero.jsonl", VLLM_OK.replace('"output_toks": 5', '"output_toks": 0'), "vllm", 1, "output_toks", "max_tokens"),
    ("word.csv", f"{AZURE_HEADER}\n2023-11-16 18:15:46.68,abc,44\n", "azure", 2, "ContextTokens", "number"),
    ("date.csv", f"{AZURE_HEADER}\n2023-11-16 18:15:46.68,1,4\n16/11/2023 18:15,1,4\n", "azure", 3, "TIMESTAMP",
     "datetime"),
    ("unsorted.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n5,2,2\n4.5,3,3\n", "vidur", 4,
     "arrived_at", "decrease"),
    ("unknown.csv", "arrival_s,prompt_tokens,output_tokens,priority\n0,1,1\n", "csv", 1, "priority", "unknown column"),
    ("nocol.csv", "arrival_s,prompt_tokens\n0,1\n", "csv", 1, "output_tokens", "missing column"),
    ("short.csv", f"{PLAIN_HEADER}\n0,1,1\n1,2\n", "csv", 3, None, "expected 3 fields"),
    ("half.csv", f"{PLAIN_HEADER}\n0,12.5,1\n", "csv", 2, "prompt_tokens", "whole number"),
    ("nan.csv", f"{PLAIN_HEADER}\nnan,1,1\n", "csv", 2, "arrival_s", "finite"),
    ("early.csv", f"{PLAIN_HEADER}\n-0.5,1,1\n", "csv", 2, "arrival_s", ">= 0"),
    ("bigid.csv", f"id,{PLAIN_HEADER}\n{'9' * 30},0,1,1\n", "csv", 2, "id", "2**63"),
    ("dup.csv", f"id,{PLAIN_HEADER}\n7,0,1,1\n7,1,1,1\n", "csv", 3, "id", "already used"),
    ("key.jsonl", '{"arrival_s": 0, "prompt_tokens": 1, "output_tokens": 1, "prompt": 3}\n', "jsonl", 1, "prompt",
     "unknown column"),
    ("bool.jsonl", '{"arrival_s": 0, "prompt_tokens": true, "output_tokens": 1}\n', "jsonl", 1, "prompt_tokens",
     "number"),
    ("list.jsonl", f'{VLLM_OK}\n[1, 2]\n', "vllm", 2, None, "JSON object"),
    ("broken.jsonl", f'{VLLM_OK}\n{{"input_toks": 1,\n', "vllm", 2, None, "not valid JSON"),
    ("late.jsonl", '{"timestamp": -3000, "input_length": 5, "output_length": 2}\n', "mooncake", 1, "timestamp",
     ">= 0"),
    ("type.csv", "request_id,request_type,application_id,arrival_timestamp,batch_size,prompt_size,token_size\n"
     "0,2,0,1,1,4096,32\n1,1,0,3,1,2048,8\n", "splitwise", 3, "request_type", "GENERATIVE_LLM"),
    ("batch.csv", "request_id,request_type,application_id,arrival_timestamp,batch_size,prompt_size,token_size\n"
     "0,2,0,1,4,4096,32\n", "splitwise", 2, "batch_size", "sequences"),
    ("huge.csv", f"{PLAIN_HEADER}\n0,1e30,1\n", "csv", 2, "prompt_tokens", "<="),
]


def one_line_error(call) -> str:
    with pytest.raises(CosimInputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("fmt_given", [True, False], ids=["format", "auto"])
@pytest.mark.parametrize(("name", "text", "fmt", "line", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_file_line_and_column(tmp_path, name, text, fmt, line, column, words, fmt_given):
    path = tmp_path / name
    path.write_text(text)
    message = one_line_error(lambda: read_trace(path, fmt if fmt_given else "auto"))
    if not fmt_given and name == "nocol.csv":  # without its third column no layout matches the header
        assert name in message and "cannot tell" in message
        return
    assert name in message and f"line {line}" in message and words in message
    if column:
        assert f"line {line}: {column}" in message


def test_unsorted_timestamps_are_fine_when_arrivals_are_redrawn(tmp_path):
    path = tmp_path / "unsorted.csv"
    path.write_text(f"{PLAIN_HEADER}\n0,1,1\n5,2,2\n4.5,3,3\n")
    assert len(load_trace(path, arrival="poisson", rate=1.0)) == 3
    assert len(read_trace(path, require_sorted=False)) == 3


@pytest.mark.parametrize(("name", "text", "words"), [
    ("empty.csv", "", "empty"),
    ("blank.jsonl", "\n  \n", "empty"),
    ("header.csv", f"{PLAIN_HEADER}\n", "no requests"),
    ("binary.csv", "\udcff", "UTF-8"),
])
def test_files_without_requests(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    message = one_line_error(lambda: read_trace(path))
    assert name in message and words in message


def test_missing_file_names_it_and_lists_distributions(tmp_path):
    message = one_line_error(lambda: load_trace(tmp_path / "nowhere.csv"))
    assert "nowhere.csv" in message and "not found" in message
    message = one_line_error(lambda: load_trace("openr2"))
    assert "openr2" in message and "openr1" in message and "sharegpt" in message


def test_unknown_format_lists_the_formats():
    message = one_line_error(lambda: read_trace(Path(__file__).parent / "data" / "plain.csv", "parquet"))
    assert "parquet" in message and all(name in message for name in FORMATS.names())


# --- fuzz: random lines never raise anything but CosimInputError ---

COLUMNS = ["arrival_s", "prompt_tokens", "output_tokens", "id", "TIMESTAMP", "ContextTokens", "GeneratedTokens",
           "arrived_at", "num_prefill_tokens", "num_decode_tokens", "timestamp", "input_length", "output_length",
           "input_toks", "output_toks", "arrival_time", "request_type", "batch_size", "arrival_timestamp",
           "prompt_size", "token_size", "x"]
values = st.one_of(st.integers(-5, 10**12).map(str), st.floats(allow_nan=True).map(repr),
                   st.sampled_from(["", "1e400", "-0", "1_0", "2023-11-16 18:15:46.6805900", "true", "null",
                                    "[1]", '"3"', "0x10", "9" * 30]), st.text(max_size=6))
csv_lines = st.lists(values, min_size=1, max_size=4).map(",".join)
header_lines = st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5).map(",".join)


def json_value(text: str) -> str:
    """The text itself where it is a JSON literal (numbers, true, [1]), else as a JSON string."""
    try:
        json.loads(text)
    except ValueError:
        return json.dumps(text)
    return text


def json_object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {json_value(v)}" for k, v in pairs) + "}"


json_lines = st.dictionaries(st.sampled_from(COLUMNS), values, max_size=4).map(lambda d: json_object(list(d.items())))
plausible = st.one_of(st.integers(0, 5000).map(str), st.floats(0, 1e4).map(repr),
                      st.sampled_from(["2023-11-16 18:15:46.6805900", "2024-05-10 00:00:00.009930+00:00"]))
near_values = st.one_of(plausible, plausible, plausible, values)  # mostly plausible, so some files load


@st.composite
def near_valid(draw: st.DrawFn) -> list[str]:
    """A real layout's columns (shuffled, maybe one extra) with rows of mostly plausible values."""
    fmt = FORMATS.get(draw(st.sampled_from(FORMATS.names())))
    names = draw(st.permutations(list(fmt.columns)))
    if draw(st.booleans()):
        names.append(draw(st.sampled_from(COLUMNS)))
    names = list(dict.fromkeys(names))
    rows = draw(st.lists(st.lists(near_values, min_size=len(names), max_size=len(names)), min_size=1, max_size=4))
    if fmt.container == "csv":
        return [",".join(names), *(",".join(row) for row in rows)]
    return [json_object(list(zip(names, row, strict=True))) for row in rows]


documents = st.one_of(
    near_valid(),
    st.tuples(header_lines, st.lists(csv_lines, max_size=5)).map(lambda t: [t[0], *t[1]]),
    st.lists(json_lines, max_size=5),
    st.lists(st.text(max_size=30), max_size=5),
)
EXAMPLES = int(os.environ.get("COSIM_FUZZ_EXAMPLES", "150"))  # raise it for a longer fuzzing session


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=documents, suffix=st.sampled_from([".csv", ".jsonl", ".txt"]),
       fmt=st.sampled_from(["auto", *FORMATS.names()]), sorted_=st.booleans())
def test_random_lines_load_or_fail_with_one_line(lines, suffix, fmt, sorted_):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        try:
            trace = read_trace(path, fmt, require_sorted=sorted_)
        except CosimInputError as exc:
            message = str(exc)
            assert "\n" not in message and path.name in message
        else:
            assert len(trace) >= 1
            assert (trace.prompt_tokens >= 1).all() and (trace.output_tokens >= 1).all()
            assert (trace.arrival_s >= 0).all() and (trace.arrival_s[1:] >= trace.arrival_s[:-1]).all()
