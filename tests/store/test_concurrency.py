"""Two real `heredity run` processes on one store at once: each shared step is built once (the
per-artifact lock), both finish with the same report, and the index matches the disk."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from collections import Counter
from pathlib import Path

from procs import events, start

from heredity.errors import StoreError
from heredity.store import Store
from heredity.store.verify import verify


def test_two_runs_share_every_step_and_both_finish(tmp_path):
    store, log = tmp_path / "store", tmp_path / "log"
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("kind: toy\nn: 20\nchunks: 6\nseed: 5\n")
    b.write_text("kind: toy\nn: 20\nchunks: 6\nseed: 5\npause_s: 0.1\n")  # same steps, other file
    Store(store)  # create the layout first, as a user's first run would
    procs = [start(store, path, log) for path in (a, b)]
    outcomes = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outcomes):
        assert p.returncode == 0, err
    reports = {out.strip().splitlines()[-1] for out, _ in outcomes}
    assert len(reports) == 1  # one report artifact, shared
    results = json.loads((Path(reports.pop()) / "results.json").read_text())
    # The toy's own arithmetic, done here by hand: each chunk adds every x times its chunk number.
    xs = [(i * 7 + 5) % 11 for i in range(20)]
    assert results["total"] == sum(x * (chunk + 1) for chunk in range(6) for x in xs)

    built = Counter(e[1] for e in events(log) if e[0] == "start")
    s = Store(store)
    assert sorted(built) == sorted(s.ids()) and set(built.values()) == {1}, built  # each step built once
    assert {e[2] for e in events(log) if e[0] == "between"} == {str(p.pid) for p in procs}  # both really ran
    report = verify(s)
    assert report.ok and not report.warnings
    with sqlite3.connect(store / "index.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        edges = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
    assert edges == sum(len(s.manifest(aid).parents) for aid in s.ids())


def test_concurrent_producers_in_threads_build_once(store):
    """The same in one process: many threads asking for one artifact get one build."""
    from concurrent.futures import ThreadPoolExecutor

    calls = []

    def build(ctx):
        calls.append(1)
        (ctx.out / "x.txt").write_text("x")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.produce("data", {"shared": 1}, [], build), range(8)))
    assert len(calls) == 1
    assert len({r.artifact.id for r in results}) == 1 and sum(not r.cached for r in results) == 1


def _open_at(root: str, start_at: float) -> str:
    while time.time() < start_at:  # release every process at one moment (spin, no sleep jitter)
        pass
    try:
        Store(root)
        return "ok"
    except StoreError as exc:
        return str(exc)


def test_processes_opening_one_fresh_store_at_once_all_succeed(tmp_path):
    # Regression: switching a new index to WAL from several processes at once failed with
    # "database is locked" (seen in CI with two Ray workers). Six processes, twenty fresh stores.
    # The first round waits for the workers to start; later ones only for six tasks to be handed
    # out (milliseconds), so 0.2 s still releases all six at one moment while they spin.
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        for i in range(20):
            root, start_at = str(tmp_path / f"s{i}"), time.time() + (1.0 if i == 0 else 0.2)
            outcomes = pool.starmap(_open_at, [(root, start_at)] * 6)
            assert outcomes == ["ok"] * 6, outcomes
