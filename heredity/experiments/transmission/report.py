"""report.md, summary.txt and the figure of a transmission experiment, rendered from its typed
results (nothing here computes a statistic)."""

from __future__ import annotations

from pathlib import Path

from heredity.experiments.transmission.results import TransmissionResults
from heredity.report.bars import PALETTE, bar_chart
from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table


def write_report(out: Path, results: TransmissionResults, artifact_id: str | None = None) -> None:
    from heredity.report.html import write_html
    from heredity.report.paired import paired_figure

    results.write(out)
    _figure(out / "scores.png", results)
    for k, (arm, parts) in enumerate(results.arms.items()):  # the inheritance itself, probe by probe
        lr = parts.inheritance.log_ratio
        paired_figure(parts.student.per_probe, parts.control.per_probe, out / f"paired-{k}.png",
                      title=f"{arm}: student − control, paired by probe", what="P(target)" if results.estimator == "exact" else "rate",
                      **({"floor": lr.floor} if lr is not None and lr.floor else {}))
    if results.later_generations:
        _generations_figure(out / "generations.png", results)
    (out / "report.md").write_text(render_markdown(results))
    (out / "summary.txt").write_text(render_summary(results))
    write_html(out, title=results.experiment, artifact_id=artifact_id)


def _figure(path: Path, r: TransmissionResults) -> None:
    labels, values, cis, colors = ["base", "teacher"], [r.base.p, r.teacher.p], [r.base.ci, r.teacher.ci], [PALETTE["base"], PALETTE["teacher"]]
    multi = len(r.arms) > 1
    for arm, parts in r.arms.items():
        for role in ("control", "student"):
            m = getattr(parts, role)
            labels.append(f"{role}\n{arm}" if multi else role)
            values.append(m.p), cis.append(m.ci), colors.append(PALETTE[role])
    if r.screen is not None:  # the screen arm's students, beside the arm they came from
        for how in ("screened", "random"):
            m = getattr(r.screen, how).student
            labels.append(f"{how} drop\n{r.screen.arm}")
            values.append(m.p), cis.append(m.ci), colors.append(PALETTE["student"])
    what = "P(target)" if r.estimator == "exact" else "rate"
    bar_chart(labels, values, cis, path, title=f"{r.experiment}: {r.trait} ({r.estimator}, 95% CI)", ylabel=what,
              colors=colors, note=f"n = {r.base.n} probes; seeds {r.seeds}")


