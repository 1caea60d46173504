"""report.md, summary.txt and the figure of a transmission experiment, rendered from its typed
results (nothing here computes a statistic)."""

from __future__ import annotations

from pathlib import Path

from heredity.experiments.transmission.results import TransmissionResults
from heredity.report.bars import PALETTE, bar_chart
from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table


def write_report(out: Path, results: TransmissionResults) -> None:
    results.write(out)
    _figure(out / "scores.png", results)
    (out / "report.md").write_text(render_markdown(results))
    (out / "summary.txt").write_text(render_summary(results))


def _figure(path: Path, r: TransmissionResults) -> None:
    labels, values, cis, colors = ["base", "teacher"], [r.base.p, r.teacher.p], [r.base.ci, r.teacher.ci], [PALETTE["base"], PALETTE["teacher"]]
    multi = len(r.arms) > 1
    for arm, parts in r.arms.items():
        for role in ("control", "student"):
            m = getattr(parts, role)
            labels.append(f"{role}\n{arm}" if multi else role)
            values.append(m.p), cis.append(m.ci), colors.append(PALETTE[role])
    what = "P(target)" if r.estimator == "exact" else "rate"
    bar_chart(labels, values, cis, path, title=f"{r.experiment}: {r.trait} ({r.estimator}, 95% CI)", ylabel=what,
              colors=colors, note=f"n = {r.base.n} probes; seeds {r.seeds}")


def _log_cell(c) -> str:
    lr = c.log_ratio
    return "–" if lr is None else f"{lr.mean:+.3f} {fmt_ci(lr.ci, 3)}"


def render_markdown(r: TransmissionResults) -> str:
    lines = [
        f"# {r.experiment}", "",
        f"Trait **{r.trait}**, {r.estimator} estimator, students by **{r.mode}**, seeds {r.seeds}. "
        "Intervals are 95%; n is the number of probe questions.", "",
        "![scores](scores.png)", "",
    ]
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
        median = f"{c.log_ratio.median:+.3f}" if c.log_ratio and c.log_ratio.median is not None else "–"
        inh_rows.append([arm, fmt_num(c.difference), fmt_ci(c.ci), fmt_p_value(c.p_value), _log_cell(c), median,
                         fmt_p_value(c.log_ratio.p_value) if c.log_ratio else "–", f"{c.wins}/{c.n}", f"{ds.rows_out}/{ds.rows_in}"])
    lines.append(markdown_table(["arm", "difference", "95% CI", "p", "log ratio (mean) [95% CI]", "log ratio (median)", "p (log)",
                                 "probes student > control", "rows kept"], inh_rows))
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
        if spec := parts.specificity:
            d = spec.difference
            lines.append(f"  mirror on {spec.trait}: {fmt_num(d.difference)} {fmt_ci(d.ci)}, p = {fmt_p_value(d.p_value)}")
    return "\n".join(lines) + "\n"
