"""A real multi-node Ray cluster on this machine, for tests and benchmarks: the same ``ray start``
commands as docs/scale.md's recipe, each node with one CPU and a temp folder of its own.

``ray stop`` would stop every Ray process of this user on the machine (another run's too), so
each node is started with ``--block`` in a session of its own, and stopping kills exactly the
processes of those sessions, by id.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
STARTED = "Ray runtime started"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_cluster(nodes: int = 2, cpus: int = 1, timeout: float = 60.0) -> Iterator[str]:
    """Yields the head's address (``127.0.0.1:PORT``) once every node has joined.

    Ray 2.60 turns token authentication on for a head when ``~/.ray/auth_token`` exists, but not
    for a node joining it, which is then refused; the nodes here run with ``RAY_AUTH_MODE=disabled``
    (loopback only), so the result does not depend on that file. A real cluster should set
    ``RAY_AUTH_MODE=token`` and the same ``RAY_AUTH_TOKEN`` on every node and the driver."""
    port = free_port()
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", "--block", "--disable-usage-stats"]
    procs: list[subprocess.Popen] = []

    def start(i: int, *args: str) -> None:
        procs.append(subprocess.Popen([RAY, "start", *args, f"--temp-dir={temp / f'node{i}'}", *common], env=env,
                                      start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        wait_started(procs[-1], timeout)

    try:
        start(0, "--head", f"--port={port}", "--include-dashboard=false")
        for i in range(1, nodes):
            start(i, f"--address=127.0.0.1:{port}", f'--resources={{"node{i + 1}": 1}}')
        address = f"127.0.0.1:{port}"
        wait_joined(address, nodes, timeout)
        yield address
    finally:
        stop(procs)
        shutil.rmtree(temp, ignore_errors=True)


def wait_started(proc: subprocess.Popen, timeout: float) -> None:
    """Until ``ray start --block`` says the node is up (it keeps running, blocked, after that)."""
    deadline, seen = time.monotonic() + timeout, []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if STARTED in line:
            return
        if time.monotonic() > deadline:
            break
    raise RuntimeError("ray start did not come up:\n" + "".join(seen[-30:]))


def wait_joined(address: str, nodes: int, timeout: float) -> None:
    """Until the head's GCS lists every node alive (a node's raylet registers after it started)."""
    import ray

    ray.init(address=address, log_to_driver=False, logging_level="ERROR", configure_logging=True)
    try:
        deadline = time.monotonic() + timeout
        while sum(n["Alive"] for n in ray.nodes()) < nodes:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{nodes} Ray nodes did not join: {ray.nodes()}")
            time.sleep(0.2)
    finally:
        ray.shutdown()


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGKILL every process of the nodes' sessions (the raylets, GCS, agents, workers), by id."""
    sessions = {p.pid for p in procs}
    for pid in session_members(sessions):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in procs:
        p.wait(timeout=30)
        if p.stdout is not None:
            p.stdout.close()
    deadline = time.monotonic() + 30
    while session_members(sessions) and time.monotonic() < deadline:  # workers exit once reaped
        time.sleep(0.1)


def session_members(sessions: set[int]) -> list[int]:
    """The live (not zombie) processes whose session id is one of ``sessions``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, sid = fields[0], int(fields[3])
        if sid in sessions and state != "Z":
            found.append(int(entry.name))
    return found
