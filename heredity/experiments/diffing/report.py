"""report.md and summary.txt of a diffing run, rendered from its typed results."""

from __future__ import annotations

from pathlib import Path

from heredity.experiments.diffing.results import DiffingResults, TraitDiff
from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table


def write_report(out: Path, results: DiffingResults, artifact_id: str | None = None) -> None:
    from heredity.report.html import write_html

    results.write(out)
    figures = _figures(out, results)
    (out / "report.md").write_text(render_markdown(results, figures))
    (out / "summary.txt").write_text(render_summary(results))
    write_html(out, title=results.name, artifact_id=artifact_id)


def _figures(out: Path, r: DiffingResults) -> list[str]:
    from heredity.experiments.diffing import figures

    figures.waterfall(out / "waterfall.png", r.gap, r.attribution.shapley, r.attribution.interactions, title=f"{r.name}: {r.trait}")
    made = ["waterfall.png"]
    if r.interpolation:
        figures.dose_response(out / "dose-response.png", r.interpolation, title=r.name)
        made.append("dose-response.png")
    return made


def _levels(factors: dict) -> str:
    return " ".join(f"{f}={v}" for f, v in factors.items())


def _trait_section(d: TraitDiff, factors: list[str], flip_drop: str | None = None) -> list[str]:
    lines = [f"## {d.trait}", "",
             f"Gap B − A: **{fmt_num(d.gap.value)}** {fmt_ci(d.gap.ci)} (A {fmt_num(d.gap.a)}, B {fmt_num(d.gap.b)}).", ""]
    lines += [markdown_table(["cell", "score", "95% CI", "n probes", "seeds"],
                             [[_levels(c.factors), fmt_num(c.score.p), fmt_ci(c.score.ci), c.score.n, c.score.seeds] for c in d.cells]), ""]
    lines += ["### Shapley shares (sum to the gap; bootstrap over probes and seeds together)", "",
              markdown_table(["factor", "share", "95% CI", "fraction of gap", "95% CI"],
                             [[f, fmt_num(s.share), fmt_ci(s.ci), fmt_num(s.fraction) if s.fraction is not None else "–",
                               fmt_ci(s.fraction_ci)] for f, s in d.attribution.shapley.items()]), ""]
    effects = list(d.attribution.main_effects.items()) + list(d.attribution.interactions.items())
    lines += ["### Main effects and interactions (effect-coded)", "", f"Model: {d.attribution.effects_model}.", "",
              markdown_table(["term", "estimate", "95% CI", "p", "scale"],
                             [[t, fmt_num(e.estimate), fmt_ci(e.ci), fmt_p_value(e.p_value), e.scale] for t, e in effects]), ""]
    lines += ["### Path from A to B, one factor at a time", "",
              markdown_table(["step", "cell", "score", "change", "95% CI"],
                             [[p.swapped or "A", _levels(p.factors), fmt_num(p.score.p), fmt_num(p.change.value) if p.change else "–",
                               fmt_ci(p.change.ci) if p.change else "–"] for p in d.path]), ""]
    if d.interpolation:
        lines += ["### Teacher patching (B's rollouts on a fraction α of A's prompts) and the plain mixture", "",
                  markdown_table(["kind", "α", "score", "95% CI", "draws"],
                                 [[i.kind, f"{i.alpha:g}", fmt_num(i.score.p), fmt_ci(i.score.ci), i.score.seeds] for i in d.interpolation]), ""]
    if d.flip:
        how = {"refill": " (drop refilled: each dropped row replaced by a copy of a kept one, so every arm trains "
                          "as many steps)", "remove": " (drop removes the rows: the drop arms train on fewer rows)"}
        lines += [f"### Flip sets: swap the top rows to teacher B, or drop them{how.get(flip_drop or '', '')}", "",
                  markdown_table(["fraction", "arm", "rows", "score", "95% CI"],
                                 [[f"{a.fraction:g}", a.arm, a.rows, fmt_num(a.score.p), fmt_ci(a.score.ci)] for a in d.flip]), ""]
        for t in d.flip_tests or []:
            lines.append(f"- swap − drop at {t.fraction:g}: {fmt_num(t.difference)} {fmt_ci(t.ci)}, p = {fmt_p_value(t.p_value)} "
                         f"(Holm {fmt_p_value(t.p_holm)}), n = {t.n} probes")
        lines.append("")
    return lines


def render_markdown(r: DiffingResults, figures: list[str]) -> str:
    on = "log P per probe (nats)" if r.scale == "log" else "the score"
    lines = [f"# {r.name}", "", f"Post-training diffing over {', '.join(r.factors)}: 2^{len(r.factors)} cells. "
             f"Scores are means over probe questions of {on}; intervals are 95%.", ""]
    if r.log_floor is not None:
        lines += [f"On the log scale a probe that read exactly 0 (the estimator skipped every form below its "
                  f"first-token cut) counts as {r.log_floor:.2g}, the largest mass skipped in any cell: one floor "
                  f"for the whole grid.", ""]
    lines += [f"![{name}]({name})" for name in figures] + [""]
    lines += _trait_section(r, r.factors, r.flip_drop)
    for d in r.also.values():
        lines += _trait_section(d, r.factors, r.flip_drop)
    return "\n".join(lines) + "\n"


def render_summary(r: DiffingResults) -> str:
    lines = [f"{r.name}: {r.trait}, gap B − A {fmt_num(r.gap.value)} {fmt_ci(r.gap.ci)}"]
    for f, s in r.attribution.shapley.items():
        frac = f" ({100 * s.fraction:.0f}% of the gap)" if s.fraction is not None else ""
        lines.append(f"  {f:<8} share {fmt_num(s.share)} {fmt_ci(s.ci)}{frac}")
    if r.flip_test is not None:
        t = r.flip_test
        lines.append(f"  swap − drop at {t.fraction:g}: {fmt_num(t.difference)} {fmt_ci(t.ci)}, p = {fmt_p_value(t.p_value)}")
    return "\n".join(lines) + "\n"
