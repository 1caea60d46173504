"""report.md and summary.txt of a diffing run, rendered from its typed results."""

from __future__ import annotations

from pathlib import Path

from heredity.experiments.diffing.cost import costs_markdown
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
            seeds = (f"; over {t.seeds} seeds and the probes {fmt_ci(t.seeds_ci)}, bootstrap p = {fmt_p_value(t.seeds_p)}"
                     if t.seeds_ci is not None else "")
            lines.append(f"- swap − drop at {t.fraction:g}: {fmt_num(t.difference)} {fmt_ci(t.ci)}, p = {fmt_p_value(t.p_value)} "
                         f"(Holm {fmt_p_value(t.p_holm)}), n = {t.n} probes{seeds}")
        lines.append("")
    if d.leak_student is not None:
        lines += _leak_lines(d)
    return lines


def _leak_lines(d: TraitDiff) -> list[str]:
    lk = d.leak_student
    assert lk is not None
    head = f"### Leakage's own student: teacher A's leaking rows alone (outside the {lk.fraction:g} set, above the cut)"
    if lk.student is None or lk.control_score is None:
        return [head, "", f"No row outside the {lk.fraction:g} set scores above the cut: nothing leaks, no student trained.", ""]
    seeds = (f"; over {lk.seeds} seeds and the probes {fmt_ci(lk.seeds_ci)}, bootstrap p = {fmt_p_value(lk.seeds_p)}"
             if lk.seeds_ci is not None else "")
    return [head, "", f"{lk.rows} rows; the control learnt {lk.control} (as many rows and steps; only the teacher differs).", "",
            markdown_table(["student", "rows", "score", "95% CI", "n probes", "seeds"],
                           [["leaking rows of A", lk.rows, fmt_num(lk.student.p), fmt_ci(lk.student.ci), lk.student.n, lk.student.seeds],
                            ["control: B's rows", lk.rows, fmt_num(lk.control_score.p), fmt_ci(lk.control_score.ci),
                             lk.control_score.n, lk.control_score.seeds]]), "",
            f"- leak student − control: {fmt_num(lk.difference)} {fmt_ci(lk.ci)}, p = {fmt_p_value(lk.p_value)}, paired over "
            f"n = {lk.n} probes{seeds}", ""]


def render_markdown(r: DiffingResults, figures: list[str]) -> str:
    on = "log P per probe (nats)" if r.scale == "log" else "the score"
    lines = [f"# {r.name}", "", f"Post-training diffing over {', '.join(r.factors)}: 2^{len(r.factors)} cells. "
             f"Scores are means over probe questions of {on}; intervals are 95%.", ""]
    if r.log_floor is not None:
        lines += [f"On the log scale a probe that read exactly 0 (the estimator skipped every form below its "
                  f"first-token cut) counts as {r.log_floor:.2g}, the largest mass skipped in any cell: one floor "
                  f"for the whole grid.", ""]
    for lvl, described in r.mitigations.items():
        lines += [f"Pipeline {lvl}'s filter level mitigates its rows: {'; '.join(described)}."]
    if r.mitigations:
        lines += [""]
    lines += costs_markdown(r.mitigation_costs)
    lines += [f"![{name}]({name})" for name in figures] + [""]
    if r.also:
        lines += _side_by_side(r)
    lines += _found_sets(r)
    lines += _trait_section(r, r.factors, r.flip_drop)
    for d in r.also.values():
        lines += _trait_section(d, r.factors, r.flip_drop)
    return "\n".join(lines) + "\n"


def _traits(r: DiffingResults) -> list[TraitDiff]:
    return [r, *r.also.values()]


def _side_by_side(r: DiffingResults) -> list[str]:
    """Every behaviour's gap and Shapley shares on the one grid, a row each."""
    head = ["behaviour", "gap B − A", "95% CI"] + [h for f in r.factors for h in (f"{f} share", "fraction of gap [95% CI]")]
    rows = []
    for d in _traits(r):
        row = [d.trait, fmt_num(d.gap.value), fmt_ci(d.gap.ci)]
        for f in r.factors:
            s = d.attribution.shapley[f]
            row += [f"{fmt_num(s.share)} {fmt_ci(s.ci)}", f"{fmt_num(s.fraction)} {fmt_ci(s.fraction_ci)}" if s.fraction is not None else "–"]
        rows.append(row)
    return ["## Behaviours side by side (one grid, every behaviour measured on every cell)", "", markdown_table(head, rows), ""]


