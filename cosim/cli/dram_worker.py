"""A resident `cosim dram simulate` worker: fresh CLI processes hand their run to a warm process.

Why: a fresh `cosim dram simulate` spends ~0.8 s of CPU importing numba and loading the compiled kernel against
~0.1 s of simulation, and DSE scripts call simulators as processes. `cosim dram worker --socket PATH` keeps one
process warm; a `cosim dram simulate` run with `COSIM_DRAM_WORKER=PATH` set sends its options there (over a Unix
socket, never a network) and prints the worker's answer, so it imports neither numpy nor numba itself. When
nothing listens at PATH the run simply happens in-process, as without the variable.

The worker serves one request at a time in the client's working directory, with its own environment (preset
search path included) and its own copy of cosim's code: restart it after changing either. It exits after
`--idle` seconds without a request. The socket's folder should be private to the user (the worker makes it 0700
when it creates it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import sys
from pathlib import Path

ENV = "COSIM_DRAM_WORKER"
FIELDS = ("spec", "trace", "trace_list", "format", "cycles", "row_policy", "json")
MAX_MESSAGE_BYTES = 1 << 30


def _recv_all(conn: socket.socket) -> bytes:
    chunks = []
    size = 0
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES:
            raise OSError("message too large")
    return b"".join(chunks)


def try_remote(args: argparse.Namespace) -> int | None:
    """Run `args` on the worker named by $COSIM_DRAM_WORKER; None when there is none (then run in-process)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    request = {"cwd": os.getcwd(), "args": {k: getattr(args, k) for k in FIELDS}}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(path)
            conn.sendall(json.dumps(request).encode())
            conn.shutdown(socket.SHUT_WR)
            reply = json.loads(_recv_all(conn))
    except (OSError, ValueError):
        return None  # no worker (or it went away): run here
    sys.stdout.write(reply["out"])
    sys.stderr.write(reply["err"])
    return int(reply["rc"])


def serve(path: str, idle_s: float) -> int:
    """Listen on `path` until `idle_s` seconds pass without a request."""
    import cosim.dram  # noqa: F401  (the point: numba and the trace-reader kernels load once, here)
    from cosim.cli import dram_cmd
    from cosim.cli.main import EXIT_USER_ERROR
    from cosim.errors import CosimError

    sock_path = Path(path)
    if not sock_path.parent.exists():
        sock_path.parent.mkdir(parents=True, mode=0o700)
    with contextlib.suppress(FileNotFoundError):
        if sock_path.is_socket():
            sock_path.unlink()  # a previous worker's; a live one would still answer, which we do not check
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(sock_path))
        os.chmod(sock_path, 0o600)
        server.listen(16)
        server.settimeout(idle_s)
        print(f"cosim dram worker: listening on {sock_path} (exits after {idle_s:g} s idle)", file=sys.stderr)
        try:
            while True:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    return 0
                with conn:
                    conn.settimeout(None)
                    out, err = io.StringIO(), io.StringIO()
                    rc = 0
                    try:
                        request = json.loads(_recv_all(conn))
                        os.chdir(request["cwd"])
                        ns = argparse.Namespace(**{k: request["args"][k] for k in FIELDS}, remote=False)
                        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                            rc = int(dram_cmd.run_simulate(ns) or 0)
                    except CosimError as exc:
                        err.write(f"cosim: error: {exc}\n")
                        rc = EXIT_USER_ERROR
                    except Exception as exc:  # a bad request must not end the worker
                        err.write(f"cosim: error: dram worker: {type(exc).__name__}: {exc}\n")
                        rc = 1
                    with contextlib.suppress(OSError):
                        conn.sendall(json.dumps({"rc": rc, "out": out.getvalue(), "err": err.getvalue()}).encode())
        finally:
            with contextlib.suppress(FileNotFoundError):
                sock_path.unlink()
