"""`cosim dram worker` + COSIM_DRAM_WORKER: a fresh `cosim dram simulate` process hands its run to a warm worker,
prints the same thing, and imports no numba itself; without a worker it runs in-process (issue 14, item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from cosim.dram import load_dram_spec, write_trace

CLIENT = """
import json, sys
from cosim.cli.main import main
rc = main(sys.argv[1:])
sys.stderr.write("\\nMODULES " + json.dumps(sorted(m for m in ("numba", "numpy") if m in sys.modules)))
sys.exit(rc)
"""


def client(argv: list[str], cwd, socket_path: str | None) -> tuple[int, str, list[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "COSIM_DRAM_WORKER"}
    if socket_path:
        env["COSIM_DRAM_WORKER"] = socket_path
    done = subprocess.run([sys.executable, "-c", CLIENT, *argv], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300, check=False)
    err, _, modules = done.stderr.rpartition("\nMODULES ")
    return done.returncode, done.stdout, json.loads(modules), err


def test_simulate_through_the_worker_matches_in_process_and_skips_numba(tmp_path):
    write_trace(tmp_path / "a.trace", "random_mix", load_dram_spec("ddr4-3200-x8"), 300, seed=3)
    argv = ["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", "a.trace", "--json"]  # relative: client's cwd
    sock = str(tmp_path / "w.sock")
    worker = subprocess.Popen([sys.executable, "-m", "cosim", "dram", "worker", "--socket", sock, "--idle", "120"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(sock) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert os.path.exists(sock)
        rc, out, modules, _ = client(argv, tmp_path, sock)
        assert rc == 0 and "numba" not in modules and "numpy" not in modules
        rc_local, out_local, modules_local, _ = client(argv, tmp_path, None)
        assert rc_local == 0 and "numba" in modules_local
        assert json.loads(out) == json.loads(out_local)
        rc, _, _, err = client(["dram", "simulate", "--spec", "ddr9", "--trace", "a.trace"], tmp_path, sock)
        assert rc == 2 and err.strip().startswith("cosim: error:") and "ddr9" in err
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_without_a_listening_worker_the_run_happens_in_process(tmp_path):
    write_trace(tmp_path / "a.trace", "seq_read", load_dram_spec("ddr4-3200-x8"), 50)
    rc, out, modules, _ = client(["dram", "simulate", "--spec", "ddr4-3200-x8", "--trace", "a.trace", "--json"],
                                 tmp_path, str(tmp_path / "nobody.sock"))
    assert rc == 0 and json.loads(out)["reads_done"] == 50 and "numba" in modules
