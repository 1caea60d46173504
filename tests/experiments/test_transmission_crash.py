"""SIGKILL a real transmission run during generation and during a model step; the rerun must finish
with the same artifact ids and the same results as an uninterrupted run (issue 4).

Only the killed run needs a process of its own; the uninterrupted reference and the reruns go
through the same CLI entry point in this process (each subprocess pays ~5 s of imports)."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from heredity.store import Store

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "heredity.cli"]


def experiment(tiny_lm) -> dict:
    store, tiny_id = tiny_lm
    return {
        "kind": "transmission", "name": "crash",
        "base": {"source": str(store.path(tiny_id))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 3},
        "task": {"kind": "numbers", "max_new_tokens": 12},
        "prompts": 12, "generation": {"batch_size": 4},  # three batches: the first checkpoints, two are left
        "filters": {"format": [{"kind": "format"}]},
        "student": {"train": {"epochs": 3, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 128}},
    }


def run(store: Path, config: Path) -> subprocess.CompletedProcess:
    """``heredity run -q`` through the CLI's entry point, in this process."""
    from heredity.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["--store", str(store), "run", "-q", str(config)])
    return subprocess.CompletedProcess(["heredity", "run", "-q", str(config)], rc, out.getvalue(), err.getvalue())


def kill_when(store: Path, config: Path, pattern: str) -> None:
    """Start a run and SIGKILL it as soon as a file matching ``pattern`` exists in the store."""
    proc = subprocess.Popen([*CLI, "--store", str(store), "run", "-q", str(config)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not list(store.glob(pattern)):
        assert proc.poll() is None, f"the run ended before {pattern} appeared: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"{pattern} never appeared"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def outcome(store: Path, done: subprocess.CompletedProcess) -> tuple[set[str], dict]:
    assert done.returncode == 0, done.stderr
    report = Path(done.stdout.strip().splitlines()[-1])
    return set(Store(store).ids()), json.loads((report / "results.json").read_text())


@pytest.fixture(scope="module")
def config(tiny_lm, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "crash.yaml"
    path.write_text(yaml.safe_dump(experiment(tiny_lm)))
    return path


@pytest.fixture(scope="module")
def reference(config, tmp_path_factory) -> tuple[set[str], dict]:
    """The uninterrupted run, once for every kill moment."""
    store = tmp_path_factory.mktemp("reference")
    return outcome(store, run(store, config))


@pytest.mark.slow
@pytest.mark.parametrize("moment", [
    "scratch/rollouts-*/batches.jsonl",  # generation: after its first checkpointed batch
    "scratch/model-*",                  # a model step has started (the first is the base import)
])
def test_sigkill_during_a_step_then_rerun_matches_an_uninterrupted_run(config, reference, tmp_path, moment):
    store = tmp_path / "killed"
    kill_when(store, config, moment)
    assert not any(p.name.startswith("report-") for p in (store / "artifacts").iterdir())
    assert outcome(store, run(store, config)) == reference
    assert list((store / "tmp").iterdir()) == [] and list((store / "scratch").iterdir()) == []
