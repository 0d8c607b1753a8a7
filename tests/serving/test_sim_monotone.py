"""Static batching with every request at time 0: a faster timer or more KV never lowers throughput.

The KV property needs equal output lengths. With unequal ones it is false for greedy request-level
batching: outputs [1, 1, 10, 10, 1, 1] in batches of two cost 1 + 10 + 1 = 12 decode rounds, in batches of
three 10 + 10 = 20. With equal outputs every batch takes the same number of iterations, the per-request
costs of the affine timer do not depend on the batching, and greedy consecutive batching never forms more
batches when more fits.
"""

from __future__ import annotations

from fakes import AffineTimer, make_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from cosim.serving import EngineOverhead, simulate

lengths = st.lists(st.integers(1, 400), min_size=1, max_size=25)
factor = st.floats(0.1, 1.0)


@settings(max_examples=50, deadline=None)
@given(prompts=lengths, data=st.data(), fa=factor, fb=factor, fc=factor, batch=st.integers(1, 8))
def test_a_faster_timer_never_lowers_static_throughput(prompts, data, fa, fb, fc, batch):
    outputs = data.draw(st.lists(st.integers(1, 200), min_size=len(prompts), max_size=len(prompts)))
    trace = make_trace(prompts, outputs)
    kwargs = dict(policy="static", policy_options={"batch_size": batch}, overhead=EngineOverhead(1e-4, 1e-5, 1e-7))
    slow = simulate(trace, AffineTimer(2e-3, 2e-5, 2e-8, capacity_tokens=1 << 16), **kwargs)
    fast = simulate(trace, AffineTimer(2e-3 * fa, 2e-5 * fb, 2e-8 * fc, capacity_tokens=1 << 16), **kwargs)
    assert fast.summary()["output_tokens_per_s"] >= slow.summary()["output_tokens_per_s"] * (1 - 1e-12)


@settings(max_examples=50, deadline=None)
@given(prompts=lengths, output=st.integers(1, 200), extra=st.integers(0, 400), more=st.integers(0, 400),
       batch=st.integers(1, 30))
def test_more_kv_never_lowers_static_throughput(prompts, output, extra, more, batch):
    trace = make_trace(prompts, [output] * len(prompts))
    need = max(-(-(p + output - 1) // 16) for p in prompts)
    kwargs = dict(policy="static", policy_options={"batch_size": batch}, block_size=16,
                  overhead=EngineOverhead(1e-4, 1e-5, 1e-7))
    timer = AffineTimer(2e-3, 2e-5, 2e-8)
    small = simulate(trace, timer, num_blocks=need + extra, **kwargs).summary()
    large = simulate(trace, timer, num_blocks=need + extra + more, **kwargs).summary()
    assert small["completed"] == large["completed"] == len(prompts)
    assert large["output_tokens_per_s"] >= small["output_tokens_per_s"] * (1 - 1e-9)
    assert large["iterations"] <= small["iterations"]


def test_the_unequal_output_counterexample_is_real():
    trace = make_trace([10] * 6, [1, 1, 10, 10, 1, 1])
    two = simulate(trace, AffineTimer(), policy="static", policy_options={"batch_size": 2}).summary()
    three = simulate(trace, AffineTimer(), policy="static", policy_options={"batch_size": 3}).summary()
    assert (two["iterations"], three["iterations"]) == (12, 20)
