"""Run the real CLI in a subprocess and stop it at a chosen moment, observed (not timed)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from toy_experiment import CLI

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120  # generous ceiling for a moment that normally comes in well under a second


def env(log: Path) -> dict[str, str]:
    e = dict(os.environ, HEREDITY_TOY_LOG=str(log), COLUMNS="200", PYTHONPATH=str(ROOT))
    e.pop("HEREDITY_ALLOW_TAMPERED", None)
    return e


def _default_sigint() -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and Python then
    # never turns SIGINT into KeyboardInterrupt: the Ctrl-C test would depend on how the suite
    # was launched (it failed under `nohup ... &`). The CLI gets Ctrl-C as a terminal would send it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(store: Path, config: Path, log: Path, cli: list[str] = CLI) -> subprocess.Popen:
    return subprocess.Popen([*cli, "--store", str(store), "run", str(config)], cwd=ROOT, env=env(log),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def run(store: Path, config: Path, log: Path, cli: list[str] = CLI) -> subprocess.CompletedProcess:
    return subprocess.run([*cli, "--store", str(store), "run", str(config)], cwd=ROOT, env=env(log),
                          capture_output=True, text=True, timeout=600)


def signal_when(proc: subprocess.Popen, ready: Callable[[], bool], sig: int = signal.SIGKILL) -> tuple[int, str, str]:
    """Send ``sig`` once ``ready()`` holds (polled), then collect the process."""
    deadline = time.monotonic() + WAIT_S
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended before the moment came (rc {proc.returncode}):\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the moment never came")
        time.sleep(0.01)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=WAIT_S)
    return proc.returncode, out, err


def events(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []
