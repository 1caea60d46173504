"""The report artifact's files: ``results.json`` (stable shape, see docs/mlp.md), ``report.md``
and ``accuracy.png``. Pure functions of per-seed numbers; no training here."""

from __future__ import annotations

from pathlib import Path

from heredity.experiments.mlp.results import ALIGNED, ARM_TITLES, ARMS, MlpResults, SeedStats
from heredity.report.tables import markdown_table


def _fmt(s: SeedStats, pct: bool) -> list[str]:
    scale, unit = (100, "%") if pct else (1, "")
    f = (lambda v: f"{v * scale:.1f}{unit}") if pct else (lambda v: f"{v:+.4f}")
    return [f(s.mean), f(s.std).lstrip("+"), f"[{f(s.ci[0])}, {f(s.ci[1])}]", str(s.n)]


def markdown(res: MlpResults) -> str:
    settings = res.settings
    accuracy_rows = [[ARM_TITLES[arm], *_fmt(res.arms[arm].accuracy, pct=True)] for arm in ARMS if arm in res.arms]
    k = res.alignment_k.k
    alignment_rows = [[arm, "first gradient step", *_fmt(res.alignment[arm], pct=False)] for arm in ALIGNED]
    alignment_rows += [[arm, f"first {k} steps", *_fmt(getattr(res.alignment_k, arm), pct=False)] for arm in ALIGNED]
    return "\n".join([
        f"# MLP subliminal learning: {settings['name']}",
        "",
        f"{len(settings['seeds'])} seeds, m = {settings['aux_logits']} auxiliary logits, width {settings['width']}, "
        f"loss {settings['loss']}, optimizer {settings['student']['optimizer']}, "
        f"{settings['noise']['count']} {settings['noise']['distribution']} noise images, data {settings['data_source']}.",
        "",
        "## Test accuracy per arm (mean, std and 95% t-interval over seeds)",
        "",
        markdown_table(["arm", "mean", "std", "95% CI", "n"], accuracy_rows),
        "",
        "## Alignment with the teacher's change θ_T − θ0 (cosine per seed)",
        "",
        markdown_table(["student", "step", "mean", "std", "95% CI", "n"], alignment_rows),
        "", "![accuracy per arm](accuracy.png)", "",
        *_mitigations_markdown(res),
    ])


def _mitigations_markdown(res: MlpResults) -> list[str]:
    if not res.mitigations:
        return []
    rows = []
    for name, m in res.mitigations.items():
        mean, _, ci, n = _fmt(m.accuracy, pct=True)
        vs, cost = _fmt(m.accuracy_vs_same_init, pct=True), _fmt(m.cost, pct=False)
        rows.append([name, f"{mean} {ci}", n, f"{vs[0]} {vs[2]}", f"{m.imitation_same_init.mean:.4g} → {m.imitation.mean:.4g}",
                     f"{cost[0]} {cost[2]}"])
    return [
        "## Mitigations (same-init students trained under them, same noise batches)", "",
        "Accuracy: the trait that travels (the teacher's digit skill). Cost: the held-out imitation loss on the teacher's aux "
        "logits (fresh noise), mitigated − unmitigated, paired by seed. Intervals: 95% t over seeds.", "",
        markdown_table(["mitigation", "accuracy", "n", "vs same-init (unmitigated)", "imitation loss", "cost"], rows), "",
    ]


def summary(res: MlpResults) -> str:
    """What the terminal shows (80 columns)."""
    lines = [f"MLP {res.settings['name']}: test accuracy over {len(res.settings['seeds'])} seeds (95% CI)"]
    for arm in (a for a in ARMS if a in res.arms):
        mean, std, ci, n = _fmt(res.arms[arm].accuracy, pct=True)
        lines.append(f"  {arm:<15} {mean:>6} {ci}")
    for arm in ALIGNED:
        mean, std, ci, n = _fmt(res.alignment[arm], pct=False)
        lines.append(f"  alignment, {arm:<15} {mean} {ci}")
    for name, m in res.mitigations.items():
        mean, _, ci, _ = _fmt(m.accuracy, pct=True)
        vs, cost = _fmt(m.accuracy_vs_same_init, pct=True), _fmt(m.cost, pct=False)
        lines.append(f"  {name:<15} {mean:>6} {ci}; vs same_init {vs[0]} {vs[2]}; cost {cost[0]} {cost[2]}")
    return "\n".join(lines) + "\n"


def plot(res: MlpResults, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    arms = [a for a in ARMS if a in res.arms]
    for i, arm in enumerate(arms):
        s = res.arms[arm].accuracy
        per_seed = [100 * v for v in s.per_seed]
        ax1.scatter([i] * len(per_seed), per_seed, s=12, alpha=0.5, color="grey")
        ax1.errorbar(i, 100 * s.mean, yerr=[[100 * (s.mean - s.ci[0])], [100 * (s.ci[1] - s.mean)]],
                     fmt="o", color="C0", capsize=5)
    ax1.axhline(10, ls="--", lw=0.8, color="red", label="chance (10%)")
    ax1.set_xticks(range(len(arms)), [a.replace("_", "\n") for a in arms])
    ax1.set_ylabel("test accuracy (%)")
    ax1.set_ylim(0, 100)
    ax1.legend(loc="lower left")
    ax1.set_title("accuracy per arm (mean, 95% CI; dots: seeds)")
    k = res.alignment_k.k
    groups = [(arm, "step 1", res.alignment[arm]) for arm in ALIGNED]
    groups += [(arm, f"first {k}", getattr(res.alignment_k, arm)) for arm in ALIGNED]
    for i, (arm, _when, s) in enumerate(groups):
        ax2.errorbar(i, s.mean, yerr=[[s.mean - s.ci[0]], [s.ci[1] - s.mean]], fmt="o", capsize=5,
                     color="C1" if arm == "same_init" else "C2")
    ax2.axhline(0, lw=0.8, color="black")
    ax2.set_xticks(range(len(groups)), [f"{arm.replace('_', ' ')}\n{when}" for arm, when, _ in groups], fontsize=8)
    ax2.set_ylabel("cosine with θ_T − θ0")
    ax2.set_title("alignment with the teacher's change")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(res: MlpResults, out: Path, artifact_id: str | None = None) -> None:
    from heredity.report.html import write_html

    res.write(out)
    (out / "report.md").write_text(markdown(res))
    (out / "summary.txt").write_text(summary(res))
    plot(res, out / "accuracy.png")
    write_html(out, title=f"MLP subliminal learning: {res.settings['name']}", artifact_id=artifact_id)
