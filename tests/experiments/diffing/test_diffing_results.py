from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from heredity import stats
from heredity.diffing import attribution as at
from heredity.experiments.diffing import results


def example_results() -> results.DiffingResults:
    rng = np.random.default_rng(0)
    values = 0.1 + rng.normal(0, 0.02, size=(2, 2, 2, 12))
    values[0] += 0.3  # the base carries the trait
    out = at.attribute(["base", "teacher"], values, draws=200)
    arm = at.resampled_score(values[0, 0], draws=200)
    swap, drop = rng.uniform(0.0, 0.2, 12), rng.uniform(0.3, 0.5, 12)
    found = results.TraitDiff.of(
        "animal:owl", out, interpolation=[results.InterpolationPoint(alpha=0.5, kind="patch", score=arm)],
        flip=[results.FlipArm(fraction=0.05, arm="swap", score=arm, rows=3)], flip_test=results.flip_test(swap, drop, 0.05))
    return results.DiffingResults(name="demo", factors=["base", "teacher"], scorer="llr", **dict(found))


def test_results_have_the_documented_shape_and_round_trip():
    r = example_results()
    data = json.loads(r.model_dump_json())
    assert data["kind"] == "diffing" and data["schema_version"] == results.SCHEMA_VERSION
    assert set(data["gap"]) >= {"value", "ci"}
    assert data["cells"][1]["factors"] == {"base": "A", "teacher": "B"}
    assert set(data["cells"][0]["score"]) >= {"p", "ci", "n"}
    assert set(data["attribution"]["shapley"]["base"]) >= {"share", "ci"}
    assert "base:teacher" in data["attribution"]["interactions"]
    assert data["attribution"]["main_effects"]["base"]["scale"] == "score"
    assert {"alpha", "score"} <= set(data["interpolation"][0])
    assert {"fraction", "arm", "score"} <= set(data["flip"][0])
    assert {"difference", "ci", "p_value"} <= set(data["flip_test"])
    assert data["attribution"]["shapley"]["base"]["fraction"] == pytest.approx(1.0, abs=0.1)
    assert results.DiffingResults.model_validate(data) == r
    assert load_results_from(r) == r  # one reader for every kind


def load_results_from(r):
    import tempfile
    from pathlib import Path

    from heredity.experiments.schemas import load_results

    with tempfile.TemporaryDirectory() as folder:
        r.write(Path(folder))
        return load_results(Path(folder) / "results.json")


def test_results_refuse_an_unknown_arm_and_a_fraction_outside_0_1():
    arm = {"p": 0.1, "ci": (0.0, 0.2), "n": 4}
    with pytest.raises(ValidationError, match="arm"):
        results.FlipArm(fraction=0.1, arm="delete", score=arm)
    with pytest.raises(ValidationError, match="fraction"):
        results.FlipArm(fraction=1.0, arm="swap", score=arm)


def test_flip_test_is_the_paired_test_by_probe():
    swap = np.array([0.1, 0.2, 0.15, 0.05, 0.12])
    drop = np.array([0.3, 0.35, 0.2, 0.25, 0.3])
    t = results.flip_test(swap, drop, 0.05)
    assert t.difference == pytest.approx(float((swap - drop).mean()))
    assert t.p_value == pytest.approx(stats.paired_test(swap, drop).p_value)
    # pairing matters: the same numbers unpaired (shuffled drop) give another p-value
    assert results.flip_test(swap, drop[::-1]).p_value != pytest.approx(t.p_value)


def test_flip_tests_holm_adjust_across_the_grid():
    rng = np.random.default_rng(3)
    arms = {f: (rng.normal(0, 1, 10), rng.normal(shift, 1, 10)) for f, shift in [(0.02, 0.0), (0.05, 1.0), (0.1, 2.0)]}
    tests = results.flip_tests(arms)
    assert [t.fraction for t in tests] == [0.02, 0.05, 0.1]
    raw = sorted(t.p_value for t in tests)
    smallest = min(tests, key=lambda t: t.p_value)
    assert smallest.p_holm == pytest.approx(min(1.0, 3 * raw[0]))
    assert all(t.p_holm >= t.p_value for t in tests)


def test_resampled_score_reflects_draw_to_draw_spread():
    same = np.tile(np.linspace(0.1, 0.3, 8), (4, 1))
    spread = same + np.array([0.0, 0.2, -0.05, 0.3])[:, None]
    a, b = at.resampled_score(same, draws=400), at.resampled_score(spread, draws=400)
    assert a.n == 8 and a.seeds == 4
    assert (b.ci[1] - b.ci[0]) > (a.ci[1] - a.ci[0])


