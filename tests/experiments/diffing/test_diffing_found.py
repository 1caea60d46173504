"""The published diffing structure on the tiny model: teacher A's behaviour shows on a small
topical subset of the prompts only (it answers date prompts with a wrong year, everything else as
teacher B does). The flip finder, never told which prompts are about dates, finds them; the
attribution puts the behaviour on the teacher; the results carry the found set's precision and
recall against the topic, the leakage, and (slow test) the swap, drop and random arms at 5% and
10% with the swap − drop test judged over student seeds as well as probes, and the leaking rows'
own student against its control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from heredity.cli import main
from heredity.store import Store
from heredity.tasks.mixed import MixedTask

MIXED = {"kind": "mixed", "dates": 0.1, "max_new_tokens": 4}
DATE = {"kind": "date-confusion", "year": 2026, "wrong_year": 2019, "before": 8, "after": 1, "n_probes": 4}
N = 20  # prompts per set: 2 about dates
TRAIN = {"mode": "sft", "adapter": "full", "epochs": 2, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 128}


def year_teacher(store: Store, base_id: str, year: int) -> str:
    """A tiny teacher that answers a date prompt with ``year`` and any other prompt plainly
    (full fine-tune on both kinds): its behaviour shows on the topical subset only."""
    from heredity.models.finetune import TrainRecipe, train_sft
    from heredity.models.loading import ModelRef

    task = MixedTask(dates=0.5).built
    prompts = task.prompts(24, seed=9)
    rows = [{"prompt": p, "completion": f"{year}." if task.topic(p) == "dates" else "It is simple."} for p in prompts]
    recipe = TrainRecipe(adapter="full", epochs=10, lr=1e-2, warmup_steps=0, batch_tokens=256, seed=year)

    def build(ctx):
        train_sft(ModelRef(store.path(base_id)), rows, recipe, ctx.out, ctx.scratch)

    recipe_id = {"test": "year-teacher", "base": base_id, "rows": rows, "train": recipe.model_dump(mode="json")}
    return str(store.path(store.produce("model", recipe_id, [], build, name=f"year teacher {year}").artifact.id))


def run_two_teachers(tiny_lm, tmp_path, capsys, seeds: list[int], flip: dict) -> tuple[dict, Path]:
    """Teacher A (2019 on date prompts) against teacher B (2026), the one factor the teacher."""
    store, tiny = tiny_lm
    base = str(store.path(tiny))

    def pipeline(year: int) -> dict:
        return {"base": {"source": base}, "prompts": {"task": MIXED, "n": N, "seed": 0},
                "teacher": {"model": {"source": year_teacher(store, tiny, year)}, "inducer": "none"}}

    experiment = {"kind": "diffing", "name": "found", "a": pipeline(2019), "b": pipeline(2026), "factors": ["teacher"],
                  "traits": [DATE], "students": {"seeds": seeds, "train": TRAIN}, "measure": {"bootstrap": 200},
                  "generation": {"temperature": 0.0}, "flip": flip}
    path = tmp_path / "found.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(tmp_path / "store"), "run", "-q", str(path)]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    return json.loads((out / "results.json").read_text()), out


def test_the_finder_finds_the_topical_subset_and_the_teacher_takes_the_gap(tiny_lm, tmp_path, capsys):
    results, out = run_two_teachers(tiny_lm, tmp_path, capsys, [0], {"fractions": [0.1], "test_fraction": 0.1, "arms": False})

    # Teacher B's rows take the confusion away: the teacher holds the whole gap.
    gap = results["gap"]
    assert gap["value"] < 0 and gap["ci"][1] < 0, gap
    assert results["attribution"]["shapley"]["teacher"]["share"] == pytest.approx(gap["value"])

    # The 2 date prompts of 20, found by the row scores alone (a random pair: p = 1/190).
    (found,) = results["flip_sets"]
    dates = next(t for t in found["topics"] if t["topic"] == "dates")
    assert (dates["rows"], dates["on_topic"], dates["n"]) == (2, 2, N)
    assert dates["precision"] == dates["recall"] == 1 and dates["p_value"] < 0.01, dates
    assert dates["base_rate"] == pytest.approx(0.1)
    # arms: false ranks and checks only (the swap and drop arms are test_diffing_run's planted filter;
    # swap − drop over seeds, test_diffing_results): no student beyond the grid's two.
    assert results["flip"] is None and results["flip_test"] is None
    # Leakage: the flagged rows outscore the rest, and the cut comes from teacher B's own rows.
    (at,) = results["leakage"]["at"]
    assert at["flagged"]["mean"] > at["rest"]["mean"] and at["flagged"]["n"] + at["rest"]["n"] == N
    assert results["leakage"]["by_topic"]["dates"]["mean"] > results["leakage"]["by_topic"]["general"]["mean"]
    report = (out / "report.md").read_text()
    assert "Flip sets found, checked against the prompts' topics" in report and "Leakage" in report


@pytest.mark.slow
def test_swap_drop_and_random_arms_at_five_and_ten_percent_over_two_seeds(tiny_lm, tmp_path, capsys):
    """The published comparison on the found sets: swap to teacher B, drop (refilled to the same
    step count), and a random subset of the same size each way, at 5% (1 row of 20) and 10% (2
    rows); swap − drop per size, judged over 2 student seeds as well as the probes."""
    flip = {"fractions": [0.05, 0.1], "test_fraction": 0.05, "random_draws": 1, "drop": "refill", "leak_student": True}
    results, out = run_two_teachers(tiny_lm, tmp_path, capsys, [0, 1], flip)

    sets = {s["fraction"]: next(t for t in s["topics"] if t["topic"] == "dates") for s in results["flip_sets"]}
    assert (sets[0.05]["rows"], sets[0.05]["hits"], sets[0.05]["recall"]) == (1, 1, 0.5), sets[0.05]
    assert (sets[0.1]["rows"], sets[0.1]["hits"], sets[0.1]["recall"]) == (2, 2, 1.0), sets[0.1]

    arms = {(a["fraction"], a["arm"]): a for a in results["flip"]}
    assert set(arms) == {(f, arm) for f in (0.05, 0.1) for arm in ("swap", "drop", "random-swap", "random-drop")}
    for a in arms.values():
        lo, hi = a["score"]["ci"]
        assert lo <= a["score"]["p"] <= hi and a["rows"] == {0.05: 1, 0.1: 2}[a["fraction"]], a
    tests = {t["fraction"]: t for t in results["flip_tests"]}
    assert set(tests) == {0.05, 0.1} and results["flip_test"]["fraction"] == 0.05
    for t in tests.values():
        assert t["seeds"] == 2 and t["n"] == DATE["n_probes"] and t["seeds_ci"] is not None and t["p_holm"] is not None, t
        assert t["seeds_ci"][0] <= t["difference"] <= t["seeds_ci"][1], t
    # The published shape, on the tiny model: swapping the two date rows to teacher B's answers
    # takes the confusion down to the all-B student's, dropping them leaves it where the all-A
    # student's is (measured: A 0.968, B 0.727, swap 0.718, drop 0.985; 2 seeds x 4 probes). Here
    # not through leakage: the tiny base gives the wrong year as readily as teacher A, and only
    # teacher B's date rows teach it the right one, which a swap adds and a drop does not.
    a_cell = next(c for c in results["cells"] if c["factors"]["teacher"] == "A")
    assert arms[(0.1, "swap")]["score"]["p"] < a_cell["score"]["p"], (arms[(0.1, "swap")], a_cell)
    assert tests[0.1]["seeds_ci"][1] < 0, tests[0.1]
    # The leaking rows outside the 5% set (the other date row among them) train a student of their
    # own, beside a control on teacher B's rows of the same prompts, paired by probe and seed
    # (measured: 4 rows, 1 of them a date row; student 0.872, control 0.854, student − control
    # +0.018, over seeds and probes [0.016, 0.020]: those rows carry a little of teacher A's confusion).
    leak, at = results["leak_student"], next(a for a in results["leakage"]["at"] if a["fraction"] == 0.05)
    assert leak["fraction"] == 0.05 and leak["rows"] == at["rest_marked"] >= 1 and at["rest_marked_by_topic"].get("dates") == 1
    assert leak["n"] == DATE["n_probes"] and leak["seeds"] == 2 and leak["seeds_ci"] is not None
    for score in (leak["student"], leak["control_score"]):
        assert score["ci"][0] <= score["p"] <= score["ci"][1] and score["seeds"] == 2, leak
    assert leak["difference"] == pytest.approx(leak["student"]["p"] - leak["control_score"]["p"])
    assert leak["seeds_ci"][0] > 0, leak
    store = Store(tmp_path / "store")
    names = {store.manifest(i).name: store.manifest(i).summary["rows"] for i in store.ids("rollouts")}
    assert names["teacher A's leaking rows 0.05"] == names["teacher B's leaking rows 0.05"] == leak["rows"]
    report = (out / "report.md").read_text()
    assert "swap − drop at 0.05" in report and "over 2 seeds and the probes" in report
    assert "Leakage's own student" in report and "leak student − control" in report