def _found_sets(r: DiffingResults) -> list[str]:
    lines: list[str] = []
    if r.flip_sets:
        rows = [[f"{s.fraction:g}", s.rows, t.topic, f"{t.hits}/{t.rows}", f"{fmt_num(t.precision)} {fmt_ci(t.precision_ci)}",
                 f"{t.hits}/{t.on_topic}", f"{fmt_num(t.recall)} {fmt_ci(t.recall_ci)}" if t.recall is not None else "–",
                 fmt_num(t.base_rate), fmt_p_value(t.p_value)] for s in r.flip_sets for t in s.topics]
        lines += ["## Flip sets found, checked against the prompts' topics", "",
                  f"The finder ranked teacher A's rows by {r.scorer} and never saw a topic; the topics are the task's labels. "
                  "p: a random subset of the same size holding as many rows of the topic (hypergeometric).", ""]
        lines += [markdown_table(["fraction", "rows", "topic", "hits", "precision [95% CI]", "of topic", "recall [95% CI]",
                                  "base rate", "p"], rows) if rows else "The prompts' task labels no topics.", ""]
    if r.leakage:
        lk = r.leakage
        lines += ["## Leakage: teacher A's signature outside the found set", "",
                  f"A row is marked when its score exceeds {fmt_num(lk.cut)}, the 95th percentile of the same scorer on "
                  f"teacher B's rows of the same prompts ({lk.b_rows_marked} of B's rows exceed it). Of teacher A's "
                  f"{lk.rows} rows, {lk.rows_marked} are marked.", ""]
        lines += [markdown_table(
            ["fraction", "flagged mean [95% CI]", "n", "rest mean [95% CI]", "n", "rest marked", "share [95% CI]", "marked rest by topic"],
            [[f"{a.fraction:g}", f"{fmt_num(a.flagged.mean)} {fmt_ci(a.flagged.ci)}", a.flagged.n,
              f"{fmt_num(a.rest.mean)} {fmt_ci(a.rest.ci)}", a.rest.n, a.rest_marked,
              f"{fmt_num(a.rest_marked_share)} {fmt_ci(a.rest_marked_ci)}",
              ", ".join(f"{k} {v}" for k, v in sorted(a.rest_marked_by_topic.items())) or "–"] for a in lk.at]), ""]
        if lk.by_topic:
            lines += [markdown_table(["topic", "teacher A's row score mean [95% CI]", "median", "rows"],
                                     [[t, f"{fmt_num(v.mean)} {fmt_ci(v.ci)}", fmt_num(v.median), v.n] for t, v in lk.by_topic.items()]), ""]
    return lines


def render_summary(r: DiffingResults) -> str:
    lines = [f"{r.name}: {r.trait}, gap B − A {fmt_num(r.gap.value)} {fmt_ci(r.gap.ci)}"]
    for f, s in r.attribution.shapley.items():
        frac = f" ({100 * s.fraction:.0f}% of the gap)" if s.fraction is not None else ""
        lines.append(f"  {f:<8} share {fmt_num(s.share)} {fmt_ci(s.ci)}{frac}")
    if r.flip_test is not None:
        t = r.flip_test
        lines.append(f"  swap − drop at {t.fraction:g}: {fmt_num(t.difference)} {fmt_ci(t.ci)}, p = {fmt_p_value(t.p_value)}")
    if r.leak_student is not None and r.leak_student.difference is not None:
        lk = r.leak_student
        lines.append(f"  leaking rows' student − control ({lk.rows} rows): {fmt_num(lk.difference)} {fmt_ci(lk.ci)}, "
                     f"p = {fmt_p_value(lk.p_value)}")
    for d in r.also.values():
        lines.append(f"{d.trait}: gap B − A {fmt_num(d.gap.value)} {fmt_ci(d.gap.ci)}")
        for f, s in d.attribution.shapley.items():
            frac = f" ({100 * s.fraction:.0f}% of the gap)" if s.fraction is not None else ""
            lines.append(f"  {f:<8} share {fmt_num(s.share)} {fmt_ci(s.ci)}{frac}")
    for fs in r.flip_sets or []:
        for m in (m for m in fs.topics if m.base_rate < 0.5):  # the topical subsets, not the bulk of the prompts
            lines.append(f"flip set {fs.fraction:g} ({fs.rows} rows): {m.hits} on {m.topic!r}, precision {fmt_num(m.precision)} "
                         f"{fmt_ci(m.precision_ci)}, recall {fmt_num(m.recall)} (base rate {fmt_num(m.base_rate)})")
    return "\n".join(lines) + "\n"
