"""Serving simulator speed: 1,000 OpenR1 requests on GPT-175B, TP 8, DGX-A100 under the vllm policy.

Prints simulated iterations per second and requests per second of wall time (one core). Run with
``python benchmarks/bench_serving.py [--requests N]``. Peers, as they publish (neither installs here: Vidur
needs its profiled CSVs and sarathi's stack, LLMServingSim builds astra-sim): Vidur reports simulating a
LLaMA2-70B trace of thousands of requests in minutes of CPU (Agrawal et al., MLSys 2024); LLMServingSim 2.0
reports about an hour per 1,000-request run on its cycle-level back end.
"""

from __future__ import annotations

import argparse
import time

from cosim.cli.format import render_table
from cosim.engine.iteration import IterationModel
from cosim.hardware import load_system
from cosim.serving.defaults import policy_defaults_for
from cosim.serving.simulator import simulate
from cosim.serving.traces import load_trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--model", default="gpt3-175b")
    parser.add_argument("--hw", default="dgx-a100")
    parser.add_argument("--tp", type=int, default=8)
    parser.add_argument("--trace", default="openr1")
    args = parser.parse_args()
    trace = load_trace(args.trace, requests=args.requests, seed=0)
    start = time.perf_counter()
    system = load_system(args.hw)
    options = policy_defaults_for("vllm", system)  # vLLM's batch limits for the device
    timer = IterationModel(args.model, system, tp=args.tp, max_batched_tokens=options["max_num_batched_tokens"],
                           max_num_seqs=options["max_num_seqs"])
    result = simulate(trace, timer, policy="vllm", policy_options=options)
    wall = time.perf_counter() - start
    s = result.summary()
    print(render_table([{
        "run": f"{args.requests} {args.trace} requests, {args.model} tp{args.tp} on {args.hw}, vllm",
        "wall_s": round(wall, 2), "iterations": s["iterations"],
        "iterations_per_s": round(s["iterations"] / wall), "requests_per_s": round(args.requests / wall, 1),
        "simulated_makespan_s": round(s["makespan_s"]), "output_tokens_per_s": round(s["output_tokens_per_s"], 1),
    }]))


if __name__ == "__main__":
    main()
