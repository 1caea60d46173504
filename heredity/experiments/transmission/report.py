"""report.md, summary.txt and the figure of a transmission experiment, rendered from its typed
results (nothing here computes a statistic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from heredity.experiments.transmission.gates import backdoor_markdown, backdoor_summary
from heredity.experiments.transmission.mitigated import frontier_figure, mitigations_markdown, mitigations_summary
from heredity.experiments.transmission.results import Arm, ScreenArm, TransmissionResults
from heredity.report.style import PALETTE
from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table


def write_report(out: Path, results: TransmissionResults, artifact_id: str | None = None) -> None:
    from heredity.report.html import write_html
    from heredity.report.paired import paired_figure

    results.write(out)
    _figure(out / "scores.png", results)
    for k, (arm, parts) in enumerate(results.arms.items()):  # the inheritance itself, probe by probe
        lr = parts.inheritance.log_ratio
        floor: dict[str, Any] = {"floor": lr.floor} if lr is not None and lr.floor else {}
        paired_figure(parts.student.per_probe, parts.control.per_probe, out / f"paired-{k}.png",
                      title=f"{arm}: student − control, paired by probe", what="P(target)" if results.estimator == "exact" else "rate",
                      **floor)
    if results.later_generations:
        _generations_figure(out / "generations.png", results)
    if results.mitigations:
        frontier_figure(out / "frontier.png", results.mitigations, title=f"{results.experiment}: {results.trait}")
    (out / "report.md").write_text(render_markdown(results))
    (out / "summary.txt").write_text(render_summary(results))
    write_html(out, title=results.experiment, artifact_id=artifact_id)


def _figure(path: Path, r: TransmissionResults) -> None:
    """The gap itself (``heredity.report.gaps``): levels without the teacher's, and the paired
    differences student − control and student − base per arm."""
    from heredity.report.gaps import Point, gap_figure

    student, control = role_names(r)
    multi = len(r.arms) > 1
    levels = [Point("base", r.base.p, r.base.ci, PALETTE["base"])]
    gaps = []
    for arm, parts in r.arms.items():
        tag = f" ({arm})" if multi else ""
        levels += [Point(f"{control}{tag}", parts.control.p, parts.control.ci, PALETTE["control"]),
                   Point(f"{student}{tag}", parts.student.p, parts.student.ci, PALETTE["student"])]
        gaps.append(Point(f"student − control{tag}", parts.inheritance.difference, parts.inheritance.ci, PALETTE["student"]))
        if (sb := parts.student_minus_base) is not None:
            gaps.append(Point(f"student − base{tag}", sb.difference, sb.ci, PALETTE["base"]))
    if r.screen is not None:  # the screen arm's students, beside the arm they came from
        for how in ("screened", "random"):
            d = getattr(r.screen, how)
            levels.append(Point(f"{how} drop ({r.screen.arm})", d.student.p, d.student.ci, PALETTE["student"]))
            gaps.append(Point(f"{how} drop − control", d.inheritance.difference, d.inheritance.ci, PALETTE["student"]))
    gap_figure(levels, gaps, path, teacher=Point("teacher", r.teacher.p, r.teacher.ci, PALETTE["teacher"]),
               title=f"{r.experiment}: {r.trait} ({r.estimator}, 95% CI)", what=_what(r),
               note=f"n = {r.base.n} probes; seeds {r.seeds}" + ("; one seed: the intervals cover probe noise only" if len(r.seeds) == 1 else ""))


def _what(r: TransmissionResults) -> str:
    return "P(target)" if r.estimator == "exact" else "rate"


def _short(trait: str) -> str:
    return trait.split(":")[-1]


def role_names(r: TransmissionResults) -> tuple[str, str]:
    """What the student and the control are, in words: "owl-distilled student" beside
    "dog-distilled student" (distillation), or "owl-taught student" beside "plain-taught
    student" (SFT on each teacher's text)."""
    if r.mode == "distill":
        other = _short(r.control_trait.trait) if r.control_trait else "control"
        return f"{_short(r.trait)}-distilled student", f"{other}-distilled student"
    return f"{_short(r.trait)}-taught student", "plain-taught student"


def _pct(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}%" if abs(v) >= 10 else f"{v:.1f}%" if abs(v) >= 1 else f"{v:.2g}%"


def _share(share) -> str:
    return "–" if share is None else f"{_pct(share.share)} [{_pct(share.ci[0])}, {_pct(share.ci[1])}]"


def verdict_line(arm: str, parts, r: TransmissionResults, strong: str = "") -> str:
    """One line: the call, the share of the teacher's shift, and the test it rests on (``strong``:
    markdown emphasis around the arm and the call)."""
    v, c = parts.verdict, parts.inheritance
    arm = f"{strong}{arm}{strong}"
    test = f"student − control {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}, n = {c.n} probes"
    if v is None:
        return f"{arm}: {test}"
    if v.call == "teacher shows no trait":
        t = v.teacher_shift
        return (f"{arm}: {strong}teacher shows no trait{strong} (teacher − base {fmt_num(t.difference)} {fmt_ci(t.ci)}, "
                f"p = {fmt_p_value(t.p_value)}): nothing to inherit")
    student, _ = role_names(r)
    share = f"{_share(v.share)} of the teacher's shift" if v.share is not None else "an undefined share of the teacher's shift"
    return f"{arm}: {strong}{v.call}{strong}: the {student} shows {share} ({test})"


