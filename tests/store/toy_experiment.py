"""A real experiment kind (``kind: toy``) for crash, interrupt and concurrency tests of the
store: three steps, the middle one slow and checkpointing into ``ctx.scratch`` like training.

Imported by the subprocess that runs the real CLI (see ``run_cli``). Every build appends events to
the file named by ``$HEREDITY_TOY_LOG`` (outside the store, so it never affects ids):
``start <id>``, ``resume <id> <chunk>``, ``chunk <id> <i>``, ``done <id>``, ``between <n>``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from heredity.config import Strict
from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.store import Parent, write_json

HERE = Path(__file__).resolve().parent


class ToyConfig(Strict):
    kind: str = "toy"
    n: int = 20
    chunks: int = 8
    seed: int = 0
    pause_s: float = 0.15  # per chunk and between steps: long enough to be killed in, not a timing assert
    name: str = "toy-report"  # the report's name (hostile names are tested with it)


def log(event: str) -> None:
    path = os.environ.get("HEREDITY_TOY_LOG")
    if path:
        with open(path, "a") as handle:  # O_APPEND: lines from concurrent processes do not interleave
            handle.write(f"{event} {os.getpid()}\n")


def run(config: ToyConfig, runner):
    def make_data(ctx):
        log(f"start {ctx.id}")
        (ctx.out / "rows.jsonl").write_text("".join(json.dumps({"i": i, "x": (i * 7 + config.seed) % 11}) + "\n" for i in range(config.n)))
        log(f"done {ctx.id}")

    data = runner.step("rollouts", {"n": config.n, "seed": config.seed}, [], make_data, name="toy-data", seed=config.seed)
    log("between 1")
    time.sleep(config.pause_s)

    def train(ctx):
        log(f"start {ctx.id}")
        xs = [json.loads(line)["x"] for line in data.file("rows.jsonl").read_text().splitlines()]
        state = ctx.scratch / "checkpoint.json"
        done, total = 0, 0
        if state.exists():  # resume: the checkpoint is written atomically, so it is whole or absent
            saved = json.loads(state.read_text())
            done, total = saved["done"], saved["total"]
            log(f"resume {ctx.id} {done}")
        for chunk in range(done, config.chunks):
            total += sum(x * (chunk + 1) for x in xs)
            tmp = state.with_suffix(".tmp")
            tmp.write_text(json.dumps({"done": chunk + 1, "total": total}))
            os.replace(tmp, state)
            log(f"chunk {ctx.id} {chunk}")
            time.sleep(config.pause_s)
        write_json(ctx.out / "weights.json", {"total": total})
        ctx.summary = {"total": total}
        log(f"done {ctx.id}")

    model = runner.step("model", {"chunks": config.chunks}, [Parent(id=data.id, relation="trained-on")], train, name="toy-model")
    log("between 2")
    time.sleep(config.pause_s)

    def report(ctx):
        log(f"start {ctx.id}")
        total = json.loads(model.file("weights.json").read_text())["total"]
        write_json(ctx.out / "results.json", {"total": total, "model": model.id, "data": data.id})
        (ctx.out / "report.md").write_text(f"# toy\n\ntotal {total}\n")
        log(f"done {ctx.id}")

    return runner.step("report", {"of": "toy"}, [Parent(id=model.id, relation="evaluated")], report, name=config.name)


if "toy" not in EXPERIMENTS:
    EXPERIMENTS.register("toy")(ExperimentKind(config=ToyConfig, run=run))

# The command line a test runs: the real `heredity` CLI, with this kind registered first.
CLI = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); import toy_experiment; "
       "from heredity.cli import main; sys.exit(main())"]
