"""The transmission report answers the question: a verdict per arm with the share of the
teacher's shift (recomputed here from the per-probe numbers), student − base beside student −
control, controls named by what they are, model ids, and a caution when there is one seed."""

from __future__ import annotations

import numpy as np
import pytest
from demo_report import demo_levels, demo_results, write_demo_report

from heredity.experiments.schemas import load_results


def test_the_demo_report_says_inherited_with_the_share_of_the_teachers_shift(tmp_path):
    levels = demo_levels()
    folder = write_demo_report(tmp_path / "report", demo_results({"unfiltered": levels}))
    results = load_results(folder / "results.json")
    arm = results.arms["unfiltered"]
    t, b, s, c = (levels[k] for k in ("teacher", "base", "student", "control"))
    assert arm.verdict.call == "inherited"
    assert arm.verdict.share.share == pytest.approx(np.mean(s - c) / np.mean(t - b))
    assert arm.verdict.share.ci[0] < arm.verdict.share.share < arm.verdict.share.ci[1]
    assert arm.verdict.above_base.share == pytest.approx(np.mean(s - b) / np.mean(t - b))
    assert arm.student_minus_base.difference == pytest.approx(np.mean(s - b))

    share = arm.verdict.share
    md = (folder / "report.md").read_text()
    assert "## Verdict" in md and "**unfiltered**: **inherited**: the owl-distilled student shows" in md
    assert f"{100 * share.share:.2f}% [{100 * share.ci[0]:.2f}%, {100 * share.ci[1]:.2f}%] of the teacher's shift" in md
    assert "dog-distilled student" in md and "student − base" in md
    assert "One student seed: the p-values and intervals cover probe noise only" in md
    for model_id in ("model-fcfe1b125b1fe006", "teacher-ca9d68d86823635f", "model-cfda4e0b3954de8f", "model-0b9e4a7c2d61f538"):
        assert f"`{model_id}`" in md
    assert "student / teacher (raw)" in md and "above the base" in md

    summary = (folder / "summary.txt").read_text().splitlines()
    assert max(len(line) for line in summary) <= 80
    at = summary.index("unfiltered (rows kept 128/128)")
    assert summary[at + 1].startswith("  INHERITED: ") and summary[at + 1].endswith(" of the teacher's shift")
    assert any("dog-distilled student" in line and "model-0b9e4a7c2d61f538" in line for line in summary)
    assert summary[-1].startswith("one student seed")


@pytest.mark.parametrize("arm, effect, shift, call", [
    ("null", 0.0, 0.366, "not detected"),
    ("away", -0.004, 0.366, "moved away"),
    ("flat teacher", 0.0024, 0.0, "teacher shows no trait"),
])
def test_each_call(tmp_path, arm, effect, shift, call):
    results = demo_results({arm: demo_levels(effect=effect, teacher_shift=shift, seed=3)}, seeds=(0, 1))
    folder = write_demo_report(tmp_path / "report", results)
    assert results.arms[arm].verdict.call == call
    md = (folder / "report.md").read_text()
    assert f"**{arm}**: **{call}**" in md
    assert "One student seed" not in md  # two seeds: no caution
    if call == "teacher shows no trait":
        assert "nothing to inherit" in md


def test_several_arms_say_their_p_is_their_own(tmp_path):
    results = demo_results({"a": demo_levels(seed=1), "b": demo_levels(effect=0.0, seed=2)})
    md = (write_demo_report(tmp_path / "report", results) / "report.md").read_text()
    assert "Each arm's p is its own (2 arms, not corrected for multiple comparisons)" in md
    assert "dog-distilled student (a)" in md and "owl-distilled student (b)" in md
