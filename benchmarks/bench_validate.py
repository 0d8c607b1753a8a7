"""Speed of `cosim validate`: load and predict time per dataset, and points per second.

    python benchmarks/bench_validate.py [--dataset NAME ...] [--cost-model NAME]

Prints one row per dataset (records, load s, predict s, points/s). Every record is predicted, both
splits, with a cold graph cache per dataset, which is what a `cosim validate --split all` run pays.
"""

from __future__ import annotations

import argparse
import time

from cosim.cli.format import render_table
from cosim.validate.datasets import dataset_names, default_peer_root, get_dataset
from cosim.validate.predict import model_graph, predict_with_errors, step_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", default=None)
    parser.add_argument("--cost-model", default=None)
    args = parser.parse_args()
    root = default_peer_root()
    rows = []
    for name in args.dataset or dataset_names():
        model_graph.cache_clear()
        step_result.cache_clear()
        t0 = time.perf_counter()
        loaded = get_dataset(name).load(root)
        t1 = time.perf_counter()
        _, errors = predict_with_errors(loaded, args.cost_model)
        t2 = time.perf_counter()
        rows.append({"dataset": name, "records": len(loaded), "load_s": round(t1 - t0, 3),
                     "predict_s": round(t2 - t1, 3), "points_per_s": round(len(loaded) / max(t2 - t1, 1e-9)),
                     "not_predicted": sum(e is not None for e in errors)})
    print(render_table(rows))


if __name__ == "__main__":
    main()
