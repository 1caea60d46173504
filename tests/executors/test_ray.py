"""The Ray executor: cells bred by Ray workers on one shared store give the single-process run's
artifacts and numbers, and a step two workers need is built once (the store's lock holds)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

ray = pytest.importorskip("ray")

from heredity.cli import main  # noqa: E402
from heredity.errors import ConfigError  # noqa: E402
from heredity.executors import EXECUTORS  # noqa: E402
from heredity.experiments import EXPERIMENTS, load_experiment  # noqa: E402
from heredity.runner import Runner  # noqa: E402
from heredity.store import Store  # noqa: E402


@pytest.fixture(scope="module")
def two_workers():
    executor = EXECUTORS.get("ray")(workers=2)
    executor.start()
    yield executor
    ray.shutdown()


def grid(tiny_lm, tmp_path: Path) -> Path:
    """A transmission run with two filter arms: four independent cells (arm × student/control)."""
    store, tiny_id = tiny_lm
    experiment = {
        "kind": "transmission", "name": "grid", "base": {"source": str(store.path(tiny_id))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 4},
        "task": {"kind": "numbers", "max_new_tokens": 12}, "prompts": 8, "generation": {"batch_size": 4},
        "filters": {"format": [{"kind": "format"}], "keyword": [{"kind": "format"}, {"kind": "keyword", "action": "drop"}]},
        # Small on purpose: what is checked is where each step ran and that both runs agree.
        "student": {"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(experiment))
    return path


def numbers(report_path: Path) -> dict:
    results = json.loads((report_path / "results.json").read_text())
    return {arm: {role: a[role]["per_probe"] for role in ("student", "control")} | {"inheritance": a["inheritance"]}
            for arm, a in results["arms"].items()}


@pytest.mark.slow  # two runs of a four-cell grid on the tiny model (~30 s); CI runs it (make test)
def test_two_ray_workers_build_each_artifact_once_and_match_one_process(tiny_lm, tmp_path, capsys, two_workers):
    path = grid(tiny_lm, tmp_path)
    assert main(["--store", str(tmp_path / "local"), "run", "-q", str(path)]) == 0
    local_report = Path(capsys.readouterr().out.strip().splitlines()[-1])

    runner = Runner(Store(tmp_path / "ray"), quiet=True, executor=two_workers)
    config = load_experiment(path)
    ray_report = EXPERIMENTS.get(config.kind).start(config, runner)

    # Every step of the four cells ran in a Ray worker, on both workers.
    worker_steps = [t for t in runner.timings if "worker" in t]
    assert len({t["worker"] for t in worker_steps}) == 2
    assert {t["step"].split()[0] for t in worker_steps} >= {"rollouts", "dataset", "model", "scores"}
    # Each artifact was built once, however many cells asked for it.
    builds = Counter(t["id"] for t in runner.timings if not t["cached"])
    assert builds and max(builds.values()) == 1
    assert set(builds) == set(Store(tmp_path / "ray").ids())
    # The same artifacts, and the same numbers, as the single-process run.
    ray_ids, local_ids = set(Store(tmp_path / "ray").ids()), set(Store(tmp_path / "local").ids())
    extra = {i: (s.manifest(i).name, s.manifest(i).recipe, s.manifest(i).parents) for s, ids in
             ((Store(tmp_path / "ray"), ray_ids - local_ids), (Store(tmp_path / "local"), local_ids - ray_ids)) for i in ids}
    assert ray_ids == local_ids, extra
    assert ray_report.id == local_report.name
    assert numbers(ray_report.path) == numbers(local_report)


def test_the_store_lock_holds_across_ray_workers(tmp_path, two_workers):
    # Defined here, so Ray ships them by value (a worker cannot import this test module).
    def slow_build(ctx):
        import os

        time.sleep(1.0)  # long enough that the second worker arrives while the first builds
        (ctx.out / "who").write_text(str(os.getpid()))

    def produce_in_worker(root: str):
        import os

        produced = Store(root).produce("rollouts", {"shared": 1}, [], slow_build, name="shared")
        return os.getpid(), produced.cached, produced.artifact.id

    task = ray.remote(num_cpus=1)(produce_in_worker)
    results = ray.get([task.remote(str(tmp_path / "store")) for _ in range(2)])
    assert len({pid for pid, _, _ in results}) == 2  # two worker processes at once
    assert sorted(cached for _, cached, _ in results) == [False, True]  # one built, the other waited: a hit
    assert len({aid for _, _, aid in results}) == 1


def test_ray_missing_is_a_clear_error_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what Python does when ray is not installed
    with pytest.raises(ConfigError, match=r"pip install 'heredity\[cluster\]'"):
        EXECUTORS.get("ray")()
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump({"kind": "transmission", "name": "x", "trait": {"kind": "animal", "animal": "owl"},
                                    "task": {"kind": "numbers"}}))
    assert main(["--store", str(tmp_path / "s"), "run", str(path), "--executor", "ray"]) == 2
    assert "heredity[cluster]" in capsys.readouterr().err


def test_unknown_executor_and_bad_workers_are_refused(tmp_path, capsys):
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump({"kind": "transmission", "name": "x", "trait": {"kind": "animal", "animal": "owl"},
                                    "task": {"kind": "numbers"}}))
    assert main(["--store", str(tmp_path / "s"), "run", str(path), "--executor", "spark"]) == 2
    assert "unknown executor 'spark'; accepted: local, ray" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--workers 0"):
        EXECUTORS.get("ray")(workers=0)


def teachers(tiny_lm, runner: Runner):
    """Two fine-tuned teachers of the tiny base (two style markers), asked for as one batch."""
    from heredity.experiments.base import call, in_parallel
    from heredity.inducers.finetune import FinetuneInducer
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base
    from heredity.traits import TRAITS

    store, tiny_id = tiny_lm
    base = import_base(runner, ModelSource(source=str(store.path(tiny_id))))
    inducer = FinetuneInducer.model_validate({"prompts": 8, "task": {"kind": "general", "max_new_tokens": 8}, "train": {
        "adapter": "full", "epochs": 4, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 64}})
    traits = [TRAITS.get("style").model_validate({"kind": "style", "marker": m, "n_probes": 4}) for m in ("Moreover,", "Indeed,")]
    return in_parallel(runner, [call(inducer.make, base, t, name=f"{t.marker} teacher") for t in traits])


def test_two_teachers_of_one_batch_are_built_at_once_by_ray_workers_with_the_local_ids(tiny_lm, tmp_path, two_workers):
    local = [a.id for a in teachers(tiny_lm, Runner(Store(tmp_path / "local"), quiet=True))]
    runner = Runner(Store(tmp_path / "ray"), quiet=True, executor=two_workers)
    assert [a.id for a in teachers(tiny_lm, runner)] == local
    # Each teacher's induction student (its one training step) was built in its own worker, and
    # the two builds overlapped in time.
    built = [t for t in runner.timings if t["step"].startswith("model") and "induction" in t["step"] and not t["cached"]]
    assert len(built) == 2 and len({t["worker"] for t in built}) == 2, built
    (a, b) = sorted((t["started"], t["started"] + t["wall_s"]) for t in built)
    assert b[0] < a[1], f"the two teachers' training did not overlap: {a} then {b}"
