"""The --mix notation: each token is the slice the predict options of the same step describe."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cosim.errors import CosimInputError
from cosim.workload import build_graph
from cosim.workload.mix import parse_mix


def test_tokens_are_the_steps_predict_describes():
    q, kv = parse_mix("p2048,c512@8192,d4096x3")
    assert q.tolist() == [2048, 512, 1, 1, 1]
    assert kv.tolist() == [2048, 8704, 4096, 4096, 4096]
    g = build_graph("llama2-7b", "decode", 3, 4096)
    assert parse_mix("d4096x3")[1].tolist() == g.graph["kv_lens"].tolist()
    g = build_graph("llama2-7b", "chunked_prefill", 2, 8192, chunk=512)
    assert parse_mix("c512@8192x2")[1].tolist() == g.graph["kv_lens"].tolist()


@pytest.mark.parametrize("text", ["", "p", "x4", "d0", "p12x0", "q12", "c512", "d12,,p3", "p1e3"])
def test_bad_tokens_are_one_line_errors(text):
    with pytest.raises(CosimInputError) as err:
        parse_mix(text)
    assert "\n" not in str(err.value) and "mix" in str(err.value)


@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_cleanly(text):
    try:
        q, kv = parse_mix(text)
    except CosimInputError:
        return
    assert (q >= 1).all() and (kv >= q).all() and q.size == kv.size >= 1
    assert np.issubdtype(q.dtype, np.integer)
