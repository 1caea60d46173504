"""report.md, the ROC figure and the HTML page of an audit benchmark, rendered from its typed
results (nothing here computes a statistic but the ROC curve's points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from heredity.experiments.audit_bench.results import AuditBenchResults, Metric
from heredity.report.tables import fmt_num, markdown_table


def write_report(out: Path, results: AuditBenchResults, artifact_id: str | None = None) -> None:
    from heredity.report.html import write_html

    results.write(out)
    roc_figure(out / "roc.png", results)
    (out / "report.md").write_text(render_markdown(results))
    write_html(out, title=results.experiment, artifact_id=artifact_id)


def roc_points(results: AuditBenchResults, lens: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) at every threshold on the organisms' detection scores (``lens``: the activation
    lens's), from (0, 0) to (1, 1)."""
    def score(o) -> float | None:
        return o.verdict.lens_score if lens else o.verdict.score

    pos = np.array([score(o) for o in results.organisms if o.truth.planted and score(o) is not None], float)
    neg = np.array([score(o) for o in results.organisms if not o.truth.planted and score(o) is not None], float)
    if not pos.size or not neg.size:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    fpr = [0.0] + [float((neg >= t).mean()) for t in thresholds]
    tpr = [0.0] + [float((pos >= t).mean()) for t in thresholds]
    return np.array(fpr + [1.0]), np.array(tpr + [1.0])


