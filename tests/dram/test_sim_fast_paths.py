"""The trace simulator's speed-ups must choose exactly what the plain versions choose.

- `dense_address_ids` (hash table) partitions addresses like `np.unique(..., return_inverse=True)`;
- `_mask_candidates` (bit mask, <= 64 queues) lists the same queues in the same round-robin order as the
  plain pass `_round_robin_candidates` (kept for channels with more queues), with the same wake-up bound;
- the trace reader's byte-class tables accept and reject the same lines as the plain Python parser;
- the kernel compiled for single-channel systems (channel index folded to 0) matches the general one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.dram.sim.address_ids import dense_address_ids
from cosim.dram.sim.kernel import INF, _mask_candidates, _round_robin_candidates
from cosim.dram.trace import parse_trace
from cosim.dram.trace_fast import parse_dramsim3_bytes
from cosim.errors import CosimInputError


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=300), st.integers(1, 8))
def test_dense_ids_partition_like_unique(values, spread):
    addrs = (np.array(values, dtype=np.uint64) // np.uint64(spread)) * np.uint64(64)  # force repeats
    ids, count = dense_address_ids(addrs)
    uniq, inverse = np.unique(addrs, return_inverse=True)
    assert count == len(uniq)
    assert ids.min() == 0 and ids.max() == count - 1
    # equal addresses <-> equal ids: the id -> unique-address map is a bijection
    pairs = set(zip(ids.tolist(), inverse.ravel().tolist(), strict=True))
    assert len(pairs) == count


_BOUNDS = st.sampled_from([0, 3, 49, 50, 51, 90, int(INF)])


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(1, 64))
def test_mask_candidates_match_plain_round_robin(data, nq):
    q_ready = np.array([data.draw(st.lists(_BOUNDS, min_size=nq, max_size=nq)) for _ in range(2)], np.int64)
    last = data.draw(st.integers(0, nq - 1))
    t = 50
    a = np.zeros(nq, np.int64)
    b = np.zeros(nq, np.int64)
    na, wait_a = _mask_candidates(q_ready, 1, last, t, a)
    nb, wait_b = _round_robin_candidates(q_ready, 1, last, t, b)
    assert (na, wait_a) == (nb, wait_b)
    assert a[:na].tolist() == b[:nb].tolist()
    expected = [q for q in [*range(last + 1, nq), *range(last + 1)] if q_ready[1, q] <= t]
    assert a[:na].tolist() == expected


_TOKENS = ["0x1f", "0X2A", "123", "READ", "write", "WRIT", " ", "\t", "#c", "7", "0x", "zz", "G", "@", "é",
           "0x1ffffffffffffffff", "99999999999999999999"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**34), st.sampled_from(["READ", "WRITE", "read"]),
                          st.lists(st.tuples(st.integers(0, 40), st.sampled_from(_TOKENS)), max_size=2)),
                min_size=1, max_size=12))
def test_fast_reader_agrees_with_plain_parser(tmp_path_factory, lines):
    """Mutated lines: the compiled reader either returns what the plain parser returns or defers to it."""
    text_lines = []
    for i, (addr, op, edits) in enumerate(lines):
        line = f"0x{addr:x} {op} {i}"
        for pos, tok in edits:
            line = line[:pos] + tok + line[pos:]
        text_lines.append(line)
    path = tmp_path_factory.mktemp("trace") / "t.trace"
    path.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    a, w, c, count, bad = parse_dramsim3_bytes(np.frombuffer(path.read_bytes(), np.uint8), -1)
    if bad:
        return  # the plain parser words (or, if more lenient, accepts) the line: nothing to compare
    plain = _plain_parse(text_lines)
    assert plain is not None, "compiled reader accepted a line the plain grammar rejects"
    pa, pw, pc = plain
    assert a[:count].tolist() == pa and w[:count].tolist() == pw and c[:count].tolist() == pc
    # and the public entry point returns the same arrays (a trace whose every line is a comment is refused)
    if not pa:
        with pytest.raises(CosimInputError, match="no requests"):
            parse_trace(path)
        return
    ta, tw, tc = parse_trace(path)
    assert ta.tolist() == pa and tw.tolist() == pw and tc.tolist() == pc


def _plain_parse(lines: list[str]):
    """The documented grammar in plain Python: hex with 0x or decimal address, READ|WRITE, decimal cycle."""
    addrs, writes, cycles, last = [], [], [], -1
    for line in lines:
        tokens = line.split("#", 1)[0].replace("\r", " ").split()
        if not tokens:
            continue
        if len(tokens) != 3:
            return None
        at, op, ct = tokens
        try:
            addr = int(at[2:], 16) if at[:2].lower() == "0x" else int(at, 10)
            cyc = int(ct, 10)
        except ValueError:
            return None
        if op.upper() not in ("READ", "WRITE") or addr >= 2**64 or cyc < last or not ct.isdigit():
            return None
        if at[:2].lower() == "0x" and not all(ch in "0123456789abcdefABCDEF" for ch in at[2:]):
            return None
        if at[:2].lower() != "0x" and not at.isdigit():
            return None
        last = cyc
        addrs.append(addr)
        writes.append(op.upper() == "WRITE")
        cycles.append(cyc)
    return addrs, writes, cycles


def test_single_channel_compilation_decides_what_the_general_kernel_decides(monkeypatch):
    """`kernel_for(..., one_channel=True)` folds the channel index to 0; every statistic must stay the same."""
    import dataclasses

    from cosim.dram import load_dram_spec, simulate_trace
    from cosim.dram.sim import trace_sim
    from cosim.dram.tracegen import generate_arrays

    spec = load_dram_spec("ddr4-3200-x8")
    assert spec.channels == 1
    trace = generate_arrays("random_mix", spec, 3000, seed=7)
    folded = simulate_trace(spec, trace, cycles=20000)
    general_for = trace_sim.kernel_for
    monkeypatch.setattr(trace_sim, "kernel_for", lambda *flags: general_for(*flags[:4], False))
    general = simulate_trace(spec, trace, cycles=20000)
    assert folded.reads_done > 0
    for field in dataclasses.fields(folded):
        a, b = getattr(folded, field.name), getattr(general, field.name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, field.name


_WARM_HELPERS = """
import numpy as np
from cosim.dram import load_dram_spec
from cosim.dram.sim.address_ids import dense_address_ids
from cosim.dram.sim.trace_sim import decode_for_kernel
dense_address_ids(np.arange(4, dtype=np.uint64))
decode_for_kernel(load_dram_spec("ddr4-3200-x8"), np.arange(4, dtype=np.uint64))
"""
_RUN_PRESETS = """
import sys
from cosim.dram import load_dram_spec, simulate_trace
from cosim.dram.sim import trace_sim
from cosim.dram.tracegen import generate_arrays
used = []
kernel_for = trace_sim.kernel_for
def recording(*switches):
    used.append(kernel_for(*switches))
    return used[-1]