def test_interpolation_and_flip_arm_builders():
    rng = np.random.default_rng(0)
    curve = {a: 0.5 - 0.4 * a + rng.normal(0, 0.02, size=(2, 8)) for a in (0.0, 0.5, 1.0)}
    points = results.interpolation({"patch": curve, "mixture": curve}, draws=200)
    assert [(p.kind, p.alpha) for p in points][:3] == [("patch", 0.0), ("patch", 0.5), ("patch", 1.0)]
    assert points[0].score.p > points[2].score.p and points[0].score.seeds == 2
    arms = results.flip_arms(0.05, {"swap": curve[1.0], "drop": curve[0.0]}, rows=3, draws=200)
    assert [a.arm for a in arms] == ["swap", "drop"] and arms[0].rows == 3
    with pytest.raises(ValidationError):
        results.flip_arms(0.05, {"erase": curve[0.0]}, draws=100)


def test_swap_minus_drop_is_judged_over_seeds_as_well_as_probes():
    """With several student seeds the interval resamples seeds too: a difference that one seed
    shows and the other does not is not called, though every probe agrees within each seed."""
    probes = np.linspace(0.0, 0.02, 12)
    drop = np.zeros((2, 12))
    steady = results.flip_tests({0.05: (drop + 0.3 + probes, drop)}, draws=400)[0]
    assert steady.seeds == 2 and steady.seeds_ci[0] > 0 and steady.seeds_p < 0.01
    one_seed = np.stack([0.5 + probes, -0.3 + probes])  # seed 0 goes up, seed 1 down
    split = results.flip_tests({0.05: (one_seed, drop)}, draws=400)[0]
    assert split.p_value < 0.01  # the per-probe test, averaging the seeds, calls it
    assert split.seeds_ci[0] <= 0 < split.seeds_ci[1] and split.seeds_p > 0.05  # over seeds it is not called
    single = results.flip_tests({0.05: (probes, probes * 0)})[0]
    assert single.seeds == 1 and single.seeds_ci is None


def test_two_behaviours_render_side_by_side_with_the_found_sets_against_the_topics():
    from heredity.diffing import found
    from heredity.experiments.diffing.report import render_markdown, render_summary

    r = example_results()
    rng = np.random.default_rng(1)
    values = 0.2 + rng.normal(0, 0.02, size=(2, 2, 2, 12))
    values[:, 0] += 0.3  # the second behaviour sits on the teacher
    distress = results.TraitDiff.of("gaslit-distress", at.attribute(["base", "teacher"], values, draws=200))
    topics = {i: "dates" if i < 4 else "general" for i in range(40)}
    scores = {i: float(10 - i) for i in range(40)}
    r = r.model_copy(update={"also": {"gaslit-distress": distress},
                             "flip_sets": [found.flip_set(0.1, {0, 1, 2, 5}, scores, topics)],
                             "leakage": found.leakage(scores, [0.0] * 40, {0.1: {0, 1, 2, 5}}, topics)})
    assert results.DiffingResults.model_validate(json.loads(r.model_dump_json())) == r
    md = render_markdown(r, [])
    side = md.split("## Behaviours side by side")[1].split("\n## ")[0]
    assert "| animal:owl |" in side and "| gaslit-distress |" in side and "base share" in side
    assert "| 0.1 | 4 | dates | 3/4 | 0.7500" in md and "Leakage" in md
    summary = render_summary(r)
    assert "gaslit-distress: gap" in summary and "3 on 'dates', precision 0.7500" in summary and "'general'" not in summary


def test_the_leak_student_is_paired_with_its_control_by_probe_and_seed():
    """Student − control is the paired mean over probes (the t-test of stats.paired_test), judged
    over seeds as well with two seeds; no leaking row: nothing trained, no number made up."""
    rng = np.random.default_rng(1)
    control = rng.uniform(0.2, 0.4, size=(2, 10))
    student = control + 0.1 + rng.normal(0, 0.01, size=(2, 10))
    lk = results.leak_student(0.05, 3, student, control, draws=300)
    paired = stats.paired_test(student.mean(axis=0), control.mean(axis=0))
    assert lk.difference == pytest.approx(paired.difference) == pytest.approx(0.1, abs=0.01)
    assert lk.ci == pytest.approx(paired.ci) and lk.n == 10 and lk.seeds == 2 and lk.rows == 3
    assert lk.seeds_ci is not None and lk.seeds_ci[0] > 0 and lk.seeds_p is not None and lk.seeds_p < 0.05
    assert lk.student.p == pytest.approx(student.mean()) and lk.control_score.p == pytest.approx(control.mean())
    assert lk.student.seeds == 2
    nothing = results.leak_student(0.05, 0, None, None)
    assert nothing.rows == 0 and nothing.student is None and nothing.difference is None
    r = example_results().model_copy(update={"leak_student": lk})
    assert results.DiffingResults.model_validate(json.loads(r.model_dump_json())) == r
    from heredity.experiments.diffing.report import render_markdown, render_summary

    md = render_markdown(r, [])
    assert "Leakage's own student: teacher A's leaking rows alone (outside the 0.05 set, above the cut)" in md
    assert "leak student − control: " in md and "over 2 seeds and the probes" in md
    assert "leaking rows' student − control (3 rows)" in render_summary(r)
    assert "nothing leaks, no student trained" in render_markdown(example_results().model_copy(update={"leak_student": nothing}), [])
