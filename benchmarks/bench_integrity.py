"""What checking on load costs: a fully cached run with and without the check, and one large
artifact checked as a new process does (hashing every byte: nothing on disk is trusted) and again
within the same process (its own hash of the unchanged file, less than a minute old, reused).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_integrity.py [N] [--store-only]

``--store-only`` measures only the large artifact (no torch is imported, no MLP is trained).

The cached run is examples/mlp-tiny.yaml (5 steps, as in tests/store/test_attacks.py) run in-process,
so the numbers are the store's work, not Python start-up. ``Store.check_on_load = False`` turns the
check off (it exists only for this measurement).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from heredity.store import Store
from heredity.store.integrity import forget_memo

TINY_MLP = (Path(__file__).resolve().parents[1] / "examples" / "mlp-tiny.yaml").read_text()


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def show(label: str, xs: list[float]) -> None:
    print(f"| {label} | {statistics.median(xs) * 1000:.1f} | {min(xs) * 1000:.1f} | {max(xs) * 1000:.1f} | {len(xs)} |")


def main(n: int, store_only: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp())
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, python {platform.python_version()}\n")
    print("| what | median ms | min ms | max ms | n |")
    print("| --- | --- | --- | --- | --- |")
    try:
        if not store_only:
            cached_run(tmp, n)
        big_artifact(Store(tmp / "store"), n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_run(tmp: Path, n: int) -> None:
    from heredity.experiments import EXPERIMENTS, load_experiment
    from heredity.runner import Runner

    (tmp / "tiny.yaml").write_text(TINY_MLP)
    config = load_experiment(tmp / "tiny.yaml")
    store = Store(tmp / "store")
    experiment = EXPERIMENTS.get(config.kind)
    experiment.run(config, Runner(store, quiet=True))  # build once

    def cached(check: bool, fresh: bool = True):
        def go():
            if fresh:
                forget_memo()  # as a new `heredity run` process starts
            store.check_on_load = check
            runner = Runner(store, quiet=True)
            experiment.run(config, runner)
            assert all(t["cached"] for t in runner.timings)
        return go

    show("tiny MLP run, all 5 steps cached, no check", timed(cached(False), n))
    show("tiny MLP run, all 5 steps cached, checked as a new process (every file hashed)", timed(cached(True), n))
    show("tiny MLP run, all 5 steps cached, checked again in the same process (memo)", timed(cached(True, fresh=False), n))


def big_artifact(store: Store, n: int) -> None:
    big = 256 << 20

    def build(ctx):
        with open(ctx.out / "model.safetensors", "wb") as handle:
            handle.write(os.urandom(big))

    aid = store.produce("model", {"bench": "256MiB"}, [], build).artifact.id
    store.check_on_load = True
    show("open a 256 MiB artifact as a new process (hash 256 MiB)", timed(lambda: (forget_memo(), store.open(aid)), n))
    show("open a 256 MiB artifact again in the same process (memo)", timed(lambda: store.open(aid), n))
    store.check_on_load = False
    show("open a 256 MiB artifact, no check", timed(lambda: store.open(aid), n))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10, store_only="--store-only" in sys.argv)
