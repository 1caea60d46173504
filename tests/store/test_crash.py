"""SIGKILL and Ctrl-C on a real `heredity run` (a subprocess), then a rerun: same ids, same
results, no half-artifact ever visible, completed steps never rebuilt, checkpoints resumed."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
from pathlib import Path
from unittest.mock import patch

import pytest
from procs import events, signal_when, start

from heredity.store import Store
from heredity.store.verify import verify

CONFIG = "kind: toy\nn: 20\nchunks: 8\nseed: 3\n"


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(CONFIG)
    return path


def run(store: Path, config: Path, log: Path) -> subprocess.CompletedProcess:
    """``heredity run`` through the CLI's entry point in this process (the toy kind is registered
    here: procs imports it). Only the run that is killed needs a process of its own; each one
    pays ~5 s of imports, the reruns and the reference do not."""
    from heredity.cli import main

    env = {k: v for k, v in os.environ.items() if k != "HEREDITY_ALLOW_TAMPERED"} | {"HEREDITY_TOY_LOG": str(log), "COLUMNS": "200"}
    out, err = io.StringIO(), io.StringIO()
    with patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["--store", str(store), "run", str(config)])
    return subprocess.CompletedProcess(["heredity", "run", str(config)], rc, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run: its artifact ids and results.json."""
    tmp = tmp_path_factory.mktemp("reference")
    (tmp / "toy.yaml").write_text(CONFIG)
    done = run(tmp / "store", tmp / "toy.yaml", tmp / "log")
    assert done.returncode == 0, done.stderr
    report = Path(done.stdout.strip().splitlines()[-1])
    return sorted(Store(tmp / "store").ids()), json.loads((report / "results.json").read_text())


def logged(log: Path, what: str, n: int = 1):
    return lambda: sum(1 for e in events(log) if e[0] == what) >= n


def tmp_build_exists(store: Path):
    return lambda: (store / "tmp").is_dir() and any((store / "tmp").iterdir())


def assert_store_clean(store_path: Path):
    store = Store(store_path)
    report = verify(store)
    assert report.ok and not report.warnings, report.failures + report.warnings
    for aid in store.ids():  # every visible artifact is whole
        assert (store.path(aid) / "manifest.json").is_file()


KILL_POINTS = {
    "during the first step (tmp folder exists)": lambda store, log: tmp_build_exists(store),
    "between steps": lambda store, log: logged(log, "between"),
    "during training, after 3 checkpoints": lambda store, log: logged(log, "chunk", 3),
    "between the last two steps": lambda store, log: logged(log, "between", 2),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_then_rerun_matches_an_uninterrupted_run(point, tmp_path, config, reference):
    store, log = tmp_path / "store", tmp_path / "log"
    rc, _, _ = signal_when(start(store, config, log), KILL_POINTS[point](store, log), signal.SIGKILL)
    assert rc == -signal.SIGKILL
    landed = {p.name for p in (store / "artifacts").iterdir()}  # steps that completed before the kill
    assert_store_clean(store)  # no half-artifact visible after the kill
    seen = len(events(log))

    rerun = run(store, config, log)
    assert rerun.returncode == 0, rerun.stderr
    rebuilt = {e[1] for e in events(log)[seen:] if e[0] == "start"}
    assert not rebuilt & landed, "a completed step was rebuilt"
    ids, results = reference
    assert sorted(Store(store).ids()) == ids
    assert json.loads((Path(rerun.stdout.strip().splitlines()[-1]) / "results.json").read_text()) == results
    assert_store_clean(store)
    assert not any((store / "tmp").iterdir()), "the dead run's build folder was not cleaned"
    assert not any((store / "scratch").iterdir()), "checkpoints outlived their finished step"


def test_training_resumes_from_its_checkpoint_after_sigkill(tmp_path, config, reference):
    store, log = tmp_path / "store", tmp_path / "log"
    signal_when(start(store, config, log), logged(log, "chunk", 3), signal.SIGKILL)
    chunks_before = sum(1 for e in events(log) if e[0] == "chunk")
    assert run(store, config, log).returncode == 0
    resumed = [e for e in events(log) if e[0] == "resume"]
    assert len(resumed) == 1 and int(resumed[0][2]) >= 3  # picked up at the last checkpoint
    chunks_total = sum(1 for e in events(log) if e[0] == "chunk")
    assert chunks_total == 8 + (chunks_before - int(resumed[0][2]))  # only the unsaved chunk (if any) was redone


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path, config, reference):
    store, log = tmp_path / "store", tmp_path / "log"
    rc, out, err = signal_when(start(store, config, log), logged(log, "chunk", 2), signal.SIGINT)
    assert rc == 130
    assert "Traceback" not in err
    assert "interrupted" in err and f"heredity run {config}" in err and "again to resume" in err
    assert not any((store / "tmp").iterdir()), "an interrupted build left its tmp folder"
    assert_store_clean(store)
    rerun = run(store, config, log)
    assert rerun.returncode == 0
    assert sorted(Store(store).ids()) == reference[0]


def test_stale_tmp_of_a_dead_process_is_removed(store):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = store.root / "tmp" / f"data-0000000000000000.{dead}.deadbeef"
    stale.mkdir()
    (stale / "half.bin").write_bytes(b"x" * 10)
    foreign = store.root / "tmp" / "not-a-build-folder"
    foreign.mkdir()

    def build(ctx):
        (ctx.out / "x.txt").write_text("x")

    store.produce("data", {"stale": 1}, [], build)
    assert not stale.exists()
    assert foreign.exists()  # names it cannot parse are not its to delete
