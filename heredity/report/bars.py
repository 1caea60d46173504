"""Bar charts with confidence intervals (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt

from heredity.report.style import PALETTE  # noqa: F401 - re-exported: figures import it from here


def bar_chart(
    labels: Sequence[str], values: Sequence[float], cis: Sequence[Sequence[float]], path: Path, *,
    title: str, ylabel: str, colors: Sequence[str] | None = None, note: str = "",
) -> None:
    fig, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(labels) + 1.5), 3.6), dpi=150)
    lower = [v - ci[0] for v, ci in zip(values, cis)]
    upper = [ci[1] - v for v, ci in zip(values, cis)]
    ax.bar(range(len(values)), values, yerr=[lower, upper], capsize=4, color=colors or "#607d8b", edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(len(values)), labels, rotation=20 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    for i, v in enumerate(values):
        ax.annotate(f"{v:.3g}", (i, cis[i][1]), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
    if note:
        fig.text(0.01, 0.01, note, fontsize=6, color="#555")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