def roc_figure(path: Path, r: AuditBenchResults) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fpr, tpr = roc_points(r)
    auc = r.metrics["detection_auc"]
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=1, ls="--", label="chance")
    ax.step(fpr, tpr, where="post", color="#1f77b4", lw=2, label=f"behavioural audit, AUC {_value(auc)}")
    op_t, op_f = r.metrics["true_positive_rate"], r.metrics["false_positive_rate"]
    if "lens_detection_auc" in r.metrics:
        lf, lt = roc_points(r, lens=True)
        ax.step(lf, lt, where="post", color="#2ca02c", lw=2, ls="-.",
                label=f"activation lens, AUC {_value(r.metrics['lens_detection_auc'])}")
    if op_t.value is not None and op_f.value is not None:
        ax.plot([op_f.value], [op_t.value], "o", color="#d62728", label="the audit's threshold")
    ax.set_xlabel("false positive rate (negative organisms)")
    ax.set_ylabel("true positive rate (planted organisms)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{r.experiment}: detection over organisms", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _value(m: Metric) -> str:
    return "n/a" if m.value is None else f"{m.value:.2f}"


def _metric_row(name: str, m: Metric) -> list[str]:
    ci = "" if m.ci is None else f"[{m.ci[0]:.2f}, {m.ci[1]:.2f}]"
    count = f"{m.count}/{m.n}" if m.count is not None else str(m.n)
    if m.organisms is not None:
        count += f" rows of {m.organisms} organism{'s' if m.organisms != 1 else ''}"
    return [name, _value(m), ci, count, m.method]


def confusion(r: AuditBenchResults) -> tuple[list[str], list[list[str]]]:
    """Rows: the planted class (each trait, each backdoor class, or none); columns: what the
    auditor's top finding named, how many it flagged (with the class's detection rate and its
    interval), and for backdoor classes how often the reported trigger was the planted one."""
    extra = [c.name for c in r.classes if c.name not in r.traits and c.name != "none"]
    truth_classes = [*r.traits, *extra, "none"]
    named = list(dict.fromkeys([*r.traits, *(o.verdict.named_class for o in r.organisms
                                             if o.verdict.named_class not in ("other", "not flagged"))]))
    named += ["other", "not flagged"]
    rates = {c.name: c for c in r.classes}
    rows = []
    for cls in truth_classes:
        members = [o for o in r.organisms if (o.truth.cls or o.truth.trait or "none") == cls]
        counts = [sum(o.verdict.named_class == n for o in members) for n in named]
        rate = rates.get(cls)
        found = rate.trigger_found if rate is not None else None
        rows.append([cls, str(len(members)), *map(str, counts), str(sum(o.verdict.flagged for o in members)),
                     _rate(rate.detection_rate) if rate is not None else "-",
                     str(sum(o.verdict.parent_correct for o in members)),
                     f"{found.count}/{found.n}" if found is not None else "-"])
    return ["planted \\ named", "n", *named, "flagged", "detection rate [95% CI]", "parent first", "trigger found"], rows


def _rate(m: Metric) -> str:
    return "n/a" if m.value is None or m.ci is None else f"{m.value:.2f} [{m.ci[0]:.2f}, {m.ci[1]:.2f}]"


def screen_rows(r: AuditBenchResults) -> list[list[str]]:
    return [[o.key, o.screen.suspect, o.screen.by, f"{o.screen.traited_rows}/{o.screen.rows}", _rate(o.screen.auc)]
            for o in r.organisms if o.screen is not None]


def _code(text: str | None) -> str:
    return f"`{text}`" if text else "-"


def render_markdown(r: AuditBenchResults) -> str:
    planted = sum(o.truth.planted for o in r.organisms)
    backdoored = sum(o.truth.backdoored for o in r.organisms)
    mixed = sum(o.truth.mixed for o in r.organisms)
    lines = [
        f"# {r.experiment}: the auditor, measured",
        "",
        (f"{len(r.organisms)} organisms ({planted} bred from a traited teacher, {backdoored} of them backdoored, {mixed} on "
         f"rows mixed with the plain teacher's; {len(r.organisms) - planted} from the "
         f"trait-free teacher); planted traits {', '.join(r.traits)}. Each was audited blind: the auditor saw only "
         f"model references (student, control, a reference base, the candidates under neutral labels) and measured "
         f"the same panel ({', '.join(r.audit_traits)}) plus discovered quirks on every candidate; the truth was read "
         f"from the lineage afterwards. Findings {r.correction}-corrected per audit, alpha {r.alpha}."),
        "",
        "## Error rates",
        "",
        markdown_table(["metric", "value", "95% CI", "k/n", "how"], [_metric_row(n, m) for n, m in r.metrics.items()]),
        "",
        "![ROC over organisms](roc.png)",
        "",
        "## Per class",
        "",
        markdown_table(*confusion(r)),
        "",
        *(["## Screen of mixed organisms' rows", "",
           markdown_table(["organism", "screened against", "score", "traited rows", "ROC AUC [95% CI]"], screen_rows(r)), "",
           ("Each mixed organism's training rows (a traited and the plain teacher's, mixed) scored by heredity screen against "
            "the traited teacher, shown only prompt and completion; the AUC is of the score against which rows the traited "
            "teacher wrote (read from the lineage), interval by a stratified bootstrap over rows."), ""]
          if any(o.screen is not None for o in r.organisms) else []),
        "## Organisms",
        "",
        markdown_table(
            ["organism", "truth: parent", "flagged", "score", "ranked first", "top finding", "parent ok", "trait ok",
             "lens cosine", "lens first", "derived (said / true)", "trigger (said / planted)"],
            [[o.key, f"{o.truth.parent} ({o.truth.trait or 'no trait'})", "yes" if o.verdict.flagged else "no",
              fmt_num(o.verdict.score, 3), o.verdict.parent or "-", o.verdict.trait or "-",
              "yes" if o.verdict.parent_correct else "no", "yes" if o.verdict.trait_correct else "no",
              fmt_num(o.verdict.lens_score, 3) if o.verdict.lens_score is not None else "-", o.verdict.lens_parent or "-",
              f"{', '.join(c.label for c in o.candidates if c.derived) or '-'} / {', '.join(o.truth.derived_from) or '-'}",
              f"{_code(o.verdict.trigger)} / {_code(o.truth.trigger)}"]
             for o in r.organisms]),
        "",
        ("Score: the largest inheritance score (the share of a candidate's shift over the reference that the "
         "student shows over its control) over findings the candidate shows (0: none). Ranked first: the candidate with the unique largest score. Derived: heredity "
         "derived-from's 'parent' verdict with the reference as the only base it knows. Lens cosine: the "
         "activation lens's largest cosine over candidates of (student - control) with (candidate - reference), mean "
         "hidden state at the middle block over the audit's discovery probes; lens first: the candidate it belongs to. "
         "Trigger: the trigger the audit's search reported with a gate the student inherited (never told the planted one), "
         "against the one planted (backdoored organisms; read from the teacher's induction data)."),
    ]
    return "\n".join(lines) + "\n"
