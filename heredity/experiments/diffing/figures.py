"""Figures of a diffing run (matplotlib, Agg): the Shapley waterfall with the interactions
beside it, and the dose-response curve of teacher patching. Each writes one PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from heredity.diffing.records import Effect, Gap, Share
from heredity.experiments.diffing.results import InterpolationPoint


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


def _err(value: float, ci) -> list[float]:
    if ci is None:
        return [0.0, 0.0]
    return [max(value - ci[0], 0.0), max(ci[1] - value, 0.0)]


def waterfall(path: Path, gap: Gap, shapley: Mapping[str, Share], interactions: Mapping[str, Effect], *, title: str = "") -> Path:
    """Left: pipeline A's score, each factor's Shapley share as a step (with its 95% CI), B's
    score. Right: every interaction (effect-coded estimate with CI), which the shares fold in
    and can hide."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [max(len(shapley) + 2, 3), max(len(interactions), 1) + 1]})
    level = gap.a
    names = ["A", *shapley, "B"]
    for x, name in enumerate(names):
        if name == "A" or name == "B":
            left.bar(x, gap.a if name == "A" else gap.b, color="0.6")
            continue
        share = shapley[name]
        left.bar(x, share.share, bottom=level, color="tab:red" if share.share > 0 else "tab:blue")
        left.errorbar(x, level + share.share, yerr=[[e] for e in _err(share.share, share.ci)], color="k", capsize=3)
        if share.fraction is not None:
            left.annotate(f"{share.fraction:.0%}", (x, level + share.share), ha="center", va="bottom", fontsize=8)
        level += share.share
    left.set_xticks(range(len(names)), names)
    left.set_ylabel("trait score")
    left.set_title(f"Shapley shares of the A->B gap {gap.value:+.3f}")
    labels = list(interactions) or ["(none)"]
    for x, name in enumerate(interactions):
        effect = interactions[name]
        right.errorbar(x, effect.estimate, yerr=[[e] for e in _err(effect.estimate, effect.ci)], fmt="o", color="k", capsize=3)
    right.axhline(0, color="0.7", lw=1)
    right.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    right.set_title("interactions")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def dose_response(path: Path, points: Sequence[InterpolationPoint], *, title: str = "",
                  xlabel: str = "alpha (fraction of prompts patched to B's teacher)") -> Path:
    """The trait against alpha with 95% CIs, one line per ``kind`` (patch, mixture)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for kind in sorted({p.kind for p in points}):
        pts = sorted((p for p in points if p.kind == kind), key=lambda p: p.alpha)
        errs: list[Sequence[float]] = list(zip(*[_err(p.score.p, p.score.ci) for p in pts], strict=True)) if pts else [[], []]
        ax.errorbar([p.alpha for p in pts], [p.score.p for p in pts], yerr=errs, marker="o", capsize=3, label=kind)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("trait score (95% CI)")
    ax.legend()
    if title:
        ax.set_title(title)
    return _save(fig, path)
