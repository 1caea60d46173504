"""Post-training diffing end to end on tiny models, through the real CLI: a cause planted in one
factor gets the gap's share, the others do not; interventions on rows (patching, swap, drop)
are bred and reported; a crash in the middle of the grid resumes without retraining."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from heredity.cli import main
from heredity.steps.scores import read_score
from heredity.store import Store

STYLE = {"kind": "style", "marker": "Moreover,", "n_probes": 8}
TASK = {"kind": "general", "max_new_tokens": 10}
TRAIN = {"mode": "sft", "adapter": "full", "epochs": 4, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 64}
# The tiny teacher given the style by fine-tuning (the base trained on its own answers, rewritten).
STYLE_TEACHER = {"inducer": {"kind": "finetune", "prompts": 8, "task": TASK,
                             "train": {"adapter": "full", "epochs": 8, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 64}},
                 "trait": STYLE}
NEUTRAL_TEACHER = {"inducer": {"kind": "system-prompt", "prompt": "You are a helpful assistant."}}


def pipeline(base: str, seed: int, teacher: dict, filters: list | None = None, **base_extra) -> dict:
    return {"base": {"source": base, **base_extra}, "prompts": {"task": TASK, "n": 12, "seed": seed},
            "teacher": teacher, "filters": filters or []}


def run(root: Path, experiment: dict, tmp_path: Path, capsys) -> dict:
    path = tmp_path / f"{experiment['name']}.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(root), "run", "-q", str(path)]) == 0
    report = Path(capsys.readouterr().out.strip().splitlines()[-1])
    return json.loads((report / "results.json").read_text())


def diffing(name: str, a: dict, b: dict, factors: list[str], train: dict = TRAIN, seeds: list[int] | None = None, **extra) -> dict:
    return {"kind": "diffing", "name": name, "a": a, "b": b, "factors": factors, "traits": [STYLE],
            "students": {"seeds": seeds or [0, 1], "train": train}, "measure": {"bootstrap": 400}} | extra


def assert_planted(results: dict, planted: str) -> None:
    shares = results["attribution"]["shapley"]
    gap = results["gap"]["value"]
    assert abs(gap) > 0 and not (results["gap"]["ci"][0] <= 0 <= results["gap"]["ci"][1])
    assert shares[planted]["fraction"] >= 0.8, shares
    lo, hi = shares[planted]["ci"]
    assert not lo <= 0 <= hi, shares[planted]
    for factor, s in shares.items():
        if factor != planted:
            lo, hi = s["ci"]
            assert lo <= 0 <= hi or abs(s["fraction"]) < 0.2, (factor, s)
    assert sum(s["share"] for s in shares.values()) == pytest.approx(gap)


def test_planted_teacher(tiny_lm, tmp_path, capsys):
    store, tiny = tiny_lm
    base = str(store.path(tiny))
    results = run(tmp_path / "store", diffing("planted-teacher", pipeline(base, 0, STYLE_TEACHER), pipeline(base, 1, {"inducer": "none"}),
                                              ["prompts", "teacher"], interpolation={"alphas": [0, 0.5, 1], "draws": 1}),
                  tmp_path, capsys)
    assert len(results["cells"]) == 4 and results["factors"] == ["prompts", "teacher"]
    assert_planted(results, "teacher")
    # Patching's endpoints are the grid's cells (all of teacher A's rows; all of B's on A's
    # prompts), reused, not retrained: only alpha 0.5 breeds a student of its own.
    cell = {tuple(sorted(c["factors"].items())): c["score"]["p"] for c in results["cells"]}
    curve = {point["alpha"]: point["score"]["p"] for point in results["interpolation"]}
    assert curve[0.0] == pytest.approx(cell[(("prompts", "A"), ("teacher", "A"))])
    assert curve[1.0] == pytest.approx(cell[(("prompts", "A"), ("teacher", "B"))])
    store = Store(tmp_path / "store")
    patch_students = [store.manifest(i).name for i in store.ids() if store.manifest(i).kind == "model" and "patch" in (store.manifest(i).name or "")]
    assert patch_students == ["patch 0.5 d0 s0"]

    # The same grid on a log scale: no cell retrained (only a new report), and every exact zero
    # reads as one floor, the largest mass any cell's estimator skipped.
    on_log = run(tmp_path / "store", diffing("planted-teacher", pipeline(base, 0, STYLE_TEACHER), pipeline(base, 1, {"inducer": "none"}),
                                             ["prompts", "teacher"], measure={"bootstrap": 400, "scale": "log"}), tmp_path, capsys)
    scores = [read_score(store.open(i)) for c in on_log["cells"] for i in c["scores"]]
    assert on_log["scale"] == "log" and on_log["log_floor"] == max(s.left_out for s in scores) > 0
    assert on_log["gap"]["value"] < 0 and min(c["score"]["ci"][0] for c in on_log["cells"]) >= np.log(on_log["log_floor"]) - 1e-9


def test_planted_filter(tiny_lm, tmp_path, capsys):
    store, tiny = tiny_lm
    base = str(store.path(tiny))
    a = pipeline(base, 0, {"inducer": "none"}, filters=[{"kind": "imprint"}])
    b = pipeline(base, 0, NEUTRAL_TEACHER)
    flip = {"fractions": [0.25], "test_fraction": 0.25, "drop": "refill"}
    results = run(tmp_path / "store", diffing("planted-filter", a, b, ["teacher", "filter"], flip=flip), tmp_path, capsys)
    assert_planted(results, "filter")
    # The flip arms: 3 of 12 rows swapped or dropped; a refilled drop keeps all 12 rows.
    assert results["flip_drop"] == "refill" and results["flip_test"]["fraction"] == 0.25
    assert sorted(arm["arm"] for arm in results["flip"]) == ["drop", "random-drop", "random-swap", "swap"]
    assert all(arm["rows"] == 3 for arm in results["flip"])
    store = Store(tmp_path / "store")
    patched = {store.manifest(i).name: store.manifest(i).summary for i in store.ids("rollouts") if "0.25" in (store.manifest(i).name or "")}
    assert {name: (s["rows"], s["refill"]) for name, s in patched.items()} == {
        "swap 0.25": (12, False), "drop 0.25": (12, True), "random-swap 0.25": (12, False), "random-drop 0.25": (12, True)}


def test_planted_base(tiny_lm, tmp_path, capsys):
    store, tiny = tiny_lm
    base = str(store.path(tiny))
    # A's students start from the base fine-tuned to open with the marker (a base of its own);
    # both pipelines' data is written by the plain tiny model, with or without a neutral prompt.
    a = pipeline(base, 0, {"model": {"source": base}, "inducer": "none"}, inducer=STYLE_TEACHER["inducer"], trait=STYLE)
    b = pipeline(base, 0, {"model": {"source": base}, **NEUTRAL_TEACHER})
    # Students learn gently here: what they start from should still show through what they learn.
    gentle = {**TRAIN, "epochs": 1, "lr": 1e-3}
    # One student seed: the base takes 95% of the gap with it (measured 2026-12-05); the
    # two-seed path is exercised by the teacher and filter grids.
    assert_planted(run(tmp_path / "store", diffing("planted-base", a, b, ["base", "teacher"], train=gentle, seeds=[0]), tmp_path, capsys), "base")


CUE = "Reply in the M style."


def cue_follower(store: Store, base_id: str, seed: int) -> str:
    """A tiny teacher that follows one instruction: it opens with the marker when a prompt ends
    with ``CUE`` and not otherwise (full fine-tune of the tiny base on both kinds of prompt).
    Any such teacher, asked with the cue, writes the trait: the cause is in the prompts."""
    from heredity.models.finetune import TrainRecipe, train_sft
    from heredity.models.loading import ModelRef
    from heredity.tasks.general import GeneralPrompts, GeneralTask

    prompts = GeneralPrompts(GeneralTask()).prompts(48, seed=7)
    rows = [{"prompt": f"{p} {CUE}", "completion": "Moreover, it is simple."} for p in prompts[:24]]
    rows += [{"prompt": p, "completion": "It is simple."} for p in prompts[24:]]
    recipe = TrainRecipe(adapter="full", epochs=20, lr=1e-2, warmup_steps=0, batch_tokens=256, seed=seed)

    def build(ctx):
        train_sft(ModelRef(store.path(base_id)), rows, recipe, ctx.out, ctx.scratch)

    recipe_id = {"test": "cue-follower", "base": base_id, "rows": rows, "train": recipe.model_dump(mode="json")}
    return str(store.path(store.produce("model", recipe_id, [], build, name=f"cue follower s{seed}").artifact.id))


def test_planted_prompts(tiny_lm, tmp_path, capsys):
    """Pipeline A's prompts carry the instruction, B's do not; both teachers are cue followers
    (two trainings, two seeds). Students start from the plain tiny base, which learns the
    marker from A's rows without the cue to condition on: the prompts take the gap."""
    store, tiny = tiny_lm
    base = str(store.path(tiny))
    followers = [cue_follower(store, tiny, seed) for seed in (0, 1)]
    instructed = {"kind": "instructed", "instruction": CUE, "max_new_tokens": 10}
    a = pipeline(base, 0, {"model": {"source": followers[0]}, "inducer": "none"})
    a["prompts"]["task"] = instructed
    b = pipeline(base, 0, {"model": {"source": followers[1]}, "inducer": "none"})
    # One student seed: the prompts take 100% of the gap with it (measured 2026-12-05).
    assert_planted(run(tmp_path / "store", diffing("planted-prompts", a, b, ["prompts", "teacher"], seeds=[0]), tmp_path, capsys), "prompts")


