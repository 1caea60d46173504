"""The figure of inheritance itself: student − control, paired by probe.

Levels (base 0.41, student 0.412) on one axis hide a difference of 0.002; this figure draws
only the differences, so its axis is set by them. Left: one dot per probe (student − control),
sorted, with the mean difference and its 95% t-interval as a band. Right: the same for the
per-probe log ratio log(student / control) (rare answers move multiplicatively).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt
import numpy as np

from heredity.errors import ConfigError
from heredity.stats import floored, paired_test
from heredity.stats_records import PairedTest

LOG_FLOOR = 1e-12  # per-probe values at or below 0 are floored here before the log


def _check(student: Sequence[float], control: Sequence[float], labels: Sequence[str] | None) -> None:
    if len(student) != len(control) or not student:
        raise ConfigError(f"paired figure: student and control need one value per probe, same non-zero length "
                          f"(got {len(student)} and {len(control)})")
    if labels is not None and len(labels) != len(student):
        raise ConfigError(f"paired figure: labels must name every probe ({len(student)}), got {len(labels)}")
    if not all(math.isfinite(v) for v in [*student, *control]):
        raise ConfigError("paired figure: per-probe values must be finite numbers")


def _panel(ax, values: np.ndarray, test: PairedTest, labels: Sequence[str] | None, *, colour: str, ylabel: str, title: str) -> None:
    order = np.argsort(values, kind="stable")
    x = np.arange(values.size)
    lo, hi = test.ci
    mean = test.difference
    ax.axhspan(lo, hi, color=colour, alpha=0.18, lw=0, label=f"mean {mean:+.3g}, 95% CI [{lo:+.3g}, {hi:+.3g}]")
    ax.axhline(mean, color=colour, lw=1.4)
    ax.axhline(0, color="black", lw=0.8, ls="--")
    ax.scatter(x, values[order], s=14, color=colour, edgecolor="black", linewidth=0.3, zorder=3)
    if labels is not None and values.size <= 30:
        ax.set_xticks(x, [labels[i] for i in order], rotation=60, ha="right", fontsize=6)
    else:
        ax.set_xticks([])
        ax.set_xlabel("probes, sorted by value")
    # The range is set by the differences and their interval, never by the levels.
    span = [*values.tolist(), lo, hi, 0.0]
    bottom, top = min(span), max(span)
    pad = 0.08 * (top - bottom) or max(abs(top), 1e-6) * 0.5
    ax.set_ylim(bottom - pad, top + pad)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\nn = {test.n} probes, higher on {test.wins}, lower on {test.losses}, p = {test.p_value:.3g}",
                 fontsize=9)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def paired_figure(student: Sequence[float], control: Sequence[float], path: Path, *, labels: Sequence[str] | None = None,
                  title: str = "student − control, paired by probe", what: str = "P(target)", floor: float = LOG_FLOOR) -> dict[str, PairedTest]:
    """Draw the two panels to ``path`` (PNG); returns the two paired tests (difference, log ratio),
    as ``heredity.stats.paired_test`` gives them, so a caption can quote the same numbers."""
    _check(student, control, labels)
    s, c = np.asarray(student, dtype=float), np.asarray(control, dtype=float)
    diff = paired_test(s, c)
    # ``floor``: what a per-probe 0 stands for (heredity.measure.log_floor: the estimator's skipped mass)
    log_s, log_c = np.log(floored(s, floor)), np.log(floored(c, floor))
    log_ratio = paired_test(log_s, log_c)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=120)
    _panel(ax1, s - c, diff, labels, colour="#f57c00", ylabel=f"student − control ({what})", title="difference per probe")
    _panel(ax2, log_s - log_c, log_ratio, labels, colour="#6a1b9a", ylabel="log(student / control)", title="log ratio per probe")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return {"difference": diff, "log_ratio": log_ratio}