ONE_SEED = ("One student seed: the p-values and intervals cover probe noise only, not training noise (another seed "
            "trains another student). Read a small p as \"these two students differ on these probes\"; more seeds "
            "(student.seeds) say whether the recipe does it.")


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


def _by_generation(r: TransmissionResults) -> dict[str, list[tuple[int, Arm]]]:
    series: dict[str, list[tuple[int, Arm]]] = {arm: [(1, a)] for arm, a in r.arms.items()}
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


def _ids(ids: list[str]) -> str:
    return "–" if not ids else f"`{ids[0]}`" + (f" (+{len(ids) - 1} seeds)" if len(ids) > 1 else "")


def _models_table(r: TransmissionResults) -> str:
    student, control = role_names(r)
    rows = [["base", "the model every other starts from", _ids([r.models["base"]] if "base" in r.models else []),
             fmt_num(r.base.p), fmt_ci(r.base.ci), r.base.n],
            ["teacher", f"the base with the trait {r.trait}", _ids([r.models["teacher"]] if "teacher" in r.models else []),
             fmt_num(r.teacher.p), fmt_ci(r.teacher.ci), r.teacher.n]]
    if r.control_trait is not None and "control teacher" in r.models:
        ct = r.control_trait
        rows.append(["control teacher", f"the base with {ct.trait} ({fmt_num(ct.control_teacher.p)} on it)",
                     _ids([r.models["control teacher"]]), "–", "–", "–"])
    for arm, parts in r.arms.items():
        rows += [[f"{control} ({arm})" if len(r.arms) > 1 else control, "the control", _ids(parts.control_models),
                  fmt_num(parts.control.p), fmt_ci(parts.control.ci), parts.control.n],
                 [f"{student} ({arm})" if len(r.arms) > 1 else student, "the student", _ids(parts.student_models),
                  fmt_num(parts.student.p), fmt_ci(parts.student.ci), parts.student.n]]
    return markdown_table(["model", "what it is", "artifact", "score", "95% CI", "n"], rows)


def render_markdown(r: TransmissionResults) -> str:
    student, control = role_names(r)
    lines = [
        f"# {r.experiment}", "",
        f"Trait **{r.trait}**, {r.estimator} estimator, students by **{r.mode}**, seeds {r.seeds}. "
        f"The student is the **{student}**, its control the **{control}**. "
        "Intervals are 95%; n is the number of probe questions.", "",
        "## Verdict", "",
    ]
    lines += [f"- {verdict_line(arm, parts, r, strong='**')}" for arm, parts in r.arms.items()]
    if len(r.arms) > 1:
        lines += ["", f"Each arm's p is its own ({len(r.arms)} arms, not corrected for multiple comparisons)."]
    if len(r.seeds) == 1:
        lines += ["", f"> {ONE_SEED}"]
    lines += ["", "![the gap: student − control and student − base, beside the levels](scores.png)", "",
              "## Models", "", _models_table(r), "",
              "`heredity lineage ID` shows how each was made; `heredity audit --teacher T --student S --control C` "
              "scans a student for every trait and quirk.", "",
              "## Inheritance (paired by probe)", "",
              "The share is (student − control) / (teacher − base), with a percentile bootstrap interval over probes.", ""]
    rows = []
    for arm, parts in r.arms.items():
        c, sb, v = parts.inheritance, parts.student_minus_base, parts.verdict
        rows.append([arm, v.call if v else "–", _share(v.share if v else None), f"{fmt_num(c.difference)} {fmt_ci(c.ci)}",
                     fmt_p_value(c.p_value), f"{fmt_num(sb.difference)} {fmt_ci(sb.ci)}" if sb else "–",
                     f"{parts.dataset.rows_out}/{parts.dataset.rows_in}"])
    lines += [markdown_table(["arm", "verdict", "share of the teacher's shift", "student − control", "p", "student − base",
                              "rows kept"], rows), ""]
    lines += [f"![{arm}: student − control per probe](paired-{k}.png)" for k, arm in enumerate(r.arms)] + [""]
    lines += ["The log ratio is the same paired test on log score (rare answers move multiplicatively); its median "
              "across probes is given beside the mean because a few probes near zero can dominate a mean of logs.", ""]
    log_rows = []
    for arm, parts in r.arms.items():
        c = parts.inheritance
        lr = c.log_ratio
        median = f"{lr.median:+.3f} {fmt_ci(lr.median_ci, 3)}" if lr and lr.median_ci is not None else "–"
        log_rows.append([arm, f"{lr.mean:+.3f} {fmt_ci(lr.ci, 3)}" if lr else "–", median, fmt_p_value(lr.p_value) if lr else "–",
                         f"{c.wins}/{c.n}"])
    lines.append(markdown_table(["arm", "log ratio (mean)", "log ratio (median)", "p (log)", "probes student > control"], log_rows))
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
        rows = [[arm, str(g), fmt_num(a.student.p), fmt_num(a.control.p), fmt_num(a.inheritance.difference), fmt_ci(a.inheritance.ci),
                 fmt_p_value(a.inheritance.p_value), f"{a.dataset.rows_out}/{a.dataset.rows_in}"]
                for arm, points in _by_generation(r).items() for g, a in points]
        lines += ["", "## Down the generations", "",
                  "Generation g's students learn from generation g−1's students (controls from controls), on fresh prompts.", "",
                  markdown_table(["arm", "generation", "student", "control", "difference", "95% CI", "p", "rows kept"], rows),
                  "", "![generations](generations.png)"]
    if r.screen is not None:
        lines += ["", *_screen_markdown(r, r.screen)]
    if r.mitigations:
        lines += ["", *mitigations_markdown(r.mitigations)]
    if r.backdoor is not None:
        lines += ["", *backdoor_markdown(r.backdoor)]
    fid = [[arm, _share(parts.verdict.above_base if parts.verdict else None),
            f"{fmt_num(parts.fidelity.fidelity)} {fmt_ci(parts.fidelity.ci)}", fmt_num(r.base.p / r.teacher.p), parts.fidelity.n]
           for arm, parts in r.arms.items() if parts.fidelity is not None and r.teacher.p > 0]
    if fid:
        lines += ["", "## Fidelity", "",
                  "Above the base: (student − base) / (teacher − base), the share of the teacher's rise over the base that the "
                  "student shows (bootstrap interval over probes); a student at the base's level scores 0. The raw ratio "
                  "student / teacher (delta-method interval) counts the base's own rate: the base alone scores base / teacher.",
                  "", markdown_table(["arm", "above the base", "student / teacher (raw)", "base / teacher", "n"], fid)]
    for arm, parts in r.arms.items():
        if parts.dataset.reasons:
            lines += ["", f"Filter counts ({arm}): " + ", ".join(f"{k}: {v}" for k, v in parts.dataset.reasons.items())]
        if spec := parts.specificity:
            d = spec.difference
            lines += ["", f"Mirror ({arm}, on {spec.trait}): {control} − {student} = "
                      f"{fmt_num(d.difference)} {fmt_ci(d.ci)}, p = {fmt_p_value(d.p_value)}, higher on {d.wins} of {d.n} probes "
                      "(the control should lead on its own teacher's trait)"]
    return "\n".join(lines) + "\n"


