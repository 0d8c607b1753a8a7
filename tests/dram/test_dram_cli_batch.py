"""`cosim dram simulate` over several traces in one process (repeated --trace, --trace-list): the same
results as one process per trace, without paying the start-up per trace (issue 14, item 7)."""

from __future__ import annotations

import json

from cosim.cli.main import main
from cosim.dram import load_dram_spec, write_trace


def simulate_json(capsys, *argv: str):
    assert main(["dram", "simulate", "--spec", "ddr4-3200-x8", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_several_traces_in_one_call_match_one_call_each(tmp_path, capsys):
    spec = load_dram_spec("ddr4-3200-x8")
    a = write_trace(tmp_path / "a.trace", "random_mix", spec, 300, seed=1)
    b = write_trace(tmp_path / "b.trace", "seq_read", spec, 200, seed=2)
    (tmp_path / "list.txt").write_text("# traces of a sweep\nb.trace\n\na.trace  # again\n", encoding="utf-8")
    single = [simulate_json(capsys, "--trace", str(p)) for p in (a, b)]
    batch = simulate_json(capsys, "--trace", str(a), "--trace", str(b), "--trace-list", str(tmp_path / "list.txt"))
    assert [r["trace"] for r in batch] == [str(a), str(b), str(b), str(a)]
    assert batch[0] == single[0] and batch[1] == single[1]
    assert batch[2]["reads_done"] == batch[1]["reads_done"] and batch[3]["cycles"] == batch[0]["cycles"]


def test_table_output_names_each_trace(tmp_path, capsys):
    spec = load_dram_spec("ddr4-3200-x8")
    paths = [str(write_trace(tmp_path / f"{i}.trace", "seq_read", spec, 50)) for i in range(2)]
    assert main(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", paths[0], "--trace", paths[1]]) == 0
    out = capsys.readouterr().out
    assert out.count("ddr4-3200-x8: ") == 2 and paths[0] in out and paths[1] in out


def test_no_trace_or_unreadable_list_is_one_line_exit_2(tmp_path, capsys):
    for argv in ([], ["--trace-list", str(tmp_path / "missing.txt")]):
        assert main(["dram", "simulate", "--spec", "ddr4-3200-x8", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cosim: error:") and "\n" not in err
