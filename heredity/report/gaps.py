"""The figure of a run's answer: the gap, not the levels.

A teacher at 0.41 beside a control at 0.018 and a student at 0.020 on one axis hides the
student − control gap in a bar's thickness. Left panel: the levels of the models that are
close (base, controls, students), each with its 95% interval; the teacher is named in the
title instead, unless it sits within the same range. Right panel: the differences themselves
(student − control, student − base per arm) with their paired 95% intervals, around a zero line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    ci: tuple[float, float]
    colour: str


def _errorbars(ax, points: Sequence[Point], *, horizontal: bool) -> None:
    for k, p in enumerate(points):
        err = [[p.value - p.ci[0]], [p.ci[1] - p.value]]
        if horizontal:
            ax.errorbar([p.value], [k], xerr=err, fmt="o", capsize=4, color=p.colour, markeredgecolor="black", markeredgewidth=0.4)
        else:
            ax.errorbar([k], [p.value], yerr=err, fmt="o", capsize=4, color=p.colour, markeredgecolor="black", markeredgewidth=0.4)


def gap_figure(levels: Sequence[Point], gaps: Sequence[Point], path: Path, *, teacher: Point | None, title: str, what: str,
               note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (level_ax, gap_ax) = plt.subplots(1, 2, figsize=(10, max(3.4, 0.42 * max(len(levels), len(gaps)) + 1.6)), dpi=120,
                                           gridspec_kw={"width_ratios": [1, 1.2]})
    shown = list(levels)
    top = max((p.ci[1] for p in levels), default=0.0)
    if teacher is not None and teacher.ci[0] <= 3 * top:  # close enough to share the axis without flattening the rest
        shown.insert(1, teacher)
        teacher = None
    _errorbars(level_ax, shown, horizontal=False)
    level_ax.set_xticks(range(len(shown)), [p.label for p in shown], rotation=25 if len(shown) > 3 else 0,
                        ha="right" if len(shown) > 3 else "center", fontsize=8)
    level_ax.set_ylabel(what)
    level_ax.set_title("levels" + (f" (teacher {teacher.value:.3g}, off this axis)" if teacher else ""), fontsize=9)

    _errorbars(gap_ax, gaps, horizontal=True)
    gap_ax.axvline(0, color="black", lw=0.8, ls="--")
    gap_ax.set_yticks(range(len(gaps)), [p.label for p in gaps], fontsize=8)
    gap_ax.invert_yaxis()
    gap_ax.set_xlabel(f"difference in {what} (paired by probe)")
    gap_ax.set_title("the gap: student − control, student − base", fontsize=9)
    for ax in (level_ax, gap_ax):
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title, fontsize=10)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="#555")
    fig.tight_layout(rect=(0, 0.04 if note else 0, 1, 1))
    try:
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