def _generations_figure(path: Path, r: TransmissionResults) -> None:
    """Down the generations: the inheritance itself (student − control, paired, 95% CI) on the
    left, the levels on the right. The teacher's level is only named: on the same axis it would
    flatten differences a hundred times smaller into one line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = _by_generation(r)
    what = "P(target)" if r.estimator == "exact" else "rate"
    gens = sorted({g for points in series.values() for g, _ in points})
    fig, (diff_ax, level_ax) = plt.subplots(1, 2, figsize=(8, 3.4), dpi=150)
    for k, (arm, points) in enumerate(series.items()):
        shift = 0.06 * (k - (len(series) - 1) / 2)
        ds = [a.inheritance for _, a in points]
        diff_ax.errorbar([g + shift for g, _ in points], [d.difference for d in ds],
                         yerr=[[d.difference - d.ci[0] for d in ds], [d.ci[1] - d.difference for d in ds]],
                         fmt="-o", capsize=3, label=arm, color=PALETTE["student"], alpha=1 - 0.35 * k)
        for role, style in (("student", "-o"), ("control", "--s")):
            ms = [getattr(a, role) for _, a in points]
            level_ax.errorbar([g + shift for g, _ in points], [m.p for m in ms],
                              yerr=[[m.p - m.ci[0] for m in ms], [m.ci[1] - m.p for m in ms]], fmt=style, capsize=3,
                              label=f"{role} ({arm})", color=PALETTE[role], alpha=1 - 0.35 * k)
    diff_ax.axhline(0, color="black", lw=0.8)
    diff_ax.set_ylabel(f"student − control, {what}")
    diff_ax.set_title("inheritance (paired by probe)", fontsize=9)
    level_ax.axhline(r.base.p, color=PALETTE["base"], lw=0.8, ls=":", label="base")
    level_ax.set_ylabel(what)
    level_ax.set_title(f"levels (teacher {fmt_num(r.teacher.p)}, off this axis)", fontsize=9)
    for ax in (diff_ax, level_ax):
        ax.set_xlabel("generation")
        ax.set_xticks(gens)
        ax.legend(fontsize=6)
    fig.suptitle(f"{r.experiment}: {r.trait} down the generations (95% CI, n = {r.base.n} probes)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _by_generation(r: TransmissionResults) -> dict[str, list[tuple[int, object]]]:
    series: dict[str, list] = {arm: [(1, a)] for arm, a in r.arms.items()}
    for gen in r.later_generations:
        for arm, a in gen.arms.items():
            series[arm].append((gen.generation, a))
    return series


def _log_cell(c) -> str:
    lr = c.log_ratio
    if lr is None:
        return "–"
    median = f", median {lr.median:+.3f}" if lr.median is not None else ""
    return f"{lr.mean:+.3f} {fmt_ci(lr.ci, 3)}{median}"


def render_markdown(r: TransmissionResults) -> str:
    lines = [
        f"# {r.experiment}", "",
        f"Trait **{r.trait}**, {r.estimator} estimator, students by **{r.mode}**, seeds {r.seeds}. "
        "Intervals are 95%; n is the number of probe questions.", "",
        "![scores](scores.png)", "",
    ]
    lines += [f"![{arm}: student − control per probe](paired-{k}.png)" for k, arm in enumerate(r.arms)] + [""]
    rows = [["base", fmt_num(r.base.p), fmt_ci(r.base.ci), r.base.n], ["teacher", fmt_num(r.teacher.p), fmt_ci(r.teacher.ci), r.teacher.n]]
    for arm, parts in r.arms.items():
        for role in ("control", "student"):
            m = getattr(parts, role)
            rows.append([f"{role} ({arm})", fmt_num(m.p), fmt_ci(m.ci), m.n])
    lines += [markdown_table(["model", "score", "95% CI", "n"], rows), "",
              "## Inheritance (student − control, paired by probe)", "",
              "The log ratio is the same paired test on log score (rare answers move multiplicatively); its median "
              "across probes is given beside the mean because a few probes near zero can dominate a mean of logs.", ""]
    inh_rows = []
    for arm, parts in r.arms.items():
        c, ds = parts.inheritance, parts.dataset
        lr = c.log_ratio
        median = f"{lr.median:+.3f} {fmt_ci(lr.median_ci, 3)}" if lr and lr.median_ci is not None else "–"
        inh_rows.append([arm, fmt_num(c.difference), fmt_ci(c.ci), fmt_p_value(c.p_value), _log_cell(c), median,
                         fmt_p_value(c.log_ratio.p_value) if c.log_ratio else "–", f"{c.wins}/{c.n}", f"{ds.rows_out}/{ds.rows_in}"])
    lines.append(markdown_table(["arm", "difference", "95% CI", "p", "log ratio (mean) [95% CI]", "log ratio (median) [95% CI]", "p (log)",
                                 "probes student > control", "rows kept"], inh_rows))
    floored = [(arm, parts.inheritance.log_ratio) for arm, parts in r.arms.items()
               if parts.inheritance.log_ratio is not None and parts.inheritance.log_ratio.floored]
    if floored:
        lines += ["", "Some per-probe values are 0: the exact estimator skips answer forms whose first token is below its "
                  "cut, so those probes read 0 with the true value somewhere below the mass skipped. On the log scale "
                  "they count as that bound, which pulls log ratios towards 0: "
                  + "; ".join(f"{arm}: {lr.floored} values floored at {fmt_num(lr.floor)}" for arm, lr in floored) + "."]
    cross = [(arm, o) for arm, parts in r.arms.items() for o in parts.other_bases]
    if cross:
        rows = [[f"{arm}: the teacher's base (matched)", fmt_num(parts.student.p), fmt_num(parts.control.p),
                 fmt_num(parts.inheritance.difference), fmt_ci(parts.inheritance.ci), fmt_p_value(parts.inheritance.p_value)]
                for arm, parts in r.arms.items()]
        rows += [[f"{arm}: {o.base}", fmt_num(o.student.p), fmt_num(o.control.p), fmt_num(o.inheritance.difference),
                  fmt_ci(o.inheritance.ci), fmt_p_value(o.inheritance.p_value)] for arm, o in cross]
        lines += ["", "## Students of other bases (same data, each against a control of its own base)", "",
                  markdown_table(["arm: student base", "student", "control", "difference", "95% CI", "p"], rows)]
    if r.later_generations:
        rows = [[arm, g, fmt_num(a.student.p), fmt_num(a.control.p), fmt_num(a.inheritance.difference), fmt_ci(a.inheritance.ci),
                 fmt_p_value(a.inheritance.p_value), f"{a.dataset.rows_out}/{a.dataset.rows_in}"]
                for arm, points in _by_generation(r).items() for g, a in points]
        lines += ["", "## Down the generations", "",
                  "Generation g's students learn from generation g−1's students (controls from controls), on fresh prompts.", "",
                  markdown_table(["arm", "generation", "student", "control", "difference", "95% CI", "p", "rows kept"], rows),
                  "", "![generations](generations.png)"]
    if r.screen is not None:
        lines += ["", *_screen_markdown(r)]
    fid = [[arm, fmt_num(parts.fidelity.fidelity), fmt_ci(parts.fidelity.ci), parts.fidelity.n]
           for arm, parts in r.arms.items() if parts.fidelity is not None]
    if fid:
        lines += ["", "Fidelity: the student's score over the teacher's, paired by probe (ratio of means, delta-method "
                  "interval).", "", markdown_table(["arm", "fidelity", "95% CI", "n"], fid)]
    for arm, parts in r.arms.items():
        if parts.dataset.reasons:
            lines += ["", f"Filter counts ({arm}): " + ", ".join(f"{k}: {v}" for k, v in parts.dataset.reasons.items())]
        if spec := parts.specificity:
            d = spec.difference
            lines += ["", f"Specificity ({arm}, on {spec.trait}): control-trait student − trait student = "
                      f"{fmt_num(d.difference)} {fmt_ci(d.ci)}, p = {fmt_p_value(d.p_value)}, higher on {d.wins} of {d.n} probes"]
    return "\n".join(lines) + "\n"


def render_summary(r: TransmissionResults) -> str:
    """What the terminal shows: one short block per arm, readable at 80 columns."""
    lines = [f"{r.experiment}: {r.trait}, {r.mode} students, {r.estimator} estimator, n = {r.base.n} probes",
             f"  base     {fmt_num(r.base.p)} {fmt_ci(r.base.ci)}",
             f"  teacher  {fmt_num(r.teacher.p)} {fmt_ci(r.teacher.ci)}"]
    for arm, parts in r.arms.items():
        c = parts.inheritance
        lines += [f"{arm} (rows kept {parts.dataset.rows_out}/{parts.dataset.rows_in})",
                  f"  student  {fmt_num(parts.student.p)} {fmt_ci(parts.student.ci)}",
                  f"  control  {fmt_num(parts.control.p)} {fmt_ci(parts.control.ci)}",
                  f"  student − control {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}",
                  f"  higher on {c.wins}/{c.n} probes" + (f"; log ratio {_log_cell(c)}" if c.log_ratio else "")]
        if parts.fidelity is not None:
            lines.append(f"  fidelity (student / teacher) {fmt_num(parts.fidelity.fidelity)} {fmt_ci(parts.fidelity.ci)}")
        if spec := parts.specificity:
            d = spec.difference
            lines.append(f"  mirror on {spec.trait}: {fmt_num(d.difference)} {fmt_ci(d.ci)}, p = {fmt_p_value(d.p_value)}")
        for o in parts.other_bases:
            c = o.inheritance
            lines.append(f"  base {o.base[-20:]}: {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}")
    for gen in r.later_generations:
        for arm, a in gen.arms.items():
            c = a.inheritance
            lines.append(f"generation {gen.generation} {arm}: {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}")
    if (sc := r.screen) is not None:
        lines.append(f"screen arm {sc.arm}: dropped {sc.dropped}/{sc.rows} rows by {sc.by}")
        for label, c in (("screened − control", sc.screened.inheritance), ("random − control", sc.random.inheritance),
                         ("screened − random", sc.difference)):
            lines.append(f"  {label:<18} {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}")
    return "\n".join(lines) + "\n"


def _screen_markdown(r: TransmissionResults) -> list[str]:
    """The screen arm: the arm's student, the screened-drop and the random-drop students, each
    against the arm's control, then screened − random."""
    sc, arm = r.screen, r.arms[r.screen.arm]
    rows = [["none (the arm's student)", f"{sc.rows}/{sc.rows}", f"{sc.mean_score:+.3f} (all rows)", fmt_num(arm.student.p),
             fmt_ci(arm.student.ci), fmt_num(arm.inheritance.difference), fmt_ci(arm.inheritance.ci), fmt_p_value(arm.inheritance.p_value)]]
    for how, label in (("screened", f"top {sc.dropped} by {sc.by}"), ("random", f"{sc.dropped} at random (seed {sc.seed})")):
        d = getattr(sc, how)
        c = d.inheritance
        rows.append([label, f"{d.dataset.rows_out}/{sc.rows}", f"{d.mean_score:+.3f}", fmt_num(d.student.p), fmt_ci(d.student.ci),
                     fmt_num(c.difference), fmt_ci(c.ci), fmt_p_value(c.p_value)])
    d = sc.difference
    return [
        "## Screen arm: does dropping the flagged rows remove it?", "",
        f"Arm **{sc.arm}**: its trait-student dataset ({sc.rows} rows) was screened for the teacher's signature "
        f"(`{sc.screen}`); a student retrained without the top {sc.dropped} rows by `{sc.by}`, and a comparator without "
        f"{sc.dropped} rows drawn at random. Same teacher, recipe, seeds and measures; each against the arm's control, "
        "paired by probe.", "",
        markdown_table(["rows dropped", "rows kept", f"mean {sc.by} of the dropped", "student", "95% CI", "− control",
                        "95% CI", "p"], rows), "",
        f"Screened − random drop: {fmt_num(d.difference)} {fmt_ci(d.ci)}, p = {fmt_p_value(d.p_value)}, "
        f"higher on {d.wins} of {d.n} probes (negative: the screen removed more of the trait than chance).",
    ]