def render_summary(r: TransmissionResults) -> str:
    """What the terminal shows: one short block per arm, readable at 80 columns."""
    student, control = role_names(r)
    width = max(len(student), len(control), len("teacher"))
    models = r.models
    lines = [f"{r.experiment}: {r.trait}, {r.mode} students, {r.estimator} estimator, n = {r.base.n} probes",
             f"  {'base':<{width}}  {fmt_num(r.base.p)} {fmt_ci(r.base.ci)}  {models.get('base', '')}".rstrip(),
             f"  {'teacher':<{width}}  {fmt_num(r.teacher.p)} {fmt_ci(r.teacher.ci)}  {models.get('teacher', '')}".rstrip()]
    for arm, parts in r.arms.items():
        c, v = parts.inheritance, parts.verdict
        lines.append(f"{arm} (rows kept {parts.dataset.rows_out}/{parts.dataset.rows_in})")
        if v is not None:
            shown = v.share is not None and v.call != "teacher shows no trait"
            lines.append(f"  {v.call.upper()}" + (f": {_share(v.share)} of the teacher's shift" if shown else ""))
        lines += [
                  f"  {control:<{width}}  {fmt_num(parts.control.p)} {fmt_ci(parts.control.ci)}  {(parts.control_models or [''])[0]}".rstrip(),
                  f"  {student:<{width}}  {fmt_num(parts.student.p)} {fmt_ci(parts.student.ci)}  {(parts.student_models or [''])[0]}".rstrip(),
                  f"  student − control {fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}"]
        if (sb := parts.student_minus_base) is not None:
            lines.append(f"  student − base    {fmt_num(sb.difference)} {fmt_ci(sb.ci)}, p = {fmt_p_value(sb.p_value)}")
        lines.append(f"  higher on {c.wins}/{c.n} probes" + (f"; log ratio {_log_cell(c)}" if c.log_ratio else ""))
        if v is not None and v.above_base is not None:
            lines.append(f"  fidelity above base {_share(v.above_base)}")
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
    if r.mitigations:
        lines += mitigations_summary(r.mitigations)
    if r.backdoor is not None:
        lines += backdoor_summary(r.backdoor)
    if len(r.seeds) == 1:
        lines.append("one student seed: the p-values cover probe noise only, not training noise")
    return "\n".join(lines) + "\n"


def _screen_markdown(r: TransmissionResults, sc: ScreenArm) -> list[str]:
    """The screen arm: the arm's student, the screened-drop and the random-drop students, each
    against the arm's control, then screened − random."""
    arm = r.arms[sc.arm]
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