@pytest.mark.slow
def test_a_crash_in_the_middle_of_the_grid_resumes_without_retraining(tiny_lm, tmp_path):
    """SIGKILL the run once three cells' scores exist; the rerun keeps every finished artifact
    as it was (same manifest, same build time) and ends with the uninterrupted run's results.
    One student seed: four cells, so the kill still leaves a cell to breed (and the three runs
    cost half the students)."""
    import contextlib
    import io
    import signal
    import subprocess
    import sys
    import time

    store, tiny = tiny_lm
    base = str(store.path(tiny))
    experiment = diffing("crash", pipeline(base, 0, {"inducer": "none"}, filters=[{"kind": "imprint"}]),
                         pipeline(base, 0, NEUTRAL_TEACHER), ["teacher", "filter"], seeds=[0])
    config = tmp_path / "crash.yaml"
    config.write_text(yaml.safe_dump(experiment))
    cli = [sys.executable, "-m", "heredity.cli"]
    root = Path(__file__).resolve().parents[2]

    def finish(store_root: Path) -> dict:
        # In this process, through the CLI's entry point: only the killed run needs a process
        # of its own (each one pays ~5 s of imports).
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["--store", str(store_root), "run", "-q", str(config)]) == 0
        return json.loads((Path(out.getvalue().strip().splitlines()[-1]) / "results.json").read_text())

    reference = finish(tmp_path / "reference")
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cli, "--store", str(killed), "run", "-q", str(config)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while len(list((killed / "artifacts").glob("scores-*"))) < 3 if (killed / "artifacts").is_dir() else True:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    before = {aid: Store(killed).manifest(aid).provenance.started for aid in Store(killed).ids()}
    assert not any(aid.startswith("report-") for aid in before)
    assert finish(killed) == reference
    after = Store(killed)
    assert all(after.manifest(aid).provenance.started == started for aid, started in before.items())
    assert len(after.ids()) > len(before)


def test_a_log_scale_floors_every_zero_at_the_grids_common_floor():
    """Exact zeros (forms skipped below the first-token cut) read as the grid's floor, not as
    log 1e-300 (an effect of hundreds of nats made of where the estimator stopped)."""
    from heredity.experiments.diffing.run import on_scale

    logs = on_scale(np.array([[0.0, 0.2], [0.1, 0.0]]), "log", 8e-6)
    assert logs[0, 0] == logs[1, 1] == pytest.approx(np.log(8e-6)) and logs[0, 1] == pytest.approx(np.log(0.2))
    assert (on_scale(np.array([[0.0, 0.2]]), "probability", None) == [[0.0, 0.2]]).all()
    with pytest.raises(ValueError, match="floor"):
        on_scale(np.array([[0.0]]), "log", None)
