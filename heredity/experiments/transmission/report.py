"""report.md and the bar chart of a transmission experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from heredity.report.bars import PALETTE, bar_chart
from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table
from heredity.store import write_json


def write_report(out: Path, config, results: dict[str, Any]) -> None:
    write_json(out / "results.json", results)
    labels, values, cis, colors = [], [], [], []
    for name in ("base", "teacher"):
        m = results["models"][name]
        labels.append(name), values.append(m["p"]), cis.append(m["ci"]), colors.append(PALETTE[name])
    multi = len(results["arms"]) > 1
    for arm, parts in results["arms"].items():
        for role in ("control", "student"):
            m = parts[role]
            labels.append(f"{role}\n{arm}" if multi else role)
            values.append(m["p"]), cis.append(m["ci"]), colors.append(PALETTE[role])
    what = "P(target)" if results["estimator"] == "exact" else "rate"
    bar_chart(
        labels, values, cis, out / "scores.png", title=f"{results['experiment']}: {results['trait']} ({results['estimator']}, 95% CI)",
        ylabel=what, colors=colors, note=f"n = {results['models']['base']['n']} probes; seeds {results['seeds']}",
    )
    (out / "report.md").write_text(render_markdown(results))


def render_markdown(results: dict[str, Any]) -> str:
    n = results["models"]["base"]["n"]
    lines = [
        f"# {results['experiment']}",
        "",
        f"Trait **{results['trait']}**, {results['estimator']} estimator, students by **{results['mode']}**, "
        f"seeds {results['seeds']}. Intervals are 95%; n is the number of probe questions.",
        "",
        "![scores](scores.png)",
        "",
    ]
    rows = [["base", fmt_num(results["models"]["base"]["p"]), fmt_ci(results["models"]["base"]["ci"]), n],
            ["teacher", fmt_num(results["models"]["teacher"]["p"]), fmt_ci(results["models"]["teacher"]["ci"]), n]]
    for arm, parts in results["arms"].items():
        for role in ("control", "student"):
            m = parts[role]
            rows.append([f"{role} ({arm})", fmt_num(m["p"]), fmt_ci(m["ci"]), m["n"]])
    lines += [markdown_table(["model", "score", "95% CI", "n"], rows), "", "## Inheritance (student − control, paired by probe)", "",
              "The log ratio is the same paired test on log score (rare answers move multiplicatively).", ""]
    inh_rows = []
    for arm, parts in results["arms"].items():
        inh = parts["inheritance"]
        ds = parts["dataset"]
        log = inh.get("log_ratio")
        log_cells = [f"{log['mean']:+.3f} {fmt_ci(log['ci'], 3)}", fmt_p_value(log["p_value"])] if log else ["–", "–"]
        inh_rows.append([arm, fmt_num(inh["difference"]), fmt_ci(inh["ci"]), fmt_p_value(inh["p_value"]), *log_cells,
                         f"{inh['wins']}/{inh['n']}", f"{ds['rows_out']}/{ds['rows_in']}"])
    lines.append(markdown_table(
        ["arm", "difference", "95% CI", "p", "log ratio [95% CI]", "p (log)", "probes student > control", "rows kept"], inh_rows))
    for arm, parts in results["arms"].items():
        if reasons := parts["dataset"].get("reasons"):
            lines += ["", f"Filter counts ({arm}): " + ", ".join(f"{k}: {v}" for k, v in reasons.items())]
        if spec := parts.get("specificity"):
            d = spec["difference"]
            lines += ["", f"Specificity ({arm}, on {spec['trait']}): control-trait student − trait student = "
                      f"{fmt_num(d['difference'])} {fmt_ci(d['ci'])}, p = {fmt_p_value(d['p_value'])}, "
                      f"higher on {d['wins']} of {d['n']} probes"]
    return "\n".join(lines) + "\n"
