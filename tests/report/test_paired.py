"""The paired figure draws the inheritance itself: its axes are set by the differences."""

from __future__ import annotations

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from heredity.errors import ConfigError
from heredity.report import paired
from heredity.stats import paired_test


def _levels(n: int = 24, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    control = 0.4 + 0.01 * rng.standard_normal(n)
    student = control + 0.002 + 0.0005 * rng.standard_normal(n)
    return student.tolist(), control.tolist()


def test_a_difference_of_0002_beside_levels_of_04_fills_the_axis(tmp_path, monkeypatch):
    student, control = _levels()
    axes = []
    monkeypatch.setattr(paired.plt, "close", lambda fig: axes.extend(fig.axes))  # keep the axes to inspect
    out = tmp_path / "paired.png"
    tests = paired.paired_figure(student, control, out, labels=[f"probe {i}" for i in range(24)])

    image = mpimg.imread(out)
    assert image.shape[0] == 3.8 * 120 and image.shape[1] == 10 * 120  # written at the size asked
    diff_ax, log_ax = axes
    lo, hi = diff_ax.get_ylim()
    assert lo < 0 < hi and hi - lo < 0.02  # the levels (0.4) are nowhere near this axis
    d = np.array(student) - np.array(control)
    assert lo <= d.min() and d.max() <= hi and d.mean() / (hi - lo) > 0.4  # the 0.002 shift is most of the axis
    expected = paired_test(student, control)
    assert tests["difference"].difference == pytest.approx(expected.difference)
    assert tests["difference"].ci[0] > 0  # the CI of this 0.002 shift excludes 0 and is drawn as the band
    band = [p for p in diff_ax.patches if hasattr(p, "get_xy")]
    assert band, "the mean's 95% CI is drawn as a band"
    assert tests["log_ratio"].n == 24 and log_ax.get_ylim()[1] - log_ax.get_ylim()[0] < 0.1
    assert [t.get_text() for t in diff_ax.get_xticklabels()][0].startswith("probe ")
    monkeypatch.undo()
    plt.close("all")


def test_bad_inputs_are_refused_with_what_is_accepted(tmp_path):
    with pytest.raises(ConfigError, match="same non-zero length"):
        paired.paired_figure([0.1, 0.2], [0.1], tmp_path / "x.png")
    with pytest.raises(ConfigError, match="labels must name every probe"):
        paired.paired_figure([0.1, 0.2], [0.1, 0.3], tmp_path / "x.png", labels=["a"])
    with pytest.raises(ConfigError, match="finite"):
        paired.paired_figure([0.1, float("nan")], [0.1, 0.3], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