trace_sim.kernel_for = recording
for name in sys.argv[1:]:
    spec = load_dram_spec(name)
    print(name, simulate_trace(spec, generate_arrays("random_read", spec, 300, seed=3), cycles=3000).reads_done)
print("symbols", len({cres.fndesc.mangled_name for k in used for cres in k.overloads.values()}))
"""


def test_kernel_variants_compiled_in_different_processes_load_together(tmp_path):
    """Two specializations compiled in two processes, then both loaded from numba's cache into a third.

    numba names a compiled function after its qualified name and a per-process counter of compiled functions. With
    the helpers already cached, each variant is the first function its process compiles, so under one shared name
    both got the same symbols in the third process (once seen to run one with the other's environment and fail);
    each variant now has its own name."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    outputs = []
    for script, presets in ((_WARM_HELPERS, []), (_RUN_PRESETS, ["ddr4-3200-x8"]), (_RUN_PRESETS, ["hbm2"]),
                            (_RUN_PRESETS, ["ddr4-3200-x8", "hbm2"])):
        run = subprocess.run([sys.executable, "-c", script, *presets], env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        outputs.append(run.stdout.split())
    assert outputs[1][:2] + outputs[2][:2] == outputs[3][:4]  # both variants ran, with the same results
    assert outputs[3][-2:] == ["symbols", "2"]  # and under distinct symbol names
